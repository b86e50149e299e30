import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { parseEnvelope } from '../../src/growrk/envelope.ts';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import type { IngestInput } from '../../src/store/types.ts';

/** A database migrated to `version` by the released steps, as an older release left it. */
function databaseAt(version: number): { path: string; db: DatabaseSync } {
  const path = join(mkdtempSync(join(tmpdir(), 'gs-migrate-')), `v${version}.db`);
  const db = new DatabaseSync(path);
  db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at INTEGER)');
  for (const step of SQLITE_MIGRATIONS.filter((m) => m.version <= version)) {
    db.exec(step.sql);
    db.prepare('INSERT INTO schema_migrations VALUES (?, ?, 0)').run(step.version, step.name);
  }
  return { path, db };
}

const employeeBody = (id: string, jobTitle: string, status = 'active') =>
  JSON.stringify({
    event: status === 'offboarded' ? 'employee.offboarded' : 'employee.updated',
    timestamp: '2024-06-01T00:00:00Z',
    companyId: 'c1',
    employees: [{ id, email: `${id}@example.com`, jobTitle, status }],
  });

describe('SQLite migrations', () => {
  it('upgrades a version-1 database in place, keeping its projection', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'gs-migrate-')), 'v1.db');
    const old = new DatabaseSync(path);
    old.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at INTEGER)');
    old.exec(SQLITE_MIGRATIONS[0]!.sql);
    old.prepare('INSERT INTO schema_migrations VALUES (1, ?, 0)').run(SQLITE_MIGRATIONS[0]!.name);
    old
      .prepare(
        `INSERT INTO entities (kind, id, data, ts, field_ts, event_id, event_type, updated_at)
         VALUES ('employee', 'emp-1', '{"id":"emp-1","jobTitle":"Engineer"}', 5, '{}', 'evt_1', 'employee.updated', 6)`,
      )
      .run();
    old.close();

    const store = new SqliteStore({ path });
    try {
      const { applied } = await store.migrate();
      expect(applied).toEqual(SQLITE_MIGRATIONS.slice(1).map((m) => m.version));
      expect(await store.ready()).toBe(true);
      expect(await store.getEntity('employee', 'emp-1')).toMatchObject({
        id: 'emp-1',
        data: { jobTitle: 'Engineer' },
        ts: 5,
        eventId: 'evt_1',
      });
      expect((await store.migrate()).applied).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('moves a version-7 inbox to the log and its queue: pending rows still project, in order, and still dedupe', async () => {
    const { path, db } = databaseAt(7);
    const insert = db.prepare(
      `INSERT INTO inbox (id, body_hash, type, company_id, growrk_ts, received_at, status, error_code, error_message, body, entity_keys, projection, urgent)
       VALUES (?, ?, ?, 'c1', ?, 1000, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const settings = JSON.stringify({ jobConnectors: { employee: ['hubspot'] }, clockSkewMs: null });
    const rows = [
      // Projected by version 7 already: its snapshot is in `entities`, nothing is pending.
      [
        'evt_1',
        'h1',
        'employee.updated',
        '2024-06-01T00:00:00.000Z',
        'accepted',
        null,
        null,
        employeeBody('emp-1', 'Old'),
        '["employee:emp-1"]',
        null,
        0,
      ],
      // Acknowledged, not yet projected, the second one an offboarding.
      [
        'evt_2',
        'h2',
        'employee.updated',
        '2024-06-01T00:00:00.000Z',
        'accepted',
        null,
        null,
        employeeBody('emp-2', 'Lead'),
        '["employee:emp-2"]',
        settings,
        0,
      ],
      [
        'evt_3',
        'h3',
        'employee.offboarded',
        '2024-06-01T00:00:00.000Z',
        'accepted',
        null,
        null,
        employeeBody('emp-3', 'Ex', 'offboarded'),
        '["employee:emp-3"]',
        settings,
        1,
      ],
      // Rejected before it parsed: no GroWrk timestamp.
      [
        'evt_4',
        'h4',
        null,
        null,
        'rejected',
        'PAYLOAD_INVALID',
        'not JSON',
        '{"withheld":true}',
        '[]',
        null,
        0,
      ],
    ] as const;
    for (const row of rows) insert.run(...row);
    db.close();

    const store = new SqliteStore({
      path,
      behind: { quietMs: 3_600_000, maxEvents: 1_000_000, maxDelayMs: 3_600_000, slice: 256 },
    });
    try {
      expect((await store.migrate()).applied).toEqual(
        SQLITE_MIGRATIONS.filter((m) => m.version > 7).map((m) => m.version),
      );
      // Found waiting at start, from the queue the migration filled.
      expect((await store.projectionBacklog()).events).toBe(2);
      const beside = new DatabaseSync(path, { readOnly: true });
      const queued = beside.prepare('SELECT rank, seq FROM inbox_pending ORDER BY rank, seq').all();
      const seqOf = beside.prepare('SELECT seq FROM inbox WHERE id = ?');
      expect(queued).toEqual([
        { rank: 0, seq: (seqOf.get('evt_3') as { seq: number }).seq },
        { rank: 1, seq: (seqOf.get('evt_2') as { seq: number }).seq },
      ]);
      beside.close();
      expect((await store.getEntity('employee', 'emp-2'))?.data.jobTitle).toBe('Lead');
      expect((await store.getEntity('employee', 'emp-3'))?.data.status).toBe('offboarded');
      expect(await store.getEntity('employee', 'emp-1')).toBeNull();
      expect((await store.projectionBacklog()).events).toBe(0);
      expect((await store.listEvents()).map((e) => e.id)).toEqual(['evt_4', 'evt_3', 'evt_2', 'evt_1']);

      // Redeliveries of rows stored by version 7 are duplicates of them.
      const again = (id: string, bodyHash: string, body: string | null): IngestInput => ({
        id,
        bodyHash,
        receivedAt: 2000,
        status: body === null ? 'rejected' : 'accepted',
        event: body === null ? null : parseEnvelope(JSON.parse(body), []),
        body: body ?? '{}',
        jobConnectors: {},
      });
      const redelivered = again('evt_9', 'h2', employeeBody('emp-2', 'Lead'));
      expect(await store.ingest(redelivered)).toEqual({ id: 'evt_2', duplicate: true, status: 'accepted' });
      expect(await store.ingest(again('evt_10', 'h4', null))).toEqual({
        id: 'evt_4',
        duplicate: true,
        status: 'rejected',
      });
      expect(await store.ingest(again('evt_11', 'h5', null))).toEqual({
        id: 'evt_11',
        duplicate: false,
        status: 'rejected',
      });
    } finally {
      await store.close();
    }
  });
});
