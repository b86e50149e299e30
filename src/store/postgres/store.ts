import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { newId } from '../../core/ids.ts';
import type { OffboardingFilter, OffboardingRecord } from '../../core/offboarding.ts';
import { jobPriority } from '../../core/priority.ts';
import type { EntitySnapshot } from '../../core/projection.ts';
import { SyncError } from '../../errors.ts';
import { type EntityKind, entityKey } from '../../growrk/types.ts';
import { Behind, type BehindLimits, DEFAULT_BEHIND_LIMITS } from '../behind.ts';
import { deadJobRequests, entitiesOf, MAX_EVENT_IDS_PER_JOB, replayRequests } from '../job-requests.ts';
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
  ReadOptions,
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
import { advisoryXactLockSql } from './advisory-lock.ts';
import {
  asError,
  clientConfig,
  type PostgresConnectionOptions,
  poolConfig,
  type ResolvedConnection,
  resolveConnection,
  sqlState,
} from './connection.ts';
import { BatchQueue, type ItemResult } from './group-commit.ts';
import { POSTGRES_LATEST_VERSION, POSTGRES_MIGRATIONS } from './migrations.ts';
import { JOBS_CHANNEL, JobsListener, jobsPayload } from './notify.ts';
import {
  lockProjection,
  lockProjectionSql,
  type ProjectionContext,
  projectSlice,
  SLICE_SAVEPOINT,
} from './projection.ts';

type Row = Record<string, unknown>;
type Queryable = Pick<pg.PoolClient, 'query'>;

/** Deadlock and serialization failures: the transaction rolled back and may simply run again. */
const TRANSIENT = ['40P01', '40001'] as const;
/** Plus a unique violation, for the job transactions whose race with an insert ends in one. */
const TRANSIENT_OR_UNIQUE = [...TRANSIENT, '23505'] as const;
const MAX_TX_ATTEMPTS = 4;
/** Most ingests one transaction carries: big enough to amortise a commit, small enough to stay quick. */
const MAX_INGEST_BATCH = 200;
/** Ingest transactions one store runs at once (the next batch gathers while these commit). */
const MAX_INGEST_BATCHES_IN_FLIGHT = 2;
/** Events projected per slice when a read catches the projection up. */
const FRESH_SLICE = 512;

/** Where the store reports errors it handles itself (pool, listener); pino's `warn` fits. */
export interface PostgresStoreLogger {
  warn(obj: { err: Error; context: string }, msg: string): void;
}

/** Options for {@link openPostgresStore}. */
export interface PostgresStoreOptions extends PostgresConnectionOptions {
  /** Receives errors the store recovers from by itself. Default: `process.emitWarning`. */
  logger?: PostgresStoreLogger | undefined;
  /** First LISTEN reconnect delay in ms (doubles up to 10 s). Default 100. */
  listenRetryMs?: number | undefined;
  /** How often the idle LISTEN connection is probed, in ms. Default 30 000. */
  listenHeartbeatMs?: number | undefined;
  /** When the projection behind the acknowledgement runs (default {@link DEFAULT_BEHIND_LIMITS}). */
  behind?: BehindLimits | undefined;
  /**
   * How often, in ms, the store looks for unprojected rows another instance left (it stopped
   * before projecting them) and projects those waiting longer than `behind.maxDelayMs` or urgent.
   * Default 1000.
   */
  sweepMs?: number | undefined;
}

/**
 * The PostgreSQL store, for several instances on one database: per-call transactions at READ
 * COMMITTED (concurrent ingests share one, group commit, which writes only inbox rows), the
 * projection behind the acknowledgement in slices of its own, one projector at a time across
 * instances (`./projection.ts`), every read of the projection, jobs, ledger or inbox caught up
 * with what any instance acknowledged first, jobs claimed with `FOR UPDATE SKIP LOCKED`, wake-ups
 * across instances by `LISTEN/NOTIFY`, budgets serialised by advisory locks.
 */
export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  /** The schema holding the tables. */
  readonly schema: string;
  private readonly pool: pg.Pool;
  private readonly listener: JobsListener;
  private readonly conn: ResolvedConnection;
  private readonly logger: PostgresStoreLogger | undefined;
  private readonly instanceId = randomBytes(6).toString('hex');
  private readonly listeners = new Set<() => void>();
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly reported = new WeakSet<Error>();
  /** Group commit: concurrent ingests share a transaction. */
  private readonly ingests = new BatchQueue<IngestInput, IngestResult>(
    {
      runBatch: (inputs) => this.ingestBatch(inputs),
      maxBatch: MAX_INGEST_BATCH,
      maxInFlight: MAX_INGEST_BATCHES_IN_FLIGHT,
    },
    (input) => input.bodyHash,
  );
  /** When the projection behind the acknowledgements runs. */
  private readonly behind: Behind;
  private readonly limits: BehindLimits;
  private readonly sweepMs: number;
  private sweepTimer: NodeJS.Timeout | null = null;
  private sweepFailing = false;
  /** Projecting rows this store acknowledged (the count since it started). */
  private appendedTotal = 0;
  /** The read catch-up running, and the one queued after it (see {@link fresh}). */
  private freshRun: Promise<void> | null = null;
  private freshNext: Promise<void> | null = null;
  private readonly projectionContext: ProjectionContext;
  private closed = false;
  private unreachable = false;
  /** Transactions committed, and re-runs after a deadlock, serialization failure or lost race. */
  readonly stats = { commits: 0, retries: 0 };

  constructor(options: PostgresStoreOptions) {
    this.conn = resolveConnection(options.url, options.schema);
    this.schema = this.conn.schema;
    this.logger = options.logger;
    this.limits = options.behind ?? DEFAULT_BEHIND_LIMITS;
    this.sweepMs = options.sweepMs ?? 1000;
    this.projectionContext = {
      schema: this.schema,
      instanceId: this.instanceId,
      insertOutcomes: (c, outcomes) => this.insertOutcomesIn(c, outcomes),
    };
    this.behind = new Behind({
      project: (limit) => this.projectBehind(limit),
      busy: () => this.ingests.busy(),
      limits: this.limits,
    });
    this.pool = new pg.Pool(poolConfig(this.conn, options));
    // An idle pooled connection that breaks (server restart, network) is removed by the pool,
    // which then emits 'error'; unhandled, that would crash the process.
    this.pool.on('error', (err) => this.report(err, 'idle pool connection'));
    // A connection that breaks while checked out emits 'error' on the client itself, where the
    // pool listens only while it is idle: the query in flight fails (and the caller hears of it),
    // this listener keeps the event from crashing the process.
    this.pool.on('connect', (client) => {
      client.on('error', (err) => this.report(err, 'pooled connection'));
    });
    this.listener = new JobsListener({
      // LISTEN and the heartbeat answer at once from a live server: a short client-side timeout
      // tells a dead connection apart quickly, whatever the statement timeout is.
      client: {
        ...clientConfig(this.conn, options),
        query_timeout: Math.max(1000, options.connectTimeoutMs),
      },
      schema: this.schema,
      instanceId: this.instanceId,
      onWake: () => this.wake(),
      onError: (err, context) => this.report(err, context),
      minBackoffMs: options.listenRetryMs ?? 100,
      heartbeatMs: options.listenHeartbeatMs ?? 30_000,
    });
  }

  /** Starts the LISTEN connection (first attempt only; it keeps retrying in the background). */
  async start(): Promise<void> {
    await this.listener.start();
  }

  /** True while the LISTEN connection is up. */
  get listening(): boolean {
    return this.listener.listening;
  }

  /** Resolves once the LISTEN connection is up: cross-instance wake-ups are then delivered. */
  whenListening(): Promise<void> {
    return this.listener.whenListening();
  }

  private report(err: Error, context: string): void {
    // A broken idle connection is seen by its own 'error' listener and again by the pool's.
    if (this.reported.has(err)) return;
    this.reported.add(err);
    if (this.logger) this.logger.warn({ err, context }, `postgres store: ${context}: ${err.message}`);
    else process.emitWarning(`postgres store: ${context}: ${err.message}`, { code: 'GROWRK_SYNC_STORE' });
  }

  private wake(): void {
    for (const listener of this.listeners) {
      try {
        listener();
      } catch (err) {
        this.report(asError(err), 'job listener');
      }
    }
  }

  /** Runs one public operation: refused after close, and tracked so close() can wait for it. */
  private op<T>(work: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the store is closed'));
    return this.track(work());
  }

  /** A read of the projection, jobs, ledger or inbox: caught up first ({@link fresh}). */
  private read<T>(work: () => Promise<T>): Promise<T> {
    return this.op(async () => {
      await this.fresh();
      return work();
    });
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.inflight.add(promise);
    const forget = () => this.inflight.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  private async query(sql: string, params: unknown[] = []): Promise<Row[]> {
    const result = await this.pool.query<Row>(sql, params);
    return result.rows;
  }

  /**
   * One transaction on one pooled connection. Runs again (a few times) when PostgreSQL rolled it
   * back for a deadlock or serialization failure, or for a code in `retryOn`. A connection whose
   * ROLLBACK failed is discarded, not returned to the pool. `begin` opens it: `BEGIN`, or that
   * and statements without parameters sent with it in one round trip.
   */
  private tx<T>(
    work: (c: Queryable) => Promise<T>,
    retryOn: readonly string[] = TRANSIENT,
    begin = 'BEGIN',
  ): Promise<T> {
    return this.retrying(() => this.txOnce(work, begin), retryOn);
  }

  /**
   * One statement as a transaction of its own (autocommit: one round trip, where BEGIN, the
   * statement and COMMIT take three), run again like {@link tx} for a code in `retryOn`.
   */
  private statement(sql: string, params: unknown[], retryOn: readonly string[] = TRANSIENT): Promise<Row[]> {
    return this.retrying(async () => {
      const rows = await this.query(sql, params);
      this.stats.commits += 1;
      return rows;
    }, retryOn);
  }

  private async retrying<T>(run: () => Promise<T>, retryOn: readonly string[]): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await run();
      } catch (err) {
        const code = sqlState(err);
        if (attempt < MAX_TX_ATTEMPTS && code !== null && retryOn.includes(code)) {
          this.stats.retries += 1;
          continue;
        }
        throw err;
      }
    }
  }

  private async txOnce<T>(work: (c: Queryable) => Promise<T>, begin: string): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      try {
        // Inside the ROLLBACK's reach: a `begin` of several statements may fail after its BEGIN.
        await client.query(begin);
        const result = await work(client);
        await client.query('COMMIT');
        this.stats.commits += 1;
        return result;
      } catch (err) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackError) {
          broken = asError(rollbackError);
        }
        throw err;
      }
    } catch (err) {
      // A failure that did not come from the server (socket closed, timeout) leaves the
      // connection in an unknown state: discard it.
      if (broken === undefined && sqlState(err) === null) broken = asError(err);
      throw err;
    } finally {
      client.release(broken);
    }
  }

  /** Inside a transaction: wake every instance's job listeners once it commits. */
  private async notifyJobs(c: Queryable): Promise<void> {
    await c.query('SELECT pg_notify($1, $2)', [JOBS_CHANNEL, jobsPayload(this.schema, this.instanceId)]);
  }

  // --- lifecycle ----------------------------------------------------------------------

  migrate(): Promise<{ applied: number[] }> {
    return this.op(() =>
      this.tx(async (c) => {
        // One migration at a time per schema, across every instance starting now.
        await c.query('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', [
          'growrk-sync:migrate',
          this.schema,
        ]);
        // Created only when missing: CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even
        // when the schema exists, which a restricted deployment role may lack.
        const exists = await c.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [this.schema]);
        if (exists.rowCount === 0) await c.query(`CREATE SCHEMA ${pg.escapeIdentifier(this.schema)}`);
        await c.query(
          `CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)`,
        );
        const done = new Set(
          (await c.query<Row>('SELECT version FROM schema_migrations')).rows.map((r) => Number(r.version)),
        );
        const applied: number[] = [];
        for (const migration of POSTGRES_MIGRATIONS) {
          if (done.has(migration.version)) continue;
          await c.query(migration.sql);
          await c.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
            migration.version,
            migration.name,
            Date.now(),
          ]);
          applied.push(migration.version);
        }
        return { applied };
      }).then(async (result) => {
        await this.startSweeping();
        return result;
      }),
    );
  }

  async ready(): Promise<boolean> {
    if (this.closed) return false;
    try {
      const rows = await this.query('SELECT max(version) AS v FROM schema_migrations');
      this.unreachable = false;
      return Number(rows[0]?.v) === POSTGRES_LATEST_VERSION;
    } catch (err) {
      // Not ready is the answer; the cause goes to the log once per outage, not once per probe.
      if (!this.unreachable) this.report(asError(err), 'readiness check');
      this.unreachable = true;
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.behind.stop();
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
    // A clean stop leaves nothing of its own behind: what this store acknowledged is projected now.
    // When that cannot be done (the database is away), the rows wait in the inbox for any
    // instance's projector, as after a crash.
    if (this.behind.pending > 0) {
      try {
        await this.catchUp();
      } catch (err) {
        this.report(asError(err), 'projection at close');
      }
    }
    await this.listener.close();
    await this.pool.end();
  }

  // --- inbox and projection ---------------------------------------------------------

  ingest(input: IngestInput): Promise<IngestResult> {
    return this.op(() => this.ingests.run(input));
  }

  /** The acknowledged events no instance has projected yet, read from the database. */
  projectionBacklog(): Promise<ProjectionBacklog> {
    return this.op(async () => {
      const { events, oldestAt, failed } = await this.unprojected();
      return {
        events,
        oldestMs: oldestAt === null ? 0 : Math.max(0, Date.now() - oldestAt),
        lastError: this.behind.backlog().lastError,
        failedEvents: failed,
      };
    });
  }

  /** What waits in the queue: to project (urgent among them, the oldest's time), and parked. */
  private async unprojected(): Promise<{
    events: number;
    urgent: number;
    oldestAt: number | null;
    failed: number;
  }> {
    const [row] = await this.query(
      `SELECT count(*) FILTER (WHERE rank < ${RANK.parked}) AS n, count(*) FILTER (WHERE rank = ${RANK.urgent}) AS u,
              min(received_at) FILTER (WHERE rank < ${RANK.parked}) AS oldest, count(*) FILTER (WHERE rank >= ${RANK.parked}) AS f
         FROM inbox_pending`,
    );
    return {
      events: Number(row?.n ?? 0),
      urgent: Number(row?.u ?? 0),
      oldestAt: row?.oldest == null ? null : Number(row.oldest),
      failed: Number(row?.f ?? 0),
    };
  }

  /**
   * After migrating: takes over what is waiting (rows acknowledged before a crash), then looks
   * again every `sweepMs` for rows another instance left.
   */
  private async startSweeping(): Promise<void> {
    if (this.sweepTimer !== null || this.closed) return;
    await this.sweep(true);
    this.sweepTimer = setInterval(() => {
      void this.track(this.sweep(false));
    }, this.sweepMs);
    this.sweepTimer.unref();
  }

  /**
   * Takes over unprojected rows: all of them at start; later only urgent ones or those waiting
   * longer than `maxDelayMs` (their instance stopped, or is too busy to get to them).
   */
  private async sweep(all: boolean): Promise<void> {
    if (this.closed) return;
    try {
      const { events, urgent, oldestAt } = await this.unprojected();
      this.sweepFailing = false;
      if (events === 0 || oldestAt === null || events <= this.behind.pending) return;
      if (all || urgent > 0 || Date.now() - oldestAt >= this.limits.maxDelayMs) {
        this.behind.restore(events, urgent, oldestAt);
      }
    } catch (err) {
      // Reported once per outage; the next sweep tries again.
      if (!this.sweepFailing) this.report(asError(err), 'projection sweep');
      this.sweepFailing = true;
    }
  }

  /** One background slice, in a transaction of its own. */
  private projectBehind(limit: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return this.track(this.projectInOwnTx(limit, false));
  }

  /**
   * Projects unprojected rows: one slice of at most `limit`, or with `all` slices until none is
   * left, each in a transaction of its own holding the projection's lock (so the lock is held
   * briefly and each slice's jobs can be claimed at once), then wakes the job listeners here (every
   * other instance hears the NOTIFY of the jobs' statement). No acknowledgement waits for these
   * commits: the inbox rows are durable, and a projection lost with the server is redone from them
   * (WAL order keeps it ahead of anything that depends on it).
   */
  private async projectInOwnTx(limit: number, all: boolean): Promise<void> {
    for (;;) {
      const appendedBefore = this.appendedTotal;
      // Opened, its commit not waited for on disk, the projection's lock and the slice's
      // savepoint taken, in one round trip.
      const slice = await this.tx(
        (c) => projectSlice(c, limit, this.projectionContext, true),
        TRANSIENT,
        `BEGIN; SET LOCAL synchronous_commit = off; ${lockProjectionSql(this.schema)}; ${SLICE_SAVEPOINT}`,
      );
      const drained = slice.events < limit;
      // Drained only if no acknowledgement of this store committed meanwhile (its row may have
      // come after the slice's look): otherwise one more slice runs and finds out.
      this.behind.projected(slice.events, slice.urgent, drained && this.appendedTotal === appendedBefore);
      if (slice.jobs > 0) this.wake();
      if (drained || !all) return;
    }
  }

  /**
   * Read-your-writes across instances: every event any instance acknowledged before this call is
   * projected before it answers. A cheap look at the partial index first; then one catch-up, shared
   * by the reads that arrive while it has not started yet (a read arriving while one runs waits for
   * the next: the running one may have looked before that read's events committed).
   */
  private fresh(): Promise<void> {
    if (this.freshRun === null) return this.startFresh();
    this.freshNext ??= this.freshRun.then(noop, noop).then(() => {
      this.freshNext = null;
      return this.startFresh();
    });
    return this.freshNext;
  }

  private startFresh(): Promise<void> {
    const run = this.catchUp().finally(() => {
      if (this.freshRun === run) this.freshRun = null;
    });
    this.freshRun = run;
    return run;
  }

  private async catchUp(): Promise<void> {
    const [row] = await this.query(
      `SELECT EXISTS (SELECT 1 FROM inbox_pending WHERE rank < ${RANK.parked}) AS waiting`,
    );
    if (row?.waiting !== true) return;
    await this.projectInOwnTx(FRESH_SLICE, true);
  }

  /**
   * One batch of ingests, in arrival order, in one transaction (re-run whole after a deadlock or
   * serialization failure): only inbox rows. Their projection runs behind, once it has committed.
   */
  private async ingestBatch(inputs: readonly IngestInput[]): Promise<Array<ItemResult<IngestResult>>> {
    const { answers, projecting } = await this.tx((c) => this.ingestBatchIn(c, inputs));
    for (const urgent of projecting) {
      this.appendedTotal += 1;
      this.behind.appended(urgent);
    }
    this.behind.wake();
    return answers.map((value) => ({ ok: true, value }));
  }

  /**
   * Stores a batch of events with the same outcome as storing them one by one in arrival order:
   * bodies deduplicated by one insert and, for each new row to project, a row of `inbox_pending`
   * numbered in arrival order (`seq`; `rank` 0 when urgent). Answers, and for each new row to
   * project, whether it is urgent.
   */
  private async ingestBatchIn(
    c: Queryable,
    inputs: readonly IngestInput[],
  ): Promise<{ answers: IngestResult[]; projecting: boolean[] }> {
    // The first item of each body hash is inserted; later ones in this batch are its duplicates.
    const firstOfHash = new Map<string, number>();
    const fresh: number[] = [];
    inputs.forEach((input, i) => {
      if (!firstOfHash.has(input.bodyHash)) {
        firstOfHash.set(input.bodyHash, i);
        fresh.push(i);
      }
    });
    // Inserted in body-hash order: two batches waiting on each other's uncommitted bodies would
    // otherwise be able to deadlock. `arrival` keeps each row's place for its number.
    const rows = fresh
      .map((i, arrival) => ({ input: inputs[i]!, arrival: arrival + 1 }))
      .sort((a, b) => compare(a.input.bodyHash, b.input.bodyHash))
      .map(({ input, arrival }) => {
        const event = input.event;
        const kind = event?.kind ?? null;
        return {
          input,
          arrival,
          type: event?.type ?? input.type ?? null,
          keys: event && kind ? event.entities.map((e) => entityKey(kind, e.id)) : [],
          projection: projectionOf(input),
        };
      });
    // One statement: the inbox rows, and for each new one to project its queue row, numbered in
    // arrival order (a function scan yields 1..n in order, and the CTE is evaluated once) whatever
    // order the rows are inserted in.
    const inserted = await c.query<Row>(
      `WITH t AS MATERIALIZED (
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::text[],
                              $9::text[], $10::text[], $11::text[], $12::text[], $13::boolean[], $15::int[])
                WITH ORDINALITY AS t(id, body_hash, type, company_id, growrk_ts, received_at, status, error_code,
                                     error_message, body, entity_keys, settings, urgent, arrival, n)
       ), ins AS (
         INSERT INTO inbox (id, body_hash, type, company_id, growrk_ts, received_at, status, error_code, error_message, body, entity_keys)
         SELECT id, body_hash, type, company_id, growrk_ts, received_at, status, error_code, error_message, body, entity_keys
           FROM t ORDER BY n
         ON CONFLICT (body_hash) DO NOTHING RETURNING id, body_hash
       ), numbers AS MATERIALIZED (
         SELECT a, nextval('inbox_seq') AS seq FROM generate_series(1, $14::int) AS a
       ), queued AS (
         INSERT INTO inbox_pending (rank, seq, id, received_at, settings)
         SELECT CASE WHEN t.urgent THEN ${RANK.urgent} ELSE ${RANK.normal} END, numbers.seq, t.id, t.received_at, t.settings::jsonb
           FROM t JOIN ins ON ins.id = t.id JOIN numbers ON numbers.a = t.arrival
          WHERE t.settings IS NOT NULL
       )
       SELECT body_hash FROM ins`,
      [
        rows.map((r) => r.input.id),
        rows.map((r) => r.input.bodyHash),
        rows.map((r) => r.type),
        rows.map((r) => r.input.event?.companyId ?? null),
        rows.map((r) => r.input.event?.timestamp ?? null),
        rows.map((r) => r.input.receivedAt),
        rows.map((r) => r.input.status),
        rows.map((r) => r.input.error?.code ?? null),
        rows.map((r) => r.input.error?.message ?? null),
        rows.map((r) => r.input.body),
        rows.map((r) => JSON.stringify(r.keys)),
        rows.map((r) => (r.projection ? JSON.stringify(r.projection.settings) : null)),
        rows.map((r) => r.projection?.urgent ?? false),
        rows.length,
        rows.map((r) => r.arrival),
      ],
    );
    const insertedHashes = new Set(inserted.rows.map((r) => String(r.body_hash)));
    // Bodies seen before (possibly committed a moment ago by a concurrent delivery, which this
    // statement, a new snapshot, sees).
    const earlier = new Map<string, { id: string; status: IngestResult['status'] }>();
    const conflicted = rows.filter((r) => !insertedHashes.has(r.input.bodyHash)).map((r) => r.input.bodyHash);
    if (conflicted.length > 0) {
      const existing = await c.query<Row>(
        'SELECT id, status, body_hash FROM inbox WHERE body_hash = ANY($1::text[])',
        [conflicted],
      );
      for (const row of existing.rows) {
        earlier.set(String(row.body_hash), {
          id: String(row.id),
          status: row.status as IngestResult['status'],
        });
      }
      for (const hash of conflicted) {
        if (!earlier.has(hash)) throw new Error('inbox: body hash conflicted but no row has it');
      }
    }
    const projecting = rows
      .filter((r) => r.projection !== null && insertedHashes.has(r.input.bodyHash))
      .map((r) => r.projection!.urgent);

    // Answers in arrival order; a later copy of a body answers as the first one did.
    const answers = new Map<number, IngestResult>();
    const list = inputs.map((input, i) => {
      const first = firstOfHash.get(input.bodyHash)!;
      if (first !== i) {
        const original = answers.get(first)!;
        return { id: original.id, duplicate: true, status: original.status };
      }
      const seen = earlier.get(input.bodyHash);
      const answer: IngestResult = seen
        ? { id: seen.id, duplicate: true, status: seen.status }
        : { id: input.id, duplicate: false, status: input.status };
      answers.set(i, answer);
      return answer;
    });
    return { answers: list, projecting };
  }

  getEvent(id: string): Promise<StoredEvent | null> {
    return this.read(async () => {
      const rows = await this.query('SELECT * FROM inbox WHERE id = $1', [id]);
      return rows[0] ? eventFromRow(rows[0]) : null;
    });
  }

  listEvents(filter: EventFilter = {}): Promise<StoredEvent[]> {
    return this.read(async () => {
      const where: string[] = [];
      const params: unknown[] = [];
      if (filter.status) {
        params.push(filter.status);
        where.push(`status = $${params.length}`);
      }
      if (filter.type) {
        params.push(filter.type);
        where.push(`type = $${params.length}`);
      }
      if (filter.before) {
        params.push(filter.before);
        where.push(`id < $${params.length}`);
      }
      params.push(filter.limit ?? 50);
      const rows = await this.query(
        `SELECT * FROM inbox ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${params.length}`,
        params,
      );
      return rows.map(eventFromRow);
    });
  }

  getEntity(kind: EntityKind, id: string, options?: ReadOptions): Promise<EntitySnapshot | null> {
    const work = async () => {
      const rows = await this.query('SELECT * FROM entities WHERE kind = $1 AND id = $2', [kind, id]);
      return rows[0] ? entityFromRow(rows[0]) : null;
    };
    // Without the look at the queue (a round trip) when the caller caught up a moment ago.
    return options?.fresh === false ? this.op(work) : this.read(work);
  }

  listEntities(
    kind: EntityKind,
    page: { afterId?: string | undefined; limit: number },
  ): Promise<EntitySnapshot[]> {
    return this.read(async () => {
      const rows = await this.query(
        'SELECT * FROM entities WHERE kind = $1 AND id > $2 ORDER BY id LIMIT $3',
        [kind, page.afterId ?? '', page.limit],
      );
      return rows.map(entityFromRow);
    });
  }

  countEntities(kind: EntityKind): Promise<number> {
    return this.read(async () => {
      const rows = await this.query('SELECT count(*) AS n FROM entities WHERE kind = $1', [kind]);
      return Number(rows[0]?.n ?? 0);
    });
  }

  // --- jobs -------------------------------------------------------------------------

  enqueueJobs(requests: readonly JobRequest[]): Promise<number> {
    return this.op(async () => {
      if (requests.length === 0) return 0;
      const count = await this.tx((c) => this.enqueueIn(c, requests, Date.now()));
      if (count > 0) this.wake();
      return count;
    });
  }

  /**
   * Inserts or coalesces each request into the one pending job of its (connector, entity), in a
   * fixed order (so two transactions never wait on each other's rows in a cycle), then NOTIFYs.
   */
  private async enqueueIn(c: Queryable, requests: readonly JobRequest[], now: number): Promise<number> {
    if (requests.length === 0) return 0;
    // One statement per round; a round holds at most one request per (connector, entity), since
    // one statement may not upsert a row twice. Almost every call is a single round.
    const rounds: JobRequest[][] = [];
    const seen = new Map<string, number>();
    for (const r of requests) {
      const key = `${r.connector}\u0000${r.kind}\u0000${r.entityId}`;
      const round = seen.get(key) ?? 0;
      seen.set(key, round + 1);
      const list = rounds[round] ?? [];
      list.push(r);
      rounds[round] = list;
    }
    for (const [i, round] of rounds.entries()) {
      // Rows go in (connector, kind, entity) order, so two transactions never wait on each
      // other's job rows in a cycle.
      const ordered = round.sort(
        (a, b) =>
          compare(a.connector, b.connector) || compare(a.kind, b.kind) || compare(a.entityId, b.entityId),
      );
      await c.query(
        `WITH upserted AS (
           INSERT INTO jobs (id, connector, kind, entity_id, state, attempts, run_at, event_ids, created_at, updated_at, priority)
           SELECT id, connector, kind, entity_id, 'pending', 0, run_at, event_ids, $7, $7, priority
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $8::int[])
                  WITH ORDINALITY AS t(id, connector, kind, entity_id, run_at, event_ids, priority, n)
            ORDER BY n
           ON CONFLICT (connector, kind, entity_id) WHERE state = 'pending' DO UPDATE SET
             run_at = LEAST(jobs.run_at, excluded.run_at),
             priority = GREATEST(jobs.priority, excluded.priority),
             event_ids = CASE
               WHEN excluded.event_ids = '[]' OR jobs.event_ids::jsonb @> excluded.event_ids::jsonb
                 OR jsonb_array_length(jobs.event_ids::jsonb) >= ${MAX_EVENT_IDS_PER_JOB}
               THEN jobs.event_ids ELSE (jobs.event_ids::jsonb || excluded.event_ids::jsonb)::text END,
             updated_at = excluded.updated_at
           RETURNING 1)
         SELECT count(*) AS n${i === rounds.length - 1 ? ', pg_notify($9, $10)' : ''} FROM upserted`,
        [
          ordered.map(() => newId('job', now)),
          ordered.map((r) => r.connector),
          ordered.map((r) => r.kind),
          ordered.map((r) => r.entityId),
          ordered.map((r) => r.runAt),
          ordered.map((r) => JSON.stringify(r.eventId ? [r.eventId] : [])),
          now,
          ordered.map((r) => r.priority ?? 0),
          ...(i === rounds.length - 1 ? [JOBS_CHANNEL, jobsPayload(this.schema, this.instanceId)] : []),
        ],
      );
    }
    return requests.length;
  }

  claimJobs(opts: ClaimRequest): Promise<Job[]> {
    return this.read(async () => {
      if (opts.limit <= 0) return [];
      // $5 null: every lane (tests, tools); else one connector's lane.
      const lane = `($5::text IS NULL OR j.connector = $5::text)`;
      // Running jobs whose lease expired come first (their worker died); a pending job is
      // claimable only while no job of its (connector, entity) is running at all: a live lease
      // blocks it, an expired one is reclaimed first. Pending jobs go by priority, then due time:
      // one lane's walk is the partial index jobs_lane. Rows other claimers hold are skipped,
      // not waited for. The partial unique index jobs_one_running backs this up. One statement,
      // so its own transaction (autocommit, committed durably like any other).
      const rows = await this.statement(
        `WITH expired AS (
             SELECT j.id, j.state AS prev_state FROM jobs j
              WHERE j.state = 'running' AND j.lease_until <= $1 AND ${lane}
              ORDER BY j.priority DESC, j.run_at, j.id
              LIMIT $2
              FOR UPDATE SKIP LOCKED
           ), fresh AS (
             SELECT j.id, j.state AS prev_state FROM jobs j
              WHERE j.state = 'pending' AND ${lane} AND j.run_at <= $1 AND NOT EXISTS (
                      SELECT 1 FROM jobs r WHERE r.state = 'running' AND r.connector = j.connector
                         AND r.kind = j.kind AND r.entity_id = j.entity_id)
              ORDER BY j.priority DESC, j.run_at, j.id
              LIMIT $2
              FOR UPDATE SKIP LOCKED
           ), picked AS (
             SELECT * FROM (SELECT *, 0 AS part FROM expired UNION ALL SELECT *, 1 AS part FROM fresh) AS both_parts
              ORDER BY part
              LIMIT $2
           )
           UPDATE jobs SET state = 'running', owner = $3, lease_until = $4, attempts = jobs.attempts + 1, updated_at = $1
             FROM picked WHERE jobs.id = picked.id
           RETURNING jobs.*, picked.prev_state`,
        [opts.now, opts.limit, opts.owner, opts.now + opts.leaseMs, opts.connector ?? null],
        TRANSIENT_OR_UNIQUE,
      );
      return rows
        .sort(
          (a, b) =>
            Number(a.prev_state !== 'running') - Number(b.prev_state !== 'running') ||
            Number(b.priority) - Number(a.priority) ||
            Number(a.run_at) - Number(b.run_at) ||
            compare(String(a.id), String(b.id)),
        )
        .map(jobFromRow);
    });
  }

  renewLeases(ids: readonly string[], owner: string, until: number): Promise<string[]> {
    return this.op(async () => {
      if (ids.length === 0) return [];
      const rows = await this.query(
        `UPDATE jobs SET lease_until = $1 WHERE id = ANY($2::text[]) AND owner = $3 AND state = 'running' RETURNING id`,
        [until, [...ids], owner],
      );
      return rows.map((r) => String(r.id));
    });
  }

  finishJob(id: string, owner: string, finish: JobFinish, now: number): Promise<void> {
    return this.op(async () => {
      // A unique violation means a pending sibling was inserted between our look and our update:
      // the retry sees it and folds into it.
      const woke = await this.tx((c) => this.finishIn(c, id, owner, finish, now), TRANSIENT_OR_UNIQUE);
      if (woke) this.wake();
    });
  }

  /** Returns whether a job became claimable. */
  private async finishIn(
    c: Queryable,
    id: string,
    owner: string,
    finish: JobFinish,
    now: number,
  ): Promise<boolean> {
    const found = await c.query<Row>(
      `SELECT * FROM jobs WHERE id = $1 AND owner = $2 AND state = 'running' FOR UPDATE`,
      [id, owner],
    );
    const row = found.rows[0];
    if (!row) return false;
    const job = jobFromRow(row);
    const sibling = await c.query<Row>(
      `SELECT id, event_ids FROM jobs WHERE state = 'pending' AND connector = $1 AND kind = $2 AND entity_id = $3 FOR UPDATE`,
      [job.connector, job.kind, job.entityId],
    );
    const pending = sibling.rows[0];
    if (finish.state === 'done') {
      await c.query(
        `UPDATE jobs SET state = 'done', owner = NULL, lease_until = NULL, updated_at = $1 WHERE id = $2`,
        [now, id],
      );
    }
    if (finish.state === 'dead') {
      await c.query(
        `UPDATE jobs SET state = 'dead', owner = NULL, lease_until = NULL, error_code = $1, error_message = $2, updated_at = $3 WHERE id = $4`,
        [finish.error.code, finish.error.message, now, id],
      );
    }
    if (finish.state === 'done' || finish.state === 'dead') {
      // The finished job was holding back a pending job of the same entity: that one can run now.
      if (pending) await this.notifyJobs(c);
      return pending !== undefined;
    }
    if (pending) {
      // A newer request is already waiting: fold this retry into it and close this one.
      await c.query(
        `UPDATE jobs SET state = 'done', owner = NULL, lease_until = NULL, error_code = $1, error_message = $2, updated_at = $3 WHERE id = $4`,
        [finish.error.code, finish.error.message, now, id],
      );
      const eventIds = JSON.parse(String(pending.event_ids)) as string[];
      for (const eventId of job.eventIds) {
        if (eventIds.length >= MAX_EVENT_IDS_PER_JOB) break;
        if (!eventIds.includes(eventId)) eventIds.push(eventId);
      }
      await c.query(
        `UPDATE jobs SET attempts = GREATEST(attempts, $1), event_ids = $2, updated_at = $3 WHERE id = $4`,
        [job.attempts, JSON.stringify(eventIds), now, String(pending.id)],
      );
    } else {
      await c.query(
        `UPDATE jobs SET state = 'pending', owner = NULL, lease_until = NULL, run_at = $1, error_code = $2, error_message = $3, updated_at = $4 WHERE id = $5`,
        [finish.runAt, finish.error.code, finish.error.message, now, id],
      );
    }
    await this.notifyJobs(c);
    return true;
  }

  getJob(id: string): Promise<Job | null> {
    return this.read(async () => {
      const rows = await this.query('SELECT * FROM jobs WHERE id = $1', [id]);
      return rows[0] ? jobFromRow(rows[0]) : null;
    });
  }

  listJobs(filter: { state?: JobState; eventId?: string; limit?: number }): Promise<Job[]> {
    return this.read(async () => {
      const where: string[] = [];
      const params: unknown[] = [];
      if (filter.state) {
        params.push(filter.state);
        where.push(`state = $${params.length}`);
      }
      if (filter.eventId) {
        params.push(JSON.stringify([filter.eventId]));
        where.push(`event_ids::jsonb @> $${params.length}::jsonb`);
      }
      params.push(filter.limit ?? 1000);
      const rows = await this.query(
        `SELECT * FROM jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT $${params.length}`,
        params,
      );
      return rows.map(jobFromRow);
    });
  }

  countJobs(): Promise<Record<JobState, number>> {
    return this.read(async () => {
      const counts: Record<JobState, number> = { pending: 0, running: 0, done: 0, dead: 0 };
      for (const row of await this.query('SELECT state, count(*) AS n FROM jobs GROUP BY state')) {
        counts[row.state as JobState] = Number(row.n);
      }
      return counts;
    });
  }

  nextJobAt(connector?: string): Promise<number | null> {
    return this.read(async () => {
      // A pending job held back by a running one of the same entity is not due at its run_at: it
      // becomes claimable when that job finishes (which wakes listeners) or its lease runs out.
      const rows = await this.query(NEXT_JOB_AT_SQL, [connector ?? null]);
      const t = rows[0]?.t;
      return t === null || t === undefined ? null : Number(t);
    });
  }

  countPendingByConnector(): Promise<Record<string, number>> {
    return this.read(async () => {
      const counts: Record<string, number> = {};
      const rows = await this.query(
        `SELECT connector, count(*) AS n FROM jobs WHERE state = 'pending' GROUP BY connector`,
      );
      for (const row of rows) counts[String(row.connector)] = Number(row.n);
      return counts;
    });
  }

  onJobsReady(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  replay(target: ReplayTarget, now: number): Promise<number> {
    return this.read(async () => {
      const count = await this.tx(async (c) => {
        if ('deadJobs' in target) {
          const dead = (
            await c.query<Row>(
              `UPDATE jobs SET state = 'done', updated_at = $1
               WHERE state = 'dead' AND ($2::text[] IS NULL OR id = ANY($2::text[])) RETURNING *`,
              [now, target.jobIds ? [...target.jobIds] : null],
            )
          ).rows.map(jobFromRow);
          return this.enqueueIn(c, deadJobRequests(dead, now), now);
        }
        const rows = await c.query<Row>('SELECT * FROM inbox WHERE id = $1', [target.eventId]);
        if (!rows.rows[0]) return 0;
        await this.reprojectParkedIn(c, target.eventId);
        const event = eventFromRow(rows.rows[0]);
        const targets = entitiesOf(event);
        const snapshots = await c.query<Row>(
          `SELECT e.* FROM entities e JOIN unnest($1::text[], $2::text[]) AS t(kind, id) ON e.kind = t.kind AND e.id = t.id`,
          [targets.map((t) => t.kind), targets.map((t) => t.entityId)],
        );
        const priorities = new Map<string, number>();
        for (const row of snapshots.rows) {
          const snapshot = entityFromRow(row);
          priorities.set(entityKey(snapshot.kind, snapshot.id), jobPriority(snapshot));
        }
        const priorityOf = (kind: EntityKind, id: string) => priorities.get(entityKey(kind, id)) ?? 0;
        return this.enqueueIn(c, replayRequests(event, target.connectors, now, priorityOf), now);
      });
      if (count > 0) this.wake();
      return count;
    });
  }
  /**
   * An event kept with PROJECTION_FAILED is projected again inside the caller's transaction, once
   * a fix is deployed: back in the queue at its rank, its error cleared, then the queue projected
   * under the projection's lock. Throws (and the caller's transaction rolls back) if it fails again.
   */
  private async reprojectParkedIn(c: Queryable, eventId: string): Promise<void> {
    const found = await c.query('SELECT 1 FROM inbox_pending WHERE id = $1 AND rank >= $2', [
      eventId,
      RANK.parked,
    ]);
    if (found.rowCount === 0) return;
    await lockProjection(c, this.schema);
    const parked = await c.query<Row>(
      'UPDATE inbox_pending SET rank = rank - $1 WHERE id = $2 AND rank >= $1 RETURNING rank',
      [RANK.parked, eventId],
    );
    if (parked.rowCount === 0) return;
    await c.query('UPDATE inbox SET error_code = NULL, error_message = NULL WHERE id = $1', [eventId]);
    while ((await projectSlice(c, FRESH_SLICE, this.projectionContext)).events === FRESH_SLICE);
    const [again] = (await c.query<Row>('SELECT error_message FROM inbox WHERE id = $1', [eventId])).rows;
    if (again?.error_message != null) {
      throw new SyncError(
        'PROJECTION_FAILED',
        `event ${eventId} still cannot be projected: ${String(again.error_message)}`,
      );
    }
  }

  // --- outcomes ---------------------------------------------------------------------

  recordOutcomes(outcomes: readonly OutcomeInput[]): Promise<void> {
    return this.op(() => this.insertOutcomesIn(this.pool, outcomes));
  }

  /** Inserts ledger rows in one statement, in order (on `c`: inside a transaction, or the pool). */
  private async insertOutcomesIn(c: Queryable, outcomes: readonly OutcomeInput[]): Promise<void> {
    if (outcomes.length === 0) return;
    const cols = (pick: (o: OutcomeInput) => unknown) => outcomes.map(pick);
    await c.query(
      `INSERT INTO outcomes (event_id, connector, kind, entity_id, result, summary, detail, error_code, error_message, at)
       SELECT e, c, k, i, r, s, d, ec, em, a
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                     $8::text[], $9::text[], $10::bigint[]) WITH ORDINALITY AS t(e, c, k, i, r, s, d, ec, em, a, n)
        ORDER BY n`,
      [
        cols((o) => o.eventId),
        cols((o) => o.connector),
        cols((o) => o.kind),
        cols((o) => o.entityId),
        cols((o) => o.result),
        cols((o) => o.summary),
        cols((o) => (o.detail === undefined ? null : JSON.stringify(o.detail))),
        cols((o) => o.error?.code ?? null),
        cols((o) => o.error?.message ?? null),
        cols((o) => o.at),
      ],
    );
  }

  listOutcomes(filter: { eventId?: string; connector?: string; limit?: number }): Promise<Outcome[]> {
    return this.read(async () => {
      const where: string[] = [];
      const params: unknown[] = [];
      if (filter.eventId) {
        params.push(filter.eventId);
        where.push(`event_id = $${params.length}`);
      }
      if (filter.connector) {
        params.push(filter.connector);
        where.push(`connector = $${params.length}`);
      }
      params.push(filter.limit ?? 1000);
      const rows = await this.query(
        `SELECT * FROM outcomes ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT $${params.length}`,
        params,
      );
      return rows.map(outcomeFromRow);
    });
  }

  // --- connector state ----------------------------------------------------------------

  getState<T = unknown>(connector: string, key: string): Promise<T | null> {
    return this.op(async () => {
      const rows = await this.query('SELECT value FROM connector_state WHERE connector = $1 AND key = $2', [
        connector,
        key,
      ]);
      return rows[0] ? (JSON.parse(String(rows[0].value)) as T) : null;
    });
  }

  setState(connector: string, key: string, value: unknown, now: number): Promise<void> {
    return this.op(async () => {
      await this.query(
        `INSERT INTO connector_state (connector, key, value, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (connector, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
        [connector, key, JSON.stringify(value), now],
      );
    });
  }

  deleteState(connector: string, key: string): Promise<void> {
    return this.op(async () => {
      await this.query('DELETE FROM connector_state WHERE connector = $1 AND key = $2', [connector, key]);
    });
  }

  // --- offboarding timelines ------------------------------------------------------------

  putOffboarding(record: OffboardingRecord): Promise<void> {
    return this.op(async () => {
      await this.query(
        `INSERT INTO offboardings (id, connector, employee_id, status, opened_at, closed_at, updated_at, timeline)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, closed_at = excluded.closed_at,
           updated_at = excluded.updated_at, timeline = excluded.timeline`,
        offboardingColumns(record),
      );
    });
  }

  getOffboarding(id: string): Promise<OffboardingRecord | null> {
    return this.op(async () => {
      const rows = await this.query('SELECT * FROM offboardings WHERE id = $1', [id]);
      return rows[0] ? offboardingFromRow(rows[0]) : null;
    });
  }

  listOffboardings(filter: OffboardingFilter = {}): Promise<OffboardingRecord[]> {
    return this.op(async () => {
      const where: string[] = [];
      const params: unknown[] = [];
      for (const [column, value] of [
        ['status', filter.status],
        ['employee_id', filter.employeeId],
        ['connector', filter.connector],
        ['id <', filter.before],
      ] as const) {
        if (value === undefined) continue;
        params.push(value);
        where.push(column.endsWith('<') ? `${column} $${params.length}` : `${column} = $${params.length}`);
      }
      params.push(filter.limit ?? 50);
      const rows = await this.query(
        `SELECT * FROM offboardings ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${params.length}`,
        params,
      );
      return rows.map(offboardingFromRow);
    });
  }

  listProductsOf(employeeId: string): Promise<EntitySnapshot[]> {
    return this.read(async () => {
      const rows = await this.query(
        `SELECT * FROM entities WHERE kind = 'product' AND (data::jsonb -> 'employee' ->> 'id') = $1 ORDER BY id`,
        [employeeId],
      );
      return rows.map(entityFromRow);
    });
  }

  // --- guardrails ---------------------------------------------------------------------

  takeBudget(input: {
    scope: string;
    count: number;
    limit: number;
    windowMs: number;
    now: number;
  }): Promise<boolean> {
    // Every instance taking from this scope queues at the lock (taken with the BEGIN, one round
    // trip) until the one before has committed.
    const lock = advisoryXactLockSql(`growrk-sync:${this.schema}:budget`, input.scope);
    return this.op(() =>
      this.tx(
        async (c) => {
          // The look and the take in one statement (its snapshot is taken after the lock): a row
          // is inserted only when the window has room.
          const taken = await c.query(
            `INSERT INTO budget_ledger (scope, count, at)
           SELECT $1::text, $2::int, $3::bigint
            WHERE (SELECT coalesce(sum(count), 0) FROM budget_ledger WHERE scope = $1::text AND at > $4::bigint) + $2::int <= $5::bigint`,
            [input.scope, input.count, input.now, input.now - input.windowMs, input.limit],
          );
          return taken.rowCount === 1;
        },
        TRANSIENT,
        `BEGIN; ${lock}`,
      ),
    );
  }

  takeCallBudget(input: CallBudgetRequest): Promise<number> {
    return this.op(() =>
      this.tx(async (c) => {
        // Every instance drawing from this key queues here until the one before has committed.
        await c.query('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', [
          `growrk-sync:${this.schema}:calls`,
          input.key,
        ]);
        // Grants whose calls the vendor may still count: made less than holdMs + windowMs ago.
        await c.query('DELETE FROM call_budget WHERE key = $1 AND until <= $2', [
          input.key,
          input.now - input.windowMs,
        ]);
        const used = await c.query<Row>(
          'SELECT coalesce(sum(count), 0) AS n FROM call_budget WHERE key = $1',
          [input.key],
        );
        const granted = Math.max(0, Math.min(input.want, input.limit - Number(used.rows[0]?.n ?? 0)));
        if (granted > 0) {
          await c.query('INSERT INTO call_budget (key, count, until) VALUES ($1, $2, $3)', [
            input.key,
            granted,
            input.now + input.holdMs,
          ]);
        }
        return granted;
      }),
    );
  }

  countAttention(): Promise<AttentionCount[]> {
    return this.read(async () => {
      const rows = await this.query(
        `SELECT 'held' AS state, connector, kind, count(*) AS n FROM held WHERE status = 'held' GROUP BY connector, kind
         UNION ALL SELECT 'dead' AS state, connector, kind, count(*) AS n FROM jobs WHERE state = 'dead' GROUP BY connector, kind`,
      );
      return rows.map((row) => ({
        state: row.state as AttentionCount['state'],
        connector: String(row.connector),
        kind: row.kind as EntityKind,
        count: Number(row.n),
      }));
    });
  }

  addHeld(change: Omit<HeldChange, 'status' | 'decidedAt' | 'decidedBy'>): Promise<HeldChange> {
    return this.op(async () => {
      await this.query(
        `INSERT INTO held (id, connector, kind, entity_id, reason, plan, event_ids, status, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'held', $8)`,
        [
          change.id,
          change.connector,
          change.kind,
          change.entityId,
          change.reason,
          JSON.stringify(change.plan),
          JSON.stringify(change.eventIds),
          change.createdAt,
        ],
      );
      return { ...change, status: 'held' as const, decidedAt: null, decidedBy: null };
    });
  }

  getHeld(id: string): Promise<HeldChange | null> {
    return this.op(async () => {
      const rows = await this.query('SELECT * FROM held WHERE id = $1', [id]);
      return rows[0] ? heldFromRow(rows[0]) : null;
    });
  }

  listHeld(filter: { status?: HeldChange['status']; limit?: number }): Promise<HeldChange[]> {
    return this.op(async () => {
      const rows = filter.status
        ? await this.query('SELECT * FROM held WHERE status = $1 ORDER BY id LIMIT $2', [
            filter.status,
            filter.limit ?? 1000,
          ])
        : await this.query('SELECT * FROM held ORDER BY id LIMIT $1', [filter.limit ?? 1000]);
      return rows.map(heldFromRow);
    });
  }

  decideHeld(
    id: string,
    from: readonly HeldChange['status'][],
    status: HeldChange['status'],
    by: string,
    now: number,
  ): Promise<HeldChange | null> {
    return this.op(async () => {
      // One statement: two people deciding at once cannot both move it.
      const rows = await this.query(
        `UPDATE held SET status = $1, decided_at = $2, decided_by = $3 WHERE id = $4 AND status = ANY($5::text[]) RETURNING *`,
        [status, now, by, id, [...from]],
      );
      return rows[0] ? heldFromRow(rows[0]) : null;
    });
  }

  // --- runs and leases ----------------------------------------------------------------

  createRun(run: Run): Promise<void> {
    return this.op(async () => {
      await this.query(
        `INSERT INTO runs (id, connector, trigger, dry_run, started_at, finished_at, status, plan, result, errors)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [
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
        ],
      );
    });
  }

  updateRun(id: string, patch: Partial<Omit<Run, 'id'>>): Promise<void> {
    return this.op(async () => {
      const cols = runPatchColumns(patch);
      const names = Object.keys(cols);
      if (names.length === 0) return;
      await this.query(
        `UPDATE runs SET ${names.map((n, i) => `${n} = $${i + 1}`).join(', ')} WHERE id = $${names.length + 1}`,
        [...names.map((n) => cols[n] ?? null), id],
      );
    });
  }

  getRun(id: string): Promise<Run | null> {
    return this.op(async () => {
      const rows = await this.query('SELECT * FROM runs WHERE id = $1', [id]);
      return rows[0] ? runFromRow(rows[0]) : null;
    });
  }

  listRuns(limit: number): Promise<Run[]> {
    return this.op(async () =>
      (await this.query('SELECT * FROM runs ORDER BY id DESC LIMIT $1', [limit])).map(runFromRow),
    );
  }

  putRunItems(runId: string, connector: string, items: readonly RunItemInput[]): Promise<void> {
    return this.op(async () => {
      await this.tx((c) => this.putRunItemsIn(c, runId, connector, items));
    });
  }

  private async putRunItemsIn(
    c: Queryable,
    runId: string,
    connector: string,
    items: readonly RunItemInput[],
  ): Promise<void> {
    // The last word on an entity wins within one call, as it would one by one.
    const last = [...new Map(items.map((i) => [`${i.kind}:${i.entityId}`, i])).values()];
    const drop = last.filter((i) => i.plan === null);
    const keep = last.filter((i) => i.plan !== null);
    if (drop.length > 0) {
      await c.query(
        `DELETE FROM run_items WHERE run_id = $1 AND connector = $2
         AND (kind, entity_id) IN (SELECT * FROM unnest($3::text[], $4::text[]))`,
        [runId, connector, drop.map((i) => i.kind), drop.map((i) => i.entityId)],
      );
    }
    if (keep.length === 0) return;
    await c.query(
      `INSERT INTO run_items (run_id, connector, kind, entity_id, grp, plan, budgeted)
       SELECT $1, $2, k, e, g, p, b
       FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::integer[]) WITH ORDINALITY AS t(k, e, g, p, b, n)
      ORDER BY n
       ON CONFLICT (run_id, connector, kind, entity_id) DO UPDATE SET
       grp = excluded.grp, plan = excluded.plan, budgeted = excluded.budgeted`,
      [
        runId,
        connector,
        keep.map((i) => i.kind),
        keep.map((i) => i.entityId),
        keep.map((i) => i.group),
        keep.map((i) => JSON.stringify(i.plan)),
        keep.map((i) => (i.budgeted ? 1 : 0)),
      ],
    );
  }

  listRunItems(
    runId: string,
    connector: string,
    page: { after?: RunItemCursor | null | undefined; limit: number },
  ): Promise<RunItem[]> {
    return this.op(async () => {
      const after = page.after ?? { group: '', seq: 0 };
      const rows = await this.query(
        `SELECT * FROM run_items WHERE run_id = $1 AND connector = $2 AND (grp, seq) > ($3, $4)
         ORDER BY grp, seq LIMIT $5`,
        [runId, connector, after.group, after.seq, page.limit],
      );
      return rows.map(runItemFromRow);
    });
  }

  countRunItems(runId: string, connector: string): Promise<{ items: number; budgeted: number }> {
    return this.op(async () => {
      const rows = await this.query(
        `SELECT count(*) AS items, coalesce(sum(budgeted), 0) AS budgeted FROM run_items
         WHERE run_id = $1 AND connector = $2`,
        [runId, connector],
      );
      return { items: Number(rows[0]?.items ?? 0), budgeted: Number(rows[0]?.budgeted ?? 0) };
    });
  }

  clearRunItems(keepRunId: string | null): Promise<void> {
    return this.op(async () => {
      await this.tx(async (c) => {
        for (const table of ['run_items', 'run_keys', 'run_key_entities', 'run_lists']) {
          await c.query(`DELETE FROM ${table} WHERE run_id IS DISTINCT FROM $1`, [keepRunId]);
        }
      });
    });
  }

  dropRunItems(
    runId: string,
    connector: string,
    entities: ReadonlyArray<{ kind: EntityKind; entityId: string }>,
  ): Promise<number> {
    return this.op(async () => {
      if (entities.length === 0) return 0;
      const rows = await this.query(
        `DELETE FROM run_items WHERE run_id = $1 AND connector = $2
           AND (kind, entity_id) IN (SELECT * FROM unnest($3::text[], $4::text[])) RETURNING seq`,
        [runId, connector, entities.map((e) => e.kind), entities.map((e) => e.entityId)],
      );
      return rows.length;
    });
  }

  indexRunKeys(
    runId: string,
    connector: string,
    kind: EntityKind,
    entities: readonly RunKeyEntity[],
  ): Promise<void> {
    return this.op(async () => {
      const keys: string[] = [];
      const owners: string[] = [];
      const ranks: number[] = [];
      for (const entity of entities) {
        entity.keys.forEach((key, rank) => {
          keys.push(key);
          owners.push(entity.entityId);
          ranks.push(Math.min(rank, 15));
        });
      }
      if (keys.length === 0) return;
      await this.tx(async (c) => {
        // In order, so that a key taken twice keeps its first owner, as one by one (DO NOTHING also
        // skips a key repeated within the statement).
        await c.query(
          `WITH owned AS (
             INSERT INTO run_keys (run_id, connector, kind, key, entity_id, rank)
             SELECT $1, $2, $3, k, e, r
               FROM unnest($4::text[], $5::text[], $6::integer[]) WITH ORDINALITY AS t(k, e, r, n)
              ORDER BY n
             ON CONFLICT DO NOTHING
             RETURNING entity_id)
           INSERT INTO run_key_entities (run_id, connector, kind, entity_id)
           SELECT DISTINCT $1, $2, $3, entity_id FROM owned
           ON CONFLICT DO NOTHING`,
          [runId, connector, kind, keys, owners, ranks],
        );
      });
    });
  }

  matchRunKeys(
    runId: string,
    connector: string,
    kind: EntityKind,
    keys: readonly string[],
  ): Promise<RunKeyMatch[]> {
    return this.op(async () => {
      if (keys.length === 0) return [];
      const rows = await this.query(
        `SELECT k.key, k.entity_id, k.rank, e.matched_rank FROM run_keys k
           JOIN run_key_entities e
             ON e.run_id = k.run_id AND e.connector = k.connector AND e.kind = k.kind AND e.entity_id = k.entity_id
          WHERE k.run_id = $1 AND k.connector = $2 AND k.kind = $3 AND k.key = ANY($4::text[])`,
        [runId, connector, kind, [...keys]],
      );
      return rows.map(runKeyMatchFromRow);
    });
  }

  runKeyEntities(
    runId: string,
    connector: string,
    kind: EntityKind,
    entityIds: readonly string[],
  ): Promise<Array<{ entityId: string; matchedRank: number | null }>> {
    return this.op(async () => {
      if (entityIds.length === 0) return [];
      const rows = await this.query(
        `SELECT entity_id, matched_rank FROM run_key_entities
          WHERE run_id = $1 AND connector = $2 AND kind = $3 AND entity_id = ANY($4::text[])`,
        [runId, connector, kind, [...entityIds]],
      );
      return rows.map((r) => ({
        entityId: String(r.entity_id),
        matchedRank: r.matched_rank === null ? null : Number(r.matched_rank),
      }));
    });
  }

  putRunListPage(runId: string, connector: string, kind: EntityKind, page: RunListPage): Promise<void> {
    return this.op(async () => {
      await this.tx(async (c) => {
        await this.putRunItemsIn(c, runId, connector, page.items);
        if (page.matched.length > 0) {
          await c.query(
            `UPDATE run_key_entities e SET matched_rank = m.r
               FROM unnest($4::text[], $5::integer[]) AS m(id, r)
              WHERE e.run_id = $1 AND e.connector = $2 AND e.kind = $3 AND e.entity_id = m.id`,
            [runId, connector, kind, page.matched.map((m) => m.entityId), page.matched.map((m) => m.rank)],
          );
        }
        await c.query(
          `INSERT INTO run_lists (run_id, connector, kind, state) VALUES ($1, $2, $3, $4)
           ON CONFLICT (run_id, connector, kind) DO UPDATE SET state = excluded.state`,
          [runId, connector, kind, JSON.stringify(page.state)],
        );
      });
    });
  }

  resetRunKind(runId: string, connector: string, kind: EntityKind): Promise<void> {
    return this.op(async () => {
      await this.tx(async (c) => {
        for (const table of ['run_items', 'run_keys', 'run_key_entities', 'run_lists']) {
          await c.query(`DELETE FROM ${table} WHERE run_id = $1 AND connector = $2 AND kind = $3`, [
            runId,
            connector,
            kind,
          ]);
        }
      });
    });
  }

  getRunListState(runId: string, connector: string, kind: EntityKind): Promise<unknown> {
    return this.op(async () => {
      const rows = await this.query(
        'SELECT state FROM run_lists WHERE run_id = $1 AND connector = $2 AND kind = $3',
        [runId, connector, kind],
      );
      return rows[0] ? JSON.parse(String(rows[0].state)) : null;
    });
  }

  acquireLease(name: string, owner: string, ttlMs: number, now: number): Promise<boolean> {
    return this.op(async () => {
      // One statement: the row lock of the upsert makes take-or-renew atomic across instances.
      const rows = await this.query(
        `INSERT INTO leases (name, owner, until) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until = excluded.until
         WHERE leases.owner = excluded.owner OR leases.until <= $4
         RETURNING owner`,
        [name, owner, now + ttlMs, now],
      );
      return rows.length > 0;
    });
  }

  releaseLease(name: string, owner: string): Promise<void> {
    return this.op(async () => {
      await this.query('DELETE FROM leases WHERE name = $1 AND owner = $2', [name, owner]);
    });
  }
}

function noop(): void {}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * When a lane's next job is due (`$1`: its connector, or null for every lane): the earliest pending
 * job not held back by a running job of the same entity, or the earliest lease to run out. The
 * pending part is ORDER BY ... LIMIT 1, not min(): walked in run_at order on `jobs_lane_due`, it
 * stops at the first job not held back instead of reading the lane's whole backlog (it runs after
 * every claim). Exported for the test of its plan.
 */
export const NEXT_JOB_AT_SQL = `SELECT LEAST(
           (SELECT j.run_at FROM jobs j WHERE j.state = 'pending'
               AND ($1::text IS NULL OR j.connector = $1::text) AND NOT EXISTS (
              SELECT 1 FROM jobs r WHERE r.state = 'running' AND r.connector = j.connector
                 AND r.kind = j.kind AND r.entity_id = j.entity_id)
             ORDER BY j.run_at LIMIT 1),
           (SELECT min(lease_until) FROM jobs WHERE state = 'running'
               AND ($1::text IS NULL OR connector = $1::text))) AS t`;

/**
 * Opens the PostgreSQL store and starts its LISTEN connection (the first attempt; if the database
 * is down it keeps retrying in the background). Call `migrate()` before use.
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  const store = new PostgresStore(options);
  await store.start();
  return store;
}
