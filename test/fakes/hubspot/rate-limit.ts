/**
 * HubSpot's per-portal rate limits: a rolling ten-second window, a daily count (UTC days here;
 * HubSpot uses the portal's time zone) and the CRM search limit of a few requests per second.
 * Only calls that are let through count; refused calls do not use up the window.
 */

/** Limits of one portal. */
export interface RateLimitOptions {
  limitPer10s: number;
  /**
   * The rolling window `limitPer10s` counts over; HubSpot's is 10 s. Tests may shrink window and
   * limit together (the same rate, fewer seconds of waiting).
   */
  windowMs?: number;
  dailyLimit: number;
  searchPerSecond: number;
  /** Milliseconds since the epoch; injectable so that tests need no real waiting. */
  clock: () => number;
}

/** The policy a refused call hit, named as HubSpot names it in the 429 body. */
export type RatePolicy = 'TEN_SECONDLY_ROLLING' | 'DAILY' | 'SECONDLY';

/** The limiter's answer for one call. */
export type RateDecision = { ok: true } | { ok: false; policy: RatePolicy; retryAfterSeconds: number };

const TEN_SECONDS = 10_000;
const SEARCH_WINDOW_MS = 1_000;
const DAY_MS = 86_400_000;

/** The 429 body message HubSpot sends for each policy. */
export const POLICY_MESSAGES: Readonly<Record<RatePolicy, string>> = {
  TEN_SECONDLY_ROLLING: 'You have reached your ten_secondly_rolling limit.',
  DAILY: 'You have reached your daily limit.',
  SECONDLY: 'You have reached your secondly limit.',
};

/** Counts calls of one portal. */
export class RateLimiter {
  private readonly options: RateLimitOptions;
  private window: number[] = [];
  private searches: number[] = [];
  private day = -1;
  private dailyCount = 0;

  private readonly windowMs: number;

  constructor(options: RateLimitOptions) {
    this.options = options;
    this.windowMs = options.windowMs ?? TEN_SECONDS;
  }

  private prune(now: number): void {
    while (this.window.length > 0 && (this.window[0] ?? now) <= now - this.windowMs) this.window.shift();
    while (this.searches.length > 0 && (this.searches[0] ?? now) <= now - SEARCH_WINDOW_MS)
      this.searches.shift();
    const day = Math.floor(now / DAY_MS);
    if (day !== this.day) {
      this.day = day;
      this.dailyCount = 0;
    }
  }

  /** Admits or refuses one call; `search` calls also count against the per-second search limit. */
  take(search: boolean): RateDecision {
    const now = this.options.clock();
    this.prune(now);
    if (this.dailyCount >= this.options.dailyLimit) {
      return {
        ok: false,
        policy: 'DAILY',
        retryAfterSeconds: Math.ceil(((this.day + 1) * DAY_MS - now) / 1000),
      };
    }
    if (this.window.length >= this.options.limitPer10s) {
      const oldest = this.window[0] ?? now;
      return {
        ok: false,
        policy: 'TEN_SECONDLY_ROLLING',
        retryAfterSeconds: Math.max(1, Math.ceil((oldest + this.windowMs - now) / 1000)),
      };
    }
    if (search && this.searches.length >= this.options.searchPerSecond) {
      return { ok: false, policy: 'SECONDLY', retryAfterSeconds: 1 };
    }
    this.window.push(now);
    if (search) this.searches.push(now);
    this.dailyCount += 1;
    return { ok: true };
  }

  /** The `X-HubSpot-RateLimit-*` headers every answer carries. */
  headers(): Record<string, string> {
    this.prune(this.options.clock());
    return {
      'X-HubSpot-RateLimit-Max': String(this.options.limitPer10s),
      'X-HubSpot-RateLimit-Remaining': String(Math.max(0, this.options.limitPer10s - this.window.length)),
      'X-HubSpot-RateLimit-Interval-Milliseconds': String(this.windowMs),
      'X-HubSpot-RateLimit-Daily': String(this.options.dailyLimit),
      'X-HubSpot-RateLimit-Daily-Remaining': String(Math.max(0, this.options.dailyLimit - this.dailyCount)),
    };
  }

  /** Forgets every counted call. */
  reset(): void {
    this.window = [];
    this.searches = [];
    this.dailyCount = 0;
  }
}
