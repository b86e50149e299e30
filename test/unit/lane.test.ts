/**
 * A lane's next look (src/sync/lane.ts), on a fake clock against a store that answers by hand:
 * a job it cannot take now (held by another instance's claim in flight, or no free slot) is not
 * claimed again in a loop; a job that falls due later, the poll and a wake-up still are.
 */
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ClaimRequest, Job, Store } from '../../src/store/types.ts';
import { Lane } from '../../src/sync/lane.ts';

const POLL = 1_000;

function job(id: string, at: number): Job {
  return {
    id,
    connector: 'google-workspace',
    kind: 'employee',
    entityId: `emp-${id}`,
    state: 'running',
    attempts: 1,
    runAt: at,
    priority: 0,
    eventIds: [],
    lastError: null,
    owner: 'me',
    leaseUntil: at + 30_000,
    createdAt: at,
    updatedAt: at,
  };
}

/**
 * A lane of one slot on a store whose claims answer `claim(request)` and whose next due job is
 * `next(now)`; `run` holds each unit until `finish()`.
 */
function world(options: { claim: (request: ClaimRequest) => Job[]; next: () => number | null }) {
  const claims: ClaimRequest[] = [];
  const looks = { n: 0 };
  const running: Array<() => void> = [];
  const store = {
    claimJobs: async (request: ClaimRequest) => {
      claims.push(request);
      return options.claim(request);
    },
    nextJobAt: async () => {
      looks.n += 1;
      return options.next();
    },
  } as unknown as Store;
  const lane = new Lane({
    connector: 'google-workspace',
    settings: { concurrency: 1, inFlight: 1, batchSize: 1 },
    store,
    owner: 'me',
    leaseMs: 30_000,
    pollInterval: POLL,
    logger: pino({ level: 'silent' }),
    now: () => Date.now(),
    claimed: () => {},
    run: () => new Promise<void>((resolve) => running.push(resolve)),
    settled: () => {},
  });
  return { lane, claims, looks, finish: () => running.shift()?.() };
}

describe('lane: when it looks for jobs again', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(1_000_000);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('does not claim in a loop a due job another claimer holds, and still polls and wakes', async () => {
    // Due before the claim looked, yet not claimed: another instance's claim has its row.
    const held = Date.now() - 1;
    const { lane, claims } = world({ claim: () => [], next: () => held });
    lane.start();
    await vi.advanceTimersByTimeAsync(POLL / 2);
    expect(claims).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(POLL / 2);
    expect(claims).toHaveLength(2);
    lane.kick();
    await vi.advanceTimersByTimeAsync(0);
    expect(claims).toHaveLength(3);
    await lane.stop();
  });

  it('claims a job that fell due after the claim looked when it is due', async () => {
    const due = Date.now() + 30;
    const { lane, claims } = world({ claim: () => [], next: () => due });
    lane.start();
    await vi.advanceTimersByTimeAsync(29);
    expect(claims).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(claims).toHaveLength(2);
    expect(claims[1]?.now).toBe(due);
    await lane.stop();
  });

  it('with no free slot, waits for a unit to finish instead of looking in a loop', async () => {
    let n = 0;
    const { lane, claims, looks, finish } = world({
      claim: (request) => {
        n += 1;
        return [job(String(n), request.now)];
      },
      next: () => Date.now() - 1,
    });
    lane.start();
    await vi.advanceTimersByTimeAsync(POLL / 2);
    expect(claims).toHaveLength(1);
    expect(looks.n).toBe(1);
    finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(claims).toHaveLength(2);
    finish();
    await lane.stop();
  });
});
