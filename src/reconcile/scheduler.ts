/**
 * Scheduled reconciliation in `serve`: node-cron calls {@link ReconcileScheduler.tick} on
 * `reconcile.schedule` (`off` disables it). Every instance schedules; the leader lease decides which
 * one runs, so a tick that finds the lease taken skips with one log line. Scheduled runs never
 * apply destructive changes past the budget: they hold them for approval. `serve --dry-run` makes
 * scheduled runs dry runs.
 *
 * Each run goes on a thread of its own with bounded memory (`isolated.ts`; `RECONCILE_THREAD_HEAP_MB`),
 * drawing its vendor calls from this process's limiters; `RECONCILE_THREAD_HEAP_MB=0` runs it on
 * the service thread instead, with V8's defaults.
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/types.ts';
import type { Store } from '../store/types.ts';
import type { ConnectorRuntime } from '../sync/runtime.ts';
import { reconcileOnThread } from './isolated.ts';
import { planLine } from './render.ts';
import { type ReconcileOutcome, reconcile } from './run.ts';
import type { ReconcileRequest } from './types.ts';

/** A started schedule. */
export interface ReconcileScheduler {
  /** One scheduled run now (what the cron task calls); resolves when it is over. */
  tick(): Promise<ReconcileOutcome | null>;
  /** Stops the schedule and the run in progress (stored as failed), then resolves. */
  stop(): Promise<void>;
}

/** Starts the schedule, or returns null when `reconcile.schedule` is `off` or no connector is enabled. */
export function startReconcileScheduler(deps: {
  config: AppConfig;
  store: Store;
  runtime: ConnectorRuntime;
  logger: Logger;
  /** The directory a relative SQLite path is resolved against (the service's). */
  cwd?: string;
}): ReconcileScheduler | null {
  const schedule = deps.config.reconcile.schedule.trim();
  if (schedule === 'off' || deps.runtime.connectors.size === 0) return null;
  const logger = deps.logger.child({ component: 'reconcile' });
  const stopping = new AbortController();
  let current: Promise<ReconcileOutcome | null> | null = null;

  const run = (request: ReconcileRequest): Promise<ReconcileOutcome> => {
    if (deps.config.reconcile.threadHeapMb === 0)
      return reconcile(request, { ...deps, logger, signal: stopping.signal });
    const thread = reconcileOnThread(request, { ...deps, logger });
    const stop = () => thread.stop(String((stopping.signal.reason as Error | undefined)?.message));
    if (stopping.signal.aborted) stop();
    else stopping.signal.addEventListener('abort', stop, { once: true });
    return thread.outcome.finally(() => stopping.signal.removeEventListener('abort', stop));
  };

  const runOnce = async (): Promise<ReconcileOutcome | null> => {
    try {
      const outcome = await run({ trigger: 'schedule', dryRun: deps.config.dryRun, yes: false });
      if (!outcome.ran) {
        logger.info(
          { holder: outcome.holder.runId, since: outcome.holder.since },
          `scheduled reconciliation skipped: ${outcome.message}`,
        );
      } else {
        const r = outcome.report;
        logger.info(
          {
            runId: r.runId,
            status: r.status,
            dryRun: r.dryRun,
            results: r.results,
            budget: r.budget.decision,
            calls: Object.fromEntries(r.connectors.map((c) => [c.connector, c.calls])),
          },
          `scheduled reconciliation finished: ${planLine(r)}`,
        );
      }
      return outcome;
    } catch (err) {
      if (stopping.signal.aborted)
        logger.warn('scheduled reconciliation stopped: the service is shutting down');
      else logger.error({ err }, 'scheduled reconciliation failed');
      return null;
    }
  };

  const tick = (): Promise<ReconcileOutcome | null> => {
    if (current) {
      logger.info('scheduled reconciliation skipped: the previous one in this process is still running');
      return Promise.resolve(null);
    }
    current = runOnce().finally(() => {
      current = null;
    });
    return current;
  };

  const task: ScheduledTask = cron.schedule(schedule, () => tick(), { name: 'reconcile', noOverlap: true });
  logger.info({ schedule, dryRun: deps.config.dryRun }, 'scheduled reconciliation enabled');
  return {
    tick,
    stop: async () => {
      await task.destroy();
      stopping.abort(new Error('the service is shutting down'));
      await current;
    },
  };
}
