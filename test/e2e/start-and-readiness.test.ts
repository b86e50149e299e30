/**
 * Honest readiness and start errors (issue 10, items 5 and 6): /readyz proves the store can
 * commit; a start that cannot write exits 1 with one line naming DATABASE_URL; bad configuration
 * exits 2 naming the variable; SIGTERM and SIGINT to `npm start` stop the service itself.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConnection } from '../../src/store/postgres/connection.ts';
import { openPostgresStore } from '../../src/store/postgres/store.ts';
import { testApp } from '../helpers/app.ts';
import { postgresHarness, TEST_DATABASE_URL } from '../helpers/stores.ts';
import { until } from '../helpers/wait.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'src/cli/bin.js');
const harness = postgresHarness();
const role = `gs_ro_${process.pid}`;
const admin = () =>
  new pg.Client({ connectionString: resolveConnection(TEST_DATABASE_URL).connectionString });

afterAll(async () => {
  await harness.cleanup();
  const client = admin();
  await client.connect();
  try {
    await client.query(`DROP OWNED BY ${role}`).catch(() => {});
    await client.query(`DROP ROLE IF EXISTS ${role}`);
  } finally {
    await client.end();
  }
});

/** A migrated schema and a URL for a role that may read its tables but not write them. */
async function readOnlyDatabase(): Promise<{ url: string; schema: string }> {
  const store = await harness.open();
  const schema = store.schema;
  await store.close();
  const client = admin();
  await client.connect();
  try {
    await client.query(
      `DO $$ BEGIN CREATE ROLE ${role} LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$`,
    );
    // CREATE on the schema lets the migration's `CREATE TABLE IF NOT EXISTS` find its tables; no
    // table may be written.
    await client.query(`GRANT USAGE, CREATE ON SCHEMA "${schema}" TO ${role}`);
    await client.query(`GRANT SELECT ON ALL TABLES IN SCHEMA "${schema}" TO ${role}`);
  } finally {
    await client.end();
  }
  const url = new URL(TEST_DATABASE_URL);
  url.username = role;
  url.searchParams.set('schema', schema);
  return { url: url.toString(), schema };
}

/** Runs `growrk-sync serve` to its end (it must fail to start); stdout and stderr together. */
function serveOnce(env: Record<string, string>): { status: number | null; output: string } {
  const run = spawnSync(process.execPath, [BIN, 'serve'], {
    cwd: mkdtempSync(join(tmpdir(), 'gs-start-')),
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}`.trim() };
}

describe('readiness and start', () => {
  it('/readyz is 503 when the store can be read but not written', async () => {
    const { url, schema } = await readOnlyDatabase();
    const store = await openPostgresStore({
      url,
      schema,
      poolSize: 2,
      connectTimeoutMs: 3000,
      statementTimeoutMs: 5000,
    });
    const t = await testApp({}, { store });
    try {
      expect(await store.ready()).toBe(true);
      const res = await t.app.inject({ method: 'GET', url: '/readyz' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({ status: 'not ready', store: 'postgres' });
    } finally {
      await t.close();
    }
    const writable = await harness.open();
    const ok = await testApp({}, { store: writable });
    try {
      expect((await ok.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    } finally {
      await ok.close();
    }
  });

  it('a start on a store that cannot be written exits 1 with one line naming DATABASE_URL', async () => {
    const { url } = await readOnlyDatabase();
    const run = serveOnce({ DATABASE_URL: url });
    expect(run.status).toBe(1);
    expect(run.output.split('\n')).toHaveLength(1);
    expect(run.output).toMatch(
      /^growrk-sync serve: STORE_UNAVAILABLE: DATABASE_URL \(PostgreSQL at [^)]+\): .*permission denied/,
    );
  });

  it('an unreachable PostgreSQL or an unusable SQLite path exits 1 with one line naming DATABASE_URL, no stack', () => {
    const refused = serveOnce({
      DATABASE_URL: 'postgres://user:hunter2@127.0.0.1:1/nowhere',
      DATABASE_CONNECT_TIMEOUT: '2s',
    });
    expect(refused.status).toBe(1);
    expect(refused.output).toMatch(
      /^growrk-sync serve: STORE_UNAVAILABLE: DATABASE_URL \(PostgreSQL at 127\.0\.0\.1:1\/nowhere\): .*ECONNREFUSED/,
    );
    expect(refused.output.split('\n')).toHaveLength(1);
    expect(refused.output).not.toContain('hunter2');
    const dir = mkdtempSync(join(tmpdir(), 'gs-start-'));
    writeFileSync(join(dir, 'a-file'), '');
    const sqlite = serveOnce({ DATABASE_URL: `sqlite:${join(dir, 'a-file', 'db.sqlite')}` });
    expect(sqlite.status).toBe(1);
    expect(sqlite.output).toMatch(
      /^growrk-sync serve: STORE_UNAVAILABLE: DATABASE_URL \(SQLite at .*a-file\/db\.sqlite\): /,
    );
    expect(sqlite.output.split('\n')).toHaveLength(1);
  });

  it('bad configuration exits 2 naming the variable', () => {
    const run = serveOnce({ PORT: 'abc' });
    expect(run.status).toBe(2);
    expect(run.output).toBe(
      'invalid configuration: PORT (port): ports must be within range 0 - 65535: value was "abc"',
    );
  });

  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s to npm start stops the service itself (no orphan left serving)',
    async (signal) => {
      const dir = mkdtempSync(join(tmpdir(), 'gs-npm-'));
      const child: ChildProcess = spawn('npm', ['start', '--silent'], {
        cwd: ROOT,
        env: {
          ...process.env,
          PORT: '0',
          HOST: '127.0.0.1',
          DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`,
          LOG_LEVEL: 'info',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout?.on('data', (c: Buffer) => (output += c.toString('utf8')));
      child.stderr?.on('data', (c: Buffer) => (output += c.toString('utf8')));
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const line = await until('the service to listen', () =>
        output.split('\n').find((l) => l.includes('"growrk-sync listening"')),
      );
      const url = (JSON.parse(line) as { url: string }).url;
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      child.kill(signal);
      await exited;
      await until(`the service to stop after ${signal}`, () => output.includes('"msg":"stopped"'));
      await until('nothing to answer on the port any more', () =>
        fetch(`${url}/healthz`).then(
          () => false,
          () => true,
        ),
      );
    },
  );
});
