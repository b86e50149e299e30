/**
 * Scheduled reconciliation on a thread of its own (`src/reconcile/isolated.ts`): the scheduler's
 * tick against both vendor emulators and a SQLite store in a file, with the service's connector
 * runtime, whose limiters the thread's calls must draw from.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AppConfig } from '../../src/config/types.ts';
import { createLogger } from '../../src/log.ts';
import { startReconcileScheduler } from '../../src/reconcile/scheduler.ts';
import { CALLS_LIMITER, createConnectorRuntime } from '../../src/sync/runtime.ts';
import { LogCapture } from '../helpers/app.ts';
import {
  directoryUser,
  employee,
  envelope,
  product,
  startWorld,
  type World,
} from '../helpers/reconcile-world.ts';
import { until } from '../helpers/wait.ts';

let w: World;

beforeAll(async () => {
  w = await startWorld({ hubspotPer10s: 1000, hubspotSearchPerSecond: 100 });
});
afterAll(async () => {
  await w.close();
});
beforeEach(async () => {
  await w.reset();
  await w.init();
  await w.ingest([
    envelope(
      'employee.updated',
      Array.from({ length: 12 }, (_, i) => employee(i + 1)),
    ),
    envelope(
      'product.assigned',
      Array.from({ length: 6 }, (_, i) => product(i + 1, i + 1)),
    ),
  ]);
  for (let n = 1; n <= 12; n += 1) w.google.state.addUser(directoryUser(n));
  w.clearCalls();
});

/** A scheduler as `serve` starts it, on the world's store, with its own runtime and captured logs. */
async function scheduler(config: AppConfig, level = 'info') {
  const logs = new LogCapture();
  const runtime = await createConnectorRuntime({ config, store: w.store, logger: createLogger('silent') });
  const started = startReconcileScheduler({
    config,
    store: w.store,
    runtime,
    logger: createLogger(level, logs),
  });
  if (!started) throw new Error('the schedule did not start');
  return { scheduler: started, runtime, logs };
}

const SCHEDULE = { RECONCILE_SCHEDULE: '0 0 1 1 *' };

describe('scheduled reconciliation on its own thread', () => {
  it("stores the run and its report; every vendor call took its slot from the service's limiters", async () => {
    const { scheduler: s, runtime, logs } = await scheduler(w.config(SCHEDULE));
    const outcome = await s.tick();
    await s.stop();
    if (!outcome?.ran) throw new Error(`the run did not run: ${logs.text()}`);
    const report = outcome.report;
    expect(report.status).toBe('applied');
    expect(report.results.applied).toBe(18);
    const stored = await w.store.getRun(report.runId);
    expect(stored).toMatchObject({ trigger: 'schedule', status: 'applied', dryRun: false });
    expect(stored?.result).toEqual({ results: report.results, drift: true });

    const seen: Record<string, number> = {
      'google-workspace': w.google.recorder.calls.length,
      hubspot: w.hubspot.recorder.calls.length,
    };
    for (const c of report.connectors) {
      const service = runtime.connectors.get(c.connector)!;
      // The emulator saw the calls the run counted, and each went through the service's limiter.
      expect(c.calls.actual).toBeGreaterThan(0);
      expect(seen[c.connector]).toBe(c.calls.actual);
      expect(service.limiters.get(CALLS_LIMITER)!.started).toBe(c.calls.actual);
    }
    expect([...runtime.connectors.get('hubspot')!.limiters.keys()]).toEqual([CALLS_LIMITER, 'search']);
    expect(logs.text()).toContain('scheduled reconciliation finished: Plan: 18 to create');
  });

  it('stop() during a run: the run is stored as failed, as the service stops', async () => {
    w.google.faults.add({ kind: 'hold', method: 'GET', path: /\/users$/, count: 1 });
    const { scheduler: s, logs } = await scheduler(w.config(SCHEDULE), 'debug');
    const ticked = s.tick();
    const held = await w.google.faults.waitForHeld();
    const stopped = s.stop();
    await until(
      () => logs.text(),
      () => logs.text().includes('reconcile thread: the run is asked to stop'),
    );
    held.release();
    await stopped;
    expect(await ticked).toBeNull();
    expect(logs.text()).toContain('scheduled reconciliation stopped: the service is shutting down');
    const [run] = await w.store.listRuns(1);
    expect(run).toMatchObject({ trigger: 'schedule', status: 'failed' });
    expect(run?.errors).toEqual([{ code: 'INTERNAL', message: 'the service is shutting down' }]);
  });

  it('a thread out of memory fails its tick naming RECONCILE_THREAD_HEAP_MB; the service thread and the lease live on', async () => {
    const config = w.config(SCHEDULE);
    // Below the configured minimum on purpose: 4 MiB cannot hold the run's modules, so it fails surely.
    const tiny = { ...config, reconcile: { ...config.reconcile, threadHeapMb: 4 } };
    const { scheduler: s, logs } = await scheduler(tiny);
    expect(await s.tick()).toBeNull();
    await s.stop();
    expect(logs.text()).toContain('scheduled reconciliation failed');
    expect(logs.text()).toContain('ran out of memory on its thread');
    expect(logs.text()).toContain('RECONCILE_THREAD_HEAP_MB');

    const next = await scheduler(config);
    const outcome = await next.scheduler.tick();
    await next.scheduler.stop();
    expect(outcome?.ran).toBe(true);
  });
});
