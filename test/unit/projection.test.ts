import { describe, expect, it } from 'vitest';
import { type EntitySnapshot, project, projectionInputs } from '../../src/core/projection.ts';

const t = (iso: string) => Date.parse(iso);

function full(entity: Record<string, unknown>, ts: string, eventType = 'employee.updated') {
  return {
    mode: 'full' as const,
    kind: 'employee' as const,
    entity: { id: 'emp-1', ...entity },
    ts: t(ts),
    eventId: `evt-${ts}`,
    eventType,
  };
}

function ref(fields: { displayName?: string; email?: string }, ts: string) {
  return {
    mode: 'ref' as const,
    kind: 'employee' as const,
    ref: { id: 'emp-1', ...fields },
    ts: t(ts),
    eventId: `evt-${ts}`,
    eventType: 'order.created',
  };
}

function apply(inputs: Parameters<typeof project>[1][]): EntitySnapshot | null {
  let current: EntitySnapshot | null = null;
  for (const input of inputs) current = project(current, input, 0) ?? current;
  return current;
}

describe('projection', () => {
  it('an older event never overwrites a newer one', () => {
    const snap = apply([
      full({ jobTitle: 'Lead' }, '2024-09-02T00:00:00Z'),
      full({ jobTitle: 'Engineer' }, '2024-09-01T00:00:00Z'),
    ]);
    expect(snap?.data.jobTitle).toBe('Lead');
    expect(snap?.ts).toBe(t('2024-09-02T00:00:00Z'));
  });

  it('a newer event replaces the snapshot; an identical one changes nothing', () => {
    const first = project(null, full({ jobTitle: 'Engineer' }, '2024-09-01T00:00:00Z'), 0)!;
    const second = project(first, full({ jobTitle: 'Lead' }, '2024-09-02T00:00:00Z'), 0)!;
    expect(second.data.jobTitle).toBe('Lead');
    expect(project(second, full({ jobTitle: 'Lead' }, '2024-09-02T00:00:00Z'), 0)).toBeNull();
  });

  it('offboarding sets the status when GroWrk leaves it out', () => {
    const snap = apply([full({}, '2024-09-30T17:00:00Z', 'employee.offboarded')]);
    expect(snap?.data.status).toBe('offboarded');
  });

  it('references create a partial employee and enrich without overwriting newer data', () => {
    const fromOrder = apply([ref({ email: 'old@example.com', displayName: 'J' }, '2024-08-01T00:00:00Z')]);
    expect(fromOrder?.ts).toBeNull();
    expect(fromOrder?.data.email).toBe('old@example.com');

    // A full event newer than the reference wins.
    const afterFull = project(fromOrder, full({ email: 'new@example.com' }, '2024-09-01T00:00:00Z'), 0)!;
    expect(afterFull.data.email).toBe('new@example.com');
    // An older reference changes nothing.
    expect(project(afterFull, ref({ email: 'stale@example.com' }, '2024-08-15T00:00:00Z'), 0)).toBeNull();
    // A newer reference updates the field and remembers when.
    const newerRef = project(afterFull, ref({ email: 'newest@example.com' }, '2024-10-01T00:00:00Z'), 0)!;
    expect(newerRef.data.email).toBe('newest@example.com');
    expect(newerRef.ts).toBe(t('2024-09-01T00:00:00Z'));
    // A full event older than the reference but newer than the snapshot keeps the referenced field.
    const laterFull = project(
      newerRef,
      full({ email: 'mid@example.com', jobTitle: 'X' }, '2024-09-15T00:00:00Z'),
      0,
    )!;
    expect(laterFull.data.email).toBe('newest@example.com');
    expect(laterFull.data.jobTitle).toBe('X');
  });

  it('derives inputs: every entity, then the employees it references', () => {
    const inputs = projectionInputs({
      id: 'evt-1',
      type: 'product.assigned',
      kind: 'product',
      timestampMs: 1,
      entities: [
        { id: 'p1', employee: { id: 'emp-9', email: 'a@b.c', displayName: 'A' } },
        { id: 'p2', employee: null },
      ],
    });
    expect(inputs.map((i) => (i.mode === 'full' ? `full:${i.entity.id}` : `ref:${i.ref.id}`))).toEqual([
      'full:p1',
      'full:p2',
      'ref:emp-9',
    ]);
  });
});
