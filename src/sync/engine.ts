import {
  type ApplyOptions,
  type ApplyOutcome,
  type ApplyReport,
  entityKey,
  type Plan,
} from '../connector/types.ts';
import { newId } from '../core/ids.ts';
import type { EntitySnapshot } from '../core/projection.ts';
import { type ErrorCode, SyncError, toSyncError } from '../errors.ts';
import type { EntityKind } from '../growrk/types.ts';
import { jobRequestsFor } from '../store/job-requests.ts';
import type { HeldChange, OutcomeResult, Store } from '../store/types.ts';
import { budgetUnits, type GuardrailConfig, protectionReason } from './guardrails.ts';
import type { LoadedConnector } from './runtime.ts';

/** Settings of the shared plan/apply path. */
export interface EngineConfig {
  guardrails: GuardrailConfig & { destructiveLimit: number; destructiveWindow: number };
  dryRun: boolean;
}

/** The result of syncing one entity with one connector. */
export interface SyncResult {
  result: Exclude<OutcomeResult, 'failed' | 'dead' | 'superseded'>;
  summary: string;
  plan: Plan | null;
  /** Id of the held change, when held. */
  heldId?: string;
  /** The connector did the urgent part and asks to be run again for the rest. */
  more?: boolean;
  /** Sync this entity again after this long (the plan or the apply asked for it). */
  recheckAfterMs?: number;
}

/** Summarises a plan in one line, e.g. "suspend, sign-out, revoke-tokens". */
export function describePlan(plan: Plan): string {
  return plan.ops.map((op) => op.type).join(', ');
}

/**
 * Makes one connector's target match the projection for one entity: a batch of one through
 * {@link syncBatch}, so that one entity and many take the same path (read, plan, guardrails,
 * apply). Serves events, approvals and tests. Throws the entry's error; the caller decides retry
 * or dead.
 */
export async function syncEntity(input: {
  loaded: LoadedConnector;
  store: Store;
  config: EngineConfig;
  kind: EntityKind;
  entityId: string;
  eventIds: readonly string[];
  now: () => number;
  /** Skip the event-stream budget (reconciliation applies its own, approvals bypass it). */
  budget?: 'events' | 'none';
  /** Passed to the connector's apply (the worker asks for the urgent part first). */
  urgentFirst?: boolean;
}): Promise<SyncResult> {
  const [result] = await syncBatch({
    ...input,
    entries: [{ kind: input.kind, entityId: input.entityId, eventIds: input.eventIds }],
  });
  if (!result) throw new SyncError('INTERNAL', 'no result for the entity');
  if (!result.ok) throw result.error;
  return result.result;
}

/** Queues jobs for the entities a connector syncs instead of this one (same events). */
async function fanOut(
  input: { loaded: LoadedConnector; store: Store; eventIds: readonly string[]; now: () => number },
  related: ReadonlyArray<{ kind: EntityKind; id: string }>,
): Promise<SyncResult> {
  const runAt = input.now();
  const requests = related.flatMap((r) =>
    jobRequestsFor({ connector: input.loaded.id, kind: r.kind, entityId: r.id }, input.eventIds, runAt),
  );
  if (requests.length > 0) await input.store.enqueueJobs(requests);
  const names = related.map((r) => `${r.kind}:${r.id}`).join(', ');
  return {
    result: 'skipped',
    summary: related.length > 0 ? `handed over to ${names}` : 'nothing of this connector depends on it',
    plan: null,
  };
}

/** The result, with the earlier of its own recheck and the plan's. */
function withRecheck(result: SyncResult, planRecheck: number | undefined): SyncResult {
  const times = [result.recheckAfterMs, planRecheck].filter((t): t is number => t !== undefined);
  return times.length > 0 ? { ...result, recheckAfterMs: Math.min(...times) } : result;
}

/**
 * The guardrails for one plan: nothing to do, protected target, dry run, or the destructive budget
 * (an approved held change is marked applied; past the budget the plan is held). Returns the
 * result when the plan must not be applied, or null when it may be applied now.
 */
async function decide(input: {
  loaded: LoadedConnector;
  store: Store;
  config: EngineConfig;
  plan: Plan;
  eventIds: readonly string[];
  now: () => number;
  budget?: 'events' | 'none';
}): Promise<SyncResult | null> {
  const { loaded, store, config, plan } = input;
  if (plan.ops.length === 0) {
    // An approved change whose target got in step meanwhile has nothing left to apply: close it.
    const approval = await heldFor(store, plan, 'approved');
    if (approval) await consumeApproval(store, approval, input.now());
    return { result: 'skipped', summary: plan.notes[0] ?? 'in step, nothing to change', plan };
  }
  const protectedBy = protectionReason(plan.target, config.guardrails);
  if (protectedBy) {
    return {
      result: 'protected',
      summary: `not changed: target is a ${protectedBy} (${describePlan(plan)})`,
      plan,
    };
  }
  if (config.dryRun) return { result: 'dry-run', summary: `would ${describePlan(plan)}`, plan };

  const approval = plan.ops.find((op) => op.requiresApproval)?.requiresApproval;
  if (approval) {
    const approved = await heldFor(store, plan, 'approved');
    if (approved) {
      await consumeApproval(store, approved, input.now());
      return null;
    }
    const existing = (await heldFor(store, plan, 'held'))?.id;
    if (existing)
      return { result: 'held', summary: `waiting for approval (${existing})`, plan, heldId: existing };
    const held = await store.addHeld({
      id: newId('held', input.now()),
      connector: loaded.id,
      kind: plan.kind,
      entityId: plan.entityId,
      reason: approval,
      plan,
      eventIds: [...input.eventIds],
      createdAt: input.now(),
    });
    return {
      result: 'held',
      summary: `held for approval: ${describePlan(plan)} (${held.id})`,
      plan,
      heldId: held.id,
    };
  }
  const destructive = budgetUnits(plan);
  if (destructive > 0 && (input.budget ?? 'events') === 'events') {
    // Both looks at once: one round trip on the suspension's path, not two.
    const [approved, held] = await Promise.all([
      heldFor(store, plan, 'approved'),
      heldFor(store, plan, 'held'),
    ]);
    if (approved) {
      await consumeApproval(store, approved, input.now());
    } else {
      const existing = held?.id;
      if (existing)
        return { result: 'held', summary: `waiting for approval (${existing})`, plan, heldId: existing };
      const granted = await store.takeBudget({
        scope: `events:${loaded.id}`,
        count: destructive,
        limit: config.guardrails.destructiveLimit,
        windowMs: config.guardrails.destructiveWindow,
        now: input.now(),
      });
      if (!granted) {
        const held = await store.addHeld({
          id: newId('held', input.now()),
          connector: loaded.id,
          kind: plan.kind,
          entityId: plan.entityId,
          reason: `destructive budget of ${config.guardrails.destructiveLimit} per ${Math.round(config.guardrails.destructiveWindow / 60_000)} min used up`,
          plan,
          eventIds: [...input.eventIds],
          createdAt: input.now(),
        });
        // Someone must decide: an ex-employee may keep access meanwhile. Ids only, no e-mail.
        loaded.ctx.logger.warn(
          {
            connector: loaded.id,
            entity: `${plan.kind}:${plan.entityId}`,
            heldId: held.id,
            ops: plan.ops.filter((op) => op.destructive).map((op) => op.type),
            reason: held.reason,
          },
          'destructive change held for approval',
        );
        return {
          result: 'held',
          summary: `held for approval: ${describePlan(plan)} (${held.id})`,
          plan,
          heldId: held.id,
        };
      }
    }
  }
  return null;
}

function appliedResult(plan: Plan, report: ApplyReport): SyncResult {
  const resumed = report.skipped.length > 0 ? ` (resumed; already done: ${report.skipped.join(', ')})` : '';
  const more = report.more ? ' (the rest follows in its own job)' : '';
  return {
    result: 'succeeded',
    summary: `${report.done.join(', ') || 'nothing left to do'}${resumed}${more}`,
    plan,
    ...(report.more ? { more: true } : {}),
    ...(report.recheckAfterMs !== undefined ? { recheckAfterMs: report.recheckAfterMs } : {}),
  };
}

/** One entity of a batch, as {@link syncBatch} takes it. */
export interface BatchEntry {
  kind: EntityKind;
  entityId: string;
  /** Events that asked for this sync (for held changes). */
  eventIds: readonly string[];
}

/** What became of one entity of a batch: a result as {@link syncEntity} answers it, or its own error. */
export type BatchItemResult = { ok: true; result: SyncResult } | { ok: false; error: SyncError };

/** One plan ready for {@link decideAndApplyMany}. */
export interface BatchPlan {
  plan: Plan;
  eventIds: readonly string[];
}

/**
 * Shared batch failures that say nothing about most of the plans in the batch (one bad input makes
 * HubSpot refuse all 100): such plans are applied again in halves, down to single plans, so that
 * only the bad one fails. Transient failures (rate limits, 5xx) and setup failures (auth,
 * configuration) are not retried here: they are every plan's, and the worker's retries handle them.
 */
const ISOLATE_BY_BISECTION: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'VENDOR_REJECTED',
  'VENDOR_CONFLICT',
  'TARGET_NOT_FOUND',
  'INTERNAL',
]);

/**
 * The one sync path: makes one connector's target match the projection for one or many entities
 * (a single entity is a batch of one, {@link syncEntity}). Per entity, a connector may hand over to
 * related entities (`relatedEntities`: jobs for them instead); the rest are read with one `read`
 * -> `plan` per entity (pure) -> {@link decideAndApplyMany} (the guardrails per plan, then one
 * `apply` of the plans left).
 *
 * Failure isolation: a failed read fails every entry (nothing was written); after that each entry
 * has its own result, and a failure of one plan (or of one batch call) fails only the entries it
 * concerns. It never throws for a vendor or store error; the caller retries the failed entries.
 *
 * @param input.entries entities of any kinds the connector syncs, each at most once.
 * @returns one result per entry, in the order given.
 */
export async function syncBatch(input: {
  loaded: LoadedConnector;
  store: Store;
  config: EngineConfig;
  entries: readonly BatchEntry[];
  now: () => number;
  /** As in {@link syncEntity}. */
  budget?: 'events' | 'none';
  /** Asks the connector's apply for the urgent part first (see `ApplyOptions`). */
  urgentFirst?: boolean;
  /**
   * The entries' jobs were just claimed, and the claim caught the projection up: their entities
   * are read without catching up again (`ReadOptions.fresh`).
   */
  claimed?: boolean;
}): Promise<BatchItemResult[]> {
  const { loaded, store, entries } = input;
  const { definition, ctx } = loaded;
  const results: Array<BatchItemResult | undefined> = entries.map(() => undefined);
  const found: Array<{ index: number; desired: EntitySnapshot }> = [];
  try {
    for (const [index, entry] of entries.entries()) {
      const desired = await store.getEntity(
        entry.kind,
        entry.entityId,
        input.claimed ? { fresh: false } : undefined,
      );
      if (!desired) {
        results[index] = ok({ result: 'skipped', summary: 'entity not in the projection', plan: null });
        continue;
      }
      // A connector may sync other entities instead of this one (an employee's products).
      const related = await definition.relatedEntities?.(ctx, desired);
      if (related) results[index] = ok(await fanOut({ ...input, eventIds: entry.eventIds }, related));
      else found.push({ index, desired });
    }
    const desired = found.map((f) => f.desired);
    const actuals = desired.length > 0 ? await definition.read(ctx, desired) : new Map<string, unknown>();
    const items: Array<BatchPlan & { index: number }> = [];
    for (const { index, desired: one } of found) {
      const key = entityKey(one.kind, one.id);
      if (!actuals.has(key)) {
        results[index] = { ok: false, error: new SyncError('INTERNAL', `read gave no answer for ${key}`) };
        continue;
      }
      try {
        const plan = definition.plan({ desired: one, actual: actuals.get(key) ?? null, config: ctx.config });
        items.push({ index, plan, eventIds: entries[index]?.eventIds ?? [] });
      } catch (err) {
        results[index] = { ok: false, error: toSyncError(err) };
      }
    }
    const applied = await decideAndApplyMany({ ...input, items });
    for (const [i, item] of items.entries()) {
      const result = applied[i];
      results[item.index] = result?.ok ? ok(withRecheck(result.result, item.plan.recheckAfterMs)) : result;
    }
  } catch (err) {
    // Reading (or the store) failed: nothing was applied, so every open entry fails with it.
    const error = toSyncError(err);
    for (const [index, result] of results.entries()) results[index] = result ?? { ok: false, error };
  }
  return results.map(
    (r) => r ?? { ok: false, error: new SyncError('INTERNAL', 'no result for a batch entry') },
  );
}

/**
 * Guardrails and apply for plans already made: shared by the worker (one entity is a batch of
 * one) and reconciliation. Each plan goes through the guardrails (nothing to do, protected, dry
 * run, destructive budget and held changes); the plans left to apply go to the connector's
 * `apply` in one call. Plans that failed together on a shared, non-transient batch failure (see
 * {@link ISOLATE_BY_BISECTION}) are applied again by bisection, each half with its own `apply`.
 * One bad record among 100 thus fails alone for about 2 * log2(100) = 14 more calls, rather than
 * failing its 99 neighbours (or costing 100 single calls).
 *
 * @returns one result per item, in the order given; never throws for a vendor or store error.
 */
export async function decideAndApplyMany(input: {
  loaded: LoadedConnector;
  store: Store;
  config: EngineConfig;
  items: readonly BatchPlan[];
  now: () => number;
  budget?: 'events' | 'none';
  urgentFirst?: boolean;
}): Promise<BatchItemResult[]> {
  const { loaded } = input;
  const results: Array<BatchItemResult | undefined> = input.items.map(() => undefined);
  const toApply: number[] = [];
  for (const [index, item] of input.items.entries()) {
    try {
      const decided = await decide({ ...input, plan: item.plan, eventIds: item.eventIds });
      if (decided) results[index] = ok(decided);
      else toApply.push(index);
    } catch (err) {
      results[index] = { ok: false, error: toSyncError(err) };
    }
  }
  const plans = toApply.map((index) => input.items[index]!.plan);
  const outcomes = await applyIsolating(loaded, plans, input.urgentFirst ? { urgentFirst: true } : undefined);
  for (const [i, index] of toApply.entries()) {
    const outcome = outcomes[i];
    results[index] = !outcome
      ? { ok: false, error: new SyncError('INTERNAL', 'apply gave no outcome for a plan') }
      : outcome.ok
        ? ok(appliedResult(outcome.plan, outcome.report))
        : { ok: false, error: outcome.error };
  }
  return results.map(
    (r) => r ?? { ok: false, error: new SyncError('INTERNAL', 'no result for a batch plan') },
  );
}

/** Applies plans in one `apply`; plans that failed together on a non-transient error are bisected. */
async function applyIsolating(
  loaded: LoadedConnector,
  plans: readonly Plan[],
  options?: ApplyOptions,
): Promise<ApplyOutcome[]> {
  const { definition, ctx } = loaded;
  if (plans.length === 0) return [];
  let outcomes: ApplyOutcome[];
  try {
    outcomes = await definition.apply(ctx, plans, options);
  } catch (err) {
    // No single plan's failure (a quota, the configuration): every plan fails with it.
    const error = toSyncError(err);
    outcomes = plans.map((plan) => ({ plan, ok: false, error, report: { done: [], skipped: [] } }));
  }
  if (plans.length === 1) return outcomes;
  const shared = new Map<SyncError, number>();
  for (const outcome of outcomes) {
    if (!outcome.ok) shared.set(outcome.error, (shared.get(outcome.error) ?? 0) + 1);
  }
  const redo: number[] = [];
  for (const [i, outcome] of outcomes.entries()) {
    if (!outcome.ok && (shared.get(outcome.error) ?? 0) > 1 && ISOLATE_BY_BISECTION.has(outcome.error.code))
      redo.push(i);
  }
  if (redo.length === 0) return outcomes;
  const half = Math.ceil(redo.length / 2);
  for (const part of [redo.slice(0, half), redo.slice(half)]) {
    const again = await applyIsolating(
      loaded,
      part.map((i) => plans[i]!),
      options,
    );
    for (const [j, i] of part.entries()) {
      const outcome = again[j];
      if (outcome) outcomes[i] = outcome;
    }
  }
  return outcomes;
}

function ok(result: SyncResult): BatchItemResult {
  return { ok: true, result };
}

/** The held change of `status` waiting for the same (connector, entity) as `plan`, if any. */
async function heldFor(store: Store, plan: Plan, status: 'held' | 'approved'): Promise<HeldChange | null> {
  const rows = await store.listHeld({ status });
  return (
    rows.find(
      (h) => h.connector === plan.connector && h.kind === plan.kind && h.entityId === plan.entityId,
    ) ?? null
  );
}

/** Marks an approval used, keeping who approved it. */
async function consumeApproval(store: Store, approval: HeldChange, now: number): Promise<void> {
  await store.decideHeld(approval.id, ['approved'], 'applied', approval.decidedBy ?? 'unknown', now);
}
