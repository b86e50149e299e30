/**
 * Google's cost model for reconciliation reports. The minimum of a run = listing + writes:
 * listing every user at `users.list`'s largest page (500), at least one call; per user, one
 * `users.patch` for all attribute changes (link, fields, suspend, reactivate, record), one
 * `users.insert` for a create, one call each for sign-out and backup codes, and for tokens, app
 * passwords and groups one list plus one delete per item found (the Directory API has no batch
 * delete; the items are counted from the calls made). The floor is the per-minute call limit.
 */
import { type CostModel, pages, windowFloorMs } from '../../src/connector/manifest.ts';
import type { Plan } from '../../src/connector/types.ts';
import type { GoogleConfig } from './config.ts';
import type { GoogleOp } from './model.ts';

const PAGE = 500;

/** Ops that are one `users.patch` together. */
const PATCH_OPS = new Set(['suspend', 'reactivate', 'link-external-id', 'update', 'close-suspension-record']);
/** Ops that make no vendor call (they only write the offboarding timeline). */
const LOCAL_OPS = new Set(['record-equipment']);
/** Playbook steps that list items, then delete each: client method of the per-item delete. */
const ITEM_STEPS: Record<string, string> = {
  'revoke-tokens': 'deleteToken',
  'delete-app-passwords': 'deleteAsp',
  'remove-groups': 'removeMember',
};

function writes(plans: readonly Plan<GoogleOp>[], methods: ReadonlyMap<string, number>): number {
  let calls = 0;
  for (const plan of plans) {
    if (plan.ops.some((op) => PATCH_OPS.has(op.type))) calls += 1;
    for (const op of plan.ops) if (!PATCH_OPS.has(op.type) && !LOCAL_OPS.has(op.type)) calls += 1;
  }
  for (const method of Object.values(ITEM_STEPS)) calls += methods.get(method) ?? 0;
  return calls;
}

export const googleCost: CostModel<GoogleConfig, GoogleOp> = {
  minimum: ({ kinds, applied, methods }) => ({
    // Products are followed for the closing, never listed from Google: only users cost a listing.
    list: kinds.filter((k) => k.kind === 'employee').reduce((n, k) => n + pages(k.listed, PAGE), 0),
    write: writes(applied, methods),
  }),
  floorMs: (minimum, { config }) =>
    windowFloorMs(minimum.list + minimum.write, config.callsPerMinute, 60_000),
};
