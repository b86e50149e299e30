/**
 * A rolling-window rate limiter: at most `limit` calls start in any `intervalMs` window. Calls
 * wait (in order) rather than fail. The vendor's own signals can tighten it: `pauseUntil` after a
 * 429 with Retry-After, `observe` with remaining-call headers.
 */
export interface RateLimiter {
  /** Waits for a slot (or `cost` slots), then runs `task`. */
  schedule<T>(task: () => Promise<T>, cost?: number): Promise<T>;
  /** No call starts before `until` (epoch ms). */
  pauseUntil(until: number): void;
  /**
   * Feeds the vendor's view: `remaining` calls left in the current window of `intervalMs`.
   * When the vendor has fewer left than we think, we believe the vendor.
   */
  observe(remaining: number, intervalMs: number): void;
  /** Calls started so far. */
  readonly started: number;
}

export interface RateLimiterOptions {
  limit: number;
  intervalMs: number;
  now?: () => number;
  /** Waits `ms` (replaced in tests). */
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Creates a rolling-window limiter. `limit <= 0` means unlimited. */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const starts: number[] = [];
  let pausedUntil = 0;
  let started = 0;
  let chain: Promise<void> = Promise.resolve();

  const prune = (t: number) => {
    while (starts.length > 0 && starts[0]! <= t - options.intervalMs) starts.shift();
  };

  const acquire = async (cost: number): Promise<void> => {
    for (;;) {
      const t = now();
      if (t < pausedUntil) {
        await sleep(pausedUntil - t);
        continue;
      }
      if (options.limit <= 0) break;
      prune(t);
      if (starts.length + cost <= options.limit) break;
      const oldest = starts[Math.max(0, starts.length + cost - options.limit - 1)]!;
      await sleep(Math.max(1, oldest + options.intervalMs - t));
    }
    const t = now();
    for (let i = 0; i < cost; i += 1) starts.push(t);
    started += cost;
  };

  return {
    schedule<T>(task: () => Promise<T>, cost = 1): Promise<T> {
      const slot = chain.then(() => acquire(cost));
      chain = slot.catch(() => undefined);
      return slot.then(task);
    },
    pauseUntil(until: number) {
      pausedUntil = Math.max(pausedUntil, until);
    },
    observe(remaining: number, intervalMs: number) {
      if (options.limit <= 0 || !Number.isFinite(remaining)) return;
      const t = now();
      prune(t);
      const ours = options.limit - starts.length;
      // The vendor counts calls we cannot see (other clients of the portal): fill the gap.
      for (let i = 0; i < ours - remaining; i += 1) starts.push(t);
      if (remaining <= 0) pausedUntil = Math.max(pausedUntil, t + Math.min(intervalMs, options.intervalMs));
    },
    get started() {
      return started;
    },
  };
}
