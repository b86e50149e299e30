/**
 * The one projection-and-fan-out function both stores call: which changes cause jobs is decided
 * here, once (the store conformance suite checks both stores persist what it returns).
 */
import { describe, expect, it } from 'vitest';
import {
  entitiesTouched,
  type ProjectedEvent,
  parseBatch,
  projectBatch,
  projectEvent,
} from '../../src/core/fan-out.ts';
import type { EntitySnapshot } from '../../src/core/projection.ts';
import { entityKey } from '../../src/growrk/types.ts';

const JOBS = { employee: ['google-workspace', 'hubspot'], product: ['hubspot'] };

function productEvent(ts: string, change: Record<string, unknown> = {}): ProjectedEvent {
  return {
    id: `evt-${ts}`,
    type: 'product.assigned',
    kind: 'product',
    timestampMs: Date.parse(ts),
    entities: [
      { id: 'prod-1', status: 'Deployed', employee: { id: 'emp-1', email: 'a@example.com' }, ...change },
    ],
  };
}

describe('projectEvent', () => {
  it('names every entity an event touches, references included', () => {
    expect(entitiesTouched(productEvent('2024-09-01T00:00:00Z'))).toEqual([
      { kind: 'product', id: 'prod-1' },
      { kind: 'employee', id: 'emp-1' },
    ]);
  });

  it('a changed entity known in full gets one job per connector of its kind; a reference gets none', () => {
    const current = new Map<string, EntitySnapshot>();
    const out = projectEvent({
      event: productEvent('2024-09-01T00:00:00Z'),
      current,
      jobConnectors: JOBS,
      receivedAt: 5,
    });
    expect(out.changed.map((s) => `${s.kind}:${s.id}`)).toEqual(['product:prod-1', 'employee:emp-1']);
    expect(out.jobs).toEqual([
      {
        connector: 'hubspot',
        kind: 'product',
        entityId: 'prod-1',
        eventId: 'evt-2024-09-01T00:00:00Z',
        runAt: 5,
        priority: 0,
      },
    ]);
    expect(current.get(entityKey('employee', 'emp-1'))?.ts).toBeNull();
  });

  it('an older or identical event changes nothing and causes no job; the older one is recorded as superseded', () => {
    const current = new Map<string, EntitySnapshot>();
    projectEvent({
      event: productEvent('2024-09-02T00:00:00Z'),
      current,
      jobConnectors: JOBS,
      receivedAt: 1,
    });
    const older = projectEvent({
      event: productEvent('2024-09-01T00:00:00Z', { status: 'Shipped' }),
      current,
      jobConnectors: JOBS,
      receivedAt: 2,
    });
    expect(older).toMatchObject({ changed: [], jobs: [] });
    expect(older.outcomes).toEqual([
      expect.objectContaining({
        eventId: 'evt-2024-09-01T00:00:00Z',
        connector: '-',
        kind: 'product',
        entityId: 'prod-1',
        result: 'superseded',
        detail: expect.objectContaining({ supersededBy: 'evt-2024-09-02T00:00:00Z' }),
      }),
    ]);
    const same = projectEvent({
      event: productEvent('2024-09-02T00:00:00Z'),
      current,
      jobConnectors: JOBS,
      receivedAt: 3,
    });
    expect(same.jobs).toEqual([]);
    expect(same.outcomes).toEqual([]);
    expect(current.get(entityKey('product', 'prod-1'))?.data.status).toBe('Deployed');
  });

  it('an offboarded employee gets destructive-priority jobs for every connector of employees', () => {
    const out = projectEvent({
      event: {
        id: 'evt-off',
        type: 'employee.offboarded',
        kind: 'employee',
        timestampMs: 1,
        entities: [{ id: 'emp-1', status: 'offboarded' }],
      },
      current: new Map(),
      jobConnectors: JOBS,
      receivedAt: 9,
    });
    expect(out.jobs.map((j) => [j.connector, j.priority])).toEqual([
      ['google-workspace', 10],
      ['hubspot', 10],
    ]);
  });

  it('runs a batch in arrival order on one map, as one-by-one ingests would', () => {
    const current = new Map<string, EntitySnapshot>();
    const a = projectEvent({
      event: productEvent('2024-09-01T00:00:00Z'),
      current,
      jobConnectors: JOBS,
      receivedAt: 1,
    });
    const b = projectEvent({
      event: productEvent('2024-09-03T00:00:00Z', { status: 'Shipped' }),
      current,
      jobConnectors: JOBS,
      receivedAt: 2,
    });
    expect(a.jobs).toHaveLength(1);
    expect(b.jobs.map((j) => j.eventId)).toEqual(['evt-2024-09-03T00:00:00Z']);
    expect(current.get(entityKey('product', 'prod-1'))?.data.status).toBe('Shipped');
  });
});

describe('projectBatch', () => {
  const stored = (ts: string, status: string) =>
    JSON.stringify({
      event: 'product.assigned',
      timestamp: ts,
      companyId: 'c1',
      products: [{ id: 'prod-1', status, employee: { id: 'emp-1', email: 'a@example.com' } }],
    });
  const settings = { jobConnectors: JOBS, clockSkewMs: null };

  it("projects a batch as one-by-one events would: each snapshot once, final; every event's jobs in order", () => {
    const batch = parseBatch([
      { id: 'evt-1', body: stored('2024-09-01T00:00:00Z', 'Deployed'), receivedAt: 10, settings },
      { id: 'evt-2', body: stored('2024-09-02T00:00:00Z', 'Returned'), receivedAt: 20, settings },
    ]);
    expect(batch.touched).toEqual([
      { kind: 'product', id: 'prod-1' },
      { kind: 'employee', id: 'emp-1' },
    ]);
    const out = projectBatch(batch, new Map());
    expect(out.changed.map((s) => `${s.kind}:${s.id}:${s.eventId}`)).toEqual([
      'product:prod-1:evt-2',
      'employee:emp-1:evt-1',
    ]);
    expect(out.changed[0]?.data.status).toBe('Returned');
    expect(out.jobs.map((j) => `${j.eventId}@${j.runAt}`)).toEqual(['evt-1@10', 'evt-2@20']);
  });

  it('an older event after a newer one in the same batch changes nothing and is superseded', () => {
    const batch = parseBatch([
      { id: 'evt-new', body: stored('2024-09-02T00:00:00Z', 'Returned'), receivedAt: 10, settings },
      { id: 'evt-old', body: stored('2024-09-01T00:00:00Z', 'Deployed'), receivedAt: 20, settings },
    ]);
    const out = projectBatch(batch, new Map());
    expect(out.changed.find((s) => s.kind === 'product')?.data.status).toBe('Returned');
    expect(out.outcomes.map((o) => `${o.eventId}:${o.result}`)).toContain('evt-old:superseded');
  });

  it('refuses a stored body that is not an event', () => {
    const broken = { id: 'evt-x', body: '{"event":"product.assigned"}', receivedAt: 1, settings };
    expect(() => parseBatch([broken])).toThrow(/not a valid GroWrk event/);
  });
});
