/**
 * HubSpot's rate-limit signals: the `X-HubSpot-RateLimit-*` headers every CRM answer carries, and
 * the policy a 429 names (`policyName` in its body). Pure functions, no SDK: `client.ts` feeds
 * them what the SDK returned.
 *
 * - `TEN_SECONDLY_ROLLING` (per portal, 100/190/250 calls per 10 s): the portal limiter pauses for
 *   Retry-After (else the window's interval) and the call fails VENDOR_RATE_LIMITED.
 * - `SECONDLY` (CRM search, 4 per second): only the search limiter pauses (about 1 s).
 * - `DAILY`: both limiters pause until the next midnight and the call fails
 *   VENDOR_QUOTA_EXHAUSTED. HubSpot resets the daily count at midnight in the portal's time zone;
 *   the API does not tell us that zone, so UTC is assumed (the worst case is waking up to a few
 *   hours early, getting one more DAILY 429, and pausing again).
 */
import { parseRetryAfter, SyncError } from '../../src/errors.ts';
import type { RateLimiter } from '../../src/sync/rate-limiter.ts';

/** The limit a 429 reports. */
export type RatePolicy = 'TEN_SECONDLY_ROLLING' | 'SECONDLY' | 'DAILY' | 'UNKNOWN';

/** What a 429 means for our limiters and for the caller. */
export interface RateLimitSignal {
  policy: RatePolicy;
  /** How long to wait before the next call. */
  retryAfterMs: number;
  /** Epoch ms until which the affected limiter(s) must not start a call. */
  until: number;
  /** Which limiter pauses. */
  scope: 'portal' | 'search' | 'both';
}

const TEN_SECONDS = 10_000;
const DAY_MS = 86_400_000;

/** Reads the policy of a 429 answer from its body (`policyName`, else the message wording). */
export function policyOf(body: unknown): RatePolicy {
  if (body === null || typeof body !== 'object') return 'UNKNOWN';
  const record = body as Record<string, unknown>;
  const name = typeof record.policyName === 'string' ? record.policyName.toUpperCase() : '';
  if (name === 'TEN_SECONDLY_ROLLING' || name === 'SECONDLY' || name === 'DAILY') return name;
  const message = typeof record.message === 'string' ? record.message.toLowerCase() : '';
  if (message.includes('ten_secondly_rolling')) return 'TEN_SECONDLY_ROLLING';
  if (message.includes('secondly')) return 'SECONDLY';
  if (message.includes('daily')) return 'DAILY';
  return 'UNKNOWN';
}

/** The next midnight, UTC (see the module note on the portal's time zone). */
export function nextMidnightUtc(now: number): number {
  return (Math.floor(now / DAY_MS) + 1) * DAY_MS;
}

/** Reads one header case-insensitively. */
export function header(
  headers: Readonly<Record<string, string>> | undefined,
  name: string,
): string | undefined {
  if (!headers) return undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

/** Interprets a 429 answer. */
export function rateLimitSignal(input: {
  body: unknown;
  headers: Readonly<Record<string, string>> | undefined;
  now: number;
  /** Whether the refused call was a CRM search. */
  search: boolean;
}): RateLimitSignal {
  const { now } = input;
  const policy = policyOf(input.body);
  const retryAfter = parseRetryAfter(header(input.headers, 'retry-after'), now);
  if (policy === 'DAILY') {
    const until = nextMidnightUtc(now);
    return { policy, retryAfterMs: until - now, until, scope: 'both' };
  }
  if (policy === 'SECONDLY') {
    const wait = retryAfter ?? 1000;
    return { policy, retryAfterMs: wait, until: now + wait, scope: input.search ? 'search' : 'portal' };
  }
  const interval = Number(header(input.headers, 'x-hubspot-ratelimit-interval-milliseconds'));
  const wait = retryAfter ?? (Number.isFinite(interval) && interval > 0 ? interval : TEN_SECONDS);
  return { policy, retryAfterMs: wait, until: now + wait, scope: 'portal' };
}

/** Pauses the limiters a signal names. */
export function pauseFor(
  signal: RateLimitSignal,
  limiters: { portal: RateLimiter; search: RateLimiter },
): void {
  if (signal.scope !== 'search') limiters.portal.pauseUntil(signal.until);
  if (signal.scope !== 'portal') limiters.search.pauseUntil(signal.until);
}

/** The catalogue error a signal becomes. */
export function rateLimitError(signal: RateLimitSignal, cause?: unknown): SyncError {
  if (signal.policy === 'DAILY') {
    return new SyncError(
      'VENDOR_QUOTA_EXHAUSTED',
      `HubSpot daily API limit reached (HTTP 429 DAILY); calls resume after midnight UTC`,
      { retryAfterMs: signal.retryAfterMs, cause, details: { policy: signal.policy } },
    );
  }
  return new SyncError(
    'VENDOR_RATE_LIMITED',
    `HubSpot rate limit reached (HTTP 429 ${signal.policy}); retry in ${Math.ceil(signal.retryAfterMs / 1000)} s`,
    { retryAfterMs: signal.retryAfterMs, cause, details: { policy: signal.policy } },
  );
}

/**
 * Feeds the portal limiter HubSpot's view of the current window: `X-HubSpot-RateLimit-Remaining`
 * and `-Interval-Milliseconds`. Answers without them (search, schemas) change nothing.
 */
export function observeHeaders(
  headers: Readonly<Record<string, string>> | undefined,
  limiter: RateLimiter,
): void {
  const remainingText = header(headers, 'x-hubspot-ratelimit-remaining');
  if (remainingText === undefined || remainingText === '') return;
  const remaining = Number(remainingText);
  const interval = Number(header(headers, 'x-hubspot-ratelimit-interval-milliseconds'));
  if (!Number.isFinite(remaining)) return;
  limiter.observe(remaining, Number.isFinite(interval) && interval > 0 ? interval : TEN_SECONDS);
}
