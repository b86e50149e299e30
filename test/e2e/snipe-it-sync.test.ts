/**
 * Acceptance of the Snipe-IT connector through the whole service: the service started in-process
 * (port 0, SQLite in a file), signed GroWrk webhooks over HTTP, the worker, and effects read back
 * from the Snipe-IT emulator: create, assign, ship, return, then an offboarding with an asset
 * still out (reported in the ledger and the reconcile report, never checked in).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { signBody } from '../../src/growrk/signature.ts';
import { createLogger } from '../../src/log.ts';
import { type RunningService, startService } from '../../src/service.ts';
import { type SnipeItEmulator, startSnipeItEmulator } from '../fakes/snipe-it/index.ts';
import { runCliCaptured } from '../helpers/cli.ts';
import { fixture } from '../helpers/fixtures.ts';
import { until } from '../helpers/wait.ts';

const SECRET = 'e2e-snipeit-secret';
const SERIAL = 'C02XK0AAJGH5';

function body(type: string, change: Record<string, unknown>, timestamp: string): string {
  const event = fixture(type);
  const key = Object.keys(event).find((k) => Array.isArray(event[k])) ?? '';
  const entity = (event[key] as Array<Record<string, unknown>>)[0] ?? {};
  return JSON.stringify({ ...event, timestamp, [key]: [{ ...entity, ...change }] });
}

describe('Snipe-IT sync through the service', () => {
  let emu: SnipeItEmulator;
  let running: RunningService;
  let env: Record<string, string>;
  let dir: string;

  beforeAll(async () => {
    emu = await startSnipeItEmulator();
    dir = mkdtempSync(join(tmpdir(), 'gs-snipeit-'));
    env = {
      NODE_ENV: 'test',
      PORT: '0',
      HOST: '127.0.0.1',
      GROWRK_WEBHOOK_SECRET: SECRET,
      DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`,
      CONNECTORS: 'snipe-it',
      SNIPEIT_URL: emu.url,
      SNIPEIT_API_TOKEN: 'snipe-test-token',
      SNIPEIT_MODEL_ID: '1',
      SNIPEIT_CREATE_USERS: 'true',
      RECONCILE_SCHEDULE: 'off',
      LOG_LEVEL: 'silent',
    };
    const init = await runCliCaptured(['init', '--connector', 'snipe-it'], env);
    expect(init.code, init.stdout + init.stderr).toBe(0);
    running = await startService({
      config: loadConfig({ env, cwd: '/nonexistent' }),
      logger: createLogger('silent'),
    });
  });
  afterAll(async () => {
    await running?.close();
    await emu.stop();
    rmSync(dir, { recursive: true, force: true });
    expect(emu.recorder.violations().map((c) => `${c.operation}: ${c.violation}`)).toEqual([]);
  });

  async function post(raw: string): Promise<void> {
    const res = await fetch(`${running.url}/webhooks/growrk`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-growrk-signature': signBody(raw, SECRET) },
      body: raw,
    });
    expect(res.status).toBe(200);
    await until(
      async () => `jobs settled: ${JSON.stringify(await running.store.countJobs())}`,
      async () => {
        await running.worker.idle();
        const jobs = await running.store.countJobs();
        return jobs.pending === 0 && jobs.running === 0;
      },
    );
  }

  const asset = (serial: string) => emu.state.assetBySerial(serial);
  const john = () => emu.state.userByEmail('johndoe@example.com');

  it('create, assign, ship, return, offboard with an asset outstanding', async () => {
    await post(body('product.created', {}, '2024-08-18T09:00:01Z'));
    expect(asset(SERIAL)).toMatchObject({ tag: 'prod-777', assignedUser: null });

    await post(body('product.assigned', {}, '2024-08-20T10:00:01Z'));
    expect(john()).toBeDefined();
    expect(asset(SERIAL)?.assignedUser).toBe(john()?.id);

    const beforeShip = emu.recorder.writes().length;
    await post(body('product.shipped', {}, '2024-08-21T12:00:00Z'));
    expect(asset(SERIAL)?.assignedUser).toBe(john()?.id);
    expect(emu.recorder.writes().length).toBe(beforeShip);

    await post(
      body(
        'product.statusChange',
        { assigned: false, employee: null, status: 'Returned' },
        '2024-09-01T00:00:00Z',
      ),
    );
    expect(asset(SERIAL)?.assignedUser).toBeNull();
    expect(asset(SERIAL)?.checkinCounter).toBe(1);

    await post(body('product.assigned', { id: 'prod-888', serialNumber: 'SN-888' }, '2024-09-02T00:00:00Z'));
    expect(asset('SN-888')?.assignedUser).toBe(john()?.id);

    const beforeOffboard = emu.recorder.writes().length;
    await post(body('employee.offboarded', {}, '2024-09-30T00:00:00Z'));
    expect(emu.recorder.writes().length).toBe(beforeOffboard);
    expect(asset('SN-888')?.assignedUser).toBe(john()?.id);
    const outcomes = await running.store.listOutcomes({ connector: 'snipe-it', limit: 100 });
    const offboarding = outcomes.find((o) => o.kind === 'employee' && o.summary.startsWith('returns:'));
    expect(offboarding?.summary).toContain('employee emp-12345 is offboarded and still has 1 asset(s)');
    expect(offboarding?.summary).toContain('prod-888 (serial SN-888)');
    expect(outcomes.filter((o) => o.result === 'failed' || o.result === 'dead')).toEqual([]);

    const report = await runCliCaptured(['reconcile', '--dry-run', '--connector', 'snipe-it'], env);
    expect(report.stdout).toContain('employee emp-12345: returns:');
    expect(report.stdout).toContain('prod-888');
    expect(emu.recorder.writes().length).toBe(beforeOffboard);
  });
});
