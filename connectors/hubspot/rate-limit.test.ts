import { describe, expect, it } from 'vitest';
import { createRateLimiter } from '../../src/sync/rate-limiter.ts';
import {
  nextMidnightUtc,
  observeHeaders,
  pauseFor,
  policyOf,
  rateLimitError,
  rateLimitSignal,
} from './rate-limit.ts';

const NOW = Date.UTC(2024, 7, 20, 15, 30, 0);

describe('429 policies', () => {
  it('reads the policy from policyName or, failing that, the message', () => {
    expect(policyOf({ policyName: 'TEN_SECONDLY_ROLLING' })).toBe('TEN_SECONDLY_ROLLING');
    expect(policyOf({ message: 'You have reached your secondly limit.' })).toBe('SECONDLY');
    expect(policyOf({ message: 'You have reached your daily limit.' })).toBe('DAILY');
    expect(policyOf('nonsense')).toBe('UNKNOWN');
  });

  it('pauses the portal for Retry-After on the rolling limit and says VENDOR_RATE_LIMITED', () => {
    const signal = rateLimitSignal({
      body: { policyName: 'TEN_SECONDLY_ROLLING' },
      headers: { 'Retry-After': '3' },
      now: NOW,
      search: false,
    });
    expect(signal).toEqual({
      policy: 'TEN_SECONDLY_ROLLING',
      retryAfterMs: 3000,
      until: NOW + 3000,
      scope: 'portal',
    });
    const error = rateLimitError(signal);
    expect(error.code).toBe('VENDOR_RATE_LIMITED');
    expect(error.retryAfterMs).toBe(3000);
  });

  it('falls back to the window interval without Retry-After', () => {
    const signal = rateLimitSignal({
      body: { policyName: 'TEN_SECONDLY_ROLLING' },
      headers: { 'x-hubspot-ratelimit-interval-milliseconds': '10000' },
      now: NOW,
      search: false,
    });
    expect(signal.retryAfterMs).toBe(10_000);
  });

  it('pauses only the search limiter on the secondly (search) limit', async () => {
    const signal = rateLimitSignal({ body: { policyName: 'SECONDLY' }, headers: {}, now: NOW, search: true });
    expect(signal.scope).toBe('search');
    const t = NOW;
    const slept = { portal: [] as number[], search: [] as number[] };
    const limiter = (name: 'portal' | 'search', limit: number, intervalMs: number) =>
      createRateLimiter({
        limit,
        intervalMs,
        now: () => t + slept[name].reduce((a, b) => a + b, 0),
        sleep: async (ms) => {
          slept[name].push(ms);
        },
      });
    const portal = limiter('portal', 100, 10_000);
    const search = limiter('search', 4, 1000);
    pauseFor(signal, { portal, search });
    await portal.schedule(async () => undefined);
    await search.schedule(async () => undefined);
    expect(slept).toEqual({ portal: [], search: [1000] });
  });

  it('waits for midnight UTC on the daily limit and says VENDOR_QUOTA_EXHAUSTED', () => {
    const signal = rateLimitSignal({ body: { policyName: 'DAILY' }, headers: {}, now: NOW, search: false });
    expect(signal.until).toBe(Date.UTC(2024, 7, 21));
    expect(signal.scope).toBe('both');
    expect(nextMidnightUtc(Date.UTC(2024, 7, 21))).toBe(Date.UTC(2024, 7, 22));
    const error = rateLimitError(signal);
    expect(error.code).toBe('VENDOR_QUOTA_EXHAUSTED');
    expect(error.retryAfterMs).toBe(Date.UTC(2024, 7, 21) - NOW);
  });
});

describe('rate-limit headers', () => {
  it('feeds Remaining and Interval to the limiter, and ignores answers without them', () => {
    const seen: Array<[number, number]> = [];
    const limiter = {
      ...createRateLimiter({ limit: 100, intervalMs: 10_000 }),
      observe: (remaining: number, interval: number) => seen.push([remaining, interval]),
    };
    observeHeaders(
      { 'x-hubspot-ratelimit-remaining': '12', 'x-hubspot-ratelimit-interval-milliseconds': '10000' },
      limiter,
    );
    observeHeaders({ 'content-type': 'application/json' }, limiter);
    expect(seen).toEqual([[12, 10_000]]);
  });
});
