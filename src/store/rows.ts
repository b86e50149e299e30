import { emptyTimeline, type OffboardingRecord, type OffboardingStatus } from '../core/offboarding.ts';
import type { EntitySnapshot } from '../core/projection.ts';
import type { EntityKind, GrowrkEntity } from '../growrk/types.ts';
import type {
  EventStatus,
  HeldChange,
  Job,
  JobState,
  Outcome,
  OutcomeResult,
  Run,
  RunItem,
  RunKeyMatch,
  StoredEvent,
} from './types.ts';

/**
 * Row mappers shared by the SQLite and PostgreSQL stores: both use the same column names and keep
 * JSON as text, so one mapping serves both.
 */
type Row = Record<string, unknown>;

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : num(v));
const str = (v: unknown): string => String(v);
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const json = <T>(v: unknown, fallback: T): T =>
  v === null || v === undefined ? fallback : (JSON.parse(String(v)) as T);
const errorOf = (code: unknown, message: unknown): { code: string; message: string } | null =>
  code === null || code === undefined ? null : { code: String(code), message: String(message ?? '') };

export function eventFromRow(r: Row): StoredEvent {
  return {
    id: str(r.id),
    bodyHash: str(r.body_hash),
    type: strOrNull(r.type),
    companyId: strOrNull(r.company_id),
    timestamp: strOrNull(r.growrk_ts),
    receivedAt: num(r.received_at),
    status: str(r.status) as EventStatus,
    error: errorOf(r.error_code, r.error_message),
    body: str(r.body),
    entityKeys: json<string[]>(r.entity_keys, []),
  };
}

export function entityFromRow(r: Row): EntitySnapshot {
  return {
    kind: str(r.kind) as EntityKind,
    id: str(r.id),
    data: json<GrowrkEntity>(r.data, { id: str(r.id) }),
    ts: numOrNull(r.ts),
    fieldTs: json<Record<string, number>>(r.field_ts, {}),
    eventId: str(r.event_id),
    eventType: str(r.event_type),
    updatedAt: num(r.updated_at),
  };
}

export function offboardingFromRow(r: Row): OffboardingRecord {
  return {
    id: str(r.id),
    connector: str(r.connector),
    employeeId: str(r.employee_id),
    status: str(r.status) as OffboardingStatus,
    openedAt: num(r.opened_at),
    closedAt: numOrNull(r.closed_at),
    updatedAt: num(r.updated_at),
    timeline: { ...emptyTimeline(), ...json<Partial<OffboardingRecord['timeline']>>(r.timeline, {}) },
  };
}

/** The column values of an offboarding, in the order both stores insert them. */
export function offboardingColumns(o: OffboardingRecord): Array<string | number | null> {
  return [
    o.id,
    o.connector,
    o.employeeId,
    o.status,
    o.openedAt,
    o.closedAt,
    o.updatedAt,
    JSON.stringify(o.timeline),
  ];
}

export function jobFromRow(r: Row): Job {
  return {
    id: str(r.id),
    connector: str(r.connector),
    kind: str(r.kind) as EntityKind,
    entityId: str(r.entity_id),
    state: str(r.state) as JobState,
    attempts: num(r.attempts),
    runAt: num(r.run_at),
    priority: num(r.priority ?? 0),
    eventIds: json<string[]>(r.event_ids, []),
    lastError: errorOf(r.error_code, r.error_message),
    owner: strOrNull(r.owner),
    leaseUntil: numOrNull(r.lease_until),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  };
}

export function outcomeFromRow(r: Row): Outcome {
  return {
    id: num(r.id),
    eventId: strOrNull(r.event_id),
    connector: str(r.connector),
    kind: str(r.kind) as EntityKind,
    entityId: str(r.entity_id),
    result: str(r.result) as OutcomeResult,
    summary: str(r.summary),
    detail: json<unknown>(r.detail, undefined),
    error: errorOf(r.error_code, r.error_message),
    at: num(r.at),
  };
}

export function heldFromRow(r: Row): HeldChange {
  return {
    id: str(r.id),
    connector: str(r.connector),
    kind: str(r.kind) as EntityKind,
    entityId: str(r.entity_id),
    reason: str(r.reason),
    plan: json<unknown>(r.plan, null),
    eventIds: json<string[]>(r.event_ids, []),
    status: str(r.status) as HeldChange['status'],
    createdAt: num(r.created_at),
    decidedAt: numOrNull(r.decided_at),
    decidedBy: strOrNull(r.decided_by),
  };
}

export function runFromRow(r: Row): Run {
  return {
    id: str(r.id),
    connector: strOrNull(r.connector),
    trigger: str(r.trigger) as Run['trigger'],
    dryRun: Boolean(num(r.dry_run)),
    startedAt: num(r.started_at),
    finishedAt: numOrNull(r.finished_at),
    status: str(r.status) as Run['status'],
    plan: json<unknown>(r.plan, null),
    result: json<unknown>(r.result, null),
    errors: json<Run['errors']>(r.errors, []),
    ...(r.checkpoint === null || r.checkpoint === undefined
      ? {}
      : { checkpoint: json<unknown>(r.checkpoint, null) }),
  };
}

/** A run item from its row. */
export function runItemFromRow(r: Row): RunItem {
  return {
    seq: num(r.seq),
    group: str(r.grp),
    kind: str(r.kind) as EntityKind,
    entityId: str(r.entity_id),
    plan: json<unknown>(r.plan, null),
    budgeted: Boolean(num(r.budgeted)),
  };
}

/** A row of a run's key index joined with its entity's match. */
export function runKeyMatchFromRow(r: Row): RunKeyMatch {
  return {
    key: str(r.key),
    entityId: str(r.entity_id),
    rank: num(r.rank),
    matchedRank: r.matched_rank === null || r.matched_rank === undefined ? null : num(r.matched_rank),
  };
}

/** Column values for a run patch, shared by both stores' updateRun. */
export function runPatchColumns(patch: Partial<Omit<Run, 'id'>>): Record<string, string | number | null> {
  const cols: Record<string, string | number | null> = {};
  if (patch.connector !== undefined) cols.connector = patch.connector;
  if (patch.trigger !== undefined) cols.trigger = patch.trigger;
  if (patch.dryRun !== undefined) cols.dry_run = patch.dryRun ? 1 : 0;
  if (patch.startedAt !== undefined) cols.started_at = patch.startedAt;
  if (patch.finishedAt !== undefined) cols.finished_at = patch.finishedAt;
  if (patch.status !== undefined) cols.status = patch.status;
  if (patch.plan !== undefined) cols.plan = JSON.stringify(patch.plan);
  if (patch.result !== undefined) cols.result = JSON.stringify(patch.result);
  if (patch.errors !== undefined) cols.errors = JSON.stringify(patch.errors);
  if (patch.checkpoint !== undefined) cols.checkpoint = JSON.stringify(patch.checkpoint);
  return cols;
}
