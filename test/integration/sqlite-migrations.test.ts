import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';

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
});
