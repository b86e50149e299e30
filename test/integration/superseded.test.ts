/**
 * The projection's own ledger rows, on every store: an event a newer one overtook is recorded as
 * `superseded` in the event's commit, naming the newer event, also when the events are stored
 * concurrently (one PostgreSQL batch); and a snapshot left in the future by the old bug is repaired
 * by the next event checked against the clock.
 */
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.ts';
import { parseEnvelope } from '../../src/growrk/envelope.ts';
import { signBody } from '../../src/growrk/signature.ts';
import type { IngestInput, Outcome, Store } from '../../src/store/types.ts';
import { testApp } from '../helpers/app.ts';
import { fixture } from '../helpers/fixtures.ts';
import { postgresHarness, type StoreHarness, sqliteHarness } from '../helpers/stores.ts';

const T0 = Date.parse('2024-11-01T00:00:00Z');
const BASE = Date.parse('2024-10-01T00:00:00Z');

/** The IngestInput the service builds for an employee.updated of emp-1 at `timestamp`. */
function update(timestamp: string, jobTitle: string, receivedAt: number, clockSkewMs?: number): IngestInput {
  const body = fixture('employee.updated');
  const [employee] = body.employees as Array<Record<string, unknown>>;
  const json = { ...body, timestamp, employees: [{ ...employee, id: 'emp-1', jobTitle, manager: null }] };
  const raw = JSON.stringify(json);
  return {
    id: newId('evt', receivedAt),
    bodyHash: createHash('sha256').update(raw).digest('hex'),
    receivedAt,
    status: 'accepted',
    event: parseEnvelope(json, []),
    body: raw,
    jobConnectors: { employee: ['google-workspace'] },
    ...(clockSkewMs === undefined ? {} : { clockSkewMs }),
  };
}

const harnesses: StoreHarness[] = [sqliteHarness(), sqliteHarness({ threaded: true }), postgresHarness()];
afterAll(async () => {
  await Promise.all(harnesses.map((h) => h.cleanup()));
});

describe.each(harnesses)('the projection ledger on the $name store', (harness) => {
  let store: Store;
  beforeEach(async () => {
    store = await harness.fresh();
  });
  afterEach(async () => {
    await harness.closeAll();
  });

  it('records every event that changed nothing as superseded, naming a newer event, also when stored at once', async () => {
    const versions = Array.from({ length: 20 }, (_, v) => v + 1);
    const inputs = versions.map((v) =>
      update(new Date(BASE + ((v * 7) % 20) * 60_000).toISOString(), `Title ${(v * 7) % 20}`, T0 + v),
    );
    const results = await Promise.all(inputs.map((i) => store.ingest(i)));
    expect(results.every((r) => !r.duplicate)).toBe(true);
    const snapshot = await store.getEntity('employee', 'emp-1');
    expect(snapshot?.data.jobTitle).toBe('Title 19');
    const tsOf = new Map(inputs.map((i) => [i.id, i.event!.timestampMs]));
    const [job] = await store.listJobs({ state: 'pending' });
    let superseded = 0;
    for (const input of inputs) {
      const rows = await store.listOutcomes({ eventId: input.id });
      if (job?.eventIds.includes(input.id)) {
        expect(rows).toEqual([]);
        continue;
      }
      superseded += 1;
      expect(rows).toHaveLength(1);
      const row = rows[0]!;
      expect(row).toMatchObject({
        connector: '-',
        kind: 'employee',
        entityId: 'emp-1',
        result: 'superseded',
      });
      const by = (row.detail as { supersededBy: string }).supersededBy;
      expect(tsOf.get(by)).toBeGreaterThan(input.event!.timestampMs);
      expect(row.summary).toContain(`superseded by ${by}`);
    }
    expect(superseded).toBeGreaterThan(0);
    expect(superseded + (job?.eventIds.length ?? 0)).toBe(20);
  });

  it('lets the next checked event replace a snapshot left in the future by the old bug', async () => {
    // Stored as the service did before timestamps were checked (no skew known).
    await store.ingest(update('9999-12-31T23:59:59Z', 'Frozen', T0));
    const blocked = update('2024-10-01T00:00:00Z', 'Blocked', T0 + 1);
    await store.ingest(blocked);
    expect((await store.getEntity('employee', 'emp-1'))?.data.jobTitle).toBe('Frozen');
    expect((await store.listOutcomes({ eventId: blocked.id })).map((o) => o.result)).toEqual(['superseded']);
    // Checked against the clock (what the service does now): the snapshot from the future yields.
    const real = update('2024-10-02T00:00:00Z', 'Engineer', T0 + 2, 300_000);
    await store.ingest(real);
    expect(await store.listJobs({ eventId: real.id })).toHaveLength(1);
    expect(await store.getEntity('employee', 'emp-1')).toMatchObject({
      ts: Date.parse('2024-10-02T00:00:00Z'),
      eventId: real.id,
      data: { jobTitle: 'Engineer' },
    });
    expect(await store.listOutcomes({ eventId: real.id })).toEqual([]);
  });
});

describe('superseded in the admin JSON API', () => {
  it('GET /api/events/ID of an overtaken event gives its superseded outcome, naming the newer event', async () => {
    const token = 'a'.repeat(40);
    const t = await testApp({ GROWRK_WEBHOOK_SECRET: 'api-secret', ADMIN_TOKEN: token });
    try {
      const post = async (timestamp: string, jobTitle: string): Promise<string> => {
        const raw = update(timestamp, jobTitle, 0).body;
        const res = await t.app.inject({
          method: 'POST',
          url: '/webhooks/growrk',
          headers: { 'content-type': 'application/json', 'x-growrk-signature': signBody(raw, 'api-secret') },
          payload: raw,
        });
        expect(res.statusCode).toBe(200);
        return (res.json() as { id: string }).id;
      };
      const newer = await post('2024-10-02T00:00:00Z', 'Lead');
      const older = await post('2024-10-01T00:00:00Z', 'Engineer');
      const res = await t.app.inject({
        method: 'GET',
        url: `/api/events/${older}`,
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.statusCode).toBe(200);
      const { outcomes } = res.json() as { outcomes: Outcome[] };
      expect(outcomes).toEqual([
        expect.objectContaining({
          eventId: older,
          connector: '-',
          result: 'superseded',
          detail: expect.objectContaining({ supersededBy: newer }),
        }),
      ]);
    } finally {
      await t.close();
    }
  });
});
