import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/types.ts';
import { JOB_PRIORITY } from '../core/priority.ts';
import { isSyncError, SyncError, toSyncError } from '../errors.ts';
import type { Metrics } from '../metrics.ts';
import { jobRequestsFor } from '../store/job-requests.ts';
import type { Job, OutcomeInput, Store } from '../store/types.ts';
import { type BatchItemResult, type EngineConfig, syncBatch } from './engine.ts';
import { Lane } from './lane.ts';
import { backoffDelay, MAX_INLINE_WAIT_MS, withQuickRetries } from './retry.ts';
import type { ConnectorRuntime } from './runtime.ts';

/** Worker settings (the `worker.*` configuration). */
export type WorkerConfig = AppConfig['worker'];

/**
 * Runs sync jobs, one {@link Lane} per enabled connector: each lane claims only its connector's
 * jobs (destructive work first), with its own slots and in-flight budget, so a HubSpot backlog
 * never delays a suspension. Lanes are woken at once by commits that queue jobs, by a timer for
 * their next due job, and by a slow poll for jobs queued by other processes. Each job runs the
 * shared plan/apply path with quick retries; then it is done, rescheduled with backoff, or dead.
 * Leases are renewed while a job runs (or waits in its lane), so a crashed worker's jobs are taken
 * over once their lease runs out.
 *
 * Batches: a connector whose `batchSize` is above 1 (HubSpot: 100) runs its jobs in batches of up
 * to that many (`syncBatch`: one read, plans, one apply); a batch takes one of its lane's slots.
 * Any other connector's unit is one job, the same path as a batch of one. Each job of a batch
 * keeps its own result: one failing is retried or dead on its own.
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
  private readonly lanes: Lane[] = [];
  /** Every claimed job not finished yet (running or waiting in a lane): the leases to renew. */
  private readonly leased = new Set<string>();
  /** Until when each claimed job's lease is known to hold (claim time, then each successful renewal). */
  private readonly leaseUntil = new Map<string, number>();
  private running = false;
  private heartbeat: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private idleWaiters: Array<() => void> = [];

  constructor(deps: Worker['deps']) {
    this.deps = deps;
    for (const loaded of deps.runtime.connectors.values()) {
      this.lanes.push(
        new Lane({
          connector: loaded.id,
          settings: loaded.lane,
          store: deps.store,
          owner: this.owner,
          leaseMs: deps.config.lease,
          pollInterval: deps.config.pollInterval,
          logger: deps.logger,
          now: deps.now,
          claimed: (jobs, at) => {
            for (const job of jobs) {
              this.leased.add(job.id);
              this.leaseUntil.set(job.id, job.leaseUntil ?? at + deps.config.lease);
            }
          },
          run: (unit) => this.runJobs(unit),
          settled: (unit) => {
            for (const job of unit) {
              this.leased.delete(job.id);
              this.leaseUntil.delete(job.id);
            }
            this.wakeIdle();
          },
        }),
      );
    }
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
    for (const lane of this.lanes) lane.start();
  }

  /** Stops claiming and waits for claimed jobs (running or waiting in a lane) to finish. */
  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    await Promise.all(this.lanes.map((lane) => lane.stop()));
    if (this.heartbeat) clearInterval(this.heartbeat);
  }

  /** Resolves when no lane is running a job and none of their jobs is due now (for tests and benchmarks). */
  async idle(): Promise<void> {
    for (;;) {
      if (this.lanes.every((lane) => !lane.busy())) {
        const next = await Promise.all(this.lanes.map((lane) => this.deps.store.nextJobAt(lane.connector)));
        if (next.every((t) => t === null || t > this.deps.now())) return;
      }
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
  }

  /** Asks every lane to look for claimable jobs now. */
  kick(): void {
    if (!this.running) return;
    for (const lane of this.lanes) lane.kick();
  }

  private wakeIdle(): void {
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private async renew(): Promise<void> {
    if (this.leased.size === 0) return;
    const ids = [...this.leased];
    const until = this.deps.now() + this.deps.config.lease;
    try {
      const held = new Set(await this.deps.store.renewLeases(ids, this.owner, until));
      const lost: string[] = [];
      for (const id of ids) {
        if (!this.leaseUntil.has(id)) continue; // finished meanwhile
        if (held.has(id)) this.leaseUntil.set(id, until);
        else {
          // No longer this worker's: another one took it over (this one stalled past its lease),
          // or it ended a moment ago. No further attempt here (assertLease).
          this.leaseUntil.set(id, 0);
          lost.push(id);
        }
      }
      if (lost.length > 0) this.deps.logger.warn({ jobs: lost }, 'job leases no longer held by this worker');
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

  /**
   * Runs a lane's unit of work, one job or a batch of a batching connector's jobs, as one `syncBatch`
   * (one job is a batch of one). Quick retries re-run only the jobs that failed transiently, as a
   * smaller batch; every job then ends on its own result, after queuing its follow-up if it asked
   * for one.
   */
  private async runJobs(jobs: readonly Job[]): Promise<void> {
    const { store, runtime, config } = this.deps;
    const connector = jobs[0]?.connector ?? '';
    const loaded = runtime.connectors.get(connector)!;
    const started = this.deps.now();
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
            urgentFirst: true,
            claimed: true,
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
    // The jobs are independent: their results are recorded concurrently (one group commit on
    // SQLite, the pool's connections on PostgreSQL), not one round trip after the other.
    await Promise.all(
      jobs.map((job) => {
        const outcome = last.get(job.id) ?? {
          ok: false as const,
          error: new SyncError('INTERNAL', 'the batch gave no result for this job'),
        };
        // One job's result failing to be recorded must not leave the others unrecorded.
        return this.followUp(job, outcome)
          .then(() => this.settle(job, outcome, started))
          .catch((err: unknown) => {
            failed ??= err;
          });
      }),
    );
    if (failed) throw failed;
  }

  /** Queues the job a result asks for: the rest of an urgent plan, or a later recheck. */
  private async followUp(job: Job, outcome: BatchItemResult): Promise<void> {
    if (!outcome.ok) return;
    const { result } = outcome;
    if (result.more) {
      // The urgent part is done (e.g. suspended): the rest runs as a job of its own, queued
      // behind the work already waiting, so a burst suspends everyone before any playbook.
      await this.deps.store.enqueueJobs(jobRequestsFor(job, job.eventIds, this.deps.now()));
    } else if (result.recheckAfterMs !== undefined) {
      // Something to look at again later (a vendor job under way, a grace period): a job for then.
      await this.deps.store.enqueueJobs(jobRequestsFor(job, [], this.deps.now() + result.recheckAfterMs));
    }
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
    const destructive = job.priority >= JOB_PRIORITY.destructive;
    logger.warn(
      {
        jobId: job.id,
        connector: job.connector,
        entity: `${job.kind}:${job.entityId}`,
        code,
        attempts: job.attempts,
        dead,
        ...(destructive ? { destructive, reason: `${code} after ${job.attempts} attempt(s)` } : {}),
      },
      // A dead destructive change (a suspension) means an ex-employee may keep access: say so.
      dead && destructive
        ? 'destructive change dead: gave up; replay it once the cause is fixed'
        : 'sync job failed',
    );
  }
}
