import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/types.ts';
import { isSyncError, SyncError, toSyncError } from '../errors.ts';
import type { Metrics } from '../metrics.ts';
import { jobRequestsFor } from '../store/job-requests.ts';
import type { Job, OutcomeInput, Store } from '../store/types.ts';
import { type BatchItemResult, type EngineConfig, syncBatch, syncEntity } from './engine.ts';
import { backoffDelay, MAX_INLINE_WAIT_MS, withQuickRetries } from './retry.ts';
import type { ConnectorRuntime } from './runtime.ts';

/** Most jobs one batch carries: HubSpot's batch size, so one batch needs one call per step. */
export const BATCH_JOBS = 100;

/**
 * Units (batches or lone jobs) of one bulk connector running at once. The connector's rate
 * limiter lets its calls through one after the other anyway; more batches in flight would only
 * split the queue into smaller batches, each costing the same calls as a full one. Meanwhile new
 * jobs wait in the store (where a newer event for the same entity still coalesces into them).
 */
export const BULK_IN_FLIGHT = 2;

/** Worker settings (the `worker.*` configuration). */
export type WorkerConfig = AppConfig['worker'];

/**
 * Runs sync jobs: woken at once by commits that queue jobs, by a timer for the next due job, and
 * by a slow poll for jobs queued by other processes. Each job runs the shared plan/apply path with
 * quick retries; then it is done, rescheduled with backoff, or dead. Leases are renewed while a
 * job runs, so a crashed worker's jobs are taken over once their lease runs out.
 *
 * Bulk: jobs of a connector with `applyMany` are run in batches of up to {@link BATCH_JOBS}
 * (`syncBatch`: one batch read, plans, one batch apply); a batch takes one of the `concurrency`
 * slots, like a single job. Each job of a batch keeps its own result: one failing is retried or
 * dead on its own. When bulk connectors are enabled the worker claims up to {@link BATCH_JOBS}
 * jobs at a time; claimed jobs that cannot start yet (no free slot, or {@link BULK_IN_FLIGHT}
 * batches of their connector running) wait in a local backlog, leases renewed, where the jobs of a
 * bulk connector gather into batches.
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
  /** Running units (a job or a batch), by the id of their first job. */
  private readonly active = new Map<string, Promise<void>>();
  /** Every claimed job not finished yet (running or in the backlog): the leases to renew. */
  private readonly leased = new Set<string>();
  /** Until when each claimed job's lease is known to hold (claim time, then each successful renewal). */
  private readonly leaseUntil = new Map<string, number>();
  /** Claimed units waiting for a free slot (or for their bulk connector's turn). */
  private readonly backlog: Job[][] = [];
  /** Running units per bulk connector. */
  private readonly inFlight = new Map<string, number>();
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

  /** Stops claiming and waits for claimed jobs (running or in the backlog) to finish. */
  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    if (this.timer) clearTimeout(this.timer);
    while (this.active.size > 0) await Promise.allSettled(this.active.values());
    if (this.heartbeat) clearInterval(this.heartbeat);
  }

  /** Resolves when no job is running and none is due now (for tests and benchmarks). */
  async idle(): Promise<void> {
    for (;;) {
      if (this.active.size === 0 && this.backlog.length === 0 && !this.pumping) {
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
        this.startBacklog();
        const free = this.deps.config.concurrency - this.active.size;
        if (free <= 0 || !this.worthClaiming()) break;
        const limit = this.hasBulk() ? Math.max(free, BATCH_JOBS) : free;
        const now = this.deps.now();
        const jobs = await this.deps.store.claimJobs({
          owner: this.owner,
          limit,
          now,
          leaseMs: this.deps.config.lease,
        });
        for (const job of jobs) {
          this.leased.add(job.id);
          this.leaseUntil.set(job.id, job.leaseUntil ?? now + this.deps.config.lease);
        }
        this.addToBacklog(jobs);
        this.startBacklog();
        if (jobs.length === limit) this.again = true;
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

  /** Whether an enabled connector offers bulk apply. */
  private hasBulk(): boolean {
    for (const loaded of this.deps.runtime.connectors.values()) if (loaded.definition.applyMany) return true;
    return false;
  }

  private isBulk(connector: string): boolean {
    return this.deps.runtime.connectors.get(connector)?.definition.applyMany !== undefined;
  }

  /** A unit may start when its connector is not a bulk one, or has fewer than BULK_IN_FLIGHT running. */
  private mayStart(unit: readonly Job[]): boolean {
    const connector = unit[0]?.connector ?? '';
    return !this.isBulk(connector) || (this.inFlight.get(connector) ?? 0) < BULK_IN_FLIGHT;
  }

  /**
   * Whether claiming now is useful: no full batch's worth of claimed jobs is waiting already, and
   * some enabled connector could start a unit (left in the store, jobs keep coalescing).
   */
  private worthClaiming(): boolean {
    let waiting = 0;
    for (const unit of this.backlog) waiting += unit.length;
    if (waiting >= BATCH_JOBS) return false;
    for (const id of this.deps.runtime.connectors.keys()) {
      if (!this.isBulk(id) || (this.inFlight.get(id) ?? 0) < BULK_IN_FLIGHT) return true;
    }
    return this.deps.runtime.connectors.size === 0;
  }

  /**
   * Adds claimed jobs to the backlog as units: the jobs of a bulk connector join its waiting batch
   * (up to {@link BATCH_JOBS}), every other job is a unit of its own.
   */
  private addToBacklog(jobs: readonly Job[]): void {
    for (const job of jobs) {
      const batch = this.isBulk(job.connector)
        ? this.backlog.find((u) => u[0]?.connector === job.connector && u.length < BATCH_JOBS)
        : undefined;
      if (batch) batch.push(job);
      else this.backlog.push([job]);
    }
  }

  /**
   * Starts backlog units while slots are free, in order, passing over bulk connectors at their
   * limit (also while stopping: claimed jobs are finished). A lone job of a bulk connector takes
   * the single path, which costs no more calls.
   */
  private startBacklog(): void {
    for (let i = 0; i < this.backlog.length && this.active.size < this.deps.config.concurrency; ) {
      const unit = this.backlog[i];
      const first = unit?.[0];
      if (!unit || !first) {
        this.backlog.splice(i, 1);
        continue;
      }
      if (!this.mayStart(unit)) {
        i += 1;
        continue;
      }
      this.backlog.splice(i, 1);
      const bulk = this.isBulk(first.connector);
      if (bulk) this.inFlight.set(first.connector, (this.inFlight.get(first.connector) ?? 0) + 1);
      const run = (unit.length === 1 ? this.runJob(first) : this.runBatch(unit))
        .catch((err: unknown) => {
          // The store failed while recording a result: the job keeps its lease and is taken
          // over when the lease runs out, so the work is redone rather than lost.
          this.deps.logger.error(
            { err, jobIds: unit.map((j) => j.id) },
            'could not record a job result; it will run again',
          );
        })
        .finally(() => {
          this.active.delete(first.id);
          if (bulk) this.inFlight.set(first.connector, (this.inFlight.get(first.connector) ?? 1) - 1);
          for (const job of unit) {
            this.leased.delete(job.id);
            this.leaseUntil.delete(job.id);
          }
          this.startBacklog();
          this.kick();
          this.wakeIdle();
        });
      this.active.set(first.id, run);
    }
  }

  private wakeIdle(): void {
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private async renew(): Promise<void> {
    if (this.leased.size === 0) return;
    const ids = [...this.leased];
    const until = this.deps.now() + this.deps.config.lease;
    try {
      await this.deps.store.renewLeases(ids, this.owner, until);
      for (const id of ids) if (this.leaseUntil.has(id)) this.leaseUntil.set(id, until);
    } catch (err) {
      this.deps.logger.warn({ err }, 'renewing job leases failed');
    }
  }

  /**
   * Refuses to start an attempt on jobs whose lease may run out before it ends (renewals have been
   * failing): another worker may take them over, and two workers must never apply the same job.
   */
  private assertLease(jobs: readonly Job[]): void {
    const margin = this.deps.config.lease / 2;
    const now = this.deps.now();
    for (const job of jobs) {
      if ((this.leaseUntil.get(job.id) ?? 0) - now < margin) {
        throw new SyncError(
          'LEASE_LOST',
          `lease on job ${job.id} could not be renewed; leaving it to another worker`,
        );
      }
    }
  }

  private outcomesOf(
    job: Job,
    o: Omit<OutcomeInput, 'eventId' | 'connector' | 'kind' | 'entityId' | 'at'>,
  ): OutcomeInput[] {
    return (job.eventIds.length ? job.eventIds : [null]).map((eventId) => ({
      eventId,
      connector: job.connector,
      kind: job.kind,
      entityId: job.entityId,
      at: this.deps.now(),
      ...o,
    }));
  }

  private async runJob(job: Job): Promise<void> {
    const { store, runtime, config } = this.deps;
    const loaded = runtime.connectors.get(job.connector);
    const started = this.deps.now();
    if (!loaded) {
      // The connector was disabled since the job was queued: nothing to do, said so in the ledger.
      await store.recordOutcomes(
        this.outcomesOf(job, { result: 'skipped', summary: 'connector not enabled in this process' }),
      );
      await store.finishJob(job.id, this.owner, { state: 'done' }, this.deps.now());
      return;
    }
    let outcome: BatchItemResult;
    try {
      const result = await withQuickRetries(
        () => {
          this.assertLease([job]);
          return syncEntity({
            loaded,
            store,
            config: this.deps.engine,
            kind: job.kind,
            entityId: job.entityId,
            eventIds: job.eventIds,
            now: this.deps.now,
            urgentFirst: true,
          });
        },
        {
          retries: config.quickRetries,
          onRetryAfter: (ms) => loaded.ctx.limiter.pauseUntil(this.deps.now() + ms),
        },
      );
      outcome = { ok: true, result };
      if (result.more) {
        // The urgent part is done (e.g. suspended): the rest runs as a job of its own, queued
        // behind the work already waiting, so a burst suspends everyone before any playbook.
        const runAt = this.deps.now();
        await store.enqueueJobs(jobRequestsFor(job, job.eventIds, runAt));
      }
    } catch (err) {
      // The job is someone else's now (or soon): record nothing, finish nothing.
      if (isSyncError(err, 'LEASE_LOST')) return this.leaseLost([job], err);
      outcome = { ok: false, error: toSyncError(err) };
    }
    await this.settle(job, outcome, started);
  }

  /**
   * Runs jobs of one bulk connector as one batch (`syncBatch`). Quick retries re-run only the jobs
   * that failed transiently, as a smaller batch; every job then ends on its own result.
   */
  private async runBatch(jobs: readonly Job[]): Promise<void> {
    const { store, runtime, config } = this.deps;
    const connector = jobs[0]?.connector ?? '';
    const loaded = runtime.connectors.get(connector);
    const started = this.deps.now();
    if (!loaded) {
      for (const job of jobs) await this.runJob(job);
      return;
    }
    const last = new Map<string, BatchItemResult>();
    let open: readonly Job[] = jobs;
    try {
      await withQuickRetries(
        async () => {
          this.assertLease(open);
          const results = await syncBatch({
            loaded,
            store,
            config: this.deps.engine,
            entries: open.map((j) => ({ kind: j.kind, entityId: j.entityId, eventIds: j.eventIds })),
            now: this.deps.now,
          });
          const again: Job[] = [];
          let wait: SyncError | null = null;
          for (const [i, result] of results.entries()) {
            const job = open[i];
            if (!job) continue;
            last.set(job.id, result);
            if (result.ok || !result.error.retryable) continue;
            if ((result.error.retryAfterMs ?? 0) > MAX_INLINE_WAIT_MS) continue;
            again.push(job);
            if (!wait || (result.error.retryAfterMs ?? 0) > (wait.retryAfterMs ?? 0)) wait = result.error;
          }
          open = again;
          if (wait) throw wait;
        },
        {
          retries: config.quickRetries,
          onRetryAfter: (ms) => loaded.ctx.limiter.pauseUntil(this.deps.now() + ms),
        },
      );
    } catch (err) {
      if (isSyncError(err, 'LEASE_LOST')) {
        // Jobs already settled in `last` keep their result; the open ones belong to the next owner.
        const openIds = new Set(open.map((j) => j.id));
        for (const job of jobs) if (!openIds.has(job.id)) await this.settle(job, last.get(job.id)!, started);
        return this.leaseLost(open, err);
      }
      // Out of quick retries: each job ends on its own last result (the error, when it has none).
      const error = toSyncError(err);
      for (const job of open) if (!last.has(job.id)) last.set(job.id, { ok: false, error });
    }
    this.deps.logger.debug({ connector, jobs: jobs.length }, 'sync batch done');
    let failed: unknown = null;
    for (const job of jobs) {
      const outcome = last.get(job.id) ?? {
        ok: false,
        error: new SyncError('INTERNAL', 'the batch gave no result for this job'),
      };
      // One job's result failing to be recorded must not leave the others unrecorded.
      await this.settle(job, outcome, started).catch((err: unknown) => {
        failed ??= err;
      });
    }
    if (failed) throw failed;
  }

  private leaseLost(jobs: readonly Job[], err: SyncError): void {
    this.deps.logger.warn(
      { jobs: jobs.map((j) => j.id), code: err.code },
      'job lease could not be renewed; leaving the job to the worker that takes it over',
    );
  }

  /** Records a job's outcome and ends it: done, rescheduled with backoff, or dead. */
  private async settle(job: Job, outcome: BatchItemResult, started: number): Promise<void> {
    const { store, metrics, logger, config } = this.deps;
    if (outcome.ok) {
      const { result } = outcome;
      await store.recordOutcomes(
        this.outcomesOf(job, {
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
      return;
    }
    const { error } = outcome;
    const code = error.code;
    const summary = { code, message: error.message };
    const dead = !error.retryable || job.attempts >= config.maxAttempts;
    await store.recordOutcomes(
      this.outcomesOf(job, {
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
