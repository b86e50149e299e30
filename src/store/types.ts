import type { OffboardingFilter, OffboardingRecord } from '../core/offboarding.ts';
import type { EntitySnapshot } from '../core/projection.ts';
import type { EntityKind, ParsedEvent } from '../growrk/types.ts';

/** What became of a received, signed event. */
export type EventStatus = 'accepted' | 'ignored' | 'rejected';

/** A stored inbox row. `body` is the stored text: JSON with sensitive fields removed. */
export interface StoredEvent {
  id: string;
  bodyHash: string;
  /** The `event` field, when it could be read. */
  type: string | null;
  companyId: string | null;
  /** GroWrk timestamp (ISO), when it could be read. */
  timestamp: string | null;
  receivedAt: number;
  status: EventStatus;
  /** Why a rejected event was rejected. */
  error: { code: string; message: string } | null;
  body: string;
  /** Entity ids the event carried, e.g. `employee:emp-1`. */
  entityKeys: string[];
}

/** One signed event to store. */
export interface IngestInput {
  id: string;
  bodyHash: string;
  receivedAt: number;
  status: EventStatus;
  /**
   * The parsed event for accepted and ignored events, and for a rejected one that parsed (dated
   * in the future): stored with its type, timestamp and entity keys, never projected.
   */
  event: ParsedEvent | null;
  /** Raw type/company/timestamp for rejected events, when readable. */
  type?: string | null;
  body: string;
  error?: { code: string; message: string } | null;
  /** For each entity kind, the connectors that get a sync job when an entity of that kind changes. */
  jobConnectors: Partial<Record<EntityKind, readonly string[]>>;
  /**
   * The clock skew the event's timestamp was checked with: a stored snapshot dated more than this
   * after `receivedAt` came from a clock error and does not block the event. Unset: trusted.
   */
  clockSkewMs?: number | undefined;
}

/** The answer to {@link Store.ingest}. */
export interface IngestResult {
  /** The new event's id, or the id of the earlier event with the same body. */
  id: string;
  duplicate: boolean;
  status: EventStatus;
}

/** The projection still to run behind acknowledged events ({@link Store.projectionBacklog}). */
export interface ProjectionBacklog {
  /** Acknowledged events not projected yet. */
  events: number;
  /** Milliseconds the oldest of them has waited, or 0. */
  oldestMs: number;
  /** The last failure of a background projection (it is retried), or null. */
  lastError: string | null;
  /**
   * Acknowledged events kept with PROJECTION_FAILED: a bug kept them from projecting, so what they
   * say (a suspension, say) waits until `events replay ID` projects them again after a fix.
   */
  failedEvents: number;
}

export type JobState = 'pending' | 'running' | 'done' | 'dead';

/** A sync job: make one connector's target match the projection for one entity. */
export interface Job {
  id: string;
  connector: string;
  kind: EntityKind;
  entityId: string;
  state: JobState;
  attempts: number;
  /** Epoch ms at which a pending job may run. */
  runAt: number;
  /** Claim priority within the connector's lane, higher first (`JOB_PRIORITY` in src/core/priority.ts). */
  priority: number;
  /** Events that asked for this job (coalesced duplicates add theirs). */
  eventIds: string[];
  lastError: { code: string; message: string } | null;
  /** Lease owner and expiry while running. */
  owner: string | null;
  leaseUntil: number | null;
  createdAt: number;
  updatedAt: number;
}

/** A request for a job, as {@link Store.enqueueJobs} takes it. */
export interface JobRequest {
  connector: string;
  kind: EntityKind;
  entityId: string;
  eventId: string | null;
  runAt: number;
  /** Claim priority (default 0, normal); coalescing keeps the higher of the two. */
  priority?: number;
}

/** What {@link Store.claimJobs} takes: who claims, how many, at what time, for how long, which lane. */
export interface ClaimRequest {
  owner: string;
  limit: number;
  now: number;
  leaseMs: number;
  /** One connector's lane only; every lane when undefined (tests, tools). */
  connector?: string | undefined;
}

/** Held changes or dead jobs of one connector and entity kind (the `/metrics` gauges). */
export interface AttentionCount {
  state: 'held' | 'dead';
  connector: string;
  kind: EntityKind;
  count: number;
}

/** A request for vendor calls from a budget shared by every instance ({@link Store.takeCallBudget}). */
export interface CallBudgetRequest {
  /** The vendor's limit scope, e.g. one HubSpot portal or one Google admin. */
  key: string;
  /** Calls wanted. */
  want: number;
  /** Calls allowed per `windowMs` (the vendor's limit). */
  limit: number;
  windowMs: number;
  /** How long the granted calls may be started for: they count against the window until `now + holdMs + windowMs`. */
  holdMs: number;
  now: number;
}

/** How a claimed job ended. */
export type JobFinish =
  | { state: 'done' }
  | { state: 'pending'; runAt: number; error: { code: string; message: string } }
  | { state: 'dead'; error: { code: string; message: string } };

/** Outcome of one sync of one entity for one event, as the ledger records it. */
export type OutcomeResult =
  | 'succeeded'
  | 'failed'
  | 'held'
  | 'protected'
  | 'skipped'
  | 'dry-run'
  | 'dead'
  /** The event changed nothing: a newer one had been applied (written by the projection, connector `-`). */
  | 'superseded';

export interface OutcomeInput {
  /** Null for work not caused by an event (reconciliation, approval). */
  eventId: string | null;
  connector: string;
  kind: EntityKind;
  entityId: string;
  result: OutcomeResult;
  /** A short human summary, e.g. "suspended; 4 playbook steps". No personal data beyond ids. */
  summary: string;
  /** Structured detail (plan operations, steps). */
  detail?: unknown;
  error?: { code: string; message: string } | null;
  at: number;
}

export interface Outcome extends OutcomeInput {
  id: number;
}

/** A change kept back by the guardrails until a person decides. */
export interface HeldChange {
  id: string;
  connector: string;
  kind: EntityKind;
  entityId: string;
  /** Why it was held, e.g. "destructive budget 5 per 1h exceeded". */
  reason: string;
  /** The plan that would be applied (connector-specific, JSON). */
  plan: unknown;
  eventIds: string[];
  status: 'held' | 'approved' | 'rejected' | 'applied';
  createdAt: number;
  decidedAt: number | null;
  decidedBy: string | null;
}

/** A stored reconciliation run. */
export interface Run {
  id: string;
  connector: string | null;
  trigger: 'manual' | 'schedule';
  dryRun: boolean;
  startedAt: number;
  finishedAt: number | null;
  status: 'running' | 'no-drift' | 'drift' | 'applied' | 'partial' | 'failed' | 'held';
  plan: unknown;
  result: unknown;
  errors: Array<{ code: string; message: string }>;
  /**
   * Where the run is, saved after every page it applied (reconciliation's own JSON), so that a
   * run that stopped can be resumed where it stopped; null when never set.
   */
  checkpoint?: unknown;
}

/** A planned change a reconciliation run keeps in the store between planning and applying. */
export interface RunItem {
  /** Order of insertion (stable across replacements of the same entity's plan). */
  seq: number;
  /** Items are applied in (group, seq) order, so that plans of one shape share batch calls. */
  group: string;
  kind: EntityKind;
  entityId: string;
  plan: unknown;
  /** True when the plan counts against the run's destructive budget. */
  budgeted: boolean;
}

/** A plan to keep for a run (replacing the entity's previous one), or null to drop it. */
export interface RunItemInput {
  kind: EntityKind;
  entityId: string;
  group: string;
  plan: unknown | null;
  budgeted: boolean;
}

/** Where a page of run items starts: after this (group, seq). */
export interface RunItemCursor {
  group: string;
  seq: number;
}

/**
 * One entity of a run's key index: its lookup keys, most specific first (a connector's
 * `keysOfDesired`). The index keeps each key's first owner only.
 */
export interface RunKeyEntity {
  entityId: string;
  keys: readonly string[];
}

/** A key of a run's index, with the entity that owns it and how far matching got for that entity. */
export interface RunKeyMatch {
  key: string;
  entityId: string;
  /** The key's position among the entity's keys (0 = the most specific), capped at 15. */
  rank: number;
  /** The rank a listed record matched the entity with so far, or null. */
  matchedRank: number | null;
}

/**
 * One page of a run's listing, kept at once: its planned items (as `putRunItems`), the entities
 * listed records matched (with the rank of the key they matched by), and the planner's state after
 * the page (where the listing is, counts), so that a run that stopped resumes after this page.
 */
export interface RunListPage {
  items: readonly RunItemInput[];
  matched: ReadonlyArray<{ entityId: string; rank: number }>;
  state: unknown;
}

/** What {@link Store.replay} re-queues. */
export type ReplayTarget =
  | { eventId: string; connectors: readonly string[] }
  | { deadJobs: true; jobIds?: readonly string[] | undefined };

/** How a read of the projection answers. */
export interface ReadOptions {
  /**
   * `false`: answer without first catching the projection up with every acknowledged event. Only
   * for a caller that caught it up a moment ago and to which a later event comes anyway: the
   * worker, right after the claim that caught it up, reading a job's entity (an event projected
   * after that queues a job of its own for the entity, which runs once this one has finished).
   * Default `true`. A store may catch up regardless.
   */
  fresh?: boolean | undefined;
}

export interface EventFilter {
  status?: EventStatus | undefined;
  type?: string | undefined;
  limit?: number | undefined;
  /** Only events with an id lower than this (paging, newest first). */
  before?: string | undefined;
}

/**
 * The durable store. Two implementations (SQLite, PostgreSQL) pass one conformance suite; callers
 * never know which they have. Every method is safe to call concurrently; `ingest` calls made at the
 * same time share one durable commit.
 */
export interface Store {
  readonly kind: 'sqlite' | 'postgres';

  /** Runs pending migrations (safe from several processes at once). */
  migrate(): Promise<{ applied: number[] }>;
  /** True when the store answers a trivial query and is migrated. */
  ready(): Promise<boolean>;
  /** Waits for in-flight writes, then closes. */
  close(): Promise<void>;

  // --- inbox and projection ------------------------------------------------------------
  /**
   * Stores one signed event. Resolves only once its inbox row is durable. A body seen before (same
   * `bodyHash`) changes nothing and answers the first event's id with `duplicate: true`. Its
   * projection and the sync jobs it causes follow from the durable row, behind it (see
   * `projectionBacklog`), never lost, and always before any read of this store sees the
   * projection, its jobs or its ledger (read-your-writes; on PostgreSQL whichever instance
   * acknowledged the event).
   */
  ingest(input: IngestInput): Promise<IngestResult>;
  /** Acknowledged events whose projection is still to run (on PostgreSQL: by any instance). */
  projectionBacklog(): Promise<ProjectionBacklog>;
  getEvent(id: string): Promise<StoredEvent | null>;
  /** Events newest first. */
  listEvents(filter?: EventFilter): Promise<StoredEvent[]>;
  getEntity(kind: EntityKind, id: string, options?: ReadOptions): Promise<EntitySnapshot | null>;
  /** One page of entities of a kind, ordered by id, after `afterId`. */
  listEntities(
    kind: EntityKind,
    page: { afterId?: string | undefined; limit: number },
  ): Promise<EntitySnapshot[]>;
  countEntities(kind: EntityKind): Promise<number>;

  // --- sync jobs -------------------------------------------------------------------------
  /**
   * Adds jobs. A pending job for the same (connector, kind, entityId) absorbs the request (its event
   * ids grow and it runs no later than `runAt`). Wakes job listeners after commit.
   * @returns how many requests were added or coalesced.
   */
  enqueueJobs(requests: readonly JobRequest[]): Promise<number>;
  /**
   * Claims up to `limit` pending jobs due at `now` (of `connector` only, when given: one lane),
   * highest priority first, then earliest due; never one whose (connector, entity) already has a
   * running job with a live lease; claimed jobs become `running` with `owner` and a lease.
   * Running jobs whose lease expired (their worker died) are claimable again, ahead of the rest.
   */
  claimJobs(opts: ClaimRequest): Promise<Job[]>;
  /**
   * Extends the leases of running jobs `owner` still holds (heartbeat while they run) and answers
   * their ids: one missing was taken over by another worker after its lease ran out, or ended.
   */
  renewLeases(ids: readonly string[], owner: string, until: number): Promise<string[]>;
  /** Ends a claimed job. Ignored when `owner` no longer holds it. */
  finishJob(id: string, owner: string, finish: JobFinish, now: number): Promise<void>;
  getJob(id: string): Promise<Job | null>;
  listJobs(filter: { state?: JobState; eventId?: string; limit?: number }): Promise<Job[]>;
  countJobs(): Promise<Record<JobState, number>>;
  /** Epoch ms at which the earliest pending job (of `connector`, when given) becomes claimable, or null. */
  nextJobAt(connector?: string): Promise<number | null>;
  /** Pending jobs of each connector (lane backlogs). */
  countPendingByConnector(): Promise<Record<string, number>>;
  /** Calls `listener` after any commit that made jobs claimable (this process or, for PostgreSQL, any). */
  onJobsReady(listener: () => void): () => void;
  /**
   * Re-queues the jobs of an event (all its entities, for the given connectors), or dead jobs:
   * every one, or only those in `jobIds` (ids that are not dead are left alone).
   * @returns the number of jobs queued.
   */
  replay(target: ReplayTarget, now: number): Promise<number>;

  // --- outcome ledger ----------------------------------------------------------------------
  recordOutcomes(outcomes: readonly OutcomeInput[]): Promise<void>;
  listOutcomes(filter: { eventId?: string; connector?: string; limit?: number }): Promise<Outcome[]>;

  // --- connector state (links, playbook progress) ---------------------------------------
  getState<T = unknown>(connector: string, key: string): Promise<T | null>;
  setState(connector: string, key: string, value: unknown, now: number): Promise<void>;
  deleteState(connector: string, key: string): Promise<void>;

  // --- guardrails ----------------------------------------------------------------------
  /**
   * Atomically takes `count` units of the destructive budget `scope` if fewer than `limit` units
   * were taken in the `windowMs` before `now`. Returns whether they were taken.
   */
  takeBudget(input: {
    scope: string;
    count: number;
    limit: number;
    windowMs: number;
    now: number;
  }): Promise<boolean>;
  /**
   * Grants up to `want` calls of the shared vendor budget `key`: at most `limit` calls granted in
   * any window (a grant counts from when it is made until `holdMs + windowMs` after, since its
   * calls may start any time within `holdMs`). Atomic across processes. Returns the calls granted
   * (0 when the window is full).
   */
  takeCallBudget(input: CallBudgetRequest): Promise<number>;
  /** Held changes (status `held`) and dead jobs, counted by connector and kind. */
  countAttention(): Promise<AttentionCount[]>;
  addHeld(change: Omit<HeldChange, 'status' | 'decidedAt' | 'decidedBy'>): Promise<HeldChange>;
  getHeld(id: string): Promise<HeldChange | null>;
  listHeld(filter: { status?: HeldChange['status']; limit?: number }): Promise<HeldChange[]>;
  /** Moves a held change to `status` if it is in one of `from`. Returns the updated row or null. */
  decideHeld(
    id: string,
    from: readonly HeldChange['status'][],
    status: HeldChange['status'],
    by: string,
    now: number,
  ): Promise<HeldChange | null>;

  // --- offboarding timelines ------------------------------------------------------------
  /** Inserts or replaces an offboarding (by id). */
  putOffboarding(record: OffboardingRecord): Promise<void>;
  getOffboarding(id: string): Promise<OffboardingRecord | null>;
  /** Offboardings newest first (by id). */
  listOffboardings(filter?: OffboardingFilter): Promise<OffboardingRecord[]>;
  /** Products whose assigned employee (`employee.id`) is `employeeId`, by id. */
  listProductsOf(employeeId: string): Promise<EntitySnapshot[]>;

  // --- reconciliation runs and leadership ----------------------------------------------
  createRun(run: Run): Promise<void>;
  updateRun(id: string, patch: Partial<Omit<Run, 'id'>>): Promise<void>;
  getRun(id: string): Promise<Run | null>;
  listRuns(limit: number): Promise<Run[]>;
  /** Keeps (or, with a null plan, drops) planned changes of a run's connector, one per entity. */
  putRunItems(runId: string, connector: string, items: readonly RunItemInput[]): Promise<void>;
  /** One page of a run's items for a connector, in (group, seq) order, after `after`. */
  listRunItems(
    runId: string,
    connector: string,
    page: { after?: RunItemCursor | null | undefined; limit: number },
  ): Promise<RunItem[]>;
  /** How many items a run's connector has, and how many count against the destructive budget. */
  countRunItems(runId: string, connector: string): Promise<{ items: number; budgeted: number }>;
  /**
   * Drops the items of every run but `keepRunId` (all of them when null), with their key indexes
   * and listing states.
   */
  clearRunItems(keepRunId: string | null): Promise<void>;
  /** Drops the given entities' items; returns how many there were. */
  dropRunItems(
    runId: string,
    connector: string,
    entities: ReadonlyArray<{ kind: EntityKind; entityId: string }>,
  ): Promise<number>;
  /**
   * Adds entities to a run's key index of one kind, in order: a key already owned keeps its owner;
   * an entity that owns none of its keys is not indexed (nothing could ever match it).
   */
  indexRunKeys(
    runId: string,
    connector: string,
    kind: EntityKind,
    entities: readonly RunKeyEntity[],
  ): Promise<void>;
  /** The indexed keys among `keys`, with their owners (in no particular order). */
  matchRunKeys(
    runId: string,
    connector: string,
    kind: EntityKind,
    keys: readonly string[],
  ): Promise<RunKeyMatch[]>;
  /** The indexed entities among `entityIds`, with the rank a listed record matched each with (or null). */
  runKeyEntities(
    runId: string,
    connector: string,
    kind: EntityKind,
    entityIds: readonly string[],
  ): Promise<Array<{ entityId: string; matchedRank: number | null }>>;
  /** Keeps one page of a run's listing of a kind, atomically (see {@link RunListPage}). */
  putRunListPage(runId: string, connector: string, kind: EntityKind, page: RunListPage): Promise<void>;
  /** Forgets what a run planned and indexed for one kind (its listing starts over). */
  resetRunKind(runId: string, connector: string, kind: EntityKind): Promise<void>;
  /** The listing state last kept for a run's kind (`putRunListPage`), or null. */
  getRunListState(runId: string, connector: string, kind: EntityKind): Promise<unknown>;
  /** Takes or renews the named lease for `owner` until `now + ttlMs`; false while another owner holds it. */
  acquireLease(name: string, owner: string, ttlMs: number, now: number): Promise<boolean>;
  releaseLease(name: string, owner: string): Promise<void>;
}
