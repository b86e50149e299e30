/**
 * The apply phase of one connector, after the guardrails decided each plan (`decisions.ts`):
 * changes over the budget of a scheduled run are held for approval, and the parts to apply go
 * through the engine's shared path (`decideAndApplyMany`: all of them in one `apply` for a
 * batching connector, else one plan per `apply`, a few lanes at a time). Results go into each
 * change's report and the outcome ledger.
 */
import { newId } from '../core/ids.ts';
import type { OutcomeInput, Store } from '../store/types.ts';
import {
  type BatchItemResult,
  type BatchPlan,
  decideAndApplyMany,
  type EngineConfig,
} from '../sync/engine.ts';
import type { LoadedConnector } from '../sync/runtime.ts';
import type { Decision } from './decisions.ts';

/** Plans applied at once (one per `apply`) for a connector whose `batchSize` is 1. */
export const APPLY_LANES = 8;

/** Applies the decided plans of one connector and fills in each report's result. */
export async function applyDecisions(input: {
  loaded: LoadedConnector;
  store: Store;
  engine: EngineConfig;
  decisions: readonly Decision[];
  runId: string;
  now: () => number;
  signal?: AbortSignal | undefined;
  onProgress?: ((done: number, total: number) => void) | undefined;
}): Promise<void> {
  const { loaded, store, decisions, now } = input;
  for (const d of decisions) {
    if (!d.hold) continue;
    input.signal?.throwIfAborted();
    const held = await store.addHeld({
      id: newId('held', now()),
      connector: loaded.id,
      kind: d.plan.kind,
      entityId: d.plan.entityId,
      reason: `reconciliation ${input.runId}: ${d.report.reason ?? 'over the destructive budget'}`,
      plan: d.plan,
      eventIds: [],
      createdAt: now(),
    });
    d.report.heldId = held.id;
  }
  const submitted = decisions.filter((d) => d.submit !== null);
  input.signal?.throwIfAborted();
  const results = await applyAll(input, submitted);
  const outcomes: OutcomeInput[] = [];
  for (const [i, d] of submitted.entries()) {
    const result = results[i];
    if (!result?.ok) {
      d.report.result = 'failed';
      d.report.error = result
        ? { code: result.error.code, message: result.error.message }
        : { code: 'INTERNAL', message: 'no result' };
    } else {
      d.report.done = result.result.result === 'succeeded' ? doneOf(result) : [];
      if (result.result.result === 'protected') d.report.result = 'protected';
      else if (d.hold || d.report.heldId) d.report.result = 'held';
      else d.report.result = d.submit === d.plan ? 'applied' : 'partial';
      if (d.settles && d.submit === d.plan) {
        await store.decideHeld(d.settles.id, ['held', 'approved'], 'applied', 'reconcile', now());
      }
    }
    outcomes.push(outcomeOf(loaded.id, input.runId, d, now()));
  }
  for (const d of decisions) {
    if (d.submit !== null || d.report.result === 'protected') continue;
    d.report.result = d.hold || d.report.heldId ? 'held' : 'withheld';
    outcomes.push(outcomeOf(loaded.id, input.runId, d, now()));
  }
  if (outcomes.length > 0) await store.recordOutcomes(outcomes);
}

function doneOf(result: Extract<BatchItemResult, { ok: true }>): string[] {
  return result.result.plan?.ops.map((op) => op.type) ?? [];
}

/** The plans through the engine: one `apply` of them all, or lanes of one-plan applies. */
async function applyAll(
  input: {
    loaded: LoadedConnector;
    store: Store;
    engine: EngineConfig;
    now: () => number;
    onProgress?: ((done: number, total: number) => void) | undefined;
  },
  submitted: readonly Decision[],
): Promise<BatchItemResult[]> {
  const items: BatchPlan[] = submitted.map((d) => ({ plan: d.submit!, eventIds: [] }));
  if (items.length === 0) return [];
  const engine: EngineConfig = { ...input.engine, dryRun: false };
  const run = (part: readonly BatchPlan[]) =>
    decideAndApplyMany({
      loaded: input.loaded,
      store: input.store,
      config: engine,
      items: part,
      now: input.now,
      budget: 'none',
    });
  if (input.loaded.definition.batchSize > 1) {
    const results = await run(items);
    input.onProgress?.(items.length, items.length);
    return results;
  }
  const results: BatchItemResult[] = new Array(items.length);
  let next = 0;
  let done = 0;
  const lane = async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      const [result] = await run([items[i]!]);
      results[i] = result!;
      done += 1;
      input.onProgress?.(done, items.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(APPLY_LANES, items.length) }, lane));
  return results;
}

function outcomeOf(connector: string, runId: string, d: Decision, at: number): OutcomeInput {
  const r = d.report;
  const result =
    r.result === 'failed'
      ? 'failed'
      : r.result === 'held'
        ? 'held'
        : r.result === 'withheld'
          ? 'skipped'
          : r.result === 'protected'
            ? 'protected'
            : 'succeeded';
  const what = r.done?.length ? r.done.join(', ') : r.ops.map((o) => o.type).join(', ');
  const why = r.reason ? `; destructive ops not applied: ${r.reason}` : '';
  return {
    eventId: null,
    connector,
    kind: r.kind,
    entityId: r.entityId,
    result,
    summary: `reconciliation ${runId}: ${r.result} (${what})${why}`.slice(0, 500),
    detail: { ops: r.ops.map((o) => o.type), runId },
    error: r.error ?? null,
    at,
  };
}
