import type { Logger } from 'pino';
import type { OffboardingRecord } from '../core/offboarding.ts';
import type { EntitySnapshot } from '../core/projection.ts';
import type { SyncError } from '../errors.ts';
import type { EntityKind } from '../growrk/types.ts';
import type { RateLimiter } from '../sync/rate-limiter.ts';

/** A field-level change in a plan, shown like `terraform plan`: `title: "Engineer" -> "Lead"`. */
export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
}

/**
 * One operation a connector plans. Operations are data: printable, storable, approvable. A
 * connector declares its ops as a union of these, one member per op kind with its own `args`
 * (so `switch (op.type)` gives the arguments their type, without casts).
 */
export interface PlannedOp<Type extends string = string, Args = unknown> {
  /** Machine name, e.g. `suspend`, `update`, `revoke-tokens`, `upsert-asset`. */
  type: Type;
  /** True for changes the guardrails budget (suspensions, deletions, removals). */
  destructive: boolean;
  /** One line for people, without personal data beyond the target's label. */
  description: string;
  changes?: FieldChange[];
  /** Connector-specific arguments for `apply`. */
  args?: Args;
  /**
   * Set (to the reason) when this op is never applied without a person's approval, whatever the
   * budget (e.g. reactivating an account this service suspended): the plan is held until approved.
   */
  requiresApproval?: string | undefined;
}

/**
 * One member of a connector's op union: a {@link PlannedOp} whose `args` are always there, typed
 * for its `type` (e.g. `OpOf<'checkin', { assetId: number }>`).
 */
export type OpOf<Type extends string, Args> = PlannedOp<Type, Args> & { args: Args };

/** The target record a plan is about, as the guardrails need to see it. */
export interface TargetRef {
  /** The vendor's id (Google user id, HubSpot object id), or null when the plan creates it. */
  id: string | null;
  /** How people recognise it (an e-mail, an asset serial). */
  label: string;
  email?: string | undefined;
  orgUnitPath?: string | undefined;
  /** Set when the directory says the target is an administrator. */
  adminRole?: 'super' | 'delegated' | null | undefined;
}

/** What a connector wants to do for one entity. An empty `ops` means the target is in step. */
export interface Plan<Op extends PlannedOp = PlannedOp> {
  connector: string;
  kind: EntityKind;
  entityId: string;
  target: TargetRef | null;
  ops: Op[];
  /** Things worth reporting that need no change (e.g. "no directory account for this employee"). */
  notes: string[];
  /**
   * Sync this entity again after this long even if nothing changes meanwhile (a grace period that
   * runs out, a vendor job to poll). The event path queues a job for then; reconciliation ignores it.
   */
  recheckAfterMs?: number | undefined;
}

/** What `apply` did. */
export interface ApplyReport {
  /** Operation types done in this call. */
  done: string[];
  /** Operation types found already done (resumed plans). */
  skipped: string[];
  /** The target id after apply (e.g. a created record). */
  targetId?: string | null;
  /**
   * Set when `apply` stopped after the urgent part of the plan (with `urgentFirst`): the rest is
   * to be planned and applied again later, behind other waiting work.
   */
  more?: boolean;
  /** As {@link Plan.recheckAfterMs}, learnt while applying (a vendor job started and not finished). */
  recheckAfterMs?: number | undefined;
}

/** How `apply` is asked to work. */
export interface ApplyOptions {
  /**
   * Return after the urgent, access-cutting op (a suspension) when more ops follow, so that a
   * burst of offboardings suspends everyone before any playbook runs. The event path asks for it;
   * reconciliation does not.
   */
  urgentFirst?: boolean;
}

/**
 * The outcome of one plan in {@link ConnectorDefinition.apply}: `ok` with what was done, or the
 * error of the call (or batch input) that failed it, with the ops done before it.
 */
export type ApplyOutcome<Op extends PlannedOp = PlannedOp> =
  | { plan: Plan<Op>; ok: true; report: ApplyReport }
  | { plan: Plan<Op>; ok: false; error: SyncError; report: ApplyReport };

/** The key of an entity in {@link ConnectorDefinition.read}'s answer (`<kind>:<id>`). */
export { entityKey } from '../growrk/types.ts';

/** A plan that changes nothing (no target yet, no ops, no notes) for `entity`, to fill in or return as is. */
export function emptyPlan<Op extends PlannedOp = PlannedOp>(
  connector: string,
  entity: { kind: EntityKind; id: string },
): Plan<Op> {
  return { connector, kind: entity.kind, entityId: entity.id, target: null, ops: [], notes: [] };
}

/** One finding of `check`. */
export interface CheckFinding {
  ok: boolean;
  /** Plain words, e.g. "The service account lacks the admin.directory.user scope." */
  message: string;
}

/** Connector-private durable state (links, playbook progress), scoped to the connector. */
export interface ConnectorState {
  get<T>(key: string): Promise<T | null>;
  set(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
}

/** The offboarding timelines of one connector (`src/core/offboarding.ts`), scoped to it. */
export interface OffboardingLog {
  /** The newest offboarding of an employee, if any. */
  latest(employeeId: string): Promise<OffboardingRecord | null>;
  /** Inserts or replaces one (its `connector` is set to this connector). */
  put(record: OffboardingRecord): Promise<void>;
}

/**
 * Everything a connector gets from the core. `client` is what the connector's own `connect`
 * built from `config` (its vendor SDK lives only in its `client.ts`).
 */
export interface ConnectorContext<Config = unknown, Client = unknown> {
  connector: string;
  config: Config;
  client: Client;
  logger: Logger;
  state: ConnectorState;
  limiter: RateLimiter;
  now(): number;
  /** Reads another entity's snapshot (e.g. a product's assigned employee). */
  entity(kind: EntityKind, id: string): Promise<EntitySnapshot | null>;
  /** The products GroWrk has assigned to an employee (from the projection). */
  productsOf(employeeId: string): Promise<EntitySnapshot[]>;
  /** Offboarding timelines this connector keeps. */
  offboardings: OffboardingLog;
}

/** Input of the pure planning function. */
export interface PlanInput<Config, Actual> {
  desired: EntitySnapshot;
  actual: Actual | null;
  config: Config;
  /** Snapshots of related entities `read` asked for (e.g. the assigned employee). */
  related?: Record<string, EntitySnapshot | null>;
}

/** Where a reconciliation's listing of one kind is (see {@link ConnectorDefinition.list}). */
export interface ListPosition {
  /** Resume after this point (a `next` the connector set earlier), or null: from the start. */
  after: string | null;
  /** Set by the connector with each page: where the next page starts, or null after the last. */
  next?: string | null | undefined;
}

/**
 * A connector, as `defineConnector` declares it; `Op` is the union of the ops it plans. One sync
 * path: `read` many -> `plan` each (pure) -> `apply` many; one entity is a batch of one. A
 * connector whose vendor has no batch endpoints reads and applies one at a time with the core's
 * {@link readEach} and {@link applyEach} (`src/connector/each.ts`) and says `batchSize: 1`.
 */
export interface ConnectorDefinition<
  Config = unknown,
  Client = unknown,
  Actual = unknown,
  Op extends PlannedOp = PlannedOp,
> {
  /** Entity kinds whose changes this connector syncs, under `config`. */
  kinds(config: Config): readonly EntityKind[];
  /**
   * Most entities one `read` or `apply` call takes: the vendor's batch size (HubSpot: 100), or 1
   * for a connector that reads and applies one entity at a time. The worker runs this many jobs as
   * one unit; reconciliation applies the plans of a connector of 1 a few at a time in parallel,
   * and gives any other all of them at once (the connector splits them into its batches).
   */
  batchSize: number;
  /**
   * Builds the vendor client once per process (and once per scheduled reconciliation's thread).
   * `limiter` is the connector's call limiter; a vendor limit of its own beside it (HubSpot's
   * searches per second) takes a limiter from `extraLimiter`, once per name, so that every thread
   * of the process draws from the same one.
   */
  connect(input: {
    config: Config;
    logger: Logger;
    limiter: RateLimiter;
    extraLimiter: (name: string, policy: { limit: number; intervalMs: number }) => RateLimiter;
  }): Client | Promise<Client>;
  /**
   * Reads the target's current state for the given entities (any kinds; one entity is a batch of
   * one), with the vendor's batch endpoints where it has them. Keyed by {@link entityKey} (ids are
   * unique per kind only), one entry per entity given: null when no target record matches.
   * Throws when the reading failed (the core retries the whole group; nothing was written).
   */
  read(
    ctx: ConnectorContext<Config, Client>,
    desired: readonly EntitySnapshot[],
  ): Promise<Map<string, Actual | null>>;
  /**
   * Optional: for an entity of a kind this connector follows without syncing it itself (a product,
   * for the Google connector, which acts on the employee it is assigned to), the entities to sync
   * instead. The core queues a job for each (same connector, same events) and records that this
   * entity's job handed over to them. Null: sync this entity itself, as usual.
   */
  relatedEntities?(
    ctx: ConnectorContext<Config, Client>,
    desired: EntitySnapshot,
  ): Promise<Array<{ kind: EntityKind; id: string }> | null>;
  /** Pure: what to do so that the target matches `desired`. */
  plan(input: PlanInput<Config, Actual>): Plan<Op>;
  /**
   * Carries out plans (one plan is a batch of one), idempotently (a retried plan resumes), in as
   * few calls as the vendor allows, honouring `options` (`urgentFirst`). Returns one outcome per
   * plan, in the order given; a failed plan or batch call fails only the plans it concerns.
   * Throws only for errors that are no single plan's (a daily quota used up, a misconfigured
   * connector): the core then fails every plan with it.
   */
  apply(
    ctx: ConnectorContext<Config, Client>,
    plans: readonly Plan<Op>[],
    options?: ApplyOptions,
  ): Promise<ApplyOutcome<Op>[]>;
  /**
   * Streams every target record of `kind`, one page at a time, for reconciliation. A connector
   * that can resume a listing starts after `position.after` when it is set, and sets
   * `position.next` before yielding each page: where the page after it starts (null after the
   * last page). One that cannot leaves `next` unset; a stopped run then lists that kind again.
   */
  list(
    ctx: ConnectorContext<Config, Client>,
    kind: EntityKind,
    position?: ListPosition,
  ): AsyncIterable<Actual[]>;
  /** Keys under which a listed record can be found (`ext:<growrk id>`, `email:<e-mail>`...). */
  keysOfActual(actual: Actual): string[];
  /** Keys to look a desired entity up by, most specific first. */
  keysOfDesired(desired: EntitySnapshot): string[];
  /** Verifies credentials, scopes and target setup; never writes. */
  check(ctx: ConnectorContext<Config, Client>): Promise<CheckFinding[]>;
  /** Creates, idempotently, what the target needs. Returns what it created or found. */
  init(ctx: ConnectorContext<Config, Client>, options: { dryRun: boolean }): Promise<CheckFinding[]>;
}

/** Declares a connector; the identity function that gives it its types. */
export function defineConnector<Config, Client, Actual, Op extends PlannedOp = PlannedOp>(
  definition: ConnectorDefinition<Config, Client, Actual, Op>,
): ConnectorDefinition<Config, Client, Actual, Op> {
  return definition;
}
