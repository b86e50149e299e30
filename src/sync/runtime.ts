import type { Logger } from 'pino';
import type { AppConfig } from '../config/types.ts';
import { CONNECTOR_REGISTRY, type ConnectorId, isConnectorId } from '../connector/registry.ts';
import type { ConnectorContext, ConnectorDefinition } from '../connector/types.ts';
import type { EntityKind } from '../growrk/types.ts';
import type { Store } from '../store/types.ts';
import { createRateLimiter, type RateLimiter } from './rate-limiter.ts';

/** A connector ready to run: its definition and the context built for it. */
export interface LoadedConnector {
  id: ConnectorId;
  definition: ConnectorDefinition;
  ctx: ConnectorContext;
}

/** The enabled connectors of one process. */
export interface ConnectorRuntime {
  connectors: Map<string, LoadedConnector>;
  /** For each entity kind, the connectors that sync it (what ingest enqueues jobs for). */
  jobConnectors: Partial<Record<EntityKind, string[]>>;
}

/** Per-connector rate limits, from its configuration. */
function limiterFor(id: ConnectorId, config: AppConfig): RateLimiter {
  if (id === 'google-workspace')
    return createRateLimiter({ limit: config.google.callsPerMinute, intervalMs: 60_000 });
  return createRateLimiter({ limit: config.hubspot.callsPer10s, intervalMs: 10_000 });
}

/** Loads every enabled connector and builds its context (clients are created here, once). */
export async function createConnectorRuntime(deps: {
  config: AppConfig;
  store: Store;
  logger: Logger;
  now?: () => number;
  only?: readonly string[];
}): Promise<ConnectorRuntime> {
  const now = deps.now ?? Date.now;
  const connectors = new Map<string, LoadedConnector>();
  const jobConnectors: Partial<Record<EntityKind, string[]>> = {};
  for (const id of deps.only ?? deps.config.connectors) {
    if (!isConnectorId(id)) continue;
    const entry = CONNECTOR_REGISTRY[id];
    const definition = await entry.load();
    const config = deps.config[entry.configKey];
    const logger = deps.logger.child({ connector: id });
    const limiter = limiterFor(id, deps.config);
    const client = await definition.connect({ config, logger, limiter });
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
    };
    connectors.set(id, { id, definition, ctx });
    for (const kind of definition.kinds(config)) {
      const list = jobConnectors[kind] ?? [];
      list.push(id);
      jobConnectors[kind] = list;
    }
  }
  return { connectors, jobConnectors };
}
