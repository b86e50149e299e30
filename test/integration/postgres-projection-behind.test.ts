import { createHash } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { projectEvent } from '../../src/core/fan-out.ts';
import { newId } from '../../src/core/ids.ts';
import type { EntitySnapshot } from '../../src/core/projection.ts';
import { parseEnvelope } from '../../src/growrk/envelope.ts';
import { signBody } from '../../src/growrk/signature.ts';
import type { BehindLimits } from '../../src/store/behind.ts';
import { resolveConnection } from '../../src/store/postgres/connection.ts';
import type { PostgresStore } from '../../src/store/postgres/store.ts';
import type { IngestInput } from '../../src/store/types.ts';
import { ackThenKill as ackThenKillProcess } from '../helpers/ack-then-kill.ts';
import { fixture } from '../helpers/fixtures.ts';
import { postgresHarness, TEST_DATABASE_URL } from '../helpers/stores.ts';
import { until } from '../helpers/wait.ts';

const T0 = Date.parse('2024-09-01T00:00:00Z');
const SECRET = 'pg-behind-secret';
const CONNECTORS: IngestInput['jobConnectors'] = {
  employee: ['google-workspace', 'hubspot'],
  product: ['hubspot'],
};
/** The background projection never runs on its own (an hour of quiet, no limits), nor the sweep. */
const HOLD: BehindLimits = { quietMs: 3_600_000, maxEvents: 1_000_000, maxDelayMs: 3_600_000, slice: 256 };
const HELD = { behind: HOLD, sweepMs: 3_600_000 };

type Json = Record<string, unknown>;

function employeeBody(id: string, timestamp: string, fields: Json = {}, type = 'employee.updated'): Json {
  const json = structuredClone(fixture('employee.updated'));
  const { manager: _manager, ...template } = (json.employees as Json[])[0]!;
  return {
    ...json,
    event: type,
    timestamp,
    employees: [{ ...template, id, email: `${id}@example.com`, ...fields }],
  };
}

/** The IngestInput the service builds for `json` (see src/core/ingest.ts). */
function input(json: Json, receivedAt: number): IngestInput {
  const raw = JSON.stringify(json);
  const event = parseEnvelope(json, []);
  return {
    id: newId('evt', receivedAt),
    bodyHash: createHash('sha256').update(raw).digest('hex'),
    receivedAt,
    status: 'accepted',
    event,
    body: raw,
    jobConnectors: CONNECTORS,
  };
}

const harness = postgresHarness();
const admin = new pg.Pool({
  connectionString: resolveConnection(TEST_DATABASE_URL).connectionString,
  max: 2,
});

/** Reads beside the stores (never through one: a read catches the projection up). */
async function sql(schema: string, text: string, params: unknown[] = []): Promise<Json[]> {
  const client = await admin.connect();
  try {
    await client.query(`SET search_path TO ${pg.escapeIdentifier(schema)}`);
    return (await client.query<Json>(text, params)).rows;
  } finally {
    client.release();
  }
}

const unprojected = async (schema: string): Promise<string[]> =>
  (await sql(schema, 'SELECT id FROM inbox_pending WHERE rank < 2 ORDER BY seq')).map((r) => String(r.id));

const count = async (schema: string, table: string): Promise<number> =>
  Number((await sql(schema, `SELECT count(*) AS n FROM ${table}`))[0]!.n);

/** Acknowledges `bodies` in a store process killed (SIGKILL) before any projection ran; answers their ids. */
function ackThenKill(schema: string, bodies: Json[]): Promise<string[]> {
  const signed = bodies.map((b) => {
    const body = JSON.stringify(b);
    return { body, signature: signBody(body, SECRET) };
  });
  return ackThenKillProcess(signed, SECRET, [TEST_DATABASE_URL, schema]);
}

/** Two instances on one new schema, both holding their background projection. */
async function pair(): Promise<[PostgresStore, PostgresStore]> {
  const a = await harness.open({ tuning: HELD });
  const b = await harness.open({ schema: a.schema, tuning: HELD });
  return [a, b];
}

describe('postgres: projection behind the acknowledgement, several instances', () => {
  afterEach(async () => {
    await harness.closeAll();
  });
  afterAll(async () => {
    await harness.cleanup();
    await admin.end();
  });

  it('commits only the inbox row in the acknowledgement', async () => {
    const store = await harness.open({ tuning: HELD });
    const event = input(employeeBody('emp-1', '2024-06-01T00:00:00Z', { jobTitle: 'Lead' }), T0);
    expect(await store.ingest(event)).toEqual({ id: event.id, duplicate: false, status: 'accepted' });
    // Right after the answer, before any read: the row waits, nothing else was written.
    expect(await unprojected(store.schema)).toEqual([event.id]);
    expect(await count(store.schema, 'entities')).toBe(0);
    expect(await count(store.schema, 'jobs')).toBe(0);
    expect(await count(store.schema, 'outcomes')).toBe(0);
    expect(await store.projectionBacklog()).toMatchObject({ events: 1, lastError: null });

    expect((await store.getEntity('employee', 'emp-1'))?.data.jobTitle).toBe('Lead');
    expect(await unprojected(store.schema)).toEqual([]);
    expect(await count(store.schema, 'jobs')).toBe(2);
    expect(await store.projectionBacklog()).toMatchObject({ events: 0, oldestMs: 0 });
  });

  it('lets a read on one instance see what another acknowledged', async () => {
    const [a, b] = await pair();
    await a.ingest(input(employeeBody('emp-1', '2024-06-01T00:00:00Z', { jobTitle: 'Lead' }), T0));
    // b acknowledged nothing itself; the backlog and the read come from the database.
    expect((await b.projectionBacklog()).events).toBe(1);
    expect((await b.getEntity('employee', 'emp-1'))?.data.jobTitle).toBe('Lead');
    const claimed = await b.claimJobs({ owner: 'w', limit: 10, now: T0 + 1, leaseMs: 1000 });
    expect(claimed.map((j) => j.connector).sort()).toEqual(['google-workspace', 'hubspot']);
  });

  it('projects the events of two instances for one entity in arrival order, as one by one', async () => {
    const [a, b] = await pair();
    // Timestamps out of order, two of them equal (the first to arrive keeps its fields); ids and
    // receive times descending, so neither orders the events as they arrived.
    const minutes = [3, 1, 5, 5, 2, 7, 4, 7, 6, 0];
    const events = minutes.map((m, n) =>
      input(
        employeeBody('emp-1', new Date(Date.parse('2024-06-01T00:00:00Z') + m * 60_000).toISOString(), {
          jobTitle: `title-${n}`,
          department: `dept-${n % 3}`,
        }),
        T0 + 1000 - n,
      ),
    );
    for (const [n, event] of events.entries()) await (n % 2 === 0 ? a : b).ingest(event);
    expect(await unprojected(a.schema)).toEqual(events.map((e) => e.id));

    // What projecting them one at a time, in arrival order, gives.
    const current = new Map<string, EntitySnapshot>();
    const advancing: string[] = [];
    const superseded: string[] = [];
    for (const event of events) {
      const outcome = projectEvent({
        event: { ...event.event!, id: event.id, kind: 'employee' },
        current,
        jobConnectors: CONNECTORS,
        receivedAt: event.receivedAt,
      });
      if (outcome.jobs.length > 0) advancing.push(event.id);
      for (const o of outcome.outcomes) if (o.eventId) superseded.push(o.eventId);
    }
    const expected = current.get('employee:emp-1')!;

    const snapshot = await b.getEntity('employee', 'emp-1');
    expect(snapshot).toMatchObject({ data: expected.data, ts: expected.ts, eventId: expected.eventId });
    expect(snapshot?.fieldTs).toEqual(expected.fieldTs);
    const pending = await a.listJobs({ state: 'pending' });
    expect(pending).toHaveLength(2);
    for (const j of pending) expect(j.eventIds).toEqual(advancing);
    const ledger = await a.listOutcomes({ limit: 100 });
    expect(ledger.map((o) => o.eventId).sort()).toEqual([...superseded].sort());
  });

  it('keeps an event whose projection fails with PROJECTION_FAILED, and projects the others', async () => {
    const store = await harness.open({ tuning: HELD });
    const events = ['emp-a', 'emp-b', 'emp-c'].map((id, n) =>
      input(employeeBody(id, '2024-06-01T00:00:00Z'), T0 + n),
    );
    for (const event of events) await store.ingest(event);
    // A stored row a bug broke: its body no longer holds an event.
    await sql(store.schema, `UPDATE inbox SET body = '{"event":"employee.updated"}' WHERE id = $1`, [
      events[1]!.id,
    ]);

    expect(await store.countEntities('employee')).toBe(2);
    expect(await store.getEntity('employee', 'emp-b')).toBeNull();
    const broken = await store.getEvent(events[1]!.id);
    expect(broken?.status).toBe('accepted');
    expect(broken?.error?.code).toBe('PROJECTION_FAILED');
    expect(await store.countJobs()).toMatchObject({ pending: 4 });
    expect((await store.projectionBacklog()).events).toBe(0);
    // Kept in the queue, parked (its rank + 2) with what its projection needs, for a fix.
    expect(await sql(store.schema, 'SELECT id, rank FROM inbox_pending')).toEqual([
      { id: events[1]!.id, rank: 3 },
    ]);
  });

  it('projects a failed event again on replay once it can be, and refuses while it still cannot', async () => {
    const store = await harness.open({ tuning: HELD });
    const events = ['emp-a', 'emp-b'].map((id, n) => input(employeeBody(id, '2024-06-01T00:00:00Z'), T0 + n));
    for (const event of events) await store.ingest(event);
    const broken = events[1]!;
    await sql(store.schema, `UPDATE inbox SET body = '{"event":"employee.updated"}' WHERE id = $1`, [
      broken.id,
    ]);
    expect(await store.getEntity('employee', 'emp-b')).toBeNull();
    const replay = () => store.replay({ eventId: broken.id, connectors: ['google-workspace'] }, T0 + 10);
    // Still broken: refused, still parked.
    await expect(replay()).rejects.toMatchObject({ code: 'PROJECTION_FAILED' });
    expect((await store.getEvent(broken.id))?.error?.code).toBe('PROJECTION_FAILED');
    expect(await sql(store.schema, 'SELECT rank FROM inbox_pending')).toEqual([{ rank: 3 }]);
    expect(await store.projectionBacklog()).toMatchObject({ events: 0, failedEvents: 1 });

    // The fix (here: the row as it was): the replay projects it and queues its jobs.
    await sql(store.schema, 'UPDATE inbox SET body = $1 WHERE id = $2', [broken.body, broken.id]);
    expect(await replay()).toBeGreaterThan(0);
    expect((await store.getEntity('employee', 'emp-b'))?.data.id).toBe('emp-b');
    expect((await store.getEvent(broken.id))?.error).toBeNull();
    expect(await sql(store.schema, 'SELECT rank FROM inbox_pending')).toEqual([]);
    expect(await store.projectionBacklog()).toMatchObject({ events: 0, failedEvents: 0 });
    const jobs = await store.listJobs({ state: 'pending' });
    expect(
      jobs
        .filter((j) => j.entityId === 'emp-b')
        .map((j) => j.connector)
        .sort(),
    ).toEqual(['google-workspace', 'hubspot']);
  });

  it('projects an offboarding right after its acknowledgement, ahead of what waits, and wakes the workers', async () => {
    const store = await harness.open({ tuning: { ...HELD, behind: { ...HOLD, slice: 1 } } });
    const waiting = ['emp-a', 'emp-b', 'emp-c'].map((id, n) =>
      input(employeeBody(id, '2024-06-01T00:00:00Z'), T0 + n),
    );
    for (const event of waiting) await store.ingest(event);
    const woke = new Promise<void>((resolve) => {
      const off = store.onJobsReady(() => {
        off();
        resolve();
      });
    });
    const leaver = input(
      employeeBody('emp-leaver', '2024-06-01T00:00:00Z', { status: 'offboarded' }, 'employee.offboarded'),
      T0 + 10,
    );
    await store.ingest(leaver);
    await woke;
    // One slice ran (the background holds the rest back): it took the offboarding.
    expect(await unprojected(store.schema)).toEqual(waiting.map((e) => e.id));
    const jobs = await sql(store.schema, 'SELECT entity_id FROM jobs');
    expect(jobs.map((j) => j.entity_id)).toEqual(['emp-leaver', 'emp-leaver']);
  });

  it('projects what an instance killed before its projection left, at the next start, with nobody reading', async () => {
    const schema = harness.newSchema();
    const ids = await ackThenKill(
      schema,
      Array.from({ length: 20 }, (_, i) => employeeBody(`emp-${i}`, '2024-06-01T00:00:00Z')),
    );
    expect(await unprojected(schema)).toEqual(ids);

    // Only the look at start can find them: the periodic sweep is off.
    const next = await harness.open({ schema, tuning: { sweepMs: 3_600_000 } });
    await until('the backlog to drain', async () => (await unprojected(schema)).length === 0);
    expect(await count(schema, 'entities')).toBe(20);
    expect(await next.countJobs()).toMatchObject({ pending: 40 });
  });

  it('takes over the rows another instance left waiting, with nobody reading', async () => {
    const sweeper = await harness.open({ tuning: { sweepMs: 20, behind: { ...HOLD, maxDelayMs: 0 } } });
    const stuck = await harness.open({ schema: sweeper.schema, tuning: HELD });
    await stuck.ingest(input(employeeBody('emp-1', '2024-06-01T00:00:00Z'), T0));
    await until('the sweep to project it', async () => (await unprojected(sweeper.schema)).length === 0);
    expect(await count(sweeper.schema, 'entities')).toBe(1);
  });

  it('projects what it acknowledged before it closes cleanly', async () => {
    const store = await harness.open({ tuning: HELD });
    await Promise.all(
      ['emp-a', 'emp-b'].map((id, n) =>
        store.ingest(input(employeeBody(id, '2024-06-01T00:00:00Z'), T0 + n)),
      ),
    );
    expect(await unprojected(store.schema)).toHaveLength(2);
    await store.close();
    expect(await unprojected(store.schema)).toEqual([]);
    expect(await count(store.schema, 'entities')).toBe(2);
  });
});
