/**
 * One reconciliation run (DESIGN section 1): under the leader lease, every enabled connector is
 * planned against a full listing of its target (connectors in parallel), the key index, the plans
 * and the listing's position going to the store page by page; the destructive budget is decided
 * for the run as a whole; then the plans are read back, decided and (unless a dry run) applied page
 * by page through the engine's shared guardrail/apply path, the run's checkpoint saved after each
 * page. Memory holds a page, whatever the size of the directory. A run that stopped while listing
 * or applying is resumed by the next run asking for the same thing (`checkpoint.ts`). The run, a
 * bounded sample of its plan and its counts are stored.
 */
import type { Logger } from 'pino';
import type { AppConfig } from '../config/types.ts';
import { newId } from '../core/ids.ts';
import { SyncError, toSyncError } from '../errors.ts';
import type { Run, Store } from '../store/types.ts';
import type { EngineConfig } from '../sync/engine.ts';
import type { ConnectorRuntime } from '../sync/runtime.ts';
import { decideBudget } from './budget.ts';
import { emptyCounts } from './changes.ts';
import {
  type ConnectorCheckpoint,
  type PlanningCheckpoint,
  type RunCheckpoint,
  resumableRun,
  type SessionCounts,
  type StoredCheckpoint,
} from './checkpoint.ts';
import { minimumCalls, plansOf, rateFloorMs } from './cost.ts';
import { countsAgainstBudget, type HeldIndex, heldIndex } from './decisions.ts';
import { closeAbandonedRuns, describeHolder, type LeaseHolder, leaseHolder, takeLease } from './lease.ts';
import { applyInPages, type Recheck } from './pages.ts';
import { entitiesInFlight, planConnector } from './planner.ts';
import { NO_PROGRESS, type Progress } from './progress.ts';
import { type RunConnector, runConnector } from './run-client.ts';
import { emptyTally } from './tally.ts';
import type { ConnectorReport, ReconcileRequest, ResultCounts, RunReport } from './types.ts';

/** What a run needs. */
export interface ReconcileDeps {
  config: AppConfig;
  store: Store;
  runtime: ConnectorRuntime;
  logger: Logger;
  now?: () => number;
  progress?: Progress;
  /** Stops the run early (service shutdown); the run is then stored as failed (and resumable). */
  signal?: AbortSignal;
  /** Items applied per page (tests use small pages). */
  pageSize?: number;
  /**
   * Told the run's id and the lease owner once the run is stored as running: what the service's
   * thread needs to close the run (stored as failed, lease given back) if the thread running it dies.
   */
  onStarted?: (started: { runId: string; leaseOwner: string }) => void;
}

/** A run that ran, or one that did not because another run holds the lease. */
export type ReconcileOutcome =
  | { ran: true; report: RunReport }
  | { ran: false; holder: LeaseHolder; message: string };

/** Runs one reconciliation. Throws (after storing the run as failed) when it cannot finish. */
export async function reconcile(request: ReconcileRequest, deps: ReconcileDeps): Promise<ReconcileOutcome> {
  const now = deps.now ?? Date.now;
  const ids = request.connector ? [request.connector] : [...deps.runtime.connectors.keys()];
  for (const id of ids) {
    if (!deps.runtime.connectors.has(id)) {
      throw new SyncError(
        'USAGE',
        `connector "${id}" is not enabled (enabled: ${[...deps.runtime.connectors.keys()].join(', ') || 'none'})`,
      );
    }
  }
  const lease = await takeLease({
    store: deps.store,
    now,
    onLost: () => deps.logger.error('reconcile: the lease was lost to another run; stopping this one'),
  });
  if (!lease) {
    const holder = await leaseHolder(deps.store);
    return { ran: false, holder, message: describeHolder(holder) };
  }
  const startedAt = now();
  const resumed = resumableRun(await deps.store.listRuns(50), request, startedAt);
  const run: Run = resumed?.run ?? {
    id: newId('run', startedAt),
    connector: request.connector ?? null,
    trigger: request.trigger,
    dryRun: request.dryRun,
    startedAt,
    finishedAt: null,
    status: 'running',
    plan: null,
    result: null,
    errors: [],
  };
  try {
    if (resumed) {
      resumed.checkpoint.resumedAt.push(startedAt);
      await deps.store.updateRun(run.id, { status: 'running', finishedAt: null });
      deps.logger.warn({ runId: run.id }, 'reconcile: resuming a run that stopped, from its checkpoint');
    } else await deps.store.createRun(run);
    deps.onStarted?.({ runId: run.id, leaseOwner: lease.owner });
    await closeAbandonedRuns(deps.store, run.id, startedAt);
    await deps.store.clearRunItems(run.id);
    const signal = deps.signal ? AbortSignal.any([lease.signal, deps.signal]) : lease.signal;
    const counted = ids.map((id) => runConnector(deps.runtime.connectors.get(id)!));
    try {
      const report = await execute({
        request,
        deps,
        run,
        counted,
        signal,
        now,
        checkpoint: resumed?.checkpoint ?? null,
      });
      await deps.store.updateRun(run.id, {
        status: report.status,
        finishedAt: now(),
        plan: { connectors: report.connectors, budget: report.budget, plan: report.plan },
        result: { results: report.results, drift: report.drift },
        errors: report.errors,
      });
      await deps.store.clearRunItems(null);
      return { ran: true, report };
    } catch (err) {
      const error = toSyncError(signal.aborted && signal.reason instanceof Error ? signal.reason : err);
      await deps.store.updateRun(run.id, {
        status: 'failed',
        finishedAt: now(),
        errors: [{ code: error.code, message: error.message }],
      });
      throw error;
    }
  } finally {
    (deps.progress ?? NO_PROGRESS).done();
    await lease.release();
  }
}

async function execute(input: {
  request: ReconcileRequest;
  deps: ReconcileDeps;
  run: Run;
  counted: RunConnector[];
  signal: AbortSignal;
  now: () => number;
  /** The checkpoint of the run being resumed, or null for a new run. */
  checkpoint: StoredCheckpoint | null;
}): Promise<RunReport> {
  const { request, deps, run, counted, signal, now } = input;
  const progress = deps.progress ?? NO_PROGRESS;
  const { config, store } = deps;
  const engine: EngineConfig = { guardrails: config.guardrails, dryRun: request.dryRun };
  const held = new Map<string, HeldIndex>();
  for (const c of counted) held.set(c.loaded.id, await heldIndex(store, c.loaded.id));
  /** Connector -> ms spent in this session (connectors run in parallel). */
  const busy = new Map<string, number>();
  const timed = async <T>(id: string, work: () => Promise<T>): Promise<T> => {
    const t = now();
    try {
      return await work();
    } finally {
      busy.set(id, (busy.get(id) ?? 0) + now() - t);
    }
  };

  const planned = input.checkpoint?.phase === 'applying' ? input.checkpoint : null;
  const checkpoint =
    planned ??
    (await planAll({
      request,
      deps,
      run,
      counted,
      signal,
      held,
      timed,
      progress,
      now,
      stopped: input.checkpoint?.phase === 'planning' ? input.checkpoint : null,
    }));
  const byId = new Map(checkpoint.connectors.map((c) => [c.connector, c]));
  const save = async () => {
    if (request.dryRun) return;
    for (const c of counted) {
      const state = byId.get(c.loaded.id)!;
      state.calls = callsBefore.get(c.loaded.id)! + c.started();
      state.methods = mergeMethods(methodsBefore.get(c.loaded.id)!, c.methods);
      state.wallMs = wallBefore.get(c.loaded.id)! + (busy.get(c.loaded.id) ?? 0);
    }
    await store.updateRun(run.id, { checkpoint });
  };
  const callsBefore = new Map(checkpoint.connectors.map((c) => [c.connector, c.calls]));
  const methodsBefore = new Map(checkpoint.connectors.map((c) => [c.connector, c.methods]));
  const wallBefore = new Map(checkpoint.connectors.map((c) => [c.connector, c.wallMs]));
  await save();
  const recheck: Recheck | null = planned ? { busy: new Set(), since: run.startedAt } : null;
  await Promise.all(
    counted.map((c) =>
      timed(c.loaded.id, async () => {
        const state = byId.get(c.loaded.id)!;
        const own = recheck ? { ...recheck, busy: await entitiesInFlight(store, c.loaded.id) } : null;
        await applyInPages({
          counted: c,
          store,
          engine,
          runId: run.id,
          state,
          held: held.get(c.loaded.id)!,
          budget: checkpoint.budget,
          listingComplete: checkpoint.listingComplete,
          dryRun: request.dryRun,
          confirmed: request.yes && request.trigger === 'manual',
          recheck: own,
          now,
          pageSize: deps.pageSize,
          signal,
          onPage: async () => {
            progress.update(
              c.loaded.id,
              `${request.dryRun ? 'deciding' : 'applying'} ${state.processed}/${state.total}`,
            );
            await save();
          },
        });
      }),
    ),
  );
  progress.done();
  const connectors = counted.map((c) => {
    const state = byId.get(c.loaded.id)!;
    const methods = mergeMethods(methodsBefore.get(c.loaded.id)!, c.methods);
    return connectorReport(state, {
      calls: callsBefore.get(c.loaded.id)! + c.started(),
      methods: new Map(Object.entries(methods)),
      wallMs: wallBefore.get(c.loaded.id)! + (busy.get(c.loaded.id) ?? 0),
      config,
    });
  });
  return summarise({
    request,
    run,
    connectors,
    budget: checkpoint.budget,
    now,
    resumed: checkpoint.resumedAt,
  });
}

function mergeMethods(
  before: Record<string, number>,
  now: ReadonlyMap<string, number>,
): Record<string, number> {
  const merged = { ...before };
  for (const [method, n] of now) merged[method] = (merged[method] ?? 0) + n;
  return merged;
}

/** The plan phase of a new run: every connector planned into the store, then the budget decided. */
async function planAll(input: {
  request: ReconcileRequest;
  deps: ReconcileDeps;
  run: Run;
  counted: RunConnector[];
  signal: AbortSignal;
  held: ReadonlyMap<string, HeldIndex>;
  timed: <T>(id: string, work: () => Promise<T>) => Promise<T>;
  progress: Progress;
  now: () => number;
  /** The checkpoint of the run when it stopped while planning, or null. */
  stopped: PlanningCheckpoint | null;
}): Promise<RunCheckpoint> {
  const { request, deps, run, counted, signal, held, timed, progress, now } = input;
  const { config, store } = deps;
  const asked = { trigger: request.trigger, yes: request.yes, connector: request.connector ?? null };
  const before = new Map((input.stopped?.connectors ?? []).map((c) => [c.connector, c]));
  const earlier = (id: string): SessionCounts =>
    before.get(id) ?? { connector: id, calls: 0, methods: {}, wallMs: 0 };
  const started = now();
  /** Saves where planning is: the listing's cost so far (its pages are in the store already). */
  const saveCounts = async () => {
    if (request.dryRun) return;
    const planning: PlanningCheckpoint = {
      phase: 'planning',
      request: asked,
      resumedAt: input.stopped?.resumedAt ?? [],
      connectors: counted.map((c) => {
        const e = earlier(c.loaded.id);
        return {
          connector: c.loaded.id,
          calls: e.calls + c.started(),
          methods: mergeMethods(e.methods, c.methods),
          wallMs: e.wallMs + now() - started,
        };
      }),
    };
    await store.updateRun(run.id, { checkpoint: planning });
  };
  await saveCounts();
  const plans = await Promise.all(
    counted.map((c) =>
      timed(c.loaded.id, () =>
        planConnector({
          loaded: c.loaded,
          signal,
          spool: {
            store,
            runId: run.id,
            budgeted: (plan) => countsAgainstBudget(plan, held.get(c.loaded.id)!, config.guardrails),
          },
          onPage: async (p) => {
            await saveCounts();
            progress.update(p.connector, `listing ${p.kind}s: ${p.listed} (${p.pages} pages)`);
          },
        }),
      ),
    ),
  );
  const counts = await Promise.all(plans.map((p) => store.countRunItems(run.id, p.connector)));
  const listingComplete = plans.every((p) => p.listingComplete);
  const budget = decideBudget({
    connectors: plans.map((p, i) => ({
      connector: p.connector,
      planned: counts[i]!.budgeted,
      listed: p.kinds.reduce((n, k) => n + k.listed, 0),
    })),
    maxDestructive: config.reconcile.maxDestructive,
    maxDestructiveShare: config.reconcile.maxDestructiveShare,
    trigger: request.trigger,
    yes: request.yes,
    dryRun: request.dryRun,
    listingComplete,
  });
  const connectors: ConnectorCheckpoint[] = plans.map((plan, i) => ({
    connector: plan.connector,
    plan,
    total: counts[i]!.items,
    processed: 0,
    after: null,
    done: false,
    tally: emptyTally(),
    // Earlier sessions' listing; this session's calls are added as it goes (`started()`).
    calls: earlier(plan.connector).calls,
    methods: earlier(plan.connector).methods,
    wallMs: earlier(plan.connector).wallMs,
  }));
  return {
    phase: 'applying',
    request: asked,
    budget,
    listingComplete,
    connectors,
    resumedAt: input.stopped?.resumedAt ?? [],
  };
}

function connectorReport(
  state: ConnectorCheckpoint,
  session: { calls: number; methods: ReadonlyMap<string, number>; wallMs: number; config: AppConfig },
): ConnectorReport {
  const { plan, tally } = state;
  const minimum = minimumCalls(
    plan.connector,
    plan.kinds,
    plansOf(tally.submitted),
    session.methods,
    session.config,
  );
  return {
    connector: plan.connector,
    listingComplete: plan.listingComplete,
    listingError: plan.listingError,
    kinds: plan.kinds,
    listed: plan.kinds.reduce((n, k) => n + k.listed, 0),
    changes: tally.changes,
    changeCount: tally.changeCount,
    plan: tally.plan,
    results: tally.results,
    playbookSteps: tally.playbookSteps,
    unknownTargets: plan.unknownTargets,
    withoutTarget: plan.withoutTarget,
    uncheckedMissing: plan.uncheckedMissing,
    referenceOnly: plan.referenceOnly,
    inFlight: plan.inFlight,
    notes: plan.notes,
    calls: {
      actual: session.calls,
      minimum: minimum.list + minimum.write,
      minimumList: minimum.list,
      minimumWrite: minimum.write,
      floorMs: rateFloorMs(plan.connector, minimum, plan.kinds, session.config),
    },
    wallMs: session.wallMs,
    errors: [
      ...plan.errors,
      ...(tally.failed.first
        ? [
            {
              code: tally.failed.first.code,
              message: `${plan.connector}: ${tally.failed.count} change(s) failed to apply; first: ${tally.failed.first.message}`,
            },
          ]
        : []),
    ],
  };
}

function summarise(input: {
  request: ReconcileRequest;
  run: Run;
  connectors: ConnectorReport[];
  budget: RunReport['budget'];
  now: () => number;
  resumed: readonly number[];
}): RunReport {
  const { request, run, connectors } = input;
  const plan = emptyCounts();
  const results: ResultCounts = { applied: 0, partial: 0, held: 0, withheld: 0, failed: 0 };
  const errors: RunReport['errors'] = [];
  for (const c of connectors) {
    if (c.listingError) errors.push(c.listingError);
    errors.push(...c.errors);
    for (const key of Object.keys(plan) as Array<keyof typeof plan>) plan[key] += c.plan[key];
    for (const key of Object.keys(results) as Array<keyof ResultCounts>) results[key] += c.results[key];
  }
  const drift = connectors.some((c) => c.changeCount > c.plan.protected);
  const complete = connectors.every((c) => c.listingComplete);
  let status: Run['status'];
  if (request.dryRun) status = !complete ? 'partial' : drift ? 'drift' : 'no-drift';
  else if (!drift) status = complete ? 'no-drift' : 'partial';
  else if (results.failed > 0 || !complete || results.withheld > 0 || results.partial > 0) status = 'partial';
  else if (results.held > 0) status = 'held';
  else status = 'applied';
  return {
    runId: run.id,
    trigger: run.trigger,
    dryRun: run.dryRun,
    startedAt: new Date(run.startedAt).toISOString(),
    finishedAt: new Date(input.now()).toISOString(),
    status,
    connectors,
    budget: input.budget,
    plan,
    results,
    drift,
    errors,
    resumed: input.resumed.map((at) => new Date(at).toISOString()),
  };
}
