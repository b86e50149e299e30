/**
 * Laravel's `throttle:api` as Snipe-IT configures it: a fixed window of one minute per user,
 * started by its first call, `API_THROTTLE_PER_MINUTE` calls (default 120). Every answer carries
 * `X-RateLimit-Limit` and `X-RateLimit-Remaining`; a refused call also `Retry-After` and
 * `X-RateLimit-Reset`.
 */
export class Throttle {
  private readonly windows = new Map<number, { start: number; count: number }>();
  private readonly perMinute: number;
  private readonly clock: () => number;

  constructor(perMinute: number, clock: () => number) {
    this.perMinute = perMinute;
    this.clock = clock;
  }

  /** Counts a call of `userId`; answers whether it may proceed and the headers to send. */
  hit(userId: number): { allowed: boolean; headers: Record<string, string> } {
    const now = this.clock();
    let window = this.windows.get(userId);
    if (!window || now - window.start >= 60_000) {
      window = { start: now, count: 0 };
      this.windows.set(userId, window);
    }
    const base = { 'X-RateLimit-Limit': String(this.perMinute) };
    if (window.count >= this.perMinute) {
      const retryAfter = Math.max(1, Math.ceil((window.start + 60_000 - now) / 1000));
      return {
        allowed: false,
        headers: {
          ...base,
          'X-RateLimit-Remaining': '0',
          'Retry-After': String(retryAfter),
          'X-RateLimit-Reset': String(Math.ceil((window.start + 60_000) / 1000)),
        },
      };
    }
    window.count += 1;
    return {
      allowed: true,
      headers: { ...base, 'X-RateLimit-Remaining': String(this.perMinute - window.count) },
    };
  }

  reset(): void {
    this.windows.clear();
  }
}
