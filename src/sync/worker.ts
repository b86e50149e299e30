import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { isSyncError, type SyncError } from '../errors.ts';
import type { Metrics } from '../metrics.ts';
import type { Job, OutcomeInput, Store } from '../store/types.ts';
import { type EngineConfig, syncEntity } from './engine.ts';
import { backoffDelay, withQuickRetries } from './retry.ts';
import type { ConnectorRuntime } from './runtime.ts';

/** Worker settings (from `worker.*` configuration). */
export interface WorkerConfig {
  concurrency: number;
  maxAttempts: number;
  quickRetries: number;
  backoffBase: number;
  backoffMax: number;
  lease: number;
  pollInterval: number;
}

/**
 * Runs sync jobs: woken at once by commits that queue jobs, by a timer for the next due job, and
 * by a slow poll for jobs queued by other processes. Each job runs the shared plan/apply path with
 * quick retries; then it is done, rescheduled with backoff, or dead. Leases are renewed while a
 * job runs, so a crashed worker's jobs are taken over once their lease runs out.
 */
export class Worker {
  readonly owner = `worker-${randomUUID()}`;
  private readonly deps: {
    store: Store;
    runtime: ConnectorRuntime;
    logger: Logger;
    metrics: Metrics;
    config: WorkerConfig;
    engine: EngineConfig;
    now: () => number;
  };
  private readonly active = new Map<string, Promise<void>>();
  private running = false;
  private pumping = false;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private idleWaiters: Array<() => void> = [];

  constructor(deps: Worker['deps']) {
    this.deps = deps;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = this.deps.store.onJobsReady(() => this.kick());
    this.heartbeat = setInterval(
      () => void this.renew(),
      Math.max(250, Math.floor(this.deps.config.lease / 3)),
    );
    this.heartbeat.unref();
    this.kick();
  }

  /** Stops claiming and waits for running jobs to finish. */
  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    if (this.timer) clearTimeout(this.timer);
    if (this.heartbeat) clearInterval(this.heartbeat);
    await Promise.allSettled(this.active.values());
  }

  /** Resolves when no job is running and none is due now (for tests and benchmarks). */
  async idle(): Promise<void> {
    for (;;) {
      if (this.active.size === 0 && !this.pumping) {
        const next = await this.deps.store.nextJobAt();
        if (next === null || next > this.deps.now()) return;
      }
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
  }

  /** Asks the worker to look for claimable jobs now. */
  kick(): void {
    if (!this.running) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    void this.pump();
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      do {
        this.again = false;
        const free = this.deps.config.concurrency - this.active.size;
        if (free <= 0) break;
        const now = this.deps.now();
        const jobs = await this.deps.store.claimJobs({
          owner: this.owner,
          limit: free,
          now,
          leaseMs: this.deps.config.lease,
        });
        for (const job of jobs) {
          const run = this.runJob(job)
            .catch((err: unknown) => {
              // The store failed while recording the result: the job keeps its lease and is taken
              // over when the lease runs out, so the work is redone rather than lost.
              this.deps.logger.error(
                { err, jobId: job.id },
                'could not record a job result; it will run again',
              );
            })
            .finally(() => {
              this.active.delete(job.id);
              this.kick();
              this.wakeIdle();
            });
          this.active.set(job.id, run);
        }
        if (jobs.length === free) this.again = true;
      } while (this.again && this.running);
    } catch (err) {
      this.deps.logger.error({ err }, 'claiming jobs failed; retrying on the next poll');
    } finally {
      this.pumping = false;
      await this.scheduleNext();
      this.wakeIdle();
    }
  }

  private async scheduleNext(): Promise<void> {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    let delay = this.deps.config.pollInterval;
    try {
      const next = await this.deps.store.nextJobAt();
      if (next !== null) delay = Math.min(delay, Math.max(0, next - this.deps.now()));
    } catch {
      // The poll below tries again; the claim path logs store failures.
    }
    this.timer = setTimeout(() => this.kick(), delay);
    this.timer.unref();
  }

  private wakeIdle(): void {
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private async renew(): Promise<void> {
    if (this.active.size === 0) return;
    try {
      await this.deps.store.renewLeases(
        [...this.active.keys()],
        this.owner,
        this.deps.now() + this.deps.config.lease,
      );
    } catch (err) {
      this.deps.logger.warn({ err }, 'renewing job leases failed');
    }
  }

  private async runJob(job: Job): Promise<void> {
    const { store, runtime, metrics, logger, config } = this.deps;
    const loaded = runtime.connectors.get(job.connector);
    const started = this.deps.now();
    const outcomes = (
      o: Omit<OutcomeInput, 'eventId' | 'connector' | 'kind' | 'entityId' | 'at'>,
    ): OutcomeInput[] =>
      (job.eventIds.length ? job.eventIds : [null]).map((eventId) => ({
        eventId,
        connector: job.connector,
        kind: job.kind,
        entityId: job.entityId,
        at: this.deps.now(),
        ...o,
      }));
    if (!loaded) {
      // The connector was disabled since the job was queued: nothing to do, said so in the ledger.
      await store.recordOutcomes(
        outcomes({ result: 'skipped', summary: 'connector not enabled in this process' }),
      );
      await store.finishJob(job.id, this.owner, { state: 'done' }, this.deps.now());
      return;
    }
    try {
      const result = await withQuickRetries(
        () =>
          syncEntity({
            loaded,
            store,
            config: this.deps.engine,
            kind: job.kind,
            entityId: job.entityId,
            eventIds: job.eventIds,
            now: this.deps.now,
          }),
        {
          retries: config.quickRetries,
          onRetryAfter: (ms) => loaded.ctx.limiter.pauseUntil(this.deps.now() + ms),
        },
      );
      await store.recordOutcomes(
        outcomes({
          result: result.result,
          summary: result.summary,
          detail: result.plan ? { ops: result.plan.ops } : undefined,
        }),
      );
      await store.finishJob(job.id, this.owner, { state: 'done' }, this.deps.now());
      metrics.jobOutcomes.inc({ connector: job.connector, result: result.result });
      metrics.syncDuration.observe(
        { connector: job.connector, result: result.result },
        (this.deps.now() - started) / 1000,
      );
    } catch (err) {
      const error = err as SyncError;
      const code = isSyncError(error) ? error.code : 'INTERNAL';
      const summary = { code, message: error.message };
      const dead = !error.retryable || job.attempts >= config.maxAttempts;
      await store.recordOutcomes(
        outcomes({
          result: dead ? 'dead' : 'failed',
          summary: dead
            ? `gave up after ${job.attempts} attempt(s)`
            : `attempt ${job.attempts} failed; will retry`,
          error: summary,
        }),
      );
      if (dead) {
        await store.finishJob(job.id, this.owner, { state: 'dead', error: summary }, this.deps.now());
      } else {
        const delay = backoffDelay(
          job.attempts,
          config.backoffBase,
          config.backoffMax,
          error.retryAfterMs ?? 0,
        );
        await store.finishJob(
          job.id,
          this.owner,
          { state: 'pending', runAt: this.deps.now() + delay, error: summary },
          this.deps.now(),
        );
      }
      metrics.jobOutcomes.inc({ connector: job.connector, result: dead ? 'dead' : 'failed' });
      logger.warn(
        {
          jobId: job.id,
          connector: job.connector,
          entity: `${job.kind}:${job.entityId}`,
          code,
          attempts: job.attempts,
          dead,
        },
        'sync job failed',
      );
    }
  }
}
