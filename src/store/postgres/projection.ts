/**
 * The PostgreSQL projection behind the acknowledgement: an acknowledgement commits only inbox
 * rows (and, for each to project, a row of `inbox_pending` with what that needs); this projects
 * them afterwards, in
 * slices, in transactions of their own. One projector runs at a time per schema, across every
 * instance (an advisory transaction lock), and it is the only writer of `entities`, so each slice
 * reads the snapshots, projects its events one by one in order with the pure core
 * ({@link projectBatch}), and writes the result, exactly as projecting them one at a time would.
 */
import type pg from 'pg';
import { type ProjectionSettings, parseBatch, projectBatch } from '../../core/fan-out.ts';
import { newId } from '../../core/ids.ts';
import type { EntitySnapshot } from '../../core/projection.ts';
import { type EntityKind, entityKey } from '../../growrk/types.ts';
import { MAX_EVENT_IDS_PER_JOB } from '../job-requests.ts';
import { RANK } from '../pending.ts';
import { entityFromRow } from '../rows.ts';
import type { JobRequest, OutcomeInput } from '../types.ts';
import { advisoryXactLockSql } from './advisory-lock.ts';
import { sqlState } from './connection.ts';
import { JOBS_CHANNEL, jobsPayload } from './notify.ts';

type Row = Record<string, unknown>;
type Queryable = Pick<pg.PoolClient, 'query'>;

/** The store the projection writes for (its schema, and who it is in NOTIFY payloads). */
export interface ProjectionContext {
  schema: string;
  instanceId: string;
  /** Inserts ledger rows inside the transaction. */
  insertOutcomes(c: Queryable, outcomes: readonly OutcomeInput[]): Promise<void>;
}

/** What one slice did. */
export interface SliceResult {
  /** Rows taken (projected, or kept with PROJECTION_FAILED). */
  events: number;
  /** Of them urgent. */
  urgent: number;
  /** Job requests made (each one NOTIFYed with its statement). */
  jobs: number;
}

/** The projection's advisory lock key (with the schema). */
const PROJECTION_LOCK = 'growrk-sync:projection';

/**
 * Takes the projection's lock for the rest of the transaction: waits while another instance (or
 * this one) projects. Every statement after it sees what the previous holder committed.
 */
export async function lockProjection(c: Queryable, schema: string): Promise<void> {
  await c.query('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', [PROJECTION_LOCK, schema]);
}

/**
 * {@link lockProjection} as a statement without parameters (the same lock), to be sent with the
 * transaction's BEGIN in one round trip.
 */
export function lockProjectionSql(schema: string): string {
  return advisoryXactLockSql(PROJECTION_LOCK, schema);
}

/**
 * The savepoint a slice is projected in, as a statement a caller may send with the transaction's
 * BEGIN (then it passes `savepointSet` to {@link projectSlice}).
 */
export const SLICE_SAVEPOINT = 'SAVEPOINT projection_slice';
const SLICE_RELEASE = 'RELEASE SAVEPOINT projection_slice';

/** SQLSTATE classes of a failure of the database or the connection, not of the event: never kept as PROJECTION_FAILED. */
const NOT_THE_EVENT = /^(08|40|53|57|58|XX)/;

/**
 * Projects up to `limit` unprojected rows, urgent first, then in arrival order, inside the
 * caller's transaction (which holds {@link lockProjection}). A slice that fails is projected again
 * one event at a time, and an event that fails alone is kept with PROJECTION_FAILED (it projects
 * nothing; the others go on). A failure of the database itself fails the whole transaction.
 * `savepointSet`: the caller took {@link SLICE_SAVEPOINT} already (with its BEGIN, one round trip
 * fewer), and nothing since.
 */
export async function projectSlice(
  c: Queryable,
  limit: number,
  ctx: ProjectionContext,
  savepointSet = false,
): Promise<SliceResult> {
  const rows = (
    await c.query<Row>(
      `SELECT p.rank, p.seq, p.id, p.received_at, p.settings, i.body
         FROM inbox_pending p JOIN inbox i ON i.id = p.id
        WHERE p.rank < $2 ORDER BY p.rank, p.seq LIMIT $1`,
      [limit, RANK.parked],
    )
  ).rows;
  const result: SliceResult = {
    events: rows.length,
    urgent: rows.filter((r) => Number(r.rank) === RANK.urgent).length,
    jobs: 0,
  };
  if (rows.length === 0) return result;
  // The whole slice's savepoint is left to the transaction's end (its commit releases it): one
  // round trip fewer on the way to the jobs' claim.
  const whole = await attempt(c, rows, ctx, { set: savepointSet, release: false });
  if (whole.ok) {
    result.jobs = whole.jobs;
    return result;
  }
  for (const row of rows) {
    const alone = await attempt(c, [row], ctx, { set: false, release: true });
    if (alone.ok) {
      result.jobs += alone.jobs;
      continue;
    }
    const message = alone.error instanceof Error ? alone.error.message : String(alone.error);
    await c.query(`UPDATE inbox SET error_code = 'PROJECTION_FAILED', error_message = $1 WHERE id = $2`, [
      message.slice(0, 500),
      String(row.id),
    ]);
    // Parked in the queue with its settings: out of the backlog, kept for a fix.
    await c.query('UPDATE inbox_pending SET rank = rank + $1 WHERE rank = $2 AND seq = $3', [
      RANK.parked,
      Number(row.rank),
      String(row.seq),
    ]);
  }
  return result;
}

/**
 * Projects `rows` inside a savepoint: on an error of the events, undone and answered, not thrown.
 * `savepoint.set`: taken already; `savepoint.release`: released on success (else it stays until
 * the transaction ends).
 */
async function attempt(
  c: Queryable,
  rows: readonly Row[],
  ctx: ProjectionContext,
  savepoint: { set: boolean; release: boolean },
): Promise<{ ok: true; jobs: number } | { ok: false; error: unknown }> {
  if (!savepoint.set) await c.query(SLICE_SAVEPOINT);
  try {
    const jobs = await projectRows(c, rows, ctx);
    if (savepoint.release) await c.query(SLICE_RELEASE);
    return { ok: true, jobs };
  } catch (error) {
    if (isOfTheDatabase(error)) throw error;
    await c.query('ROLLBACK TO SAVEPOINT projection_slice');
    await c.query(SLICE_RELEASE);
    return { ok: false, error };
  }
}

function isOfTheDatabase(err: unknown): boolean {
  const code = sqlState(err);
  return code !== null && NOT_THE_EVENT.test(code);
}

/**
 * Projects stored rows in order (the core's {@link projectBatch}): the snapshots they touch read
 * once, then one upsert for the changed snapshots, one for the jobs, one for the ledger, and the
 * rows marked projected.
 */
async function projectRows(c: Queryable, rows: readonly Row[], ctx: ProjectionContext): Promise<number> {
  const batch = parseBatch(
    rows.map((row) => ({
      id: String(row.id),
      body: String(row.body),
      receivedAt: Number(row.received_at),
      settings: row.settings as ProjectionSettings,
    })),
  );
  const current = await readSnapshots(c, batch.touched);
  const { changed, jobs, outcomes } = projectBatch(batch, current);
  await writeSnapshots(c, changed);
  await upsertJobs(
    c,
    jobs.map((job) => ({ ...job, now: job.runAt })),
    ctx,
  );
  await ctx.insertOutcomes(c, outcomes);
  await done(c, rows);
  return jobs.length;
}

/** The rows owe the projection nothing more: their queue rows go. */
async function done(c: Queryable, rows: readonly Row[]): Promise<void> {
  await c.query(
    `DELETE FROM inbox_pending p USING unnest($1::smallint[], $2::bigint[]) AS d(rank, seq)
      WHERE p.rank = d.rank AND p.seq = d.seq`,
    [rows.map((r) => Number(r.rank)), rows.map((r) => String(r.seq))],
  );
}

async function readSnapshots(
  c: Queryable,
  touched: ReadonlyArray<{ kind: EntityKind; id: string }>,
): Promise<Map<string, EntitySnapshot>> {
  const current = new Map<string, EntitySnapshot>();
  if (touched.length === 0) return current;
  const found = await c.query<Row>(
    `SELECT e.* FROM entities e JOIN unnest($1::text[], $2::text[]) AS t(kind, id) ON e.kind = t.kind AND e.id = t.id`,
    [touched.map((t) => t.kind), touched.map((t) => t.id)],
  );
  for (const row of found.rows) {
    const snapshot = entityFromRow(row);
    current.set(entityKey(snapshot.kind, snapshot.id), snapshot);
  }
  return current;
}

/** One statement for every changed snapshot, each in its final state. */
async function writeSnapshots(c: Queryable, written: readonly EntitySnapshot[]): Promise<void> {
  if (written.length === 0) return;
  await c.query(
    `INSERT INTO entities (kind, id, data, ts, field_ts, event_id, event_type, updated_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::bigint[])
     ON CONFLICT (kind, id) DO UPDATE SET data = excluded.data, ts = excluded.ts, field_ts = excluded.field_ts,
       event_id = excluded.event_id, event_type = excluded.event_type, updated_at = excluded.updated_at`,
    [
      written.map((r) => r.kind),
      written.map((r) => r.id),
      written.map((r) => JSON.stringify(r.data)),
      written.map((r) => r.ts),
      written.map((r) => JSON.stringify(r.fieldTs)),
      written.map((r) => r.eventId),
      written.map((r) => r.eventType),
      written.map((r) => r.updatedAt),
    ],
  );
}

interface MergedJob {
  connector: string;
  kind: EntityKind;
  entityId: string;
  runAt: number;
  priority: number;
  eventIds: string[];
  createdAt: number;
  updatedAt: number;
}

/**
 * The job requests of one slice (each with its event's time as `now`), merged per (connector,
 * entity) in order as coalescing them one by one into the pending job would (earliest `runAt`,
 * event ids appended up to {@link MAX_EVENT_IDS_PER_JOB}, `updated_at` of the last).
 */
function mergeJobs(requests: ReadonlyArray<JobRequest & { now: number }>): MergedJob[] {
  const merged = new Map<string, MergedJob>();
  for (const r of requests) {
    const key = `${r.connector}\u0000${r.kind}\u0000${r.entityId}`;
    const job = merged.get(key);
    if (!job) {
      merged.set(key, {
        connector: r.connector,
        kind: r.kind,
        entityId: r.entityId,
        runAt: r.runAt,
        priority: r.priority ?? 0,
        eventIds: r.eventId ? [r.eventId] : [],
        createdAt: r.now,
        updatedAt: r.now,
      });
      continue;
    }
    job.runAt = Math.min(job.runAt, r.runAt);
    job.priority = Math.max(job.priority, r.priority ?? 0);
    if (r.eventId && job.eventIds.length < MAX_EVENT_IDS_PER_JOB && !job.eventIds.includes(r.eventId)) {
      job.eventIds.push(r.eventId);
    }
    job.updatedAt = r.now;
  }
  // Rows go in (connector, kind, entity) order, so two transactions never wait on each other's
  // job rows in a cycle.
  return [...merged.values()].sort(
    (a, b) => compare(a.connector, b.connector) || compare(a.kind, b.kind) || compare(a.entityId, b.entityId),
  );
}

/** Upserts the slice's jobs into the pending job of each (connector, entity) in one statement, then NOTIFY. */
async function upsertJobs(
  c: Queryable,
  requests: ReadonlyArray<JobRequest & { now: number }>,
  ctx: ProjectionContext,
): Promise<void> {
  if (requests.length === 0) return;
  const ordered = mergeJobs(requests);
  await c.query(
    `WITH upserted AS (
       INSERT INTO jobs (id, connector, kind, entity_id, state, attempts, run_at, event_ids, created_at, updated_at, priority)
       SELECT id, connector, kind, entity_id, 'pending', 0, run_at, event_ids, created_at, updated_at, priority
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::bigint[], $8::bigint[], $11::int[])
              WITH ORDINALITY AS t(id, connector, kind, entity_id, run_at, event_ids, created_at, updated_at, priority, n)
        ORDER BY n
       ON CONFLICT (connector, kind, entity_id) WHERE state = 'pending' DO UPDATE SET
         run_at = LEAST(jobs.run_at, excluded.run_at),
         priority = GREATEST(jobs.priority, excluded.priority),
         event_ids = CASE
           WHEN excluded.event_ids = '[]' OR jsonb_array_length(jobs.event_ids::jsonb) >= ${MAX_EVENT_IDS_PER_JOB}
           THEN jobs.event_ids
           ELSE (SELECT (jobs.event_ids::jsonb || coalesce(jsonb_agg(x ORDER BY o), '[]'::jsonb))::text
                   FROM (SELECT x, o FROM jsonb_array_elements(excluded.event_ids::jsonb) WITH ORDINALITY AS a(x, o)
                          WHERE NOT jobs.event_ids::jsonb @> jsonb_build_array(x)
                          ORDER BY o
                          LIMIT GREATEST(0, ${MAX_EVENT_IDS_PER_JOB} - jsonb_array_length(jobs.event_ids::jsonb))) AS added)
           END,
         updated_at = excluded.updated_at
       RETURNING 1)
     SELECT count(*) AS n, pg_notify($9, $10) FROM upserted`,
    [
      ordered.map((j) => newId('job', j.createdAt)),
      ordered.map((j) => j.connector),
      ordered.map((j) => j.kind),
      ordered.map((j) => j.entityId),
      ordered.map((j) => j.runAt),
      ordered.map((j) => JSON.stringify(j.eventIds)),
      ordered.map((j) => j.createdAt),
      ordered.map((j) => j.updatedAt),
      JOBS_CHANNEL,
      jobsPayload(ctx.schema, ctx.instanceId),
      ordered.map((j) => j.priority),
    ],
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
