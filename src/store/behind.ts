import type { ProjectionBacklog } from './types.ts';

/**
 * When the projection behind the acknowledgement runs (both stores: SQLite's slices run on the
 * store's own thread, PostgreSQL's in transactions of their own). A webhook is answered once its
 * inbox row is durable; projecting it (snapshots, ledger, job fan-out) is work this schedules in
 * slices:
 * - at once for an urgent event (an offboarding), whatever else is waiting;
 * - when the acknowledgements pause ({@link BehindLimits.quietMs} without one, nothing queued);
 * - during a burst, once the backlog is over {@link BehindLimits.maxEvents} events or its oldest
 *   event has waited {@link BehindLimits.maxDelayMs}: then a slice runs between commits, so the
 *   backlog is bounded and the acknowledgements slow down instead.
 * Reads of the projection never wait for this: the store catches up before it answers one.
 */
export interface BehindLimits {
  /** How long without a new acknowledgement counts as a pause. */
  quietMs: number;
  /** Events a burst may leave unprojected before projection takes turns with acknowledgements. */
  maxEvents: number;
  /** How long the oldest unprojected event may wait before projection takes turns. */
  maxDelayMs: number;
  /** Events projected in one commit. */
  slice: number;
}

/** The limits both stores use unless told otherwise. */
export const DEFAULT_BEHIND_LIMITS: BehindLimits = {
  quietMs: 20,
  maxEvents: 50_000,
  maxDelayMs: 5_000,
  slice: 256,
};

/**
 * The scheduling policy of the projection behind the acknowledgement (pure: the store counts what
 * it appends and projects, this decides when the next slice runs). A slice may be synchronous
 * (SQLite) or return a promise (PostgreSQL): the next one is not started before it settles.
 */
export class Behind {
  /** Acknowledged events not projected yet (kept exact by the store: +1 per append, -n per slice). */
  pending = 0;
  private urgent = 0;
  private since: number | null = null;
  private lastAppend = 0;
  private scheduled = false;
  /** Set while an asynchronous slice runs. */
  private running = false;
  /** Set after a failed slice: the next one waits for it. */
  private retry: NodeJS.Timeout | null = null;
  /** Set while waiting for the acknowledgements to pause. */
  private pause: NodeJS.Timeout | null = null;
  private stopped = false;
  private lastError: string | null = null;
  private readonly limits: BehindLimits;
  private readonly busy: () => boolean;
  private readonly project: (limit: number) => void | Promise<void>;
  private readonly now: () => number;

  /**
   * @param project runs one slice of at most `limit` events in its own commit (throws, or rejects,
   *   on failure)
   * @param busy whether acknowledgements are queued for the next commit
   */
  constructor(options: {
    project: (limit: number) => void | Promise<void>;
    busy: () => boolean;
    limits?: BehindLimits | undefined;
    now?: () => number;
  }) {
    this.project = options.project;
    this.busy = options.busy;
    this.limits = options.limits ?? DEFAULT_BEHIND_LIMITS;
    this.now = options.now ?? Date.now;
  }

  /**
   * The store found `events` unprojected rows (at start, after a crash say; or, on PostgreSQL,
   * rows another instance left), the oldest of them waiting `since` (default: from now).
   */
  restore(events: number, urgent: number, since: number = this.now()): void {
    this.pending = events;
    this.urgent = urgent;
    this.since = events > 0 ? since : null;
    this.wake();
  }

  /** One event was appended (not yet committed: the commit's end calls {@link wake}). */
  appended(urgent: boolean): void {
    this.pending += 1;
    if (urgent) this.urgent += 1;
    this.lastAppend = this.now();
    this.since ??= this.lastAppend;
  }

  /** `events` were projected, `urgent` of them urgent; `drained` when none is left. */
  projected(events: number, urgent: number, drained: boolean): void {
    this.pending = drained ? 0 : Math.max(0, this.pending - events);
    this.urgent = drained ? 0 : Math.max(0, this.urgent - urgent);
    if (this.pending === 0) this.since = null;
  }

  /** Called after every commit: schedules a slice if one is due. */
  wake(): void {
    if (this.scheduled || this.running || this.stopped || this.retry !== null || this.pending === 0) return;
    this.scheduled = true;
    setImmediate(() => this.tick());
  }

  backlog(): Omit<ProjectionBacklog, 'failedEvents'> {
    return {
      events: this.pending,
      oldestMs: this.since === null ? 0 : Math.max(0, this.now() - this.since),
      lastError: this.lastError,
    };
  }

  stop(): void {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    if (this.pause) clearTimeout(this.pause);
    this.retry = null;
    this.pause = null;
  }

  /** 0 when a slice is due now, else how long until the acknowledgements count as paused. */
  private waitFor(): number {
    if (this.urgent > 0 || this.pending >= this.limits.maxEvents) return 0;
    const now = this.now();
    if (this.since !== null && now - this.since >= this.limits.maxDelayMs) return 0;
    const quietFor = now - this.lastAppend;
    if (quietFor >= this.limits.quietMs && !this.busy()) return 0;
    return Math.max(1, this.limits.quietMs - quietFor);
  }

  private tick(): void {
    this.scheduled = false;
    if (this.stopped || this.pending === 0) return;
    const wait = this.waitFor();
    if (wait > 0) {
      // Looked at again after every commit (wake), and when the pause would have begun.
      this.pause ??= setTimeout(() => {
        this.pause = null;
        this.wake();
      }, wait);
      this.pause.unref();
      return;
    }
    let slice: void | Promise<void>;
    try {
      slice = this.project(this.limits.slice);
    } catch (err) {
      this.failed(err);
      return;
    }
    if (slice instanceof Promise) {
      this.running = true;
      slice.then(
        () => {
          this.running = false;
          this.succeeded();
        },
        (err: unknown) => {
          this.running = false;
          this.failed(err);
        },
      );
      return;
    }
    this.succeeded();
  }

  private succeeded(): void {
    this.lastError = null;
    this.wake();
  }

  /**
   * Nothing is lost (the rows stay unprojected, reads still catch up); the backlog and this error
   * are reported by backlog(), and the slice is tried again in a second.
   */
  private failed(err: unknown): void {
    this.lastError = err instanceof Error ? err.message : String(err);
    if (this.stopped) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      this.wake();
    }, 1_000);
    this.retry.unref();
  }
}
