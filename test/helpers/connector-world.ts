import { loadConfig } from '../../src/config/load.ts';
import type { AppConfig } from '../../src/config/types.ts';
import { Ingestor } from '../../src/core/ingest.ts';
import { ingestSettingsFor } from '../../src/core/privacy-policy.ts';
import { createLogger } from '../../src/log.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import {
  type ConnectorRuntime,
  createConnectorRuntime,
  type LoadedConnector,
} from '../../src/sync/runtime.ts';

/** One connector built the way the service builds it, on an in-memory SQLite store. */
export interface ConnectorWorld {
  config: AppConfig;
  store: SqliteStore;
  runtime: ConnectorRuntime;
  loaded: LoadedConnector;
  /** Ingests like the service (same settings from `config`), without signatures. */
  ingestor: Ingestor;
}

/**
 * Config from `env` (with `CONNECTORS` set to `id`), a migrated in-memory store, the connector
 * runtime and an ingestor: what every connector's integration tests start from.
 */
export async function openConnectorWorld(options: {
  id: string;
  env: Record<string, string>;
  cwd: string;
}): Promise<ConnectorWorld> {
  const config = loadConfig({ env: { CONNECTORS: options.id, ...options.env }, cwd: options.cwd });
  const store = new SqliteStore({ path: ':memory:' });
  await store.migrate();
  const runtime = await createConnectorRuntime({
    config,
    store,
    logger: createLogger('silent'),
    only: [options.id],
  });
  const loaded = runtime.connectors.get(options.id);
  if (!loaded) throw new Error(`${options.id} connector not loaded`);
  const ingestor = new Ingestor({
    store,
    secrets: () => [],
    jobConnectors: runtime.jobConnectors,
    ...ingestSettingsFor(config),
  });
  return { config, store, runtime, loaded, ingestor };
}
