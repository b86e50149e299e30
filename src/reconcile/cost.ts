/**
 * The fewest vendor calls a reconciliation run could have made, and the least wall time the
 * vendors' rate limits allow for them. Reconciliation prints both next to what it did.
 *
 * The minimum of a run = listing + writes:
 * - listing: every record of each kind at the vendor's largest page (Google `users.list`: 500;
 *   HubSpot list and search: 100), at least one call per kind;
 * - Google writes, per user: one `users.patch` for all attribute changes (link, fields, suspend,
 *   reactivate, record), one `users.insert` for a create, one call each for sign-out and backup
 *   codes, and for tokens, app passwords and groups one list plus one delete per item found (the
 *   Directory API has no batch delete; the items are counted from the calls made);
 * - HubSpot: one schema lookup when the custom asset object is listed (its type id is needed to
 *   address it); writes, per kind, one batch call per 100 creates, per 100 updates, per 100
 *   association removals and per 100 association additions; new contacts also need one batch read
 *   by e-mail per 100 (DESIGN section 7: a contact is found by e-mail the first time, so that one
 *   that exists without the GroWrk id is adopted, never duplicated).
 * A connector this file does not know counts one call per op.
 */
import type { AppConfig } from '../config/types.ts';
import type { Plan } from '../connector/types.ts';
import type { KindListing } from './types.ts';

/** The minimum of one connector's run, split as reported. */
export interface Minimum {
  list: number;
  write: number;
}

const GOOGLE_PAGE = 500;
const HUBSPOT_PAGE = 100;
const HUBSPOT_BATCH = 100;

/** Google ops that are one `users.patch` together. */
const GOOGLE_PATCH_OPS = new Set([
  'suspend',
  'reactivate',
  'link-external-id',
  'update',
  'close-suspension-record',
]);
/** Google playbook steps that list items, then delete each: client method of the per-item delete. */
const GOOGLE_ITEM_STEPS: Record<string, string> = {
  'revoke-tokens': 'deleteToken',
  'delete-app-passwords': 'deleteAsp',
  'remove-groups': 'removeMember',
};

function pages(listed: number, size: number): number {
  return Math.max(1, Math.ceil(listed / size));
}

function googleWrites(plans: readonly Plan[], methods: ReadonlyMap<string, number>): number {
  let calls = 0;
  for (const plan of plans) {
    if (plan.ops.some((op) => GOOGLE_PATCH_OPS.has(op.type))) calls += 1;
    for (const op of plan.ops) if (!GOOGLE_PATCH_OPS.has(op.type)) calls += 1;
  }
  for (const method of Object.values(GOOGLE_ITEM_STEPS)) calls += methods.get(method) ?? 0;
  return calls;
}

function hubspotWrites(plans: readonly Plan[]): number {
  const counts = new Map<string, number>();
  for (const plan of plans) {
    for (const op of plan.ops) {
      const family = op.type.startsWith('create-')
        ? 'create'
        : op.type.startsWith('update-')
          ? 'update'
          : op.type;
      const key = `${plan.kind}:${family}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  let calls = Math.ceil((counts.get('employee:create') ?? 0) / HUBSPOT_BATCH);
  for (const n of counts.values()) calls += Math.ceil(n / HUBSPOT_BATCH);
  return calls;
}

/**
 * The minimum calls of one connector's run.
 * @param kinds how each kind was listed (records listed).
 * @param applied the plans submitted for applying (as submitted: destructive ops withheld are not in them).
 * @param methods client calls by method, for the per-item deletes.
 */
export function minimumCalls(
  connector: string,
  kinds: readonly KindListing[],
  applied: readonly Plan[],
  methods: ReadonlyMap<string, number>,
): Minimum {
  if (connector === 'google-workspace') {
    return {
      list: kinds.reduce((n, k) => n + pages(k.listed, GOOGLE_PAGE), 0),
      write: googleWrites(applied, methods),
    };
  }
  if (connector === 'hubspot') {
    const schemaLookup = kinds.some((k) => k.kind === 'product') ? 1 : 0;
    return {
      list: schemaLookup + kinds.reduce((n, k) => n + pages(k.listed, HUBSPOT_PAGE), 0),
      write: hubspotWrites(applied),
    };
  }
  return {
    list: kinds.reduce((n, k) => n + k.pages, 0),
    write: applied.reduce((n, p) => n + p.ops.length, 0),
  };
}

/** Least time for `calls` calls under "at most `limit` in any `windowMs`", in ms. */
export function windowFloorMs(calls: number, limit: number, windowMs: number): number {
  if (calls <= 0 || limit <= 0) return 0;
  return Math.floor((calls - 1) / limit) * windowMs;
}

/**
 * Least wall time the vendor's limits allow for a connector's minimum. HubSpot: the ten-second
 * limit over all calls, and the search limit (per second) over the contact listing, which uses
 * search; the larger wins.
 */
export function rateFloorMs(
  connector: string,
  minimum: Minimum,
  kinds: readonly KindListing[],
  config: AppConfig,
): number {
  const total = minimum.list + minimum.write;
  if (connector === 'google-workspace') return windowFloorMs(total, config.google.callsPerMinute, 60_000);
  if (connector === 'hubspot') {
    const searches = kinds
      .filter((k) => k.kind === 'employee' || k.kind === 'order')
      .reduce((n, k) => n + pages(k.listed, HUBSPOT_PAGE), 0);
    return Math.max(
      windowFloorMs(total, config.hubspot.callsPer10s, 10_000),
      windowFloorMs(searches, config.hubspot.searchPerSecond, 1_000),
    );
  }
  return 0;
}
