/**
 * The `held`, `check` and `init` commands, run in-process through `runCli` against a SQLite file
 * and the Directory API emulator: their output, their effects on the store and the target, and
 * their exit codes (0 success, 1 failure, 2 bad usage or configuration).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Plan } from '../../src/connector/types.ts';
import { parseEnvelope } from '../../src/growrk/envelope.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { type GoogleEmulator, startGoogleEmulator } from '../fakes/google-directory/index.ts';
import { fixture } from '../helpers/fixtures.ts';
import { cli, directoryWrites, SCHEMA } from '../helpers/google-offboarding.ts';

let emu: GoogleEmulator;
beforeAll(async () => {
  emu = await startGoogleEmulator({ seed: 11 });
});
afterAll(async () => {
  await emu.stop();
});
beforeEach(() => {
  emu.reset();
});
afterEach(() => {
  expect(emu.recorder.violations()).toEqual([]);
});

function envFor(extra: Record<string, string> = {}): { env: Record<string, string>; dbPath: string } {
  const dbPath = join(mkdtempSync(join(tmpdir(), 'gs-held-cli-')), 'db.sqlite');
  return {
    dbPath,
    env: {
      DATABASE_URL: `sqlite:${dbPath}`,
      CONNECTORS: 'google-workspace',
      GOOGLE_ACCESS_TOKEN: 'test-token',
      GOOGLE_API_ROOT_URL: emu.url,
      ...extra,
    },
  };
}

function plan(entityId: string): Plan {
  return {
    connector: 'google-workspace',
    kind: 'employee',
    entityId,
    target: { id: `g-${entityId}`, label: `${entityId}@example.com`, adminRole: null },
    ops: [
      { type: 'suspend', destructive: true, description: `suspend ${entityId}@example.com` },
      { type: 'sign-out', destructive: true, description: `sign ${entityId}@example.com out` },
    ],
    notes: [],
  };
}

/** A store with three held changes (as the engine writes them), closed again; emp-1 is in the projection. */
async function seedHeld(dbPath: string): Promise<string[]> {
  const store = new SqliteStore({ path: dbPath });
  await store.migrate();
  const ids: string[] = [];
  try {
    const body = fixture('employee.offboarded');
    (body.employees as Array<Record<string, unknown>>)[0] = {
      ...(body.employees as Array<Record<string, unknown>>)[0],
      id: 'emp-1',
      displayName: 'Ana Pérez',
      email: 'ana.perez@example.com',
    };
    await store.ingest({
      id: 'evt_person1',
      bodyHash: 'person-1',
      receivedAt: Date.now(),
      status: 'accepted',
      event: parseEnvelope(body, []),
      body: JSON.stringify(body),
      jobConnectors: {},
    });
    for (const [i, entityId] of ['emp-1', 'emp-2', 'emp-3'].entries()) {
      const held = await store.addHeld({
        id: `held_test${i}`,
        connector: 'google-workspace',
        kind: 'employee',
        entityId,
        reason: 'destructive budget of 5 per 60 min used up',
        plan: plan(entityId),
        eventIds: [`evt_test${i}`],
        createdAt: Date.now() - (i + 1) * 3_600_000,
      });
      ids.push(held.id);
    }
  } finally {
    await store.close();
  }
  return ids;
}

async function withStore<T>(dbPath: string, task: (store: SqliteStore) => Promise<T>): Promise<T> {
  const store = new SqliteStore({ path: dbPath });
  await store.migrate();
  try {
    return await task(store);
  } finally {
    await store.close();
  }
}

describe('held list | approve | reject', () => {
  it('lists held changes with entity, reason, planned ops and age', async () => {
    const { env, dbPath } = envFor();
    expect((await cli(['held', 'list'], env)).stdout).toContain('no change is waiting for approval');
    const [first] = await seedHeld(dbPath);
    const text = await cli(['held', 'list'], env);
    expect(text.code).toBe(0);
    const lines = text.stdout.split('\n');
    expect(lines[0]).toMatch(/^ID\s+CONNECTOR\s+ENTITY\s+NAME\s+E-MAIL\s+AGE\s+PLANNED OPS\s+REASON$/);
    // The person, from the projection; one the projection does not know shows dashes.
    expect(lines[1]).toMatch(
      new RegExp(
        `^${first}\\s+google-workspace\\s+employee:emp-1\\s+Ana Pérez\\s+ana\\.perez@example\\.com\\s+1h 0m\\s+suspend, sign-out\\s+destructive budget`,
      ),
    );
    expect(lines[2]).toMatch(/^\S+\s+google-workspace\s+employee:emp-2\s+-\s+-\s+2h 0m/);
    expect(text.stdout).toContain('3 change(s) waiting');
    const json = JSON.parse((await cli(['held', 'list', '--json'], env)).stdout) as Array<
      Record<string, unknown>
    >;
    expect(json).toHaveLength(3);
    expect(json[0]).toMatchObject({
      id: first,
      entityId: 'emp-1',
      name: 'Ana Pérez',
      email: 'ana.perez@example.com',
      status: 'held',
      ops: [
        { type: 'suspend', description: 'suspend emp-1@example.com' },
        { type: 'sign-out', description: 'sign emp-1@example.com out' },
      ],
      eventIds: ['evt_test0'],
    });
    expect(json[0]?.ageMs).toBeGreaterThanOrEqual(3_600_000);
  });

  it('approve queues a job for the entity; reject applies nothing; unknown ids fail with exit 1', async () => {
    const { env, dbPath } = envFor({ USER: 'alice' });
    const [a, b, c] = await seedHeld(dbPath);

    const approved = await cli(['held', 'approve', a ?? '', '--json'], env);
    expect(approved.code, approved.stderr).toBe(0);
    expect(JSON.parse(approved.stdout)).toMatchObject([{ id: a, ok: true, status: 'approved', queued: 1 }]);
    const rejected = await cli(['held', 'reject', b ?? ''], env);
    expect(rejected.code, rejected.stderr).toBe(0);
    expect(rejected.stdout).toContain(`${b}: rejected; nothing applied to employee:emp-2`);

    await withStore(dbPath, async (store) => {
      expect(await store.getHeld(a ?? '')).toMatchObject({ status: 'approved', decidedBy: 'cli:alice' });
      expect(await store.getHeld(b ?? '')).toMatchObject({ status: 'rejected', decidedBy: 'cli:alice' });
      expect(await store.getHeld(c ?? '')).toMatchObject({ status: 'held', decidedBy: null });
      const jobs = await store.listJobs({ state: 'pending' });
      expect(jobs).toMatchObject([
        { connector: 'google-workspace', kind: 'employee', entityId: 'emp-1', eventIds: ['evt_test0'] },
      ]);
    });

    // Unknown and already decided ids: a clear message, exit 1; the good id still goes through.
    const mixed = await cli(['held', 'reject', 'held_missing', a ?? '', c ?? ''], env);
    expect(mixed.code).toBe(1);
    expect(mixed.stderr).toContain('no held change held_missing');
    expect(mixed.stderr).toContain(`${a} is already approved (by cli:alice); nothing to do`);
    expect(mixed.stdout).toContain(`${c}: rejected`);
    expect(JSON.parse((await cli(['held', 'list', '--json'], env)).stdout)).toEqual([]);
  });

  it('answers bad usage with exit 2', async () => {
    const { env } = envFor();
    expect((await cli(['held'], env)).code).toBe(2);
    expect((await cli(['held', 'approve'], env)).code).toBe(2);
    expect((await cli(['held', 'list', '--status', 'maybe'], env)).code).toBe(2);
    expect((await cli(['held', 'list', 'held_x'], env)).code).toBe(2);
    expect((await cli(['held', 'reject', 'held_x', '--limit', '3'], env)).code).toBe(2);
  });
});

describe('check and init against the Directory emulator', () => {
  it('check finds the missing schema; init --dry-run writes nothing; init creates it once; check passes', async () => {
    const { env } = envFor();
    const before = await cli(['check'], env);
    expect(before.code).toBe(1);
    expect(before.stdout).toContain('configuration: ok (connectors: google-workspace)');
    expect(before.stdout).toMatch(/ok\s+The store \(SQLite .*db\.sqlite\) opens and is migrated\./);
    expect(before.stdout).toContain(
      `FAIL  The custom schema ${SCHEMA} that records suspensions does not exist: run growrk-sync init.`,
    );
    expect(before.stdout).toContain('1 problem(s) found');

    const dry = await cli(['init', '--dry-run'], env);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`Would create the custom schema ${SCHEMA}`);
    expect(directoryWrites(emu)).toEqual([]);

    const init = await cli(['init', '--json'], env);
    expect(init.code, init.stderr).toBe(0);
    expect(JSON.parse(init.stdout)).toMatchObject({
      ok: true,
      dryRun: false,
      connectors: [{ connector: 'google-workspace', ok: true }],
    });
    expect(emu.state.getSchema(SCHEMA)?.fields.map((f) => f.fieldName)).toContain('suspendedAt');
    expect(directoryWrites(emu)).toHaveLength(1);
    const again = await cli(['init'], env);
    expect(again.stdout).toContain(`The custom schema ${SCHEMA} is in place; nothing to do.`);
    expect(directoryWrites(emu)).toHaveLength(1);

    const after = await cli(['check', '--json'], env);
    expect(after.code, after.stdout).toBe(0);
    const report = JSON.parse(after.stdout) as {
      ok: boolean;
      connectors: Array<{ connector: string; ok: boolean; findings: Array<{ message: string }> }>;
    };
    expect(report.ok).toBe(true);
    expect(report.connectors[0]?.findings.map((f) => f.message)).toContain(
      'Can read users and suspend them (https://www.googleapis.com/auth/admin.directory.user).',
    );
    expect((await cli(['check', '--connector', 'google-workspace'], env)).stdout).toContain(
      'all checks passed',
    );
    expect(directoryWrites(emu)).toHaveLength(1); // check never writes
  });

  it('check names a missing scope in plain words (exit 1)', async () => {
    emu.tokens.add({
      token: 'narrow-token',
      scopes: new Set(['https://www.googleapis.com/auth/admin.directory.user']),
      principal: 'narrow',
    });
    const { env } = envFor({ GOOGLE_ACCESS_TOKEN: 'narrow-token' });
    const result = await cli(['check'], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      'FAIL  Missing scope https://www.googleapis.com/auth/admin.directory.user.security (needed to sign users out and revoke their tokens, app passwords and backup codes)',
    );
    const failing = await cli(['init'], env);
    expect(failing.code).toBe(1);
    expect(failing.stdout).toContain('google-workspace: PROBLEMS');
  });

  it('check and init: exit 2 for bad configuration or an unknown or disabled connector', async () => {
    const { env } = envFor();
    const bad = await cli(['check'], { ...env, GOOGLE_ACCESS_TOKEN: '', PORT: 'nope' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('GOOGLE_ACCESS_TOKEN');
    expect(bad.stderr).toMatch(/port/);
    expect((await cli(['check', '--connector', 'salesforce'], env)).code).toBe(2);
    const disabled = await cli(['init', '--connector', 'hubspot'], env);
    expect(disabled.code).toBe(2);
    expect(disabled.stderr).toContain('connector hubspot is not enabled');
    const none = await cli(['check'], { ...env, CONNECTORS: '' });
    expect(none.code).toBe(0);
    expect(none.stdout).toContain('connectors: none enabled');
    expect((await cli(['init'], { ...env, CONNECTORS: '' })).stdout).toContain('nothing to initialise');
  });
});
