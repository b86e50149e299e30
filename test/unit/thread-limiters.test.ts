import { describe, expect, it } from 'vitest';
import { isSyncError, SyncError } from '../../src/errors.ts';
import { remoteLimiters, serveLimiterMessage } from '../../src/reconcile/thread-limiters.ts';
import type { FromThread } from '../../src/reconcile/thread-protocol.ts';
import { createRateLimiter, type RateLimiter } from '../../src/sync/rate-limiter.ts';
import { CALLS_LIMITER, type ConnectorRuntime } from '../../src/sync/runtime.ts';

/** The service thread's runtime, reduced to what the limiter messages use. */
function runtimeWith(limiters: Record<string, RateLimiter>): ConnectorRuntime {
  return {
    connectors: new Map([['hubspot', { limiters: new Map(Object.entries(limiters)) }]]),
    jobConnectors: {},
  } as unknown as ConnectorRuntime;
}

/** Both sides wired as the threads are: every message structured-cloned, delivered asynchronously. */
function wire(runtime: ConnectorRuntime) {
  const seen: FromThread[] = [];
  const remote = remoteLimiters((message) => {
    seen.push(message);
    setImmediate(() =>
      serveLimiterMessage(runtime, structuredClone(message), (answer) =>
        setImmediate(() => remote.settle(structuredClone(answer))),
      ),
    );
  });
  return { source: remote.source, seen };
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("a reconcile thread's limiters", () => {
  it("take each call's slot from the service thread's limiter, in one queue with the job worker", async () => {
    let t = 0;
    const wakes: Array<() => void> = [];
    const service = createRateLimiter({
      limit: 2,
      intervalMs: 1000,
      now: () => t,
      sleep: () => new Promise<void>((resolve) => wakes.push(resolve)),
    });
    const { source } = wire(runtimeWith({ [CALLS_LIMITER]: service }));
    const thread = source('hubspot', CALLS_LIMITER, { limit: 2, intervalMs: 1000 });

    // The job worker's call and the thread's call fill the window of 2 between them.
    await service.schedule(async () => 'worker');
    expect(await thread.schedule(async () => 'thread')).toBe('thread');
    expect(service.started).toBe(2);
    expect(thread.started).toBe(1);

    // The thread's next call waits for the window the service's limiter keeps.
    let ran = false;
    const next = thread.schedule(async () => {
      ran = true;
    });
    while (wakes.length === 0) await flush();
    expect(ran).toBe(false);
    t = 1000;
    wakes.shift()?.();
    await next;
    expect(ran).toBe(true);
    expect(service.started).toBe(3);
    expect(thread.started).toBe(2);
  });

  it("pass the vendor's signals on to the service thread's limiter", async () => {
    const received: string[] = [];
    const service: RateLimiter = {
      ...createRateLimiter({ limit: 0, intervalMs: 1000 }),
      pauseUntil: (until) => received.push(`pause ${until}`),
      observe: (remaining, intervalMs) => received.push(`observe ${remaining}/${intervalMs}`),
    };
    const { source } = wire(runtimeWith({ search: service }));
    const thread = source('hubspot', 'search', { limit: 4, intervalMs: 1100 });
    thread.pauseUntil(12_345);
    thread.observe(7, 10_000);
    while (received.length < 2) await flush();
    expect(received).toEqual(['pause 12345', 'observe 7/10000']);
  });

  it("fail a call with the service side's catalogue code: the limiter's error, or an unknown limiter", async () => {
    const failing: RateLimiter = {
      ...createRateLimiter({ limit: 0, intervalMs: 1000 }),
      schedule: () => Promise.reject(new SyncError('STORE_UNAVAILABLE', 'call budget: the store is down')),
    };
    const { source } = wire(runtimeWith({ [CALLS_LIMITER]: failing }));
    let ran = false;
    const task = async () => {
      ran = true;
    };
    const refused = await source('hubspot', CALLS_LIMITER, { limit: 1, intervalMs: 1 })
      .schedule(task)
      .catch((err: unknown) => err);
    expect(isSyncError(refused, 'STORE_UNAVAILABLE')).toBe(true);
    expect((refused as SyncError).message).toBe('call budget: the store is down');

    const unknown = await source('hubspot', 'nope', { limit: 1, intervalMs: 1 })
      .schedule(task)
      .catch((err: unknown) => err);
    expect(isSyncError(unknown, 'INTERNAL')).toBe(true);
    expect((unknown as SyncError).message).toContain('limiter "nope" of connector "hubspot"');
    expect(ran).toBe(false);
  });
});
