import type { Logger } from 'pino';
import type { AppConfig } from '../config/types.ts';
import { type ConnectorId, connectorConfig, isConnectorId, manifestOf } from '../connector/registry.ts';
import type { ConnectorContext, ConnectorDefinition } from '../connector/types.ts';
import type { EntityKind } from '../growrk/types.ts';
import type { Store } from '../store/types.ts';
import { createRateLimiter } from './rate-limiter.ts';

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
    const manifest = manifestOf(id);
    const definition = await manifest.load();
    const config = connectorConfig(deps.config, id);
    const logger = deps.logger.child({ connector: id });
    const limiter = createRateLimiter(manifest.rateLimit(config));
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
