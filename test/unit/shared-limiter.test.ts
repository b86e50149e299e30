import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { createRateLimiter } from '../../src/sync/rate-limiter.ts';
import { budgetKey, createSharedRateLimiter, sharedBudgetTiming } from '../../src/sync/shared-limiter.ts';

/** A virtual clock: sleeping moves it on, so nothing really waits. */
function virtualClock() {
  const clock = { t: 1_000_000 };
  return {
    clock,
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.t += ms;
    },
  };
}

const BUDGET = { key: 'portal:test', limit: 10, intervalMs: 1000 };

describe('shared rate limiter', () => {
  it('keeps several instances together under the limit in every rolling window', async () => {
    const store = new SqliteStore({ path: ':memory:' });
    await store.migrate();
    const { clock, now, sleep } = virtualClock();
    // Three "instances": each with a local limiter allowing the full limit on its own.
    const instances = [1, 2, 3].map(() =>
      createSharedRateLimiter({
        local: createRateLimiter({ limit: BUDGET.limit, intervalMs: BUDGET.intervalMs, now, sleep }),
        store,
        budget: BUDGET,
        now,
        sleep,
      }),
    );
    const starts: number[] = [];
    await Promise.all(
      instances.flatMap((limiter) =>
        Array.from({ length: 20 }, () =>
          limiter.schedule(async () => {
            starts.push(clock.t);
          }),
        ),
      ),
    );
    expect(starts).toHaveLength(60);
    starts.sort((a, b) => a - b);
    // The vendor counts by arrival, a little later than our start: allow the timing's margin.
    const { marginMs } = sharedBudgetTiming(BUDGET);
    let worst = 0;
    for (const [i, t] of starts.entries()) {
      const inWindow = starts.slice(i).filter((s) => s < t + BUDGET.intervalMs + marginMs).length;
      worst = Math.max(worst, inWindow);
    }
    expect(worst).toBeLessThanOrEqual(BUDGET.limit);
    await store.close();
  });

  it('drops granted calls not started within the hold, and asks again', async () => {
    const store = new SqliteStore({ path: ':memory:' });
    await store.migrate();
    const { clock, now, sleep } = virtualClock();
    let asked = 0;
    const take = store.takeCallBudget.bind(store);
    store.takeCallBudget = (input) => {
      asked += 1;
      return take(input);
    };
    const timing = { holdMs: 100, marginMs: 0, grant: 5, retryMs: 10 };
    const limiter = createSharedRateLimiter({
      local: createRateLimiter({ limit: 0, intervalMs: 1000 }),
      store,
      budget: BUDGET,
      timing,
      now,
      sleep,
    });
    await limiter.schedule(async () => {});
    await limiter.schedule(async () => {});
    expect(asked).toBe(1);
    clock.t += 150;
    await limiter.schedule(async () => {});
    expect(asked).toBe(2);
    await store.close();
  });

  it('names a budget without the secret that identifies it', () => {
    const key = budgetKey('crm', 'https://api.example.com', 'pat-secret-token');
    expect(key).toMatch(/^crm:[0-9a-f]{24}$/);
    expect(key).not.toContain('secret');
    expect(budgetKey('crm', 'https://api.example.com', 'pat-secret-token')).toBe(key);
    expect(budgetKey('crm', 'https://api.example.com', 'another-token')).not.toBe(key);
  });
});
