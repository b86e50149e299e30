/**
 * Time you can trust, end to end: signed webhooks over HTTP into the service (in-process, on the
 * threaded SQLite store and on PostgreSQL), the real Google connector, and the Directory emulator.
 * A future-dated event is refused and cannot freeze the employee; an event a newer one overtook is
 * recorded as superseded (in `events show`); an offboarding is undone only by a re-activation.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningService } from '../../src/service.ts';
import type { Job, Outcome } from '../../src/store/types.ts';
import { type GoogleEmulator, startGoogleEmulator } from '../fakes/google-directory/index.ts';
import { startServiceFromEnv } from '../helpers/app.ts';
import {
  cli,
  employeeBody,
  postSigned,
  seedPerson,
  seedSchema,
  until,
} from '../helpers/google-offboarding.ts';
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

async function start(
  databaseUrl: string,
  extra: Record<string, string> = {},
): Promise<{ service: RunningService; env: Record<string, string> }> {
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
    ...extra,
  };
  const service = await startServiceFromEnv(env);
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

/** A small seeded generator (mulberry32): the same shuffle on every run. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let r = Math.imul(a ^ (a >>> 15), 1 | a);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** What `events show ID --json` prints. */
interface Shown {
  event: { id: string; status: string };
  jobs: Job[];
  outcomes: Outcome[];
}

async function show(env: Record<string, string>, id: string): Promise<Shown> {
  const run = await cli(['events', 'show', id, '--json'], env);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as Shown;
}

const BASE = Date.parse('2024-10-01T00:00:00Z');
const versionBody = (v: number) =>
  employeeBody('employee.updated', 1, (employee, envelope) => {
    envelope.timestamp = new Date(BASE + v * 60_000).toISOString();
    employee.jobTitle = `Title ${v}`;
  });

describe.each(STORES)('superseded events on $name', (kind) => {
  it('twenty versions of one employee, shuffled with duplicates, end on the newest; each one a newer one overtook shows superseded, naming it', async () => {
    const { service, env } = await start(kind.url());
    seedSchema(emu);
    const user = seedPerson(emu, 1, {}, { linked: true });
    const random = rng(42);
    const versions = Array.from({ length: 20 }, (_, i) => i + 1);
    for (let i = versions.length - 1; i > 0; i -= 1) {
      const j = Math.floor(random() * (i + 1));
      [versions[i], versions[j]] = [versions[j]!, versions[i]!];
    }
    // Six redeliveries of versions already sent, each right after a random later point.
    const order = [...versions];
    for (let d = 0; d < 6; d += 1) {
      const at = 1 + Math.floor(random() * order.length);
      const seen = order.slice(0, at);
      order.splice(at, 0, seen[Math.floor(random() * seen.length)]!);
    }

    const idOf = new Map<number, string>();
    const expected = new Map<number, number | null>(); // version -> the version that superseded it
    let newest = 0;
    for (const v of order) {
      const res = await postSigned(service.url, versionBody(v), SECRET);
      expect(res.status).toBe(200);
      if (idOf.has(v)) {
        expect(res.json).toEqual({ id: idOf.get(v), duplicate: true });
        continue;
      }
      expect(res.json.duplicate).toBe(false);
      idOf.set(v, res.json.id ?? '');
      expected.set(v, newest > v ? newest : null);
      newest = Math.max(newest, v);
    }
    await service.worker.idle();

    expect((await service.store.getEntity('employee', 'emp-1'))?.data.jobTitle).toBe('Title 20');
    expect(emu.state.getUser(user.id)?.organizations).toEqual([
      expect.objectContaining({ primary: true, title: 'Title 20' }),
    ]);
    const superseded = [...expected.values()].filter((by) => by !== null).length;
    expect(superseded).toBeGreaterThan(5);
    for (const [v, by] of expected) {
      const shown = await show(env, idOf.get(v)!);
      const rows = shown.outcomes.filter((o) => o.result === 'superseded');
      if (by === null) {
        // Applied when it came: it has its sync job (and no superseded row).
        expect(rows, `version ${v}`).toEqual([]);
        expect(shown.jobs.length, `version ${v}`).toBeGreaterThan(0);
        continue;
      }
      expect(shown.jobs, `version ${v}`).toEqual([]);
      expect(rows, `version ${v}`).toEqual([
        expect.objectContaining({
          connector: '-',
          kind: 'employee',
          entityId: 'emp-1',
          detail: expect.objectContaining({ supersededBy: idOf.get(by) }),
        }),
      ]);
    }
    // The text view says it too.
    const oldest = [...expected].find(([, by]) => by !== null)!;
    const text = await cli(['events', 'show', idOf.get(oldest[0])!], env);
    expect(text.stdout).toMatch(new RegExp(`superseded +superseded by ${idOf.get(oldest[1]!)}`));
  });
});

describe.each(STORES)('sticky offboarding on $name', (kind) => {
  it('a newer update that only changes the job title keeps the person offboarded and suspended; a newer re-activation undoes it', async () => {
    const { service, env } = await start(kind.url());
    seedSchema(emu);
    const user = seedPerson(emu, 1, {}, { linked: true });
    const offboarding = await postSigned(service.url, employeeBody('employee.offboarded', 1), SECRET);
    expect(offboarding.status).toBe(200);
    await service.worker.idle();
    expect(emu.state.getUser(user.id)).toMatchObject({ suspended: true });

    // GroWrk updates the title a day later, without a status: merged, but still offboarded.
    const retitled = employeeBody('employee.updated', 1, (employee, envelope) => {
      envelope.timestamp = '2024-10-01T17:00:00Z';
      employee.jobTitle = 'Principal Engineer';
      delete employee.status;
    });
    expect((await postSigned(service.url, retitled, SECRET)).status).toBe(200);
    await service.worker.idle();
    const kept = await service.store.getEntity('employee', 'emp-1');
    expect(kept?.data).toMatchObject({ status: 'offboarded', jobTitle: 'Principal Engineer' });
    expect(kept?.ts).toBe(Date.parse('2024-10-01T17:00:00Z'));
    expect(emu.state.getUser(user.id)).toMatchObject({ suspended: true });

    // An older "active" (delivered late) is superseded and changes nothing.
    const stale = employeeBody('employee.updated', 1, (_employee, envelope) => {
      envelope.timestamp = '2024-09-01T00:00:00Z';
    });
    const late = await postSigned(service.url, stale, SECRET);
    await service.worker.idle();
    const outcomes = await service.store.listOutcomes({ eventId: late.json.id ?? '' });
    expect(outcomes.map((o) => o.result)).toEqual(['superseded']);
    expect(emu.state.getUser(user.id)).toMatchObject({ suspended: true });

    // No reactivation was ever planned for the merged update.
    expect(await service.store.listHeld({})).toEqual([]);

    // A newer event that clearly re-activates (a rehire) undoes the offboarding in the projection;
    // the reactivation itself stays guarded (held for approval), and approving it reactivates.
    const rehired = employeeBody('employee.updated', 1, (employee, envelope) => {
      envelope.timestamp = '2024-11-01T09:00:00Z';
      employee.status = 'active';
    });
    expect((await postSigned(service.url, rehired, SECRET)).status).toBe(200);
    await service.worker.idle();
    expect((await service.store.getEntity('employee', 'emp-1'))?.data.status).toBe('active');
    const held = await service.store.listHeld({ status: 'held' });
    expect(held.map((h) => h.entityId)).toEqual(['emp-1']);
    expect(emu.state.getUser(user.id)).toMatchObject({ suspended: true });
    const approved = await cli(['held', 'approve', held[0]?.id ?? ''], env);
    expect(approved.code, approved.stderr).toBe(0);
    await until(
      'the approved reactivation to be applied',
      () => emu.state.getUser(user.id)?.suspended === false,
    );
  });
});
