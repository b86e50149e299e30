/**
 * Google's per-user query quota: at most `limit` calls in any rolling window (60 s) per principal
 * (the impersonated admin). Refused calls do not count.
 */

/** The answer for one call. */
export type QuotaDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

/** A rolling-window limiter keyed by principal. */
export class RollingQuota {
  private readonly limit: number;
  private readonly windowMs: number;
  private readonly clock: () => number;
  private readonly calls = new Map<string, number[]>();

  constructor(limit: number, clock: () => number, windowMs = 60_000) {
    this.limit = limit;
    this.clock = clock;
    this.windowMs = windowMs;
  }

  /** Counts one call for `principal`, unless the window is full. */
  take(principal: string): QuotaDecision {
    const now = this.clock();
    const since = now - this.windowMs;
    const list = (this.calls.get(principal) ?? []).filter((t) => t > since);
    if (list.length >= this.limit) {
      this.calls.set(principal, list);
      const oldest = list[0] ?? now;
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((oldest + this.windowMs - now) / 1000)) };
    }
    list.push(now);
    this.calls.set(principal, list);
    return { ok: true };
  }

  /** Calls counted in the current window for `principal`. */
  used(principal: string): number {
    const since = this.clock() - this.windowMs;
    return (this.calls.get(principal) ?? []).filter((t) => t > since).length;
  }

  /** Forgets every call. */
  reset(): void {
    this.calls.clear();
  }
}
