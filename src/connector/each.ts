/**
 * The default sync path of a connector whose vendor cannot batch (a Directory API, a REST asset
 * manager): `read` and `apply` over many entities, one at a time, from a function for one. With
 * them, such a connector has the one read/apply contract of {@link ConnectorDefinition} and says
 * `batchSize: 1`, so the worker gives it one job at a time.
 */

import type { EntitySnapshot } from '../core/projection.ts';
import { toSyncError } from '../errors.ts';
import {
  type ApplyOptions,
  type ApplyOutcome,
  type ApplyReport,
  type ConnectorContext,
  entityKey,
  type Plan,
  type PlannedOp,
} from './types.ts';

/**
 * `read` from a function that reads one entity (null: no target record). Reads one after the
 * other; the first failure throws (the core retries the group, as for a batch read).
 */
export function readEach<Ctx extends ConnectorContext, Actual>(
  readOne: (ctx: Ctx, desired: EntitySnapshot) => Promise<Actual | null>,
): (ctx: Ctx, desired: readonly EntitySnapshot[]) => Promise<Map<string, Actual | null>> {
  return async (ctx, desired) => {
    const out = new Map<string, Actual | null>();
    for (const one of desired) out.set(entityKey(one.kind, one.id), await readOne(ctx, one));
    return out;
  };
}

/**
 * `apply` from a function that carries out one plan (and throws when it fails). Plans are applied
 * one after the other; each failure is that plan's alone (its outcome carries the error).
 */
export function applyEach<Ctx extends ConnectorContext, Op extends PlannedOp>(
  applyOne: (ctx: Ctx, plan: Plan<Op>, options?: ApplyOptions) => Promise<ApplyReport>,
): (ctx: Ctx, plans: readonly Plan<Op>[], options?: ApplyOptions) => Promise<ApplyOutcome<Op>[]> {
  return async (ctx, plans, options) => {
    const out: ApplyOutcome<Op>[] = [];
    for (const plan of plans) {
      try {
        out.push({ plan, ok: true, report: await applyOne(ctx, plan, options) });
      } catch (err) {
        out.push({ plan, ok: false, error: toSyncError(err), report: { done: [], skipped: [] } });
      }
    }
    return out;
  };
}
