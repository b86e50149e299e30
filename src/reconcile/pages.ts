/**
 * The apply phase of one connector, page by page: the run's items (the plans its plan phase kept
 * in the store) are read a page at a time in (group, seq) order, decided by the guardrails,
 * applied (unless a dry run), counted, and the checkpoint saved, so that memory holds one page and
 * a run that stops resumes after the last page it finished.
 */
import type { Plan } from '../connector/types.ts';
import type { Store } from '../store/types.ts';
import type { EngineConfig } from '../sync/engine.ts';
import { applyDecisions } from './applier.ts';
import type { ConnectorCheckpoint } from './checkpoint.ts';
import { decidePlans, type HeldIndex } from './decisions.ts';
import type { RunConnector } from './run-client.ts';
import { addToTally } from './tally.ts';
import type { BudgetReport } from './types.ts';

/** Items decided and applied per page (a multiple of HubSpot's batch of 100). */
export const APPLY_PAGE = 500;

/** In a resumed run: what makes an item stale, so that it is left to the event path. */
export interface Recheck {
  /** `kind:id` of entities with sync jobs in flight now. */
  busy: ReadonlySet<string>;
  /** When the run started: an entity written since then has (had) a sync job of its own. */
  since: number;
}

/** Goes through the rest of one connector's items; `state` is updated in place. */
export async function applyInPages(input: {
  counted: RunConnector;
  store: Store;
  engine: EngineConfig;
  runId: string;
  state: ConnectorCheckpoint;
  held: HeldIndex;
  budget: BudgetReport;
  listingComplete: boolean;
  dryRun: boolean;
  confirmed: boolean;
  recheck: Recheck | null;
  now: () => number;
  pageSize?: number | undefined;
  signal?: AbortSignal | undefined;
  /** Called after each page, once `state` includes it (saves the checkpoint). */
  onPage: () => Promise<void>;
}): Promise<void> {
  const { counted, store, state } = input;
  const connector = counted.loaded.id;
  while (!state.done) {
    input.signal?.throwIfAborted();
    const items = await store.listRunItems(input.runId, connector, {
      after: state.after,
      limit: input.pageSize ?? APPLY_PAGE,
    });
    if (items.length === 0) {
      state.done = true;
      await input.onPage();
      return;
    }
    const plans: Plan[] = [];
    for (const item of items) {
      const plan = item.plan as Plan;
      if (input.recheck && (await isStale(store, plan, input.recheck))) state.plan.inFlight += 1;
      else plans.push(plan);
    }
    const decisions = decidePlans({
      plans,
      held: input.held,
      budget: input.budget,
      guardrails: input.engine.guardrails,
      listingComplete: input.listingComplete,
      dryRun: input.dryRun,
      confirmed: input.confirmed,
    });
    if (!input.dryRun) {
      await applyDecisions({
        loaded: counted.loaded,
        store,
        engine: input.engine,
        decisions,
        runId: input.runId,
        now: input.now,
        signal: input.signal,
      });
    }
    addToTally(state.tally, decisions);
    const last = items[items.length - 1]!;
    state.after = { group: last.group, seq: last.seq };
    state.processed += items.length;
    await input.onPage();
  }
}

async function isStale(store: Store, plan: Plan, recheck: Recheck): Promise<boolean> {
  if (recheck.busy.has(`${plan.kind}:${plan.entityId}`)) return true;
  const entity = await store.getEntity(plan.kind, plan.entityId);
  return entity === null || entity.updatedAt > recheck.since;
}
