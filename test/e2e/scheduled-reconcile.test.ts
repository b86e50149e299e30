/**
 * Scheduled reconciliation in production shape: `growrk-sync serve` started as a child process the
 * way `npm start` starts it, with a schedule, against both vendor emulators (in this process) and a
 * SQLite store in a file. The run goes on its own thread (the default RECONCILE_THREAD_HEAP_MB);
 * it must finish, be stored with its report, and have changed the targets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  directoryUser,
  employee,
  envelope,
  product,
  startWorld,
  type World,
} from '../helpers/reconcile-world.ts';
import { startServiceProcess } from '../helpers/service-process.ts';

let w: World;

beforeAll(async () => {
  w = await startWorld({ hubspotPer10s: 1000, hubspotSearchPerSecond: 100 });
});
afterAll(async () => {
  await w.close();
});

describe('serve with a schedule', () => {
  it('runs a scheduled reconciliation on its thread, stores it with its report and applies it', async () => {
    await w.init();
    await w.ingest([
      envelope(
        'employee.updated',
        Array.from({ length: 10 }, (_, i) => employee(i + 1)),
      ),
      envelope(
        'product.assigned',
        Array.from({ length: 5 }, (_, i) => product(i + 1, i + 1)),
      ),
    ]);
    for (let n = 1; n <= 10; n += 1) w.google.state.addUser(directoryUser(n));
    // Employee 10 left: the run suspends the directory account (within the budget).
    await w.ingest([
      envelope('employee.offboarded', [employee(10, { status: 'offboarded' })], '2024-10-01T09:00:00Z'),
    ]);
    w.clearCalls();

    const service = await startServiceProcess({
      ...w.env,
      GROWRK_WEBHOOK_SECRET: 'e2e-secret',
      LOG_LEVEL: 'info',
      RECONCILE_SCHEDULE: '* * * * * *',
    });
    let line: string;
    try {
      line = await service.waitForLine((l) => /"msg":"scheduled reconciliation (finished|failed)/.test(l));
    } finally {
      expect(await service.stop()).toBe(0);
    }
    const logged = JSON.parse(line) as { msg: string; runId: string; status: string; component: string };
    expect(logged).toMatchObject({ component: 'reconcile', status: 'applied' });
    expect(logged.msg).toContain('Plan: 15 to create, 0 to update, 1 to suspend');

    const run = await w.store.getRun(logged.runId);
    expect(run).toMatchObject({ trigger: 'schedule', status: 'applied', dryRun: false, errors: [] });
    const plan = run?.plan as { connectors: Array<{ connector: string; listed: number }> } | null;
    expect(plan?.connectors.map((c) => [c.connector, c.listed])).toEqual([
      ['google-workspace', 11], // and the emulator's own administrator
      ['hubspot', 0],
    ]);
    expect(w.google.state.getUser('user10@example.com')?.suspended).toBe(true);
    const contacts = w.hubspot.state.findType('contacts')!;
    expect(w.hubspot.state.list(contacts, false)).toHaveLength(10);
    expect(w.google.recorder.violations()).toEqual([]);
    expect(w.hubspot.recorder.violations()).toEqual([]);
  }, 120_000);
});
