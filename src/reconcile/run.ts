/**
 * One reconciliation run (DESIGN section 1): under the leader lease, every enabled connector is
 * planned against a full listing of its target (connectors in parallel), the destructive budget is
 * decided for the run as a whole, and then (unless a dry run) the plans are applied through the
 * engine's shared guardrail/apply path. The run, its plan and its results are stored.
 */
import type { Logger } from 'pino';
import type { AppConfig } from '../config/types.ts';
import { newId } from '../core/ids.ts';
import { SyncError, toSyncError } from '../errors.ts';
import type { Run, Store } from '../store/types.ts';
import type { EngineConfig } from '../sync/engine.ts';
import type { ConnectorRuntime } from '../sync/runtime.ts';
import { applyDecisions } from './applier.ts';
import { decideBudget } from './budget.ts';
import { countChange, emptyCounts } from './changes.ts';
import { minimumCalls, rateFloorMs } from './cost.ts';
import { countsAgainstBudget, type Decision, decidePlans, heldIndex } from './decisions.ts';
import { closeAbandonedRuns, describeHolder, type LeaseHolder, leaseHolder, takeLease } from './lease.ts';
import { type ConnectorPlan, planConnector } from './planner.ts';
import { NO_PROGRESS, type Progress } from './progress.ts';
import { type RunConnector, runConnector } from './run-client.ts';
import type { ConnectorReport, ReconcileRequest, ResultCounts, RunReport } from './types.ts';

/** What a run needs. */
export interface ReconcileDeps {
  config: AppConfig;
  store: Store;
  runtime: ConnectorRuntime;
  logger: Logger;
  now?: () => number;
  progress?: Progress;
  /** Stops the run early (service shutdown); the run is then stored as failed. */
  signal?: AbortSignal;
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
  const run: Run = {
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
    await deps.store.createRun(run);
    await closeAbandonedRuns(deps.store, run.id, startedAt);
    const signal = deps.signal ? AbortSignal.any([lease.signal, deps.signal]) : lease.signal;
    const counted = ids.map((id) => runConnector(deps.runtime.connectors.get(id)!));
    try {
      const report = await execute({ request, deps, run, counted, signal, now });
      await deps.store.updateRun(run.id, {
        status: report.status,
        finishedAt: now(),
        plan: { connectors: report.connectors, budget: report.budget, plan: report.plan },
        result: { results: report.results, drift: report.drift },
        errors: report.errors,
      });
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
}): Promise<RunReport> {
  const { request, deps, run, counted, signal, now } = input;
  const progress = deps.progress ?? NO_PROGRESS;
  const { config, store } = deps;
  const engine: EngineConfig = { guardrails: config.guardrails, dryRun: request.dryRun };
  /** Connector -> ms spent listing and planning, then applying (connectors run in parallel). */
  const busy = new Map<string, number>();
  const timed = async <T>(id: string, work: () => Promise<T>): Promise<T> => {
    const t = now();
    try {
      return await work();
    } finally {
      busy.set(id, (busy.get(id) ?? 0) + now() - t);
    }
  };

  const plans = await Promise.all(
    counted.map((c) =>
      timed(c.loaded.id, () =>
        planConnector({
          loaded: c.loaded,
          store,
          signal,
          onProgress: (p) =>
            progress.update(p.connector, `listing ${p.kind}s: ${p.listed} (${p.pages} pages)`),
        }),
      ),
    ),
  );
  const listingComplete = plans.every((p) => p.listingComplete);
  const held = await Promise.all(counted.map((c) => heldIndex(store, c.loaded.id)));
  const budget = decideBudget({
    connectors: plans.map((p, i) => ({
      connector: p.connector,
      planned: p.plans.filter((plan) => countsAgainstBudget(plan, held[i]!, engine.guardrails)).length,
      listed: p.kinds.reduce((n, k) => n + k.listed, 0),
    })),
    maxDestructive: config.reconcile.maxDestructive,
    maxDestructiveShare: config.reconcile.maxDestructiveShare,
    trigger: request.trigger,
    yes: request.yes,
    dryRun: request.dryRun,
    listingComplete,
  });
  const decisions = plans.map((p, i) =>
    decidePlans({
      plans: p.plans,
      held: held[i]!,
      budget,
      guardrails: engine.guardrails,
      listingComplete,
      dryRun: request.dryRun,
      confirmed: request.yes && request.trigger === 'manual',
    }),
  );
  if (!request.dryRun) {
    await Promise.all(
      counted.map((c, i) =>
        timed(c.loaded.id, () =>
          applyDecisions({
            loaded: c.loaded,
            store,
            engine,
            decisions: decisions[i]!,
            runId: run.id,
            now,
            signal,
            onProgress: (done, total) => progress.update(c.loaded.id, `applying ${done}/${total}`),
          }),
        ),
      ),
    );
  }
  progress.done();
  const connectors = counted.map((c, i) =>
    connectorReport(c, plans[i]!, decisions[i]!, config, busy.get(c.loaded.id) ?? 0),
  );
  return summarise({ request, run, connectors, budget, now });
}

function connectorReport(
  counted: RunConnector,
  plan: ConnectorPlan,
  decisions: readonly Decision[],
  config: AppConfig,
  wallMs: number,
): ConnectorReport {
  const submitted = decisions.flatMap((d) => (d.submit ? [d.submit] : []));
  const minimum = minimumCalls(plan.connector, plan.kinds, submitted, counted.methods, config);
  return {
    connector: plan.connector,
    listingComplete: plan.listingComplete,
    listingError: plan.listingError,
    kinds: plan.kinds,
    listed: plan.kinds.reduce((n, k) => n + k.listed, 0),
    changes: decisions.map((d) => d.report),
    unknownTargets: plan.unknownTargets.toJSON(),
    withoutTarget: plan.withoutTarget.toJSON(),
    uncheckedMissing: plan.uncheckedMissing,
    referenceOnly: plan.referenceOnly,
    inFlight: plan.inFlight,
    notes: plan.notes.toJSON(),
    calls: {
      actual: counted.started(),
      minimum: minimum.list + minimum.write,
      minimumList: minimum.list,
      minimumWrite: minimum.write,
      floorMs: rateFloorMs(plan.connector, minimum, plan.kinds, config),
    },
    wallMs,
    errors: plan.errors,
  };
}

function summarise(input: {
  request: ReconcileRequest;
  run: Run;
  connectors: ConnectorReport[];
  budget: RunReport['budget'];
  now: () => number;
}): RunReport {
  const { request, run, connectors } = input;
  const plan = emptyCounts();
  const results: ResultCounts = { applied: 0, partial: 0, held: 0, withheld: 0, failed: 0 };
  const errors: RunReport['errors'] = [];
  for (const c of connectors) {
    if (c.listingError) errors.push(c.listingError);
    errors.push(...c.errors);
    for (const change of c.changes) {
      countChange(plan, change.action, change.protectedBy);
      if (change.result === 'applied') results.applied += 1;
      else if (change.result === 'partial') results.partial += 1;
      else if (change.result === 'held') results.held += 1;
      else if (change.result === 'withheld') results.withheld += 1;
      else if (change.result === 'failed') results.failed += 1;
    }
  }
  const failed = connectors.flatMap((c) => c.changes.filter((ch) => ch.result === 'failed'));
  if (failed.length > 0) {
    const first = failed[0]!.error;
    errors.push({
      code: first?.code ?? 'INTERNAL',
      message: `${failed.length} change(s) failed to apply; first: ${first?.message ?? 'unknown error'}`,
    });
  }
  const drift = connectors.some((c) => c.changes.some((ch) => ch.protectedBy === null));
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
  };
}
