import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { SyncError } from '../../src/errors.ts';
import { createMetrics } from '../../src/metrics.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import type { ConnectorRuntime } from '../../src/sync/runtime.ts';
import { Worker } from '../../src/sync/worker.ts';
import { fakeRuntime } from '../helpers/fake-runtime.ts';

const LEASE = 10_000;

/**
 * A connector whose reads fail transiently; each read moves the clock on by `step`, after
 * `during` (what else happens while the read is in flight) when given.
 */
function flakyRuntime(
  clock: { t: number },
  step: number,
  reads: { n: number },
  during?: () => Promise<void>,
): ConnectorRuntime {
  return fakeRuntime({
    id: 'flaky',
    logger: pino({ level: 'silent' }),
    now: () => clock.t,
    read: async () => {
      reads.n += 1;
      if (reads.n === 1) await during?.();
      clock.t += step;
      throw new SyncError('VENDOR_UNAVAILABLE', 'vendor down');
    },
    target: null,
    ops: [],
    done: [],
  });
}

async function setup(
  step: number,
  renewFails: boolean,
  options: { lease?: number; during?: (store: SqliteStore, now: number) => Promise<void> } = {},
) {
  const clock = { t: 1_000_000 };
  const reads = { n: 0 };
  const store = new SqliteStore({ path: ':memory:' });
  await store.migrate();
  await store.ingest({
    id: 'evt_1',
    bodyHash: 'h1',
    receivedAt: clock.t,
    status: 'accepted',
    event: {
      type: 'employee.updated',
      known: true,
      kind: 'employee',
      timestamp: '2024-01-01T00:00:00.000Z',
      timestampMs: 1,
      companyId: '1',
      entities: [{ id: 'emp-1' }],
    },
    // What the projection reads back: the stored body is the event.
    body: JSON.stringify({
      event: 'employee.updated',
      timestamp: '2024-01-01T00:00:00.000Z',
      companyId: '1',
      employees: [{ id: 'emp-1' }],
    }),
    jobConnectors: { employee: ['flaky'] },
  });
  if (renewFails) store.renewLeases = async () => Promise.reject(new Error('database unreachable'));
  const worker = new Worker({
    store,
    runtime: flakyRuntime(clock, step, reads, () => options.during?.(store, clock.t) ?? Promise.resolve()),
    logger: pino({ level: 'silent' }),
    metrics: createMetrics(null),
    config: {
      concurrency: 1,
      lanes: {},
      maxAttempts: 5,
      quickRetries: 3,
      backoffBase: 1000,
      backoffMax: 5000,
      lease: options.lease ?? LEASE,
      pollInterval: 60_000,
    },
    engine: {
      guardrails: {
        protectedEmails: [],
        protectedOrgUnits: [],
        destructiveLimit: 10,
        destructiveWindow: 1000,
      },
      dryRun: false,
    },
    now: () => clock.t,
  });
  return { store, worker, reads };
}

describe('worker leases', () => {
  it('stops retrying a job whose lease it could not renew, leaving it to the next owner', async () => {
    const { store, worker, reads } = await setup(LEASE * 0.6, true);
    worker.start();
    await worker.idle();
    await worker.stop();
    // One attempt; the retry would have started with less than half the lease left.
    expect(reads.n).toBe(1);
    const [job] = await store.listJobs({});
    expect(job?.state).toBe('running');
    expect(await store.listOutcomes({})).toEqual([]);
    await store.close();
  });

  it('stops retrying a job another worker took over, once a renewal finds it gone', async () => {
    // A short lease: the heartbeat renews every 250 ms of real time.
    const lease = 750;
    let renewed: () => void = () => {};
    const renewal = new Promise<void>((resolve) => {
      renewed = resolve;
    });
    const { store, worker, reads } = await setup(0, false, {
      lease,
      // While the first attempt is in flight, this worker stalls past its lease: another worker
      // claims the job (its lease ran out), then this one's heartbeat renews and finds it gone.
      during: async (s, now) => {
        const taken = await s.claimJobs({
          owner: 'other-worker',
          limit: 1,
          now: now + lease + 1,
          leaseMs: LEASE,
        });
        expect(taken).toHaveLength(1);
        const renew = s.renewLeases.bind(s);
        s.renewLeases = async (...args) => {
          const held = await renew(...args);
          renewed();
          return held;
        };
        await renewal;
      },
    });
    worker.start();
    await worker.idle();
    await worker.stop();
    // One attempt: the quick retry would have applied a job another worker holds.
    expect(reads.n).toBe(1);
    const [job] = await store.listJobs({});
    expect(job).toMatchObject({ state: 'running', owner: 'other-worker' });
    expect(await store.listOutcomes({})).toEqual([]);
    await store.close();
  });

  it('keeps quick-retrying while the lease holds', async () => {
    const { store, worker, reads } = await setup(1, false);
    worker.start();
    await worker.idle();
    await worker.stop();
    expect(reads.n).toBe(4); // first try + 3 quick retries
    const [job] = await store.listJobs({});
    expect(job?.state).toBe('pending');
    expect((await store.listOutcomes({}))[0]?.result).toBe('failed');
    await store.close();
  });
});
