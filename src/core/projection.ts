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
  /**
   * The full event behind `data` and `ts` (an event that only enriched it through a reference
   * leaves it), or, while the entity is only known from references, the first that named it.
   */
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

/** Statuses that clearly re-activate an offboarded person (a rehire); nothing else undoes an offboarding. */
export const REACTIVATING_STATUSES: readonly string[] = ['active', 'rehired'];

/** What one input does to a snapshot. */
export interface Projected {
  /** The new snapshot, or null when the input changes nothing. */
  next: EntitySnapshot | null;
  /**
   * Set when a full input changes nothing because a newer event was applied already: that event
   * (its id and GroWrk timestamp), which the ledger names as having superseded this one.
   */
  supersededBy: { eventId: string; ts: number } | null;
}

/** How a projection runs. */
export interface ProjectOptions {
  /**
   * GroWrk timestamps after this (epoch ms) cannot be trusted: a stored snapshot or field dated
   * later was set by a clock error (before such events were refused) and must not block newer
   * events forever. Unset: every stored timestamp is trusted.
   */
  trustUntil?: number | undefined;
}

/**
 * Applies one input to the current snapshot (pure). Returns the new snapshot, or null when the
 * input changes nothing; {@link projectInput} also says why.
 */
export function project(
  current: EntitySnapshot | null,
  input: ProjectionInput,
  now: number,
  options: ProjectOptions = {},
): EntitySnapshot | null {
  return projectInput(current, input, now, options).next;
}

/**
 * Applies one input to the current snapshot (pure). An older event never overwrites a newer one
 * (it is superseded, naming the newer event); an identical one changes nothing; an offboarding is
 * sticky (see {@link keepOffboarded}).
 */
export function projectInput(
  current: EntitySnapshot | null,
  input: ProjectionInput,
  now: number,
  options: ProjectOptions = {},
): Projected {
  // A reference enriches what is there; a snapshot from the future is undone by the next full event.
  if (input.mode === 'ref') return { next: projectRef(current, input, now), supersededBy: null };
  const trusted = trustedPart(current, options.trustUntil);
  if (trusted?.ts != null && trusted.ts > input.ts) {
    return { next: null, supersededBy: { eventId: trusted.eventId, ts: trusted.ts } };
  }
  return { next: projectFull(trusted, input, now), supersededBy: null };
}

/** The snapshot without the timestamps that cannot be trusted (a snapshot from the future). */
function trustedPart(current: EntitySnapshot | null, trustUntil: number | undefined): EntitySnapshot | null {
  if (current === null || trustUntil === undefined) return current;
  const fieldTs = Object.fromEntries(Object.entries(current.fieldTs).filter(([, ts]) => ts <= trustUntil));
  const ts = current.ts !== null && current.ts > trustUntil ? Number.NEGATIVE_INFINITY : current.ts;
  if (ts === current.ts && Object.keys(fieldTs).length === Object.keys(current.fieldTs).length)
    return current;
  return { ...current, ts, fieldTs };
}

/** Whether a snapshot (or the data and type of an event) says the person is offboarded. */
export function isOffboarded(entity: { data: GrowrkEntity; eventType: string }): boolean {
  return entity.eventType === 'employee.offboarded' || statusOf(entity.data) === 'offboarded';
}

function statusOf(data: GrowrkEntity): string | undefined {
  return typeof data.status === 'string' ? data.status.trim().toLowerCase() : undefined;
}

/**
 * Offboarding is sticky: once the projection says a person is offboarded, a newer event undoes it
 * only when it clearly re-activates them (status `active` or `rehired`). Any other newer employee
 * event (a job title changed, a status left out or unclear) is merged, but the status stays
 * offboarded. Returns the status to keep, or undefined when the event may set its own.
 */
export function keepOffboarded(
  current: EntitySnapshot | null,
  input: { kind: EntityKind; entity: GrowrkEntity; eventType: string },
): string | undefined {
  if (input.kind !== 'employee' || current === null || current.ts === null || !isOffboarded(current)) {
    return undefined;
  }
  if (isOffboarded({ data: input.entity, eventType: input.eventType })) return undefined;
  if (REACTIVATING_STATUSES.includes(statusOf(input.entity) ?? '')) return undefined;
  return statusOf(current.data) === 'offboarded' ? String(current.data.status) : 'offboarded';
}

function projectFull(
  current: EntitySnapshot | null,
  input: Extract<ProjectionInput, { mode: 'full' }>,
  now: number,
): EntitySnapshot | null {
  const data: GrowrkEntity = { ...input.entity };
  if (input.eventType === 'employee.offboarded' && (data.status === undefined || data.status === null)) {
    data.status = 'offboarded';
  }
  const kept = keepOffboarded(current, input);
  if (kept !== undefined) data.status = kept;
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
  // A snapshot set from a full event keeps naming that event: a reference only enriches it.
  const source = current?.ts != null ? current : null;
  return {
    kind: 'employee',
    id: input.ref.id,
    data,
    ts: current?.ts ?? null,
    fieldTs,
    eventId: source?.eventId ?? input.eventId,
    eventType: source?.eventType ?? input.eventType,
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
