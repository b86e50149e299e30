/**
 * A connector's manifest: the light, eagerly loaded description of one `connectors/<id>/` folder.
 * It says everything the core needs before (or without) loading the connector's code and vendor
 * SDK: its id, its configuration fragment (with env names) and the type derived from it, the
 * cross-checks that fragment needs, its rate-limit policy, its cost model for reconciliation
 * reports, and the effect of each op kind it plans. `load` brings in the definition lazily.
 */
import type { EntityKind } from '../growrk/types.ts';
import type { ConnectorDefinition, Plan, PlannedOp } from './types.ts';

/** What an op does to the target record, as reports count it and the guardrails weigh it. */
export type OpEffect = 'create' | 'update' | 'suspend' | 'reactivate' | 'remove';

/** "At most `limit` calls in any `intervalMs`" (the connector's own client may tighten it further). */
export interface RateLimitPolicy {
  limit: number;
  intervalMs: number;
  /**
   * The vendor's limit scope (one HubSpot portal, one Google admin): on PostgreSQL every instance
   * draws from one budget per key (`budgetKey` in src/sync/shared-limiter.ts hashes what names it,
   * so no token reaches the store in clear). Unset: each instance limits itself.
   */
  key?: string;
}

/**
 * How the worker runs one connector's jobs: its lane. Every enabled connector has a lane of its
 * own (its own claims, slots and in-flight budget), so one connector's backlog never delays
 * another's. Unset fields take the defaults (`worker.concurrency` slots; as many jobs in flight as
 * slots, or a batch more than its running batches for a connector whose `batchSize` is above 1);
 * `WORKER_LANES` overrides.
 */
export interface LanePolicy {
  /** Units (a job, or a batch of `batchSize` jobs for a batching connector) running at once. */
  concurrency?: number;
  /** Most jobs claimed and not finished (running, or waiting in the lane for a slot). */
  inFlight?: number;
}

/** How one kind was listed in a reconciliation run. */
export interface ListedKind {
  kind: EntityKind;
  /** Records the target listed. */
  listed: number;
  /** Pages (list calls) consumed. */
  pages: number;
}

/** The fewest calls a reconciliation run could have made, split as reported. */
export interface Minimum {
  list: number;
  write: number;
}

/** What a cost model is given about one connector's run (`Op`: the connector's op union). */
export interface CostInput<Config, Op extends PlannedOp = PlannedOp> {
  kinds: readonly ListedKind[];
  /** The plans submitted for applying (destructive ops withheld are not in them). */
  applied: readonly Plan<Op>[];
  /** Client calls by method (for per-item deletes counted from the calls made). */
  methods: ReadonlyMap<string, number>;
  config: Config;
}

/** The vendor's arithmetic: the minimum calls for a run's work, and the least time its limits allow. */
export interface CostModel<Config, Op extends PlannedOp = PlannedOp> {
  minimum(input: CostInput<Config, Op>): Minimum;
  /** Least wall time for `minimum` under the vendor's limits, in ms. */
  floorMs(minimum: Minimum, input: CostInput<Config, Op>): number;
}

/** One convict schema entry, as the connectors' fragments write them. */
export interface ConfigEntry {
  doc: string;
  format: unknown;
  default: unknown;
  env?: string;
  sensitive?: boolean;
}

/** A connector's fragment of the configuration schema: key -> convict entry. */
export type ConfigFragment = Readonly<Record<string, ConfigEntry>>;

/** The value type a convict format gives. */
type ValueOf<F> = F extends StringConstructor
  ? string
  : F extends BooleanConstructor
    ? boolean
    : F extends NumberConstructor
      ? number
      : F extends 'nat' | 'int' | 'port' | 'duration' | 'ratio'
        ? number
        : F extends 'comma-list'
          ? string[]
          : F extends 'json-object'
            ? Record<string, string>
            : F extends readonly (infer E)[]
              ? E
              : string;

/** The TypeScript type of a configuration fragment, derived from its formats. */
export type ConfigOf<S extends ConfigFragment> = { -readonly [K in keyof S]: ValueOf<S[K]['format']> };

/** A connector's configuration block as the core sees it: values it passes on without reading. */
export type AnyConnectorConfig = ConfigOf<ConfigFragment>;

/**
 * A connector's manifest (see the file comment). `Op` is the union of the ops its plan makes
 * (inferred from `load`): `ops` must give an effect for each of their kinds, and no other.
 */
export interface ConnectorManifest<
  Id extends string = string,
  Key extends string = string,
  S extends ConfigFragment = ConfigFragment,
  Op extends PlannedOp = PlannedOp,
> {
  id: Id;
  /** What people call the target, e.g. "Google Workspace". */
  title: string;
  /** The configuration block this connector's keys live under (`google.*`, `hubspot.*`). */
  configKey: Key;
  config: S;
  /** Problems with the configuration when this connector is enabled (credentials missing...). */
  crossCheck(config: ConfigOf<S>): string[];
  /**
   * The GroWrk entity fields its code reads besides those its JSON-object field mappings name
   * (those are found by themselves): kept in the store when the connector is enabled, whatever
   * PRIVACY_KEEP_FIELDS says. Dot paths from the entity.
   */
  reads?: Partial<Record<EntityKind, readonly string[]>>;
  rateLimit(config: ConfigOf<S>): RateLimitPolicy;
  /** The worker lane's defaults (see {@link LanePolicy}). */
  lane?: LanePolicy;
  cost: CostModel<ConfigOf<S>, NoInfer<Op>>;
  /**
   * Every op kind the connector's plan makes, with its effect: keyed by the op union's `type`, so
   * a kind left out (or one the plan cannot make) is a type error.
   */
  ops: Readonly<Record<NoInfer<Op>['type'], OpEffect>>;
  /** The connector's code, loaded when first needed (so commands that need none never load an SDK). */
  load(): Promise<ConnectorDefinition<ConfigOf<S>, unknown, unknown, Op>>;
}

/** Declares a manifest; the identity function that keeps its literal types. */
export function defineManifest<
  const Id extends string,
  const Key extends string,
  const S extends ConfigFragment,
  Op extends PlannedOp,
>(manifest: ConnectorManifest<Id, Key, S, Op>): ConnectorManifest<Id, Key, S, Op> {
  return manifest;
}

/** List calls for `listed` records at `size` a page (at least one). */
export function pages(listed: number, size: number): number {
  return Math.max(1, Math.ceil(listed / size));
}

/** Least time for `calls` calls under "at most `limit` in any `windowMs`", in ms. */
export function windowFloorMs(calls: number, limit: number, windowMs: number): number {
  if (calls <= 0 || limit <= 0) return 0;
  return Math.floor((calls - 1) / limit) * windowMs;
}
