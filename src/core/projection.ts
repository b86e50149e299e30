import type { EmployeeRef, EntityKind, GrowrkEntity } from '../growrk/types.ts';

/**
 * The last known GroWrk state of one entity: the projection every connector works from.
 * `ts` is the GroWrk timestamp of the full event the snapshot was set from (null while the entity
 * is only known from references inside other events); an older event never overwrites a newer one.
 */
export interface EntitySnapshot {
  kind: EntityKind;
  id: string;
  /** The entity as GroWrk sent it (sensitive fields already removed). */
  data: GrowrkEntity;
  /** Epoch ms of the GroWrk timestamp of the full event behind `data`, or null. */
  ts: number | null;
  /** Fields set from embedded references, with the GroWrk timestamp each was set from. */
  fieldTs: Record<string, number>;
  /** The event that last changed the snapshot. */
  eventId: string;
  eventType: string;
  /** Epoch ms of the last write. */
  updatedAt: number;
}

/** How an event touches one entity. */
export type ProjectionInput =
  | { mode: 'full'; kind: EntityKind; entity: GrowrkEntity; ts: number; eventId: string; eventType: string }
  | { mode: 'ref'; kind: 'employee'; ref: EmployeeRef; ts: number; eventId: string; eventType: string };

const REF_FIELDS = ['displayName', 'email'] as const;

/**
 * Applies one input to the current snapshot (pure). Returns the new snapshot, or null when the
 * input changes nothing (older than what is there, or identical).
 */
export function project(
  current: EntitySnapshot | null,
  input: ProjectionInput,
  now: number,
): EntitySnapshot | null {
  return input.mode === 'full' ? projectFull(current, input, now) : projectRef(current, input, now);
}

function projectFull(
  current: EntitySnapshot | null,
  input: Extract<ProjectionInput, { mode: 'full' }>,
  now: number,
): EntitySnapshot | null {
  if (current?.ts != null && current.ts > input.ts) return null;
  const data: GrowrkEntity = { ...input.entity };
  if (input.eventType === 'employee.offboarded' && (data.status === undefined || data.status === null)) {
    data.status = 'offboarded';
  }
  const fieldTs: Record<string, number> = {};
  for (const [field, ts] of Object.entries(current?.fieldTs ?? {})) {
    if (ts > input.ts && current?.data[field] !== undefined) {
      data[field] = current.data[field];
      fieldTs[field] = ts;
    }
  }
  if (current && current.ts === input.ts && sameJson(current.data, data)) return null;
  return {
    kind: input.kind,
    id: input.entity.id,
    data,
    ts: input.ts,
    fieldTs,
    eventId: input.eventId,
    eventType: input.eventType,
    updatedAt: now,
  };
}

function projectRef(
  current: EntitySnapshot | null,
  input: Extract<ProjectionInput, { mode: 'ref' }>,
  now: number,
): EntitySnapshot | null {
  const data: GrowrkEntity = current ? { ...current.data } : { id: input.ref.id };
  const fieldTs = { ...(current?.fieldTs ?? {}) };
  let changed = current === null;
  for (const field of REF_FIELDS) {
    const value = input.ref[field];
    if (value === undefined || value === null || value === '') continue;
    const since = fieldTs[field] ?? current?.ts ?? Number.NEGATIVE_INFINITY;
    const missing = data[field] === undefined || data[field] === null;
    if ((missing || input.ts > since) && data[field] !== value) {
      data[field] = value;
      fieldTs[field] = input.ts;
      changed = true;
    }
  }
  if (!changed) return null;
  return {
    kind: 'employee',
    id: input.ref.id,
    data,
    ts: current?.ts ?? null,
    fieldTs,
    eventId: input.eventId,
    eventType: input.eventType,
    updatedAt: now,
  };
}

/**
 * Whether a changed snapshot should get sync jobs: only entities GroWrk has sent in full. One known
 * only from references (a manager named in an employee, the employee of an order) gives a
 * connector nothing to act on; it is synced once its own event arrives, and connectors that need
 * it meanwhile (an asset's contact) read it through their context.
 */
export function needsSync(snapshot: EntitySnapshot): boolean {
  return snapshot.ts !== null;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Reads an embedded employee reference (`{id, displayName, email}`) from a field, if it is one. */
export function employeeRefOf(value: unknown): EmployeeRef | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const record = value as Record<string, unknown>;
  const id = typeof record.id === 'number' ? String(record.id) : record.id;
  if (typeof id !== 'string' || id === '') return null;
  return {
    id,
    displayName: typeof record.displayName === 'string' ? record.displayName : undefined,
    email: typeof record.email === 'string' ? record.email : undefined,
  };
}

/**
 * Every projection input one event yields: each entity in full, then the employees it references
 * (an order's or product's `employee`, an employee's `manager`).
 */
export function projectionInputs(event: {
  id: string;
  type: string;
  kind: EntityKind;
  timestampMs: number;
  entities: GrowrkEntity[];
}): ProjectionInput[] {
  const inputs: ProjectionInput[] = [];
  const base = { ts: event.timestampMs, eventId: event.id, eventType: event.type };
  for (const entity of event.entities) {
    inputs.push({ mode: 'full', kind: event.kind, entity, ...base });
  }
  for (const entity of event.entities) {
    const refField = event.kind === 'employee' ? 'manager' : 'employee';
    const ref = employeeRefOf(entity[refField]);
    if (ref && !(event.kind === 'employee' && ref.id === entity.id)) {
      inputs.push({ mode: 'ref', kind: 'employee', ref, ...base });
    }
  }
  return inputs;
}
