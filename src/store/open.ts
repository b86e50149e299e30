import { resolve } from 'node:path';
import type { AppConfig } from '../config/types.ts';
import { SyncError } from '../errors.ts';
import type { PostgresStoreLogger } from './postgres/store.ts';
import { openThreadedSqliteStore } from './sqlite/threaded.ts';
import type { Store } from './types.ts';

/** Where a DATABASE_URL points. */
export type StoreTarget = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

/** Reads `DATABASE_URL`: `sqlite:<path>`, a plain path, or `postgres://...`. */
export function parseDatabaseUrl(url: string, cwd: string = process.cwd()): StoreTarget {
  if (/^postgres(ql)?:\/\//.test(url)) return { kind: 'postgres', url };
  const path = url.startsWith('sqlite:') ? url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '') : url;
  if (path === '') throw new SyncError('CONFIG_INVALID', 'database.url: empty SQLite path');
  return { kind: 'sqlite', path: path === ':memory:' ? path : resolve(cwd, path) };
}

/** How a store is opened. */
export interface OpenStoreOptions {
  /**
   * SQLite only: run the store on a thread of its own (the default), so that its statements and
   * fsyncs never block a thread serving HTTP. A batch command that serves none (`reconcile`)
   * runs it on the calling thread instead: one V8 isolate fewer (its heap and young generation),
   * and no copy of every page passed between the threads.
   */
  ownThread?: boolean;
}

/**
 * Opens and migrates the configured store. `logger` receives the errors the PostgreSQL store
 * recovers from by itself (broken pooled connections, LISTEN reconnects); the service passes its
 * pino logger. Without one they become process warnings.
 */
export async function openStore(
  config: Pick<AppConfig, 'database'>,
  cwd?: string,
  logger?: PostgresStoreLogger,
  options: OpenStoreOptions = {},
): Promise<Store> {
  const target = parseDatabaseUrl(config.database.url, cwd);
  let store: Store;
  if (target.kind === 'sqlite') {
    if (options.ownThread === false) {
      const { SqliteStore } = await import('./sqlite/store.ts');
      store = new SqliteStore({ path: target.path });
    } else store = openThreadedSqliteStore({ path: target.path });
  } else {
    const { openPostgresStore } = await import('./postgres/store.ts');
    store = await openPostgresStore({
      url: target.url,
      poolSize: config.database.poolSize,
      connectTimeoutMs: config.database.connectTimeout,
      statementTimeoutMs: config.database.statementTimeout,
      logger,
    });
  }
  try {
    await store.migrate();
  } catch (err) {
    await store.close().catch(() => {});
    throw err;
  }
  return store;
}
