/**
 * When the projection behind the acknowledgement runs (src/store/behind.ts), on a fake
 * clock: not between the acknowledgements of a burst, at once for an offboarding, and within the
 * bounds of a burst that goes on.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Behind } from '../../src/store/behind.ts';

const LIMITS = { quietMs: 20, maxEvents: 100, maxDelayMs: 1_000, slice: 10 };

function world(busy = false) {
  const slices: number[] = [];
  const state = { busy };
  const behind = new Behind({
    limits: LIMITS,
    busy: () => state.busy,
    now: () => Date.now(),
    project: (limit) => {
      slices.push(limit);
      const n = Math.min(limit, behind.pending);
      behind.projected(n, 0, n < limit);
    },
  });
  return { behind, slices, state };
}

/** Appends `n` events and ends their commit, as the store does. */
function ack(behind: Behind, n: number, urgent = false): void {
  for (let i = 0; i < n; i += 1) behind.appended(urgent && i === 0);
  behind.wake();
}

describe('projection behind the acknowledgement: when it runs', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('waits while acknowledgements keep coming, and projects once they pause', () => {
    const { behind, slices } = world();
    ack(behind, 5);
    vi.advanceTimersByTime(10);
    ack(behind, 5);
    vi.advanceTimersByTime(10);
    expect(slices).toEqual([]);
    vi.advanceTimersByTime(20);
    expect(slices.length).toBeGreaterThan(0);
    expect(behind.pending).toBe(0);
  });

  it('projects an offboarding at once, however busy', () => {
    const { behind, slices } = world(true);
    ack(behind, 3);
    vi.advanceTimersByTime(1);
    expect(slices).toEqual([]);
    behind.appended(true);
    behind.wake();
    vi.advanceTimersByTime(1);
    expect(slices).toEqual([10]);
  });

  it('takes turns once a burst leaves more than maxEvents, or the oldest waited maxDelayMs', () => {
    const burst = world(true);
    for (let t = 0; t < 20; t += 1) {
      ack(burst.behind, 10);
      vi.advanceTimersByTime(5);
    }
    // 200 acknowledged, 100 allowed behind: slices ran between the commits.
    expect(burst.slices.length).toBeGreaterThan(0);
    expect(burst.behind.pending).toBeLessThanOrEqual(LIMITS.maxEvents + 10);

    const slow = world(true);
    for (let t = 0; t < 100; t += 1) {
      ack(slow.behind, 1);
      vi.advanceTimersByTime(15);
      if (t * 15 < LIMITS.maxDelayMs - 15) expect(slow.slices, `at ${t * 15} ms`).toEqual([]);
    }
    expect(slow.slices.length).toBeGreaterThan(0);
  });

  it('starts no slice while an asynchronous one runs, and goes on once it settles', async () => {
    const started: Array<() => void> = [];
    const behind: Behind = new Behind({
      limits: LIMITS,
      busy: () => false,
      now: () => Date.now(),
      project: (limit) =>
        new Promise<void>((resolve) => {
          started.push(() => {
            const n = Math.min(limit, behind.pending);
            behind.projected(n, 0, n < limit);
            resolve();
          });
        }),
    });
    ack(behind, 15, true);
    vi.advanceTimersByTime(1);
    expect(started).toHaveLength(1);
    // More commits while the slice runs: none starts another.
    ack(behind, 1, true);
    vi.advanceTimersByTime(1);
    expect(started).toHaveLength(1);
    started[0]!();
    await vi.advanceTimersByTimeAsync(1);
    expect(started).toHaveLength(2);
    started[1]!();
    await vi.advanceTimersByTimeAsync(1);
    expect(behind.pending).toBe(0);
    expect(behind.backlog().lastError).toBeNull();
  });

  it('reports an asynchronous slice that failed, and tries again a second later', async () => {
    let calls = 0;
    const behind: Behind = new Behind({
      limits: LIMITS,
      busy: () => false,
      now: () => Date.now(),
      project: async (limit) => {
        calls += 1;
        if (calls === 1) throw new Error('database away');
        behind.projected(Math.min(limit, behind.pending), 0, true);
      },
    });
    ack(behind, 3, true);
    await vi.advanceTimersByTimeAsync(1);
    expect(behind.backlog()).toMatchObject({ events: 3, lastError: 'database away' });
    await vi.advanceTimersByTimeAsync(998);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(2);
    expect(calls).toBe(2);
    expect(behind.backlog()).toMatchObject({ events: 0, lastError: null });
  });
});
