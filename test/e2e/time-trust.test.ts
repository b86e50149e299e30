/**
 * Time you can trust, end to end: signed webhooks over HTTP into the service (in-process, on the
 * threaded SQLite store and on PostgreSQL), the real Google connector, and the Directory emulator.
 * A future-dated event is refused and cannot freeze the employee.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { createLogger } from '../../src/log.ts';
import { type RunningService, startService } from '../../src/service.ts';
import { type GoogleEmulator, startGoogleEmulator } from '../fakes/google-directory/index.ts';
import { cli, employeeBody, postSigned, seedPerson, seedSchema } from '../helpers/google-offboarding.ts';
import { postgresHarness, TEST_DATABASE_URL } from '../helpers/stores.ts';

const SECRET = 'time-trust-secret';

let emu: GoogleEmulator;
const services: RunningService[] = [];
const pg = postgresHarness();

beforeAll(async () => {
  emu = await startGoogleEmulator({ seed: 9 });
});
afterAll(async () => {
  await emu.stop();
  await pg.cleanup();
});
beforeEach(() => {
  emu.reset();
});
afterEach(async () => {
  for (const service of services.splice(0)) await service.close();
  expect(emu.recorder.violations()).toEqual([]);
});

/** A database URL of each store kind: a fresh SQLite file, or a fresh PostgreSQL schema. */
const STORES: Array<{ name: string; url: () => string }> = [
  { name: 'sqlite', url: () => `sqlite:${join(mkdtempSync(join(tmpdir(), 'gs-time-')), 'db.sqlite')}` },
  {
    name: 'postgres',
    url: () => {
      const url = new URL(TEST_DATABASE_URL);
      url.searchParams.set('schema', pg.newSchema());
      return url.toString();
    },
  },
];

async function start(databaseUrl: string): Promise<{ service: RunningService; env: Record<string, string> }> {
  const env = {
    GROWRK_WEBHOOK_SECRET: SECRET,
    DATABASE_URL: databaseUrl,
    CONNECTORS: 'google-workspace',
    GOOGLE_ACCESS_TOKEN: 'test-token',
    GOOGLE_API_ROOT_URL: emu.url,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    JOB_POLL_INTERVAL: '50ms',
    RECONCILE_SCHEDULE: 'off',
  };
  const config = loadConfig({ env, cwd: '/nonexistent' });
  const service = await startService({ config, logger: createLogger('silent'), cwd: '/nonexistent' });
  services.push(service);
  return { service, env };
}

describe.each(STORES)('on $name', (kind) => {
  it('refuses an employee.updated dated 9999 (400 TIMESTAMP_IN_FUTURE, kept as rejected); the offboarding after it suspends', async () => {
    const { service, env } = await start(kind.url());
    seedSchema(emu);
    const user = seedPerson(emu, 1, {}, { linked: true });

    const frozen = employeeBody('employee.updated', 1, (employee, envelope) => {
      envelope.timestamp = '9999-12-31T23:59:59Z';
      employee.status = 'active';
    });
    const refused = await postSigned(service.url, frozen, SECRET);
    expect(refused.status).toBe(400);
    expect(refused.json).toMatchObject({ error: { code: 'TIMESTAMP_IN_FUTURE' } });

    const offboarded = await postSigned(service.url, employeeBody('employee.offboarded', 1), SECRET);
    expect(offboarded.status).toBe(200);
    await service.worker.idle();
    expect(emu.state.getUser(user.id)).toMatchObject({ suspended: true });

    // The refused event is on record, with its reason; a redelivery is refused again.
    const listed = await cli(['events', 'list', '--status', 'rejected', '--json'], env);
    expect(listed.code, listed.stderr).toBe(0);
    const rejected = JSON.parse(listed.stdout) as Array<{
      type: string;
      timestamp: string;
      entityKeys: string[];
      error: { code: string; message: string };
    }>;
    expect(rejected).toEqual([
      expect.objectContaining({
        type: 'employee.updated',
        timestamp: '9999-12-31T23:59:59.000Z',
        entityKeys: ['employee:emp-1'],
        error: expect.objectContaining({ code: 'TIMESTAMP_IN_FUTURE' }),
      }),
    ]);
    expect((await postSigned(service.url, frozen, SECRET)).status).toBe(400);
    expect((await service.store.getEntity('employee', 'emp-1'))?.data.status).toBe('offboarded');
  });
});
