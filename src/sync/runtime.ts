import type { Logger } from 'pino';
import type { AppConfig } from '../config/types.ts';
import type { RateLimitPolicy } from '../connector/manifest.ts';
import { type ConnectorId, connectorConfig, isConnectorId, manifestOf } from '../connector/registry.ts';
import type { ConnectorContext, ConnectorDefinition } from '../connector/types.ts';
import { SyncError } from '../errors.ts';
import type { EntityKind } from '../growrk/types.ts';
import type { Store } from '../store/types.ts';
import { type LaneSettings, laneSettings } from './lane-settings.ts';
import { createRateLimiter, type RateLimiter } from './rate-limiter.ts';
import { createSharedRateLimiter } from './shared-limiter.ts';

/** A connector ready to run: its definition, the context built for it, and its worker lane. */
export interface LoadedConnector {
  id: ConnectorId;
  definition: ConnectorDefinition;
  ctx: ConnectorContext;
  /** How the worker runs this connector's jobs. */
  lane: LaneSettings;
  /**
   * Every limiter the connector's calls go through, by name: {@link CALLS_LIMITER} (`ctx.limiter`)
   * and those it asked for with `extraLimiter` (HubSpot's `search`). A scheduled reconciliation on
   * a thread of its own draws from these (`src/reconcile/thread-limiters.ts`).
   */
  limiters: ReadonlyMap<string, RateLimiter>;
}

/** The name of a connector's main limiter (`ctx.limiter`) in {@link LoadedConnector.limiters}. */
export const CALLS_LIMITER = 'calls';

/**
 * Where a runtime's limiters come from: by default made here (the main limiter shared through the
 * store when the store is shared); a reconcile thread asks the service's thread for its slots.
 */
export type LimiterSource = (
  connector: string,
  name: string,
  policy: { limit: number; intervalMs: number },
) => RateLimiter;

/**
 * The connector's call limiter. On a store several instances share (PostgreSQL), a policy with a
 * `key` draws from one budget per key for every instance; otherwise the limiter is in process.
 */
function limiterFor(policy: RateLimitPolicy, store: Store): RateLimiter {
  const local = createRateLimiter(policy);
  if (store.kind !== 'postgres' || !policy.key || policy.limit <= 0) return local;
  return createSharedRateLimiter({ local, store, budget: { ...policy, key: policy.key } });
}

/** The enabled connectors of one process. */
export interface ConnectorRuntime {
  connectors: Map<string, LoadedConnector>;
  /** For each entity kind, the connectors that sync it (what ingest enqueues jobs for). */
  jobConnectors: Partial<Record<EntityKind, string[]>>;
}

/** Loads every enabled connector and builds its context (clients are created here, once). */
export async function createConnectorRuntime(deps: {
  config: AppConfig;
  store: Store;
  logger: Logger;
  now?: () => number;
  only?: readonly string[];
  limiters?: LimiterSource;
}): Promise<ConnectorRuntime> {
  const now = deps.now ?? Date.now;
  const source: LimiterSource =
    deps.limiters ??
    ((_connector, name, policy) =>
      name === CALLS_LIMITER ? limiterFor(policy, deps.store) : createRateLimiter(policy));
  const connectors = new Map<string, LoadedConnector>();
  const jobConnectors: Partial<Record<EntityKind, string[]>> = {};
  for (const id of deps.only ?? deps.config.connectors) {
    if (!isConnectorId(id)) continue;
    const manifest = manifestOf(id);
    const definition = await manifest.load();
    const config = connectorConfig(deps.config, id);
    const logger = deps.logger.child({ connector: id });
    const limiters = new Map<string, RateLimiter>();
    const limiter = source(id, CALLS_LIMITER, manifest.rateLimit(config));
    limiters.set(CALLS_LIMITER, limiter);
    const extraLimiter = (name: string, policy: { limit: number; intervalMs: number }): RateLimiter => {
      if (name === CALLS_LIMITER || limiters.has(name))
        throw new SyncError('CONNECTOR_MISCONFIGURED', `${id}: limiter "${name}" asked for twice`);
      const made = source(id, name, policy);
      limiters.set(name, made);
      return made;
    };
    const client = await definition.connect({ config, logger, limiter, extraLimiter });
    const ctx: ConnectorContext = {
      connector: id,
      config,
      client,
      logger,
      limiter,
      now,
      state: {
        get: <T>(key: string) => deps.store.getState<T>(id, key),
        set: (key, value) => deps.store.setState(id, key, value, now()),
        delete: (key) => deps.store.deleteState(id, key),
      },
      entity: (kind, entityId) => deps.store.getEntity(kind, entityId),
      productsOf: (employeeId) => deps.store.listProductsOf(employeeId),
      offboardings: {
        latest: async (employeeId) =>
          (await deps.store.listOffboardings({ connector: id, employeeId, limit: 1 }))[0] ?? null,
        put: (record) => deps.store.putOffboarding({ ...record, connector: id }),
      },
    };
    const lane = laneSettings(
      { lane: manifest.lane, batchSize: definition.batchSize },
      deps.config.worker,
      id,
    );
    connectors.set(id, { id, definition, ctx, lane, limiters });
    for (const kind of definition.kinds(config)) {
      const list = jobConnectors[kind] ?? [];
      list.push(id);
      jobConnectors[kind] = list;
    }
  }
  return { connectors, jobConnectors };
}
