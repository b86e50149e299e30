import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Ingestor } from '../../src/core/ingest.ts';
import { signBody } from '../../src/growrk/signature.ts';
import { createMetrics } from '../../src/metrics.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { ackThenKill as ackThenKillProcess } from '../helpers/ack-then-kill.ts';
import { fixture } from '../helpers/fixtures.ts';
import { until } from '../helpers/wait.ts';

const SECRET = 'behind-secret';
const JOB_CONNECTORS = { employee: ['google-workspace', 'hubspot'], product: ['hubspot'] };

function employeeBody(
  id: string,
  ts: string,
  fields: Record<string, unknown> = {},
  type = 'employee.updated',
) {
  const json = fixture('employee.updated');
  // No embedded manager unless a test asks for one (it would be projected as an entity too).
  const { manager: _manager, ...template } = (json.employees as Array<Record<string, unknown>>)[0]!;
  const body = JSON.stringify({
    ...json,
    event: type,
    timestamp: ts,
    employees: [{ ...template, id, email: `${id}@example.com`, ...fields }],
  });
  return { raw: Buffer.from(body), signature: signBody(body, SECRET) };
}

function ingestorFor(store: SqliteStore): Ingestor {
  return new Ingestor({ store, secrets: () => [SECRET], dropFields: [], jobConnectors: JOB_CONNECTORS });
}

/**
 * Acknowledges `deliveries` in a store process that is then killed with SIGKILL before any
 * projection slice ran; answers the ids it acknowledged.
 */
function ackThenKill(path: string, deliveries: Array<{ raw: Buffer; signature: string }>): Promise<string[]> {
  const signed = deliveries.map((d) => ({ body: d.raw.toString('utf8'), signature: d.signature }));
  return ackThenKillProcess(signed, SECRET, [path]);
}

/** Rows still waiting for their projection, read beside the store (not through it: a read catches up). */
function unprojected(path: string): string[] {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return (
      db
        .prepare('SELECT i.id FROM inbox_pending p JOIN inbox i ON i.seq = p.seq ORDER BY p.seq')
        .all() as Array<{ id: string }>
    ).map((r) => r.id);
  } finally {
    db.close();
  }
}

describe('sqlite: projection behind the acknowledgement', () => {
  let dir: string;
  let path: string;
  const open: SqliteStore[] = [];

  const openStore = async (behind?: ConstructorParameters<typeof SqliteStore>[0]['behind']) => {
    const store = new SqliteStore({ path, ...(behind ? { behind } : {}) });
    open.push(store);
    await store.migrate();
    return store;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gs-behind-'));
    path = join(dir, 'store.db');
  });
  afterEach(async () => {
    for (const store of open.splice(0)) await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('projects acknowledged events after a restart when the process stopped before their projection ran', async () => {
    // Killed (SIGKILL) right after the acknowledgements, before a projection slice could run:
    // the rows are durable, their projection is not there yet.
    await ackThenKill(
      path,
      Array.from({ length: 50 }, (_, i) => employeeBody(`emp-${i}`, '2024-06-01T00:00:00Z')),
    );
    expect(unprojected(path)).toHaveLength(50);

    const second = await openStore();
    expect((await second.projectionBacklog()).events).toBe(50);
    // Projected behind, with nobody reading.
    await until('the backlog to drain', async () => (await second.projectionBacklog()).events === 0);
    expect(unprojected(path)).toEqual([]);
    expect(await second.countEntities('employee')).toBe(50);
    expect(await second.countJobs()).toMatchObject({ pending: 100 });
  });

  it('lets every read see every acknowledged event, before the background has run', async () => {
    const store = await openStore();
    const { raw, signature } = employeeBody('emp-1', '2024-06-01T00:00:00Z', { jobTitle: 'Lead' });
    const outcome = await ingestorFor(store).receive(raw, signature);
    expect(outcome.ok).toBe(true);
    // Read beside the store in the same turn as the acknowledgement: not projected yet.
    expect(unprojected(path)).toHaveLength(1);
    expect((await store.getEntity('employee', 'emp-1'))?.data.jobTitle).toBe('Lead');
    expect(unprojected(path)).toEqual([]);
    const claimed = await store.claimJobs({ owner: 'w', limit: 10, now: Date.now() + 1, leaseMs: 1000 });
    expect(claimed.map((j) => j.connector).sort()).toEqual(['google-workspace', 'hubspot']);
  });

  it('projects an offboarding ahead of the events acknowledged before it', async () => {
    const deliveries = Array.from({ length: 30 }, (_, i) => employeeBody(`emp-${i}`, '2024-06-01T00:00:00Z'));
    deliveries.push(
      employeeBody('emp-leaver', '2024-06-01T00:00:00Z', { status: 'offboarded' }, 'employee.offboarded'),
    );
    // Acknowledged together, then killed before any projection slice ran.
    const acknowledged = await ackThenKill(path, deliveries);
    expect(unprojected(path)).toEqual(acknowledged);
    const leaverEvent = acknowledged.at(-1)!;

    // One event a slice: the first slice after the restart takes the offboarding. Read beside the
    // store when that slice has committed (its jobs wake the listener), before the next one runs.
    const second = new SqliteStore({
      path,
      behind: { quietMs: 0, maxEvents: 1_000_000, maxDelayMs: 3_600_000, slice: 1 },
    });
    open.push(second);
    const afterFirstSlice = new Promise<string[]>((resolve) => {
      const off = second.onJobsReady(() => {
        off();
        resolve(unprojected(path));
      });
    });
    await second.migrate();
    const waiting = await afterFirstSlice;
    expect(waiting).not.toContain(leaverEvent);
    expect(waiting).toHaveLength(30);
  });

  it('projects what a store acknowledged before it closes cleanly', async () => {
    const first = await openStore();
    const outcomes = await Promise.all(
      ['emp-a', 'emp-b'].map((id) => {
        const { raw, signature } = employeeBody(id, '2024-06-01T00:00:00Z');
        return ingestorFor(first).receive(raw, signature);
      }),
    );
    expect(outcomes.every((o) => o.ok)).toBe(true);
    await first.close();
    expect(unprojected(path)).toEqual([]);
  });

  it('keeps an event whose projection fails with PROJECTION_FAILED, and projects the others', async () => {
    const [, broken] = await ackThenKill(
      path,
      ['emp-a', 'emp-b', 'emp-c'].map((id) => employeeBody(id, '2024-06-01T00:00:00Z')),
    );
    expect(unprojected(path)).toHaveLength(3);
    // A stored row a bug broke: its body no longer holds an event.
    const db = new DatabaseSync(path);
    db.prepare(`UPDATE inbox SET body = '{"event":"employee.updated"}' WHERE id = ?`).run(broken!);
    db.close();

    const second = await openStore();
    expect(await second.countEntities('employee')).toBe(2);
    expect(await second.getEntity('employee', 'emp-b')).toBeNull();
    const event = await second.getEvent(broken!);
    expect(event?.status).toBe('accepted');
    expect(event?.error?.code).toBe('PROJECTION_FAILED');
    expect(await second.projectionBacklog()).toMatchObject({ events: 0, failedEvents: 1 });
  });

  it('projects a failed event again on replay once it can be, and refuses while it still cannot', async () => {
    const [, broken] = await ackThenKill(
      path,
      ['emp-a', 'emp-b'].map((id) =>
        employeeBody(id, '2024-06-01T00:00:00Z', { status: 'offboarded' }, 'employee.offboarded'),
      ),
    );
    const db = new DatabaseSync(path);
    const { body } = db.prepare('SELECT body FROM inbox WHERE id = ?').get(broken!) as { body: string };
    db.prepare(`UPDATE inbox SET body = '{"event":"employee.offboarded"}' WHERE id = ?`).run(broken!);
    db.close();

    const store = await openStore();
    expect(await store.getEntity('employee', 'emp-b')).toBeNull();
    expect(await store.projectionBacklog()).toMatchObject({ events: 0, failedEvents: 1 });
    const failedGauge = async () =>
      (await createMetrics(store).registry.getSingleMetricAsString('growrk_projection_failed_events'))
        .split('\n')
        .at(-1);
    expect(await failedGauge()).toBe('growrk_projection_failed_events 1');
    const replay = () => store.replay({ eventId: broken!, connectors: ['google-workspace'] }, Date.now());
    // Still broken: refused, and still counted.
    await expect(replay()).rejects.toMatchObject({ code: 'PROJECTION_FAILED' });
    expect(await store.projectionBacklog()).toMatchObject({ events: 0, failedEvents: 1 });
    expect((await store.getEvent(broken!))?.error?.code).toBe('PROJECTION_FAILED');

    // The fix (here: the row as it was): the replay projects it and queues its jobs.
    const fix = new DatabaseSync(path);
    fix.prepare('UPDATE inbox SET body = ? WHERE id = ?').run(body, broken!);
    fix.close();
    expect(await replay()).toBeGreaterThan(0);
    expect((await store.getEntity('employee', 'emp-b'))?.data.status).toBe('offboarded');
    expect((await store.getEvent(broken!))?.error).toBeNull();
    expect(await store.projectionBacklog()).toMatchObject({ events: 0, failedEvents: 0 });
    expect(await failedGauge()).toBe('growrk_projection_failed_events 0');
    const claimed = await store.claimJobs({ owner: 'w', limit: 10, now: Date.now() + 1, leaseMs: 1000 });
    expect(
      claimed
        .filter((j) => j.entityId === 'emp-b')
        .map((j) => j.connector)
        .sort(),
    ).toEqual(['google-workspace', 'hubspot']);
  });

  it('projects from the stored row exactly what the acknowledgement validated, sensitive fields gone', async () => {
    const store = await openStore();
    const { raw, signature } = employeeBody('emp-1', '2024-06-01T00:00:00Z', {
      taxId: 'TAX-000-11-2222',
      manager: { id: 'emp-boss', email: 'boss@example.com', taxId: 'TAX-9' },
    });
    const outcome = await new Ingestor({
      store,
      secrets: () => [SECRET],
      dropFields: ['taxId'],
      jobConnectors: JOB_CONNECTORS,
    }).receive(raw, signature);
    expect(outcome.ok).toBe(true);
    const snapshot = await store.getEntity('employee', 'emp-1');
    expect(snapshot?.data).toMatchObject({ id: 'emp-1', email: 'emp-1@example.com' });
    expect(JSON.stringify(snapshot?.data)).not.toContain('TAX-');
    expect((await store.getEntity('employee', 'emp-boss'))?.data).toMatchObject({
      email: 'boss@example.com',
    });
  });
});
