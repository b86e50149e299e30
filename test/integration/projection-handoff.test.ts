/**
 * The SQLite projection takes the events this store object acknowledged as they were parsed then
 * (its hand-off), and parses the stored bodies of every other row: the projection is the same
 * either way, a position (`seq`) taken again after a rolled-back commit never projects the event
 * that had it, and a replay reads the stored row.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Ingestor } from '../../src/core/ingest.ts';
import { signBody } from '../../src/growrk/signature.ts';
import type { BehindLimits } from '../../src/store/behind.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { ackThenKill } from '../helpers/ack-then-kill.ts';
import { fixture, fixtureBodies } from '../helpers/fixtures.ts';

const SECRET = 'handoff-secret';
const JOB_CONNECTORS = { employee: ['google-workspace', 'hubspot'], product: ['hubspot'] };
/** No background slice: rows wait until a read catches the projection up. */
const NO_BACKGROUND: BehindLimits = {
  quietMs: 3_600_000,
  maxEvents: 1_000_000,
  maxDelayMs: 3_600_000,
  slice: 256,
};

type Row = Record<string, unknown>;

/** An employee event for `id` at `ts`, its JSON text with `extra` (JSON text) spliced into the employee. */
function employeeBody(id: string, ts: string, fields: Record<string, unknown> = {}, extra = ''): string {
  const json = fixture('employee.updated');
  const { manager: _manager, ...template } = (json.employees as Row[])[0]!;
  const text = JSON.stringify({
    ...json,
    timestamp: ts,
    employees: [{ ...template, id, ...fields, extra: 0 }],
  });
  return extra === '' ? text : text.replace('"extra":0', extra);
}

/** A product.assigned body for `id` at `ts`, assigned to `employee`. */
function productBody(id: string, ts: string, employee: Row): string {
  const json = fixture('product.assigned');
  const template = (json.products as Row[])[0]!;
  return JSON.stringify({ ...json, timestamp: ts, products: [{ ...template, id, employee }] });
}

function receiver(store: SqliteStore): Ingestor {
  return new Ingestor({ store, secrets: () => [SECRET], dropFields: [], jobConnectors: JOB_CONNECTORS });
}

/** Acknowledges `bodies` in one group commit; answers the outcomes, in order. */
function ackAll(store: SqliteStore, bodies: readonly string[]) {
  const ingestor = receiver(store);
  return Promise.all(bodies.map((body) => ingestor.receive(Buffer.from(body), signBody(body, SECRET))));
}

/** Reads beside the store (never through it: a read through it catches the projection up). */
function beside<T>(path: string, read: (db: DatabaseSync) => T): T {
  const db = new DatabaseSync(path);
  try {
    return read(db);
  } finally {
    db.close();
  }
}

const pendingRows = (path: string) =>
  beside(path, (db) => Number((db.prepare('SELECT count(*) AS n FROM inbox_pending').get() as Row).n));

/** What the projection wrote: snapshots, jobs and ledger rows (without their generated ids). */
function projection(path: string) {
  return beside(path, (db) => ({
    entities: db.prepare('SELECT * FROM entities ORDER BY kind, id').all(),
    jobs: (db.prepare('SELECT * FROM jobs ORDER BY connector, kind, entity_id, state').all() as Row[]).map(
      ({ id: _id, ...job }) => job,
    ),
    outcomes: (db.prepare('SELECT * FROM outcomes ORDER BY id').all() as Row[]).map(({ id: _id, ...o }) => o),
  }));
}

describe('sqlite: the projection hand-off', () => {
  let dir: string;
  let path: string;
  const open: SqliteStore[] = [];

  const openStore = async (at: string, options: { handoff?: number } = {}) => {
    const store = new SqliteStore({ path: at, behind: NO_BACKGROUND, ...options });
    open.push(store);
    await store.migrate();
    return store;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gs-handoff-'));
    path = join(dir, 'store.db');
  });
  afterEach(async () => {
    for (const store of open.splice(0)) await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Acknowledges `bodies` in a store, copies its file before any projection ran, and projects the
   * rows in both: the store from what it handed over, a store on the copy from the stored bodies.
   * Answers both projections, and how many events the first had handed over.
   */
  async function projectBothWays(bodies: readonly string[]) {
    const store = await openStore(path);
    const outcomes = await ackAll(store, bodies);
    expect(outcomes.map((o) => o.ok)).toEqual(bodies.map(() => true));
    // Same turn as the acknowledgement: no slice has run yet.
    const copy = join(dir, 'copy.db');
    beside(path, (db) => db.exec(`VACUUM INTO '${copy}'`));
    expect(pendingRows(copy)).toBe(bodies.length);
    const handed = store.handedOverEvents;

    const reader = await openStore(copy);
    expect(reader.handedOverEvents).toBe(0);
    for (const s of [store, reader]) {
      expect(await s.countEntities('employee')).toBeGreaterThan(0);
      expect(await s.projectionBacklog()).toMatchObject({ events: 0, failedEvents: 0 });
    }
    expect(store.handedOverEvents).toBe(0);
    return { handed, fromHandoff: projection(path), fromRows: projection(copy) };
  }

  it('projects what it handed over exactly as the stored bodies project', async () => {
    const bodies = [
      ...fixtureBodies().values(),
      // Newer and older events of the same people in one batch (superseded ones in the ledger),
      // an offboarding and what follows it, references to people known only by reference.
      ...['emp-1', 'emp-2', 'emp-3'].map((id, n) =>
        employeeBody(id, `2024-06-0${n + 2}T00:00:00Z`, { jobTitle: `Lead ${n}` }),
      ),
      employeeBody('emp-1', '2024-06-01T00:00:00Z', { jobTitle: 'Older' }),
      employeeBody('emp-2', '2024-06-09T00:00:00Z', { status: 'offboarded' }),
      employeeBody('emp-2', '2024-06-10T00:00:00Z', { status: 'active', jobTitle: 'Back?' }),
      productBody('prod-9', '2024-06-05T00:00:00Z', { id: 'emp-9', email: 'nine@example.com' }),
      productBody('prod-9', '2024-06-04T00:00:00Z', { id: 'emp-3', email: 'three@example.com' }),
    ];
    const { handed, fromHandoff, fromRows } = await projectBothWays(bodies);
    expect(handed).toBe(bodies.length);
    expect(fromRows.entities.length).toBeGreaterThan(5);
    expect(fromRows.jobs.length).toBeGreaterThan(5);
    expect(fromRows.outcomes.length).toBeGreaterThan(0);
    expect(fromHandoff).toEqual(fromRows);
  });

  it('parses the stored body of an event whose values JSON does not give back', async () => {
    // The employee's e-mail is Infinity in the parsed event and null in the stored body: a later
    // (older) reference to the person fills a missing e-mail, so the two would differ.
    const bodies = [
      employeeBody('emp-inf', '2024-06-02T00:00:00Z', {}, '"email":1e400,"department":-0'),
      productBody('prod-1', '2024-06-01T00:00:00Z', { id: 'emp-inf', email: 'late@example.com' }),
    ];
    const { handed, fromHandoff, fromRows } = await projectBothWays(bodies);
    // Only the product is handed over.
    expect(handed).toBe(1);
    const person = (fromRows.entities as Row[]).find((e) => e.id === 'emp-inf')!;
    expect(JSON.parse(String(person.data)).email).toBe('late@example.com');
    expect(fromHandoff).toEqual(fromRows);
  });

  it('projects an entity with a __proto__ key as its stored body does', async () => {
    // `specs.*` keeps every key below `specs` (a key the allowlist names never is `__proto__`).
    const product = JSON.parse(fixtureBodies().get('product.created')!) as { products: Row[] };
    product.products[0] = { ...product.products[0], specs: { ram: '16GB', odd: 0 } };
    const body = JSON.stringify(product).replace(
      '"odd":0',
      '"__proto__":{"status":"from __proto__"},"odd":1',
    );
    const { handed, fromHandoff, fromRows } = await projectBothWays([
      body,
      employeeBody('emp-q', '2024-06-02T00:00:00Z'),
    ]);
    expect(handed).toBe(2);
    const stored = (fromRows.entities as Row[]).find((e) => e.kind === 'product')!;
    expect(JSON.parse(String(stored.data)).specs).toEqual({ ram: '16GB', odd: 1 });
    expect(fromHandoff).toEqual(fromRows);
  });

  it('does not read the stored body of an event it handed over', async () => {
    const store = await openStore(path);
    const [outcome] = await ackAll(store, [
      employeeBody('emp-1', '2024-06-01T00:00:00Z', { jobTitle: 'Acknowledged' }),
    ]);
    // Same turn: the row is rewritten before the projection ran.
    const rewritten = employeeBody('emp-1', '2024-06-01T00:00:00Z', { jobTitle: 'Rewritten in the row' });
    beside(path, (db) => db.prepare('UPDATE inbox SET body = ?').run(rewritten));
    expect(outcome?.ok).toBe(true);
    expect(store.handedOverEvents).toBe(1);
    expect((await store.getEntity('employee', 'emp-1'))?.data.jobTitle).toBe('Acknowledged');

    // With the hand-off off, the row is what is projected.
    const other = join(dir, 'other.db');
    const parsing = await openStore(other, { handoff: 0 });
    await ackAll(parsing, [employeeBody('emp-1', '2024-06-01T00:00:00Z', { jobTitle: 'Acknowledged' })]);
    beside(other, (db) => db.prepare('UPDATE inbox SET body = ?').run(rewritten));
    expect(parsing.handedOverEvents).toBe(0);
    expect((await parsing.getEntity('employee', 'emp-1'))?.data.jobTitle).toBe('Rewritten in the row');
  });

  it('projects its own event at a seq that an event of a rolled-back commit had been given', async () => {
    const store = await openStore(path);
    await ackAll(store, [employeeBody('emp-0', '2024-06-01T00:00:00Z')]);
    expect(await store.countEntities('employee')).toBe(1);
    const lastSeq = () =>
      beside(path, (db) => Number((db.prepare('SELECT max(seq) AS s FROM inbox').get() as Row).s));
    const before = lastSeq();

    // A commit that fails at COMMIT (a deferred foreign key no row satisfies): the acknowledgement
    // wrote its rows and handed its event over, then all of it rolled back.
    beside(path, (db) =>
      db.exec(`CREATE TABLE absent (id INTEGER PRIMARY KEY);
        CREATE TABLE trap (ref INTEGER REFERENCES absent (id) DEFERRABLE INITIALLY DEFERRED);
        CREATE TRIGGER trap AFTER INSERT ON inbox BEGIN INSERT INTO trap (ref) VALUES (1); END;`),
    );
    const [lost] = await ackAll(store, [
      employeeBody('emp-lost', '2024-06-01T00:00:00Z', { jobTitle: 'Lost' }),
    ]);
    expect(lost).toMatchObject({ ok: false, error: { code: 'STORE_UNAVAILABLE' } });
    expect(lastSeq()).toBe(before);
    expect(store.handedOverEvents).toBe(1);
    beside(path, (db) => db.exec('DROP TRIGGER trap'));

    // Another process acknowledges an event that takes the same seq, and dies before projecting.
    const next = employeeBody('emp-next', '2024-06-01T00:00:00Z', { jobTitle: 'Next' });
    const [nextId] = await ackThenKill([{ body: next, signature: signBody(next, SECRET) }], SECRET, [path]);
    expect(
      beside(path, (db) => (db.prepare('SELECT seq FROM inbox WHERE id = ?').get(nextId!) as Row).seq),
    ).toBe(before + 1);

    expect((await store.getEntity('employee', 'emp-next'))?.data.jobTitle).toBe('Next');
    expect(await store.getEntity('employee', 'emp-lost')).toBeNull();
    const jobs = await store.listJobs({ eventId: nextId! });
    expect(jobs.map((j) => `${j.connector}:${j.entityId}`).sort()).toEqual([
      'google-workspace:emp-next',
      'hubspot:emp-next',
    ]);
    expect(store.handedOverEvents).toBe(0);
  });

  it('projects rows another store object acknowledged beside its own, from their bodies', async () => {
    const store = await openStore(path);
    const otherObject = await openStore(path);
    for (let n = 0; n < 6; n += 1) {
      const [outcome] = await ackAll(n % 2 === 0 ? store : otherObject, [
        employeeBody(`emp-${n}`, '2024-06-01T00:00:00Z', { jobTitle: `Title ${n}` }),
      ]);
      expect(outcome?.ok).toBe(true);
    }
    expect(pendingRows(path)).toBe(6);
    expect(store.handedOverEvents).toBe(3);
    // One slice, hits and misses interleaved.
    for (let n = 0; n < 6; n += 1)
      expect((await store.getEntity('employee', `emp-${n}`))?.data.jobTitle).toBe(`Title ${n}`);
    expect(pendingRows(path)).toBe(0);
    expect(store.handedOverEvents).toBe(0);
    // What the other object still holds names rows projected already: its next look finds none.
    expect(otherObject.handedOverEvents).toBe(3);
    expect(await otherObject.countEntities('employee')).toBe(6);
    expect(otherObject.handedOverEvents).toBe(0);
  });

  it('holds at most its capacity, parses the rest, and is empty once the projection drained', async () => {
    const store = await openStore(path, { handoff: 3 });
    const bodies = Array.from({ length: 5 }, (_, n) =>
      employeeBody(`emp-${n}`, '2024-06-01T00:00:00Z', { jobTitle: `Title ${n}` }),
    );
    await ackAll(store, bodies);
    expect(store.handedOverEvents).toBe(3);
    for (let n = 0; n < 5; n += 1)
      expect((await store.getEntity('employee', `emp-${n}`))?.data.jobTitle).toBe(`Title ${n}`);
    expect(store.handedOverEvents).toBe(0);
  });

  it('parks an event it handed over whose projection fails, and a replay projects its stored row', async () => {
    const store = await openStore(path);
    const ids = (
      await ackAll(
        store,
        ['emp-a', 'emp-b', 'emp-c'].map((id) =>
          employeeBody(id, '2024-06-01T00:00:00Z', { jobTitle: 'Acknowledged' }),
        ),
      )
    ).map((o) => (o.ok ? o.result.id : ''));
    beside(path, (db) =>
      db.exec(`CREATE TRIGGER refuse BEFORE INSERT ON entities WHEN NEW.id = 'emp-b'
        BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;`),
    );
    expect(store.handedOverEvents).toBe(3);
    expect(await store.countEntities('employee')).toBe(2);
    expect((await store.getEvent(ids[1]!))?.error?.code).toBe('PROJECTION_FAILED');
    expect(await store.projectionBacklog()).toMatchObject({ events: 0, failedEvents: 1 });
    expect(store.handedOverEvents).toBe(0);

    // The fix, and a row that says something else now: the replay projects what the row says.
    beside(path, (db) => {
      db.exec('DROP TRIGGER refuse');
      db.prepare('UPDATE inbox SET body = ? WHERE id = ?').run(
        employeeBody('emp-b', '2024-06-01T00:00:00Z', { jobTitle: 'From the row' }),
        ids[1]!,
      );
    });
    expect(await store.replay({ eventId: ids[1]!, connectors: ['hubspot'] }, Date.now())).toBeGreaterThan(0);
    expect((await store.getEntity('employee', 'emp-b'))?.data.jobTitle).toBe('From the row');
    expect(await store.projectionBacklog()).toMatchObject({ events: 0, failedEvents: 0 });
  });
});
