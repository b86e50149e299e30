import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { type ProjectionSettings, parseBatch, projectBatch } from '../../core/fan-out.ts';
import { newId } from '../../core/ids.ts';
import type { OffboardingFilter, OffboardingRecord } from '../../core/offboarding.ts';
import { jobPriority } from '../../core/priority.ts';
import type { EntitySnapshot } from '../../core/projection.ts';
import { SyncError } from '../../errors.ts';
import { type EntityKind, entityKey } from '../../growrk/types.ts';
import { Behind, type BehindLimits } from '../behind.ts';
import { deadJobRequests, MAX_EVENT_IDS_PER_JOB, replayRequests } from '../job-requests.ts';
import { projectionOf, RANK } from '../pending.ts';
import {
  entityFromRow,
  eventFromRow,
  heldFromRow,
  jobFromRow,
  offboardingColumns,
  offboardingFromRow,
  outcomeFromRow,
  runFromRow,
  runItemFromRow,
  runKeyMatchFromRow,
  runPatchColumns,
} from '../rows.ts';
import type {
  AttentionCount,
  CallBudgetRequest,
  ClaimRequest,
  EventFilter,
  HeldChange,
  IngestInput,
  IngestResult,
  Job,
  JobFinish,
  JobRequest,
  JobState,
  Outcome,
  OutcomeInput,
  ProjectionBacklog,
  ReplayTarget,
  Run,
  RunItem,
  RunItemCursor,
  RunItemInput,
  RunKeyEntity,
  RunKeyMatch,
  RunListPage,
  Store,
  StoredEvent,
} from '../types.ts';
import { GroupCommitter } from './group-commit.ts';
import { SQLITE_MIGRATIONS } from './migrations.ts';
import { Savepoint } from './savepoint.ts';
import { WalSync } from './wal-sync.ts';

type Row = Record<string, unknown>;

/** Events projected per statement batch when a read catches the projection up. */
const FRESH_SLICE = 512;

/** Options for {@link openSqliteStore}. */
export interface SqliteStoreOptions {
  /** File path, or `:memory:`. */
  path: string;
  /** Milliseconds to wait for another process's write lock. Default 5000. */
  busyTimeoutMs?: number;
  /** When the projection behind the acknowledgement runs (default {@link DEFAULT_BEHIND_LIMITS}). */
  behind?: BehindLimits;
}

/**
 * The embedded store on Node's built-in `node:sqlite`: WAL, every commit fsynced before it is
 * acknowledged (see {@link WalSync}), and group commit
 * (all writes of one event-loop turn share one durable commit).
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  private readonly db: DatabaseSync;
  private readonly committer: GroupCommitter;
  private readonly listeners = new Set<() => void>();
  private readonly statements = new Map<string, StatementSync>();
  private jobsReady = false;
  private readonly walSync: WalSync | null;
  private readonly behind: Behind;
  private projectionSavepoint: Savepoint | null = null;
  private closed = false;

  constructor(options: SqliteStoreOptions) {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.db = new DatabaseSync(options.path);
    this.db.exec(`PRAGMA busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    this.db.exec('PRAGMA journal_mode = WAL');
    // Durability comes from WalSync's fsync of the WAL before any caller is answered (what FULL
    // does, but off this thread); an in-memory database has nothing to sync.
    const onDisk = options.path !== ':memory:';
    this.db.exec(`PRAGMA synchronous = ${onDisk ? 'NORMAL' : 'FULL'}`);
    this.walSync = onDisk ? new WalSync(options.path) : null;
    this.db.exec('PRAGMA foreign_keys = ON');
    this.committer = new GroupCommitter(this.db, () => this.afterCommit(), this.walSync);
    this.behind = new Behind({
      project: (limit) => this.projectBehind(limit),
      busy: () => this.committer.busy(),
      limits: options.behind,
    });
  }

  private afterCommit(): void {
    this.behind.wake();
    if (!this.jobsReady) return;
    this.jobsReady = false;
    for (const listener of this.listeners) listener();
  }

  private stmt(sql: string): StatementSync {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private get(sql: string, ...params: SQLInputValue[]): Row | undefined {
    return this.stmt(sql).get(...params) as Row | undefined;
  }

  private all(sql: string, ...params: SQLInputValue[]): Row[] {
    return this.stmt(sql).all(...params) as Row[];
  }

  private run(sql: string, ...params: SQLInputValue[]): { changes: number } {
    const result = this.stmt(sql).run(...params);
    return { changes: Number(result.changes) };
  }

  async migrate(): Promise<{ applied: number[] }> {
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at INTEGER)',
    );
    const applied: number[] = [];
    for (const migration of SQLITE_MIGRATIONS) {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const done = this.db
          .prepare('SELECT 1 FROM schema_migrations WHERE version = ?')
          .get(migration.version);
        if (!done) {
          this.db.exec(migration.sql);
          this.db
            .prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
            .run(migration.version, migration.name, Date.now());
          applied.push(migration.version);
        }
        this.db.exec('COMMIT');
      } catch (err) {
        this.db.exec('ROLLBACK');
        throw err;
      }
    }
    const waiting = this.db
      .prepare(
        `SELECT count(*) AS n, coalesce(sum(rank = ${RANK.urgent}), 0) AS u FROM inbox_pending WHERE rank < ${RANK.parked}`,
      )
      .get() as Row;
    this.behind.restore(Number(waiting.n), Number(waiting.u));
    return { applied };
  }

  async projectionBacklog(): Promise<ProjectionBacklog> {
    const parked = this.stmt(
      `SELECT count(*) AS n FROM inbox_pending WHERE rank >= ${RANK.parked}`,
    ).get() as Row;
    return { ...this.behind.backlog(), failedEvents: Number(parked.n) };
  }

  /** One background slice of the projection. */
  private projectBehind(limit: number): void {
    if (!this.closed) this.projectInOwnCommit(limit, false);
  }

  /**
   * Projects a slice of at most `limit` acknowledged events (every one, with `all`) in a commit
   * of its own, outside the group committer: no caller waits for its fsync, since the inbox rows
   * it derives from are durable and a lost projection is redone from them.
   */
  private projectInOwnCommit(limit: number, all: boolean): void {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      while (this.projectSlice(limit) === limit && all);
      this.db.exec('COMMIT');
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
    this.afterCommit();
  }

  async ready(): Promise<boolean> {
    if (this.closed) return false;
    const latest = SQLITE_MIGRATIONS[SQLITE_MIGRATIONS.length - 1]!.version;
    try {
      const row = this.db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as Row | undefined;
      return Number(row?.v) === latest;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.behind.stop();
    await this.committer.drain();
    // A clean stop leaves nothing behind: what this connection acknowledged is projected now (a
    // process that is killed leaves it to the next start, which finds the rows).
    this.fresh();
    this.closed = true;
    this.walSync?.close();
    this.db.close();
  }

  // --- inbox and projection ---------------------------------------------------------

  ingest(input: IngestInput): Promise<IngestResult> {
    return this.committer.run(() => this.appendNow(input));
  }

  /**
   * The acknowledgement's writes: the inbox row (a body seen before answers as a duplicate of its
   * first row) and, for an accepted event of a known family, its place in `inbox_pending` with
   * what its projection needs; {@link projectBehind} projects it after the commit, in batches.
   */
  private appendNow(input: IngestInput): IngestResult {
    const event = input.event;
    const projection = projectionOf(input);
    const keys = event?.kind ? event.entities.map((e) => entityKey(event.kind!, e.id)) : [];
    const timestamp = event?.timestamp ?? null;
    const inserted = this.stmt(
      `INSERT INTO inbox (id, body_hash, type, company_id, growrk_ts, received_at, status, error_code, error_message, body, entity_keys)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (coalesce(growrk_ts, ''), body_hash) DO NOTHING`,
    ).run(
      input.id,
      input.bodyHash,
      event?.type ?? input.type ?? null,
      event?.companyId ?? null,
      timestamp,
      input.receivedAt,
      input.status,
      input.error?.code ?? null,
      input.error?.message ?? null,
      input.body,
      JSON.stringify(keys),
    );
    if (Number(inserted.changes) === 0) {
      const existing = this.stmt(
        "SELECT id, status FROM inbox WHERE coalesce(growrk_ts, '') = ? AND body_hash = ?",
      ).get(timestamp ?? '', input.bodyHash) as Row;
      return { id: String(existing.id), duplicate: true, status: existing.status as IngestResult['status'] };
    }
    if (projection) {
      this.stmt('INSERT INTO inbox_pending (rank, seq, settings) VALUES (?, ?, ?)').run(
        projection.urgent ? RANK.urgent : RANK.normal,
        inserted.lastInsertRowid,
        JSON.stringify(projection.settings),
      );
      this.behind.appended(projection.urgent);
    }
    return { id: input.id, duplicate: false, status: input.status };
  }

  /**
   * Read-your-writes: every event acknowledged so far is projected before a read of the
   * projection, its jobs or its ledger answers.
   */
  private fresh(): void {
    if (this.behind.pending > 0 && !this.closed) this.projectInOwnCommit(FRESH_SLICE, true);
  }

  /**
   * Projects up to `limit` acknowledged events, urgent ones first, then in arrival order, inside
   * the caller's transaction; returns how many it took. A batch that fails is projected again one
   * event at a time, and an event that fails alone is kept with PROJECTION_FAILED (it projects
   * nothing; the others go on).
   */
  private projectSlice(limit: number): number {
    const rows = this.stmt(
      `SELECT p.rank, p.seq, p.settings, i.id, i.received_at, i.body
       FROM inbox_pending p JOIN inbox i ON i.seq = p.seq WHERE p.rank < ${RANK.parked} ORDER BY p.rank, p.seq LIMIT ?`,
    ).all(limit) as Row[];
    if (rows.length === 0) {
      this.behind.projected(0, 0, true);
      return 0;
    }
    this.projectionSavepoint ??= new Savepoint(this.db, 'projection');
    const savepoint = this.projectionSavepoint;
    try {
      savepoint.run(() => this.projectRows(rows));
    } catch {
      for (const row of rows) {
        try {
          savepoint.run(() => this.projectRows([row]));
        } catch (err) {
          this.stmt("UPDATE inbox SET error_code = 'PROJECTION_FAILED', error_message = ? WHERE seq = ?").run(
            err instanceof Error ? err.message.slice(0, 500) : String(err).slice(0, 500),
            row.seq as number,
          );
          // Parked in the queue with its settings: counted (`failedEvents`), replayable.
          this.stmt('UPDATE inbox_pending SET rank = rank + ? WHERE rank = ? AND seq = ?').run(
            RANK.parked,
            row.rank as number,
            row.seq as number,
          );
        }
      }
    }
    const urgent = rows.filter((row) => Number(row.rank) === RANK.urgent).length;
    this.behind.projected(rows.length, urgent, rows.length < limit);
    return rows.length;
  }

  /** Projects stored rows in order (the core's {@link projectBatch}), then marks them projected. */
  private projectRows(rows: readonly Row[]): void {
    const batch = parseBatch(
      rows.map((row) => ({
        id: String(row.id),
        body: String(row.body),
        receivedAt: Number(row.received_at),
        settings: JSON.parse(String(row.settings)) as ProjectionSettings,
      })),
    );
    const current = new Map<string, EntitySnapshot>();
    for (const t of batch.touched) {
      const found = this.stmt('SELECT * FROM entities WHERE kind = ? AND id = ?').get(t.kind, t.id) as
        | Row
        | undefined;
      if (found) current.set(entityKey(t.kind, t.id), entityFromRow(found));
    }
    const { changed, jobs, outcomes } = projectBatch(batch, current);
    this.insertOutcomes(outcomes);
    for (const job of jobs) this.enqueueNow([job], job.runAt);
    for (const row of rows) this.unqueue(row);
    for (const snapshot of changed) this.writeEntity(snapshot);
  }

  /** The row's projection is done (or failed for good): it leaves the queue. */
  private unqueue(row: Row): void {
    this.stmt('DELETE FROM inbox_pending WHERE rank = ? AND seq = ?').run(
      row.rank as number,
      row.seq as number,
    );
  }

  private writeEntity(s: EntitySnapshot): void {
    this.run(
      `INSERT INTO entities (kind, id, data, ts, field_ts, event_id, event_type, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (kind, id) DO UPDATE SET data = excluded.data, ts = excluded.ts, field_ts = excluded.field_ts,
         event_id = excluded.event_id, event_type = excluded.event_type, updated_at = excluded.updated_at`,
      s.kind,
      s.id,
      JSON.stringify(s.data),
      s.ts,
      JSON.stringify(s.fieldTs),
      s.eventId,
      s.eventType,
      s.updatedAt,
    );
  }

  async getEvent(id: string): Promise<StoredEvent | null> {
    this.fresh();
    const row = this.get('SELECT * FROM inbox WHERE id = ?', id);
    return row ? eventFromRow(row) : null;
  }

  async listEvents(filter: EventFilter = {}): Promise<StoredEvent[]> {
    this.fresh();
    const where: string[] = [];
    const params: SQLInputValue[] = [];
    if (filter.status) {
      where.push('status = ?');
      params.push(filter.status);
    }
    if (filter.type) {
      where.push('type = ?');
      params.push(filter.type);
    }
    if (filter.before) {
      where.push('id < ?');
      params.push(filter.before);
    }
    const sql = `SELECT * FROM inbox ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    return this.all(sql, ...params, filter.limit ?? 50).map(eventFromRow);
  }

  async getEntity(kind: EntityKind, id: string): Promise<EntitySnapshot | null> {
    this.fresh();
    const row = this.get('SELECT * FROM entities WHERE kind = ? AND id = ?', kind, id);
    return row ? entityFromRow(row) : null;
  }

  async listEntities(kind: EntityKind, page: { afterId?: string; limit: number }): Promise<EntitySnapshot[]> {
    this.fresh();
    return this.all(
      'SELECT * FROM entities WHERE kind = ? AND id > ? ORDER BY id LIMIT ?',
      kind,
      page.afterId ?? '',
      page.limit,
    ).map(entityFromRow);
  }

  async countEntities(kind: EntityKind): Promise<number> {
    this.fresh();
    return Number(this.get('SELECT count(*) AS n FROM entities WHERE kind = ?', kind)?.n ?? 0);
  }

  // --- jobs -------------------------------------------------------------------------

  enqueueJobs(requests: readonly JobRequest[]): Promise<number> {
    return this.committer.run(() => this.enqueueNow(requests, Date.now()));
  }

  private enqueueNow(requests: readonly JobRequest[], now: number): number {
    let count = 0;
    for (const r of requests) {
      const eventIds = JSON.stringify(r.eventId ? [r.eventId] : []);
      this.run(
        `INSERT INTO jobs (id, connector, kind, entity_id, state, attempts, run_at, priority, event_ids, created_at, updated_at)
         VALUES (?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?, ?)
         ON CONFLICT (connector, kind, entity_id) WHERE state = 'pending' DO UPDATE SET
           run_at = min(jobs.run_at, excluded.run_at),
           priority = max(jobs.priority, excluded.priority),
           event_ids = CASE
             WHEN ? IS NULL OR EXISTS (SELECT 1 FROM json_each(jobs.event_ids) WHERE value = ?)
               OR json_array_length(jobs.event_ids) >= ${MAX_EVENT_IDS_PER_JOB}
             THEN jobs.event_ids ELSE json_insert(jobs.event_ids, '$[#]', ?) END,
           updated_at = excluded.updated_at`,
        newId('job', now),
        r.connector,
        r.kind,
        r.entityId,
        r.runAt,
        r.priority ?? 0,
        eventIds,
        now,
        now,
        r.eventId,
        r.eventId,
        r.eventId,
      );
      count += 1;
    }
    if (count > 0) this.jobsReady = true;
    return count;
  }

  claimJobs(opts: ClaimRequest): Promise<Job[]> {
    return this.afterFresh(() =>
      this.committer.run(() => {
        if (opts.limit <= 0) return [];
        const lane = opts.connector === undefined ? '' : 'AND connector = ?';
        const laneParams = opts.connector === undefined ? [] : [opts.connector];
        // One lane's claim walks the partial index jobs_lane in (priority desc, run_at, id) order.
        const candidates = this.all(
          `SELECT * FROM jobs j WHERE state = 'pending' ${lane} AND run_at <= ?
           AND NOT EXISTS (SELECT 1 FROM jobs r WHERE r.state = 'running' AND r.connector = j.connector
             AND r.kind = j.kind AND r.entity_id = j.entity_id AND r.lease_until > ?)
         ORDER BY priority DESC, run_at, id LIMIT ?`,
          ...laneParams,
          opts.now,
          opts.now,
          opts.limit,
        );
        // Running jobs whose worker died: the lease expired, so they run again (attempt counted).
        const expired = this.all(
          `SELECT * FROM jobs WHERE state = 'running' ${lane} AND lease_until <= ? ORDER BY priority DESC, run_at LIMIT ?`,
          ...laneParams,
          opts.now,
          opts.limit,
        );
        const claimed: Job[] = [];
        const seen = new Set<string>();
        for (const row of [...expired, ...candidates]) {
          const job = jobFromRow(row);
          const key = `${job.connector}\u0000${job.kind}\u0000${job.entityId}`;
          if (seen.has(key) || claimed.length >= opts.limit) continue;
          seen.add(key);
          if (job.state === 'running') {
            // A pending sibling may exist for the same entity; the expired one goes first.
            this.run(
              `UPDATE jobs SET owner = ?, lease_until = ?, attempts = attempts + 1, updated_at = ? WHERE id = ?`,
              opts.owner,
              opts.now + opts.leaseMs,
              opts.now,
              job.id,
            );
          } else {
            this.run(
              `UPDATE jobs SET state = 'running', owner = ?, lease_until = ?, attempts = attempts + 1, updated_at = ? WHERE id = ?`,
              opts.owner,
              opts.now + opts.leaseMs,
              opts.now,
              job.id,
            );
          }
          claimed.push({
            ...job,
            state: 'running',
            owner: opts.owner,
            leaseUntil: opts.now + opts.leaseMs,
            attempts: job.attempts + 1,
            updatedAt: opts.now,
          });
        }
        return claimed;
      }),
    );
  }

  renewLeases(ids: readonly string[], owner: string, until: number): Promise<string[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.committer.run(() =>
      ids.filter(
        (id) =>
          this.run(
            `UPDATE jobs SET lease_until = ? WHERE id = ? AND owner = ? AND state = 'running'`,
            until,
            id,
            owner,
          ).changes === 1,
      ),
    );
  }

  finishJob(id: string, owner: string, finish: JobFinish, now: number): Promise<void> {
    return this.committer.run(() => {
      const row = this.get(`SELECT * FROM jobs WHERE id = ? AND owner = ? AND state = 'running'`, id, owner);
      if (!row) return;
      const job = jobFromRow(row);
      const pending = this.get(
        `SELECT id, event_ids FROM jobs WHERE state = 'pending' AND connector = ? AND kind = ? AND entity_id = ?`,
        job.connector,
        job.kind,
        job.entityId,
      );
      if (finish.state === 'done' || finish.state === 'dead') {
        if (finish.state === 'done') {
          this.run(
            `UPDATE jobs SET state = 'done', owner = NULL, lease_until = NULL, updated_at = ? WHERE id = ?`,
            now,
            id,
          );
        } else {
          this.run(
            `UPDATE jobs SET state = 'dead', owner = NULL, lease_until = NULL, error_code = ?, error_message = ?, updated_at = ? WHERE id = ?`,
            finish.error.code,
            finish.error.message,
            now,
            id,
          );
        }
        // The finished job was holding back a pending job of the same entity: that one can run now.
        if (pending) this.jobsReady = true;
        return;
      }
      if (pending) {
        // A newer request is already waiting: fold this retry into it and close this one.
        this.run(
          `UPDATE jobs SET state = 'done', owner = NULL, lease_until = NULL, error_code = ?, error_message = ?, updated_at = ? WHERE id = ?`,
          finish.error.code,
          finish.error.message,
          now,
          id,
        );
        // Event ids stay capped, as when requests coalesce.
        const eventIds = JSON.parse(String(pending.event_ids)) as string[];
        for (const eventId of job.eventIds) {
          if (eventIds.length >= MAX_EVENT_IDS_PER_JOB) break;
          if (!eventIds.includes(eventId)) eventIds.push(eventId);
        }
        this.run(
          `UPDATE jobs SET attempts = max(attempts, ?), event_ids = ?, updated_at = ? WHERE id = ?`,
          job.attempts,
          JSON.stringify(eventIds),
          now,
          String(pending.id),
        );
      } else {
        this.run(
          `UPDATE jobs SET state = 'pending', owner = NULL, lease_until = NULL, run_at = ?, error_code = ?, error_message = ?, updated_at = ? WHERE id = ?`,
          finish.runAt,
          finish.error.code,
          finish.error.message,
          now,
          id,
        );
      }
      this.jobsReady = true;
    });
  }

  async getJob(id: string): Promise<Job | null> {
    this.fresh();
    const row = this.get('SELECT * FROM jobs WHERE id = ?', id);
    return row ? jobFromRow(row) : null;
  }

  async listJobs(filter: { state?: JobState; eventId?: string; limit?: number }): Promise<Job[]> {
    this.fresh();
    const where: string[] = [];
    const params: SQLInputValue[] = [];
    if (filter.state) {
      where.push('state = ?');
      params.push(filter.state);
    }
    if (filter.eventId) {
      where.push('EXISTS (SELECT 1 FROM json_each(event_ids) WHERE value = ?)');
      params.push(filter.eventId);
    }
    const sql = `SELECT * FROM jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT ?`;
    return this.all(sql, ...params, filter.limit ?? 1000).map(jobFromRow);
  }

  async countJobs(): Promise<Record<JobState, number>> {
    this.fresh();
    const counts: Record<JobState, number> = { pending: 0, running: 0, done: 0, dead: 0 };
    for (const row of this.all('SELECT state, count(*) AS n FROM jobs GROUP BY state')) {
      counts[row.state as JobState] = Number(row.n);
    }
    return counts;
  }

  async nextJobAt(connector?: string): Promise<number | null> {
    this.fresh();
    // A pending job held back by a running one of the same entity is not due at its run_at: it
    // becomes claimable when that job finishes (which wakes listeners) or its lease runs out.
    const lane = connector === undefined ? '' : 'AND connector = ?';
    const params = connector === undefined ? [] : [connector, connector];
    const row = this.get(
      `SELECT min(t) AS t FROM (
         SELECT min(j.run_at) AS t FROM jobs j WHERE j.state = 'pending' ${lane} AND NOT EXISTS (
           SELECT 1 FROM jobs r WHERE r.state = 'running' AND r.connector = j.connector
             AND r.kind = j.kind AND r.entity_id = j.entity_id)
         UNION ALL SELECT min(lease_until) AS t FROM jobs WHERE state = 'running' ${lane})`,
      ...params,
    );
    return row?.t === null || row?.t === undefined ? null : Number(row.t);
  }

  async countPendingByConnector(): Promise<Record<string, number>> {
    this.fresh();
    const counts: Record<string, number> = {};
    for (const row of this.all(
      `SELECT connector, count(*) AS n FROM jobs WHERE state = 'pending' GROUP BY connector`,
    )) {
      counts[String(row.connector)] = Number(row.n);
    }
    return counts;
  }

  onJobsReady(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  replay(target: ReplayTarget, now: number): Promise<number> {
    return this.afterFresh(() =>
      this.committer.run(() => {
        if ('deadJobs' in target) {
          const only = target.jobIds ? new Set(target.jobIds) : null;
          const dead = this.all(`SELECT * FROM jobs WHERE state = 'dead'`)
            .map(jobFromRow)
            .filter((job) => !only || only.has(job.id));
          for (const job of dead)
            this.run(`UPDATE jobs SET state = 'done', updated_at = ? WHERE id = ?`, now, job.id);
          return this.enqueueNow(deadJobRequests(dead, now), now);
        }
        const row = this.get('SELECT * FROM inbox WHERE id = ?', target.eventId);
        if (!row) return 0;
        this.reprojectParked(Number(row.seq), target.eventId);
        const priorityOf = (kind: EntityKind, id: string) => {
          const entity = this.get('SELECT * FROM entities WHERE kind = ? AND id = ?', kind, id);
          return entity ? jobPriority(entityFromRow(entity)) : 0;
        };
        return this.enqueueNow(replayRequests(eventFromRow(row), target.connectors, now, priorityOf), now);
      }),
    );
  }

  /**
   * An event kept with PROJECTION_FAILED is projected again (inside the caller's commit), once a
   * fix is deployed: back in the queue at its rank, its error cleared. It throws, and the caller's
   * commit rolls back, if it fails again.
   */
  private reprojectParked(seq: number, eventId: string): void {
    const parked = this.stmt(`SELECT rank FROM inbox_pending WHERE seq = ? AND rank >= ${RANK.parked}`).get(
      seq,
    ) as Row | undefined;
    if (!parked) return;
    const rank = Number(parked.rank) - RANK.parked;
    this.stmt('UPDATE inbox_pending SET rank = ? WHERE rank = ? AND seq = ?').run(
      rank,
      Number(parked.rank),
      seq,
    );
    this.stmt('UPDATE inbox SET error_code = NULL, error_message = NULL WHERE seq = ?').run(seq);
    this.behind.appended(rank === RANK.urgent);
    while (this.projectSlice(FRESH_SLICE) === FRESH_SLICE);
    const again = this.stmt('SELECT error_message FROM inbox WHERE seq = ?').get(seq) as Row;
    if (again.error_message !== null) {
      throw new SyncError(
        'PROJECTION_FAILED',
        `event ${eventId} still cannot be projected: ${String(again.error_message)}`,
      );
    }
  }

  /** Runs `work` once the projection has caught up ({@link fresh}); a failure becomes its rejection. */
  private afterFresh<T>(work: () => Promise<T>): Promise<T> {
    try {
      this.fresh();
    } catch (err) {
      return Promise.reject(err);
    }
    return work();
  }

  // --- outcomes ---------------------------------------------------------------------

  recordOutcomes(outcomes: readonly OutcomeInput[]): Promise<void> {
    return this.committer.run(() => this.insertOutcomes(outcomes));
  }

  /** Inserts ledger rows (inside the caller's commit). */
  private insertOutcomes(outcomes: readonly OutcomeInput[]): void {
    for (const o of outcomes) {
      this.run(
        `INSERT INTO outcomes (event_id, connector, kind, entity_id, result, summary, detail, error_code, error_message, at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        o.eventId,
        o.connector,
        o.kind,
        o.entityId,
        o.result,
        o.summary,
        o.detail === undefined ? null : JSON.stringify(o.detail),
        o.error?.code ?? null,
        o.error?.message ?? null,
        o.at,
      );
    }
  }

  async listOutcomes(filter: { eventId?: string; connector?: string; limit?: number }): Promise<Outcome[]> {
    this.fresh();
    const where: string[] = [];
    const params: SQLInputValue[] = [];
    if (filter.eventId) {
      where.push('event_id = ?');
      params.push(filter.eventId);
    }
    if (filter.connector) {
      where.push('connector = ?');
      params.push(filter.connector);
    }
    const sql = `SELECT * FROM outcomes ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT ?`;
    return this.all(sql, ...params, filter.limit ?? 1000).map(outcomeFromRow);
  }

  // --- connector state ----------------------------------------------------------------

  async getState<T = unknown>(connector: string, key: string): Promise<T | null> {
    const row = this.get('SELECT value FROM connector_state WHERE connector = ? AND key = ?', connector, key);
    return row ? (JSON.parse(String(row.value)) as T) : null;
  }

  setState(connector: string, key: string, value: unknown, now: number): Promise<void> {
    return this.committer.run(() => {
      this.run(
        `INSERT INTO connector_state (connector, key, value, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (connector, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
        connector,
        key,
        JSON.stringify(value),
        now,
      );
    });
  }

  deleteState(connector: string, key: string): Promise<void> {
    return this.committer.run(() => {
      this.run('DELETE FROM connector_state WHERE connector = ? AND key = ?', connector, key);
    });
  }

  // --- offboarding timelines ------------------------------------------------------------

  putOffboarding(record: OffboardingRecord): Promise<void> {
    return this.committer.run(() => {
      this.run(
        `INSERT INTO offboardings (id, connector, employee_id, status, opened_at, closed_at, updated_at, timeline)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, closed_at = excluded.closed_at,
           updated_at = excluded.updated_at, timeline = excluded.timeline`,
        ...offboardingColumns(record),
      );
    });
  }

  async getOffboarding(id: string): Promise<OffboardingRecord | null> {
    const row = this.get('SELECT * FROM offboardings WHERE id = ?', id);
    return row ? offboardingFromRow(row) : null;
  }

  async listOffboardings(filter: OffboardingFilter = {}): Promise<OffboardingRecord[]> {
    const where: string[] = [];
    const params: SQLInputValue[] = [];
    for (const [column, value] of [
      ['status', filter.status],
      ['employee_id', filter.employeeId],
      ['connector', filter.connector],
    ] as const) {
      if (value === undefined) continue;
      where.push(`${column} = ?`);
      params.push(value);
    }
    if (filter.before) {
      where.push('id < ?');
      params.push(filter.before);
    }
    const sql = `SELECT * FROM offboardings ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    return this.all(sql, ...params, filter.limit ?? 50).map(offboardingFromRow);
  }

  async listProductsOf(employeeId: string): Promise<EntitySnapshot[]> {
    this.fresh();
    return this.all(
      "SELECT * FROM entities WHERE kind = 'product' AND json_extract(data, '$.employee.id') = ? ORDER BY id",
      employeeId,
    ).map(entityFromRow);
  }

  // --- guardrails ---------------------------------------------------------------------

  takeBudget(input: {
    scope: string;
    count: number;
    limit: number;
    windowMs: number;
    now: number;
  }): Promise<boolean> {
    return this.committer.run(() => {
      const used = Number(
        this.get(
          'SELECT coalesce(sum(count), 0) AS n FROM budget_ledger WHERE scope = ? AND at > ?',
          input.scope,
          input.now - input.windowMs,
        )?.n ?? 0,
      );
      if (used + input.count > input.limit) return false;
      this.run(
        'INSERT INTO budget_ledger (scope, count, at) VALUES (?, ?, ?)',
        input.scope,
        input.count,
        input.now,
      );
      return true;
    });
  }

  takeCallBudget(input: CallBudgetRequest): Promise<number> {
    return this.committer.run(() => {
      // Grants whose calls the vendor may still count: made less than holdMs + windowMs ago.
      this.run('DELETE FROM call_budget WHERE key = ? AND until <= ?', input.key, input.now - input.windowMs);
      const used = Number(
        this.get('SELECT coalesce(sum(count), 0) AS n FROM call_budget WHERE key = ?', input.key)?.n ?? 0,
      );
      const granted = Math.max(0, Math.min(input.want, input.limit - used));
      if (granted > 0) {
        this.run(
          'INSERT INTO call_budget (key, count, until) VALUES (?, ?, ?)',
          input.key,
          granted,
          input.now + input.holdMs,
        );
      }
      return granted;
    });
  }

  async countAttention(): Promise<AttentionCount[]> {
    this.fresh();
    return this.all(
      `SELECT 'held' AS state, connector, kind, count(*) AS n FROM held WHERE status = 'held' GROUP BY connector, kind
       UNION ALL SELECT 'dead' AS state, connector, kind, count(*) AS n FROM jobs WHERE state = 'dead' GROUP BY connector, kind`,
    ).map((row) => ({
      state: row.state as AttentionCount['state'],
      connector: String(row.connector),
      kind: row.kind as EntityKind,
      count: Number(row.n),
    }));
  }

  addHeld(change: Omit<HeldChange, 'status' | 'decidedAt' | 'decidedBy'>): Promise<HeldChange> {
    return this.committer.run(() => {
      this.run(
        `INSERT INTO held (id, connector, kind, entity_id, reason, plan, event_ids, status, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'held', ?)`,
        change.id,
        change.connector,
        change.kind,
        change.entityId,
        change.reason,
        JSON.stringify(change.plan),
        JSON.stringify(change.eventIds),
        change.createdAt,
      );
      return { ...change, status: 'held' as const, decidedAt: null, decidedBy: null };
    });
  }

  async getHeld(id: string): Promise<HeldChange | null> {
    const row = this.get('SELECT * FROM held WHERE id = ?', id);
    return row ? heldFromRow(row) : null;
  }

  async listHeld(filter: { status?: HeldChange['status']; limit?: number }): Promise<HeldChange[]> {
    const rows = filter.status
      ? this.all(
          'SELECT * FROM held WHERE status = ? ORDER BY id LIMIT ?',
          filter.status,
          filter.limit ?? 1000,
        )
      : this.all('SELECT * FROM held ORDER BY id LIMIT ?', filter.limit ?? 1000);
    return rows.map(heldFromRow);
  }

  decideHeld(
    id: string,
    from: readonly HeldChange['status'][],
    status: HeldChange['status'],
    by: string,
    now: number,
  ): Promise<HeldChange | null> {
    return this.committer.run(() => {
      const row = this.get('SELECT * FROM held WHERE id = ?', id);
      if (!row || !from.includes(String(row.status) as HeldChange['status'])) return null;
      this.run(
        'UPDATE held SET status = ?, decided_at = ?, decided_by = ? WHERE id = ?',
        status,
        now,
        by,
        id,
      );
      return { ...heldFromRow(row), status, decidedAt: now, decidedBy: by };
    });
  }

  // --- runs and leases ----------------------------------------------------------------

  createRun(run: Run): Promise<void> {
    return this.committer.run(() => {
      this.run(
        `INSERT INTO runs (id, connector, trigger, dry_run, started_at, finished_at, status, plan, result, errors)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        run.id,
        run.connector,
        run.trigger,
        run.dryRun ? 1 : 0,
        run.startedAt,
        run.finishedAt,
        run.status,
        JSON.stringify(run.plan),
        JSON.stringify(run.result),
        JSON.stringify(run.errors),
      );
    });
  }

  updateRun(id: string, patch: Partial<Omit<Run, 'id'>>): Promise<void> {
    const cols = runPatchColumns(patch);
    const names = Object.keys(cols);
    if (names.length === 0) return Promise.resolve();
    return this.committer.run(() => {
      this.run(
        `UPDATE runs SET ${names.map((n) => `${n} = ?`).join(', ')} WHERE id = ?`,
        ...names.map((n) => cols[n] ?? null),
        id,
      );
    });
  }

  async getRun(id: string): Promise<Run | null> {
    const row = this.get('SELECT * FROM runs WHERE id = ?', id);
    return row ? runFromRow(row) : null;
  }

  async listRuns(limit: number): Promise<Run[]> {
    return this.all('SELECT * FROM runs ORDER BY id DESC LIMIT ?', limit).map(runFromRow);
  }

  putRunItems(runId: string, connector: string, items: readonly RunItemInput[]): Promise<void> {
    return this.committer.run(() => this.putRunItemsNow(runId, connector, items));
  }

  private putRunItemsNow(runId: string, connector: string, items: readonly RunItemInput[]): void {
    for (const item of items) {
      if (item.plan === null) {
        this.run(
          'DELETE FROM run_items WHERE run_id = ? AND connector = ? AND kind = ? AND entity_id = ?',
          runId,
          connector,
          item.kind,
          item.entityId,
        );
        continue;
      }
      this.run(
        `INSERT INTO run_items (run_id, connector, kind, entity_id, grp, plan, budgeted)
           VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (run_id, connector, kind, entity_id) DO UPDATE SET
             grp = excluded.grp, plan = excluded.plan, budgeted = excluded.budgeted`,
        runId,
        connector,
        item.kind,
        item.entityId,
        item.group,
        JSON.stringify(item.plan),
        item.budgeted ? 1 : 0,
      );
    }
  }

  async listRunItems(
    runId: string,
    connector: string,
    page: { after?: RunItemCursor | null | undefined; limit: number },
  ): Promise<RunItem[]> {
    const after = page.after ?? { group: '', seq: 0 };
    return this.all(
      `SELECT * FROM run_items WHERE run_id = ? AND connector = ? AND (grp, seq) > (?, ?)
       ORDER BY grp, seq LIMIT ?`,
      runId,
      connector,
      after.group,
      after.seq,
      page.limit,
    ).map(runItemFromRow);
  }

  async countRunItems(runId: string, connector: string): Promise<{ items: number; budgeted: number }> {
    const row = this.get(
      `SELECT count(*) AS items, coalesce(sum(budgeted), 0) AS budgeted FROM run_items
       WHERE run_id = ? AND connector = ?`,
      runId,
      connector,
    );
    return { items: Number(row?.items ?? 0), budgeted: Number(row?.budgeted ?? 0) };
  }

  clearRunItems(keepRunId: string | null): Promise<void> {
    return this.committer.run(() => {
      for (const table of ['run_items', 'run_keys', 'run_key_entities', 'run_lists']) {
        this.run(`DELETE FROM ${table} WHERE run_id IS NOT ?`, keepRunId);
      }
    });
  }

  dropRunItems(
    runId: string,
    connector: string,
    entities: ReadonlyArray<{ kind: EntityKind; entityId: string }>,
  ): Promise<number> {
    return this.committer.run(() => {
      let dropped = 0;
      for (const e of entities) {
        dropped += this.run(
          'DELETE FROM run_items WHERE run_id = ? AND connector = ? AND kind = ? AND entity_id = ?',
          runId,
          connector,
          e.kind,
          e.entityId,
        ).changes;
      }
      return dropped;
    });
  }

  indexRunKeys(
    runId: string,
    connector: string,
    kind: EntityKind,
    entities: readonly RunKeyEntity[],
  ): Promise<void> {
    return this.committer.run(() => {
      for (const entity of entities) {
        let owned = 0;
        entity.keys.forEach((key, rank) => {
          owned += this.run(
            `INSERT INTO run_keys (run_id, connector, kind, key, entity_id, rank) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT DO NOTHING`,
            runId,
            connector,
            kind,
            key,
            entity.entityId,
            Math.min(rank, 15),
          ).changes;
        });
        if (owned === 0) continue;
        this.run(
          `INSERT INTO run_key_entities (run_id, connector, kind, entity_id) VALUES (?, ?, ?, ?)
           ON CONFLICT DO NOTHING`,
          runId,
          connector,
          kind,
          entity.entityId,
        );
      }
    });
  }

  async matchRunKeys(
    runId: string,
    connector: string,
    kind: EntityKind,
    keys: readonly string[],
  ): Promise<RunKeyMatch[]> {
    if (keys.length === 0) return [];
    return this.all(
      `SELECT k.key, k.entity_id, k.rank, e.matched_rank FROM run_keys k
         JOIN run_key_entities e
           ON e.run_id = k.run_id AND e.connector = k.connector AND e.kind = k.kind AND e.entity_id = k.entity_id
        WHERE k.run_id = ? AND k.connector = ? AND k.kind = ? AND k.key IN (SELECT value FROM json_each(?))`,
      runId,
      connector,
      kind,
      JSON.stringify(keys),
    ).map(runKeyMatchFromRow);
  }

  async runKeyEntities(
    runId: string,
    connector: string,
    kind: EntityKind,
    entityIds: readonly string[],
  ): Promise<Array<{ entityId: string; matchedRank: number | null }>> {
    if (entityIds.length === 0) return [];
    return this.all(
      `SELECT entity_id, matched_rank FROM run_key_entities
        WHERE run_id = ? AND connector = ? AND kind = ? AND entity_id IN (SELECT value FROM json_each(?))`,
      runId,
      connector,
      kind,
      JSON.stringify(entityIds),
    ).map((r) => ({
      entityId: String(r.entity_id),
      matchedRank: r.matched_rank === null ? null : Number(r.matched_rank),
    }));
  }

  putRunListPage(runId: string, connector: string, kind: EntityKind, page: RunListPage): Promise<void> {
    return this.committer.run(() => {
      this.putRunItemsNow(runId, connector, page.items);
      for (const m of page.matched) {
        this.run(
          `UPDATE run_key_entities SET matched_rank = ?
            WHERE run_id = ? AND connector = ? AND kind = ? AND entity_id = ?`,
          m.rank,
          runId,
          connector,
          kind,
          m.entityId,
        );
      }
      this.run(
        `INSERT INTO run_lists (run_id, connector, kind, state) VALUES (?, ?, ?, ?)
         ON CONFLICT (run_id, connector, kind) DO UPDATE SET state = excluded.state`,
        runId,
        connector,
        kind,
        JSON.stringify(page.state),
      );
    });
  }

  resetRunKind(runId: string, connector: string, kind: EntityKind): Promise<void> {
    return this.committer.run(() => {
      for (const table of ['run_items', 'run_keys', 'run_key_entities', 'run_lists']) {
        this.run(
          `DELETE FROM ${table} WHERE run_id = ? AND connector = ? AND kind = ?`,
          runId,
          connector,
          kind,
        );
      }
    });
  }

  async getRunListState(runId: string, connector: string, kind: EntityKind): Promise<unknown> {
    const row = this.get(
      'SELECT state FROM run_lists WHERE run_id = ? AND connector = ? AND kind = ?',
      runId,
      connector,
      kind,
    );
    return row ? JSON.parse(String(row.state)) : null;
  }

  acquireLease(name: string, owner: string, ttlMs: number, now: number): Promise<boolean> {
    return this.committer.run(() => {
      const result = this.run(
        `INSERT INTO leases (name, owner, until) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until = excluded.until
         WHERE leases.owner = excluded.owner OR leases.until <= ?`,
        name,
        owner,
        now + ttlMs,
        now,
      );
      return result.changes > 0;
    });
  }

  releaseLease(name: string, owner: string): Promise<void> {
    return this.committer.run(() => {
      this.run('DELETE FROM leases WHERE name = ? AND owner = ?', name, owner);
    });
  }
}

/** Opens (creating if needed) the SQLite store at `path`. Call `migrate()` before use. */
export function openSqliteStore(options: SqliteStoreOptions): SqliteStore {
  return new SqliteStore(options);
}
