/**
 * Privacy canaries (issue 10, item 3): every field no mapping uses carries a unique canary value,
 * under GroWrk's names and others (`tax_id`, `ssn`, `birthDate`, `salary`, custom fields, deep
 * inside unknown objects), in accepted, rejected, not-JSON and over-limit bodies. None may reach
 * the logs (at trace), the SQLite file or its WAL, any PostgreSQL table, the admin API or the CLI.
 * The fields the mappings use (including one an operator mapped) must be there.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { keepFieldsFor } from '../../src/core/privacy-policy.ts';
import { signBody } from '../../src/growrk/signature.ts';
import type { EntityKind } from '../../src/growrk/types.ts';
import { resolveConnection } from '../../src/store/postgres/connection.ts';
import { openThreadedSqliteStore } from '../../src/store/sqlite/threaded.ts';
import type { Store } from '../../src/store/types.ts';
import { testApp } from '../helpers/app.ts';
import { runCliCaptured } from '../helpers/cli.ts';
import { fixture } from '../helpers/fixtures.ts';
import { postgresHarness, TEST_DATABASE_URL } from '../helpers/stores.ts';

const SECRET = 'test-secret';
const TOKEN = 'canary-admin-token-0123456789abcdef';
const CANARY = 'CNRY';
const harness = postgresHarness();
afterAll(() => harness.cleanup());

type Json = Record<string, unknown>;

const ENV = {
  LOG_LEVEL: 'trace',
  ADMIN_TOKEN: TOKEN,
  CONNECTORS: 'hubspot',
  HUBSPOT_ACCESS_TOKEN: 'hs-token',
  // An operator's own mapping: its field must be kept.
  HUBSPOT_CONTACT_PROPERTIES: JSON.stringify({ email: 'email', growrk_start: 'startDate' }),
};
const KEEP = keepFieldsFor(
  loadConfig({ env: { GROWRK_WEBHOOK_SECRET: SECRET, ...ENV }, cwd: '/nonexistent' }),
);

/** Replaces every value outside what this configuration keeps (at any depth) with a canary. */
function canaried(entity: Json, kind: EntityKind, prefix = ''): Json {
  const keep = KEEP[kind];
  const out: Json = {};
  for (const [key, value] of Object.entries(entity)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (keep.includes(path)) out[key] = value;
    else if (
      value !== null &&
      typeof value === 'object' &&
      !Array.isArray(value) &&
      keep.some((k) => k.startsWith(`${path}.`))
    )
      out[key] = canaried(value as Json, kind, path);
    else out[key] = `${CANARY}-${kind}-${path}`;
  }
  return out;
}

/** The hostile extras: sensitive data under names no drop list knows, at depth and in arrays. */
function extras(kind: string): Json {
  return {
    tax_id: `${CANARY}-${kind}-tax_id`,
    ssn: `${CANARY}-${kind}-ssn`,
    birthDate: `${CANARY}-${kind}-birthDate`,
    salary: `${CANARY}-${kind}-salary`,
    customFields: [{ name: 'taxId', value: `${CANARY}-${kind}-custom` }],
    profile: { private: { notes: [{ text: `${CANARY}-${kind}-deep` }] } },
  };
}

function bodies(): Array<{ name: string; body: string; signed: boolean }> {
  const out: Array<{ name: string; body: string; signed: boolean }> = [];
  for (const [type, kind, key] of [
    ['employee.created', 'employee', 'employees'],
    ['product.assigned', 'product', 'products'],
    ['order.created', 'order', 'orders'],
  ] as const) {
    const json = fixture(type);
    const entity = (json[key] as Json[])[0]!;
    const hostile = { ...canaried(entity, kind), ...extras(kind), startDate: '2024-01-15' };
    out.push({
      name: type,
      body: JSON.stringify({ ...json, [key]: [hostile], envelopeExtra: `${CANARY}-envelope` }),
      signed: true,
    });
  }
  const employee = fixture('employee.updated');
  const first = (employee.employees as Json[])[0]!;
  const invalid = {
    ...employee,
    timestamp: 'not a date',
    employees: [{ ...canaried(first, 'employee'), ...extras('invalid') }],
  };
  out.push({ name: 'invalid envelope', body: JSON.stringify(invalid), signed: true });
  out.push({
    name: 'not JSON',
    body: `{"event": "employee.updated", "taxId": "${CANARY}-raw", oops`,
    signed: true,
  });
  const deep = `{"event":"employee.updated","x":${'['.repeat(200)}"${CANARY}-deep-limit"${']'.repeat(200)}}`;
  out.push({ name: 'too deep', body: deep, signed: true });
  out.push({
    name: 'unsigned',
    body: JSON.stringify({ event: 'employee.updated', ssn: `${CANARY}-unsigned` }),
    signed: false,
  });
  return out;
}

/** Sends every body through the app, then reads the admin API and returns all it answered. */
async function exercise(store: Store, env: Record<string, string> = {}) {
  const t = await testApp({ ...ENV, ...env }, { store });
  const answers: string[] = [];
  for (const { body, signed } of bodies()) {
    const res = await t.app.inject({
      method: 'POST',
      url: '/webhooks/growrk',
      headers: {
        'content-type': 'application/json',
        'x-growrk-signature': signed ? signBody(body, SECRET) : 'AAAA',
      },
      payload: body,
    });
    answers.push(res.body);
  }
  const auth = { authorization: `Bearer ${TOKEN}` };
  const list = await t.app.inject({ method: 'GET', url: '/api/events?limit=100', headers: auth });
  answers.push(list.body);
  const ids = (list.json() as { events: Array<{ id: string }> }).events.map((e) => e.id);
  for (const id of ids)
    answers.push((await t.app.inject({ method: 'GET', url: `/api/events/${id}`, headers: auth })).body);
  return { t, answers: answers.join('\n'), ids };
}

describe('privacy canaries', () => {
  it('SQLite: nothing outside the allowlist in logs at trace, the database file, its WAL, the API or the CLI', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gs-canary-'));
    const path = join(dir, 'db.sqlite');
    const store = openThreadedSqliteStore({ path });
    const { t, answers, ids } = await exercise(store);
    try {
      expect(ids).toHaveLength(6);
      // Read while open: the WAL holds the latest commits.
      const file = readFileSync(path).toString('latin1');
      const wal = existsSync(`${path}-wal`) ? readFileSync(`${path}-wal`).toString('latin1') : '';
      const cli: string[] = [];
      const env = { DATABASE_URL: `sqlite:${path}` };
      cli.push((await runCliCaptured(['events', 'list', '--json', '--limit', '100'], env, dir)).stdout);
      for (const id of ids) {
        const shown = await runCliCaptured(['events', 'show', id], env, dir);
        cli.push(shown.stdout, shown.stderr);
        cli.push((await runCliCaptured(['events', 'show', id, '--json'], env, dir)).stdout);
      }
      const places = { logs: t.logs.text(), file, wal, api: answers, cli: cli.join('\n') };
      for (const [place, text] of Object.entries(places)) {
        expect(text.match(/CNRY-[\w.-]+/g) ?? [], place).toEqual([]);
      }
      // Not vacuous: what the mappings use is kept, the operator's mapped field too.
      expect(`${file}${wal}`).toContain('Software Engineer');
      expect(`${file}${wal}`).toContain('2024-01-15');
      expect(cli.join('\n')).toContain('johndoe@example.com');
    } finally {
      await t.close();
    }
  });

  it('PostgreSQL: nothing outside the allowlist in any table, the logs at trace or the API', async () => {
    const store = await harness.open();
    const { t, answers, ids } = await exercise(store);
    try {
      expect(ids).toHaveLength(6);
      const client = new pg.Client({
        connectionString: resolveConnection(TEST_DATABASE_URL).connectionString,
      });
      await client.connect();
      let tables = '';
      try {
        const names = await client.query<{ table_name: string }>(
          'SELECT table_name FROM information_schema.tables WHERE table_schema = $1',
          [store.schema],
        );
        expect(names.rows.length).toBeGreaterThan(5);
        for (const { table_name } of names.rows) {
          const rows = await client.query(`SELECT * FROM "${store.schema}"."${table_name}"`);
          tables += `${JSON.stringify(rows.rows)}\n`;
        }
      } finally {
        await client.end();
      }
      for (const [place, text] of Object.entries({ tables, logs: t.logs.text(), api: answers })) {
        expect(text.match(/CNRY-[\w.-]+/g) ?? [], place).toEqual([]);
      }
      expect(tables).toContain('Software Engineer');
      expect(tables).toContain('2024-01-15');
    } finally {
      await t.close();
    }
  });
});
