import { describe, expect, it } from 'vitest';
import {
  type EntitySnapshot,
  isOffboarded,
  project,
  projectInput,
  projectionInputs,
} from '../../src/core/projection.ts';

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

describe('projection: superseded events', () => {
  it('names the newer full event that overtook an older one, even after a reference enriched it', () => {
    const newer = project(null, full({ jobTitle: 'Lead' }, '2024-09-02T00:00:00Z'), 0)!;
    const enriched = project(newer, ref({ email: 'new@example.com' }, '2024-09-03T00:00:00Z'), 0)!;
    expect(enriched.data.email).toBe('new@example.com');
    expect(enriched.eventId).toBe('evt-2024-09-02T00:00:00Z');
    expect(enriched.eventType).toBe('employee.updated');
    const older = projectInput(enriched, full({ jobTitle: 'Engineer' }, '2024-09-01T00:00:00Z'), 0);
    expect(older).toEqual({
      next: null,
      supersededBy: { eventId: 'evt-2024-09-02T00:00:00Z', ts: t('2024-09-02T00:00:00Z') },
    });
  });

  it('is not superseded when it is identical (same time) or only loses to a reference', () => {
    const snap = project(null, full({ jobTitle: 'Lead' }, '2024-09-02T00:00:00Z'), 0)!;
    expect(projectInput(snap, full({ jobTitle: 'Lead' }, '2024-09-02T00:00:00Z'), 0)).toEqual({
      next: null,
      supersededBy: null,
    });
    expect(
      projectInput(snap, ref({ email: 'x@example.com' }, '2024-01-01T00:00:00Z'), 0).supersededBy,
    ).toBeNull();
  });

  it('does not let a snapshot from the future block newer events once timestamps are bounded', () => {
    const frozen = project(null, full({ status: 'active' }, '9999-12-31T23:59:59Z'), 0)!;
    const offboarding = full({}, '2024-09-30T17:00:00Z', 'employee.offboarded');
    // Trusted (no bound given): the old behaviour, superseded by the frozen event.
    expect(projectInput(frozen, offboarding, 0).supersededBy?.eventId).toBe('evt-9999-12-31T23:59:59Z');
    // Bounded by the receipt time plus the skew: the snapshot from the future does not count.
    const now = t('2024-10-01T00:00:00Z');
    const fixed = projectInput(frozen, offboarding, now, { trustUntil: now + 300_000 });
    expect(fixed.next).toMatchObject({ ts: t('2024-09-30T17:00:00Z'), data: { status: 'offboarded' } });
    expect(fixed.supersededBy).toBeNull();
  });
});

describe('projection: offboarding is sticky', () => {
  const offboarded = () =>
    project(null, full({ jobTitle: 'Engineer' }, '2024-09-30T17:00:00Z', 'employee.offboarded'), 0)!;

  it('a newer update that only changes the job title is merged, and the person stays offboarded', () => {
    const after = project(offboarded(), full({ jobTitle: 'Staff Engineer' }, '2024-10-01T00:00:00Z'), 0)!;
    expect(after.data).toMatchObject({ jobTitle: 'Staff Engineer', status: 'offboarded' });
    expect(after.ts).toBe(t('2024-10-01T00:00:00Z'));
    expect(isOffboarded(after)).toBe(true);
  });

  it('a status that does not clearly re-activate (missing, null, pending, offboarding) keeps it', () => {
    for (const status of [undefined, null, '', 'pending', 'offboarding', 'inactive']) {
      const after = project(offboarded(), full({ status, jobTitle: 'X' }, '2024-10-01T00:00:00Z'), 0)!;
      expect(after.data.status, String(status)).toBe('offboarded');
    }
  });

  it('keeps the spelling GroWrk used for the offboarded status', () => {
    const spelled = project(null, full({ status: 'Offboarded' }, '2024-09-30T17:00:00Z'), 0)!;
    const after = project(spelled, full({ status: 'pending', jobTitle: 'X' }, '2024-10-01T00:00:00Z'), 0)!;
    expect(after.data.status).toBe('Offboarded');
  });

  it('only a newer event that clearly re-activates the person (active, rehired) undoes it', () => {
    for (const status of ['active', 'Active', 'rehired']) {
      const after = project(offboarded(), full({ status }, '2024-10-01T00:00:00Z'), 0)!;
      expect(after.data.status).toBe(status);
      expect(isOffboarded(after)).toBe(false);
    }
    // An older "active" changes nothing: it is superseded by the offboarding.
    const older = projectInput(offboarded(), full({ status: 'active' }, '2024-09-01T00:00:00Z'), 0);
    expect(older.next).toBeNull();
    expect(older.supersededBy?.eventId).toBe('evt-2024-09-30T17:00:00Z');
  });

  it('applies to employees only', () => {
    const product = {
      mode: 'full' as const,
      kind: 'product' as const,
      entity: { id: 'p1', status: 'offboarded' },
      ts: t('2024-09-01T00:00:00Z'),
      eventId: 'evt-p1',
      eventType: 'product.statusChange',
    };
    const first = project(null, product, 0)!;
    const next = project(
      first,
      { ...product, entity: { id: 'p1', status: 'In Stock' }, ts: t('2024-09-02T00:00:00Z') },
      0,
    )!;
    expect(next.data.status).toBe('In Stock');
  });
});
