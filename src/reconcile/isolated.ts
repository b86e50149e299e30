/**
 * A scheduled reconciliation on a thread of its own (`thread.ts`): a V8 heap of its own with
 * resource limits sized for one long run (`RECONCILE_THREAD_HEAP_MB`), so a run over a large
 * directory neither grows the service's heap nor shares its collections (or its event loop) with
 * the webhook path. The thread opens its own store connection and builds its connectors from the
 * service's configuration; every vendor call takes its slot from the service's limiters
 * (`thread-limiters.ts`). Its log lines go to the service's logger; its errors come back with
 * their catalogue code. A thread that dies (out of memory) has its run stored as failed and its
 * lease given back here.
 */
import { Worker } from 'node:worker_threads';
import type { Level, Logger } from 'pino';
import type { AppConfig } from '../config/types.ts';
import { SyncError, toSyncError } from '../errors.ts';
import type { Store } from '../store/types.ts';
import type { ConnectorRuntime } from '../sync/runtime.ts';
import { LEASE_NAME } from './lease.ts';
import type { ReconcileOutcome } from './run.ts';
import { serveLimiterMessage } from './thread-limiters.ts';
import { type FromThread, fromWire, type ThreadInput, type ToThread } from './thread-protocol.ts';
import type { ReconcileRequest } from './types.ts';

/**
 * Young generation of the thread, MiB: V8 splits it into two semi-spaces and a space for large new
 * objects, so 48 is the 16 MiB semi-spaces of the `reconcile` command (`--max-semi-space-size=16`).
 */
export const THREAD_YOUNG_GENERATION_MB = 48;

/** A run started on its thread. */
export interface ThreadRun {
  /** The run's outcome; rejects with a {@link SyncError} when it failed or its thread died. */
  outcome: Promise<ReconcileOutcome>;
  /** Asks the run to stop (it is stored as failed, as on shutdown in process). */
  stop(reason: string): void;
}

/** Starts `request` on a thread of its own. */
export function reconcileOnThread(
  request: ReconcileRequest,
  deps: { config: AppConfig; store: Store; runtime: ConnectorRuntime; logger: Logger; cwd?: string },
): ThreadRun {
  const heapMb = deps.config.reconcile.threadHeapMb;
  const worker = new Worker(new URL('./thread.ts', import.meta.url), {
    workerData: {
      config: deps.config,
      cwd: deps.cwd,
      request,
      connectors: [...deps.runtime.connectors.keys()],
      logLevel: deps.logger.level,
    } satisfies ThreadInput,
    resourceLimits: { maxYoungGenerationSizeMb: THREAD_YOUNG_GENERATION_MB, maxOldGenerationSizeMb: heapMb },
  });
  const send = (message: ToThread) => worker.postMessage(message);
  let result: Extract<FromThread, { kind: 'done' | 'failed' }> | null = null;
  let started: { runId: string; leaseOwner: string } | null = null;
  let crash: Error | null = null;
  worker.on('message', (message: FromThread) => {
    if (serveLimiterMessage(deps.runtime, message, send)) return;
    if (message.kind === 'log') relayLog(deps.logger, message.line);
    else if (message.kind === 'started') started = message;
    else if (message.kind === 'done' || message.kind === 'failed') result = message;
  });
  worker.on('error', (err) => {
    crash ??= err;
  });
  const outcome = new Promise<ReconcileOutcome>((resolve, reject) => {
    worker.once('exit', (code) => {
      if (result?.kind === 'done') {
        if (crash)
          deps.logger.error({ err: crash }, 'scheduled reconciliation: its thread failed after the run');
        resolve(result.outcome);
      } else if (result?.kind === 'failed') reject(fromWire(result.error));
      else {
        const error = threadDied(crash, code, heapMb);
        closeRun(deps.store, started, error).then(
          () => reject(error),
          (err: unknown) =>
            reject(
              new SyncError(
                error.code,
                `${error.message}; storing its run as failed failed too: ${toSyncError(err).message}`,
              ),
            ),
        );
      }
    });
  });
  return { outcome, stop: (reason) => send({ kind: 'stop', reason }) };
}

/** The error of a thread that ended without an outcome. */
function threadDied(crash: Error | null, code: number, heapMb: number): SyncError {
  if ((crash as { code?: unknown } | null)?.code === 'ERR_WORKER_OUT_OF_MEMORY') {
    return new SyncError(
      'INTERNAL',
      `the scheduled reconciliation ran out of memory on its thread (old generation limited to ${heapMb} MiB: RECONCILE_THREAD_HEAP_MB)`,
    );
  }
  return new SyncError(
    'INTERNAL',
    `the scheduled reconciliation's thread stopped before the run finished: ${crash ? crash.message : `exit code ${code}`}`,
  );
}

/** Stores the run of a dead thread as failed (resumable, like every stopped run) and frees the lease. */
async function closeRun(
  store: Store,
  started: { runId: string; leaseOwner: string } | null,
  error: SyncError,
): Promise<void> {
  if (!started) return;
  await store.updateRun(started.runId, {
    status: 'failed',
    finishedAt: Date.now(),
    errors: [{ code: error.code, message: error.message }],
  });
  await store.releaseLease(LEASE_NAME, started.leaseOwner);
}

/** Writes one of the thread's JSON log lines with the service's logger (its bindings, its time). */
function relayLog(logger: Logger, line: string): void {
  const parsed = JSON.parse(line) as Record<string, unknown>;
  const { level, time: _time, pid: _pid, hostname: _hostname, service: _service, msg, ...fields } = parsed;
  const label = (logger.levels.labels[Number(level)] ?? 'info') as Level;
  logger[label](fields, typeof msg === 'string' ? msg : '');
}
