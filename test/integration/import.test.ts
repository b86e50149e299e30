/**
 * `import FILE` through the CLI, in-process, on a SQLite store in a file: JSON lines of webhook
 * bodies and CSV of employees or products, with bad rows reported by line number.
 */

import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ImportSummary } from '../../src/reconcile/import.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { type CliRun, runCliCaptured } from '../helpers/cli.ts';
import { fixture, SENSITIVE_VALUES } from '../helpers/fixtures.ts';

const root = mkdtempSync(join(tmpdir(), 'gs-import-'));
let dir: string;
let store: SqliteStore;

beforeEach(async () => {
  dir = mkdtempSync(join(root, 'case-'));
  store = new SqliteStore({ path: join(dir, 'store.db') });
  await store.migrate();
});
afterEach(async () => {
  await store.close();
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

function cli(args: string[]): Promise<CliRun> {
  return runCliCaptured(
    args,
    { NODE_ENV: 'test', DATABASE_URL: `sqlite:${join(dir, 'store.db')}`, LOG_LEVEL: 'silent' },
    dir,
  );
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function storedText(): Promise<string> {
  const events = await store.listEvents({ limit: 1000 });
  const entities = [
    ...(await store.listEntities('employee', { limit: 1000 })),
    ...(await store.listEntities('product', { limit: 1000 })),
  ];
  return JSON.stringify({ events: events.map((e) => e.body), entities });
}

describe('import', () => {
  it('imports JSON lines of webhook bodies: duplicates, unknown types and bad lines reported by line number', async () => {
    const offboarded = JSON.stringify(fixture('employee.offboarded'));
    const assigned = JSON.stringify(fixture('product.assigned'));
    const noTimestamp = JSON.stringify({ ...fixture('employee.created'), timestamp: undefined });
    const unknown = JSON.stringify({
      event: 'employee.promoted',
      timestamp: '2024-09-01T00:00:00Z',
      companyId: '1',
    });
    const path = file(
      'export.jsonl',
      [offboarded, offboarded, '{"event": "employee.created", ', noTimestamp, unknown, '', assigned, ''].join(
        '\n',
      ),
    );
    const first = await cli(['import', path, '--json']);
    expect(first.code).toBe(1);
    const s = JSON.parse(first.stdout) as ImportSummary;
    expect(s).toMatchObject({ format: 'jsonl', read: 6, imported: 2, duplicate: 1, skipped: 1, bad: 2 });
    expect(s.problems.map((p) => p.line)).toEqual([3, 4]);
    expect(s.problems[0]?.reason).toContain('not valid JSON');
    expect(s.problems[1]?.reason).toContain('"timestamp"');
    expect(Object.keys(s.skippedReasons)[0]).toContain('employee.promoted');
    expect(s.entities).toEqual({ employee: 1, product: 1 });
    // Same validation and privacy as webhooks: nothing sensitive is stored.
    const snapshot = await store.getEntity('employee', 'emp-12345');
    expect(snapshot?.data.status).toBe('offboarded');
    const stored = await storedText();
    for (const value of SENSITIVE_VALUES) expect(stored).not.toContain(value);
    expect(await store.getEntity('product', 'prod-777')).not.toBeNull();
    // Bad lines are not stored at all (no rejected events from a file).
    expect(await store.listEvents({ status: 'rejected' })).toEqual([]);

    const again = await cli(['import', path]);
    expect(again.code).toBe(1);
    expect(again.stdout).toContain('imported   0');
    expect(again.stdout).toContain('duplicate  4');
    expect(again.stdout).toMatch(/line 3: .*not valid JSON/);
    expect(again.stdout).toMatch(/line 4: .*"timestamp"/);
  });

  it('imports a CSV of employees: nested columns, status, sensitive columns dropped, bad rows by line', async () => {
    const path = file(
      'employees.csv',
      [
        'id,email,displayName,status,jobTitle,department,manager.email,taxId,dateOfBirth',
        'emp-1,ana@example.com,Ana Ruiz,active,Engineer,Engineering,boss@example.com,TAX-000-11-2222,1990-04-01',
        'emp-2,bo@example.com,Bo Li,offboarded,Designer,Design,,NID-123-45-6789,1990-04-01',
        ',nobody@example.com,No Id,active,,,,,',
        'emp-4,four@example.com,Four,active,Engineer,Engineering,,,,extra',
        'emp-5,five@example.com,"Five, ""the"" Fifth",active,"Staff',
        'Engineer",Engineering,,,',
        'emp-6,six@example.com,Six,active,Eng"ineer,Engineering,,,',
        '',
        'emp-7,seven@example.com,Seven,active,Engineer,Engineering,,,',
      ].join('\r\n'),
    );
    const run = await cli(['import', path, '--timestamp', '2024-06-01T00:00:00Z', '--json']);
    expect(run.code).toBe(1);
    const s = JSON.parse(run.stdout) as ImportSummary;
    expect(s).toMatchObject({ format: 'csv', kind: 'employee', read: 7, imported: 4, duplicate: 0, bad: 3 });
    expect(s.problems).toEqual([
      { line: 4, reason: 'missing id' },
      { line: 5, reason: '10 cells, but the header has 9 columns' },
      { line: 8, reason: expect.stringContaining('a quote inside an unquoted field') },
    ]);
    expect(s.droppedColumns).toEqual(['taxId', 'dateOfBirth']);
    const ana = await store.getEntity('employee', 'emp-1');
    expect(ana?.data).toMatchObject({ email: 'ana@example.com', manager: { email: 'boss@example.com' } });
    expect(ana?.ts).toBe(Date.parse('2024-06-01T00:00:00Z'));
    const bo = await store.getEntity('employee', 'emp-2');
    expect(bo?.eventType).toBe('employee.offboarded');
    const five = await store.getEntity('employee', 'emp-5');
    expect(five?.data).toMatchObject({ displayName: 'Five, "the" Fifth', jobTitle: 'Staff\nEngineer' });
    expect(await store.getEntity('employee', 'emp-7')).not.toBeNull();
    const stored = await storedText();
    for (const value of ['TAX-000-11-2222', 'NID-123-45-6789', '1990-04-01'])
      expect(stored).not.toContain(value);
    // The same rows again are duplicates (same synthetic body).
    const again = await cli(['import', path, '--timestamp', '2024-06-01T00:00:00Z', '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ imported: 0, duplicate: 4, bad: 3 });
  });

  it('infers products from the header, uses the file time, and never overwrites a newer webhook', async () => {
    const newer = fixture('product.assigned') as {
      timestamp: string;
      products: Array<Record<string, unknown>>;
    };
    newer.timestamp = '2025-01-01T00:00:00Z';
    newer.products[0]!.status = 'Deployed';
    const hooks = file('hooks.jsonl', `${JSON.stringify(newer)}\n`);
    expect((await cli(['import', hooks])).code).toBe(0);
    const path = file(
      'products.csv',
      [
        'id,serialNumber,model,status,employee.id,employee.email',
        'prod-777,C02XK0AAJGH5,MacBook Pro 14,In Stock,emp-12345,johndoe@example.com',
        'prod-900,C02XK0AAJ900,MacBook Air,Deployed,emp-9,nine@example.com',
        'prod-901,C02XK0AAJ901,"MacBook Air',
      ].join('\n'),
    );
    const mtime = new Date('2024-05-05T05:05:05Z');
    utimesSync(path, mtime, mtime);
    const run = await cli(['import', path, '--json']);
    const s = JSON.parse(run.stdout) as ImportSummary;
    expect(s).toMatchObject({ kind: 'product', timestamp: mtime.toISOString(), imported: 2, bad: 1 });
    expect(s.problems).toEqual([{ line: 4, reason: expect.stringContaining('unterminated quoted field') }]);
    expect((await store.getEntity('product', 'prod-777'))?.data.status).toBe('Deployed');
    const p900 = await store.getEntity('product', 'prod-900');
    expect(p900?.ts).toBe(mtime.getTime());
    expect((await store.getEntity('employee', 'emp-9'))?.data.email).toBe('nine@example.com');
  });

  it('asks for --kind when the header does not tell, and refuses files it cannot use (exit 2)', async () => {
    const path = file('people.csv', 'id,status\nemp-1,active\n');
    const unsure = await cli(['import', path]);
    expect(unsure.code).toBe(2);
    expect(unsure.stderr).toContain('--kind employee|product');
    const sure = await cli(['import', path, '--kind', 'employee']);
    expect(sure.code).toBe(0);
    expect(sure.stdout).toContain('imported   1');
    const noId = await cli(['import', file('bad.csv', 'email,status\na@b.c,active\n'), '--kind', 'employee']);
    expect(noId.code).toBe(2);
    expect(noId.stderr).toContain('no "id" column');
    expect((await cli(['import', join(dir, 'missing.csv')])).code).toBe(2);
    expect((await cli(['import', path, '--timestamp', 'yesterday'])).code).toBe(2);
  });
});
