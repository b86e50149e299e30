import type { Logger } from 'pino';
import type { Job, Store } from '../store/types.ts';
import type { LaneSettings } from './lane-settings.ts';

/** What a lane needs from its worker. */
export interface LaneDeps {
  connector: string;
  settings: LaneSettings;
  store: Store;
  owner: string;
  leaseMs: number;
  pollInterval: number;
  logger: Logger;
  now: () => number;
  /** Jobs were claimed at `at` (the worker renews their leases until they finish). */
  claimed(jobs: readonly Job[], at: number): void;
  /** Runs one unit (a job, or a batch of this connector's jobs); rejects only when recording failed. */
  run(unit: readonly Job[]): Promise<void>;
  /** A unit finished, or the lane may have become idle. */
  settled(unit: readonly Job[]): void;
}

/**
 * One connector's lane: it claims only its connector's jobs (destructive first, then by due time),
 * runs up to `concurrency` units at once and holds at most `inFlight` claimed jobs, so another
 * connector's backlog never takes its slots or its claims. Woken by commits, by a timer for its
 * next due job, and by the worker's poll. A bulk connector's claimed jobs gather into batches of
 * up to `batchSize` while they wait for a slot (leases renewed); left in the store, jobs keep
 * coalescing.
 */
export class Lane {
  private readonly deps: LaneDeps;
  /** Running units, by the id of their first job. */
  private readonly active = new Map<string, Promise<void>>();
  /** Claimed units waiting for a slot. */
  private readonly backlog: Job[][] = [];
  /** Jobs claimed and not finished (running or in the backlog). */
  private claimedJobs = 0;
  private running = false;
  private pumping = false;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  /**
   * Why the last pump stopped without work, if it did: `full` (no slot or in-flight room: a unit
   * finishing kicks the lane), or the time (`now`) of a claim that came back empty. A job due by
   * then that the claim did not get is held by another claimer (another instance's claim, its
   * transaction not committed yet): it is about to run there, not to be claimable here.
   */
  private stoppedBy: 'full' | number | null = null;

  constructor(deps: LaneDeps) {
    this.deps = deps;
  }

  get connector(): string {
    return this.deps.connector;
  }

  start(): void {
    this.running = true;
    this.kick();
  }

  /** Stops claiming and waits for claimed jobs (running or waiting) to finish. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.startBacklog();
    while (this.active.size > 0) await Promise.allSettled(this.active.values());
  }

  /** Whether the lane is claiming, running or holding work. */
  busy(): boolean {
    return this.pumping || this.active.size > 0 || this.backlog.length > 0;
  }

  /** Asks the lane to look for claimable jobs now. */
  kick(): void {
    if (!this.running) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    void this.pump();
  }

  /** How many jobs to claim now: none while the in-flight budget or a full waiting batch says so. */
  private claimLimit(): number {
    const { concurrency, inFlight, batchSize } = this.deps.settings;
    let waiting = 0;
    for (const unit of this.backlog) waiting += unit.length;
    if (waiting >= batchSize && this.active.size >= concurrency) return 0;
    return Math.min(inFlight - this.claimedJobs, Math.max(batchSize, concurrency - this.active.size));
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    const { store, owner, leaseMs, connector } = this.deps;
    try {
      do {
        this.again = false;
        this.stoppedBy = null;
        this.startBacklog();
        const limit = this.claimLimit();
        if (limit <= 0) {
          this.stoppedBy = 'full';
          break;
        }
        const now = this.deps.now();
        const jobs = await store.claimJobs({ owner, limit, now, leaseMs, connector });
        if (jobs.length === 0) this.stoppedBy = now;
        this.claimedJobs += jobs.length;
        this.deps.claimed(jobs, now);
        this.addToBacklog(jobs);
        this.startBacklog();
        if (jobs.length === limit) this.again = true;
      } while (this.again && this.running);
    } catch (err) {
      this.deps.logger.error({ err, connector }, 'claiming jobs failed; retrying on the next poll');
    } finally {
      this.pumping = false;
      await this.scheduleNext();
      this.deps.settled([]);
    }
  }

  /**
   * The timer for the next look: when the next job is due, else the poll. Not for a job this lane
   * cannot take now ({@link stoppedBy}): a timer at 0 would claim in a loop, each turn a claim and
   * a look (a round trip each on PostgreSQL), until a slot frees or the other claimer commits. A
   * unit finishing kicks the lane; a job held elsewhere ends running there (or, if that claim
   * failed, is found by the poll or the next wake-up).
   */
  private async scheduleNext(): Promise<void> {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    let delay = this.deps.pollInterval;
    try {
      const next = await this.deps.store.nextJobAt(this.deps.connector);
      const stoppedBy = this.stoppedBy;
      const cannotTake =
        stoppedBy === 'full' || (typeof stoppedBy === 'number' && next !== null && next <= stoppedBy);
      if (next !== null && !cannotTake) delay = Math.min(delay, Math.max(0, next - this.deps.now()));
    } catch {
      // The poll below tries again; the claim path logs store failures.
    }
    this.timer = setTimeout(() => this.kick(), delay);
    this.timer.unref();
  }

  /** Claimed jobs join the last waiting batch (up to `batchSize`), else make a unit of their own. */
  private addToBacklog(jobs: readonly Job[]): void {
    const { batchSize } = this.deps.settings;
    for (const job of jobs) {
      const last = this.backlog[this.backlog.length - 1];
      if (batchSize > 1 && last && last.length < batchSize) last.push(job);
      else this.backlog.push([job]);
    }
  }

  /** Starts waiting units, in order, while slots are free (also while stopping: claimed jobs are finished). */
  private startBacklog(): void {
    while (this.backlog.length > 0 && this.active.size < this.deps.settings.concurrency) {
      const unit = this.backlog.shift();
      const first = unit?.[0];
      if (!unit || !first) continue;
      const run = this.deps
        .run(unit)
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
          this.claimedJobs -= unit.length;
          this.deps.settled(unit);
          this.startBacklog();
          this.kick();
        });
      this.active.set(first.id, run);
    }
  }
}
