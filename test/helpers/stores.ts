import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { resolveConnection } from '../../src/store/postgres/connection.ts';
import { POSTGRES_MIGRATIONS } from '../../src/store/postgres/migrations.ts';
import {
  openPostgresStore,
  type PostgresStore,
  type PostgresStoreOptions,
} from '../../src/store/postgres/store.ts';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations.ts';
import { openSqliteStore } from '../../src/store/sqlite/store.ts';
import { openThreadedSqliteStore } from '../../src/store/sqlite/threaded.ts';
import type { Store } from '../../src/store/types.ts';

/** The PostgreSQL server the tests use (trust auth); each run works in schemas of its own. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://127.0.0.1:5432/test';

/** Opens stores of one kind on fresh databases, and cleans them all up. */
export interface StoreHarness {
  readonly name: 'sqlite' | 'sqlite (thread)' | 'postgres';
  /** Every migration version the store knows. */
  readonly versions: number[];
  /** Errors the stores reported through their logger (PostgreSQL), as `context: message`. */
  readonly reports: string[];
  /** A new, empty, migrated database. */
  fresh(): Promise<Store>;
  /** Two handles on one new database that is not migrated yet. */
  blankPair(): Promise<[Store, Store]>;
  /** A second handle (another "instance") on the database of `store`. */
  sibling(store: Store): Promise<Store>;
  /** Closes every store opened since the last call. */
  closeAll(): Promise<void>;
  /** Closes everything and removes the databases. */
  cleanup(): Promise<void>;
}

/**
 * SQLite stores: in-thread (`SqliteStore`), or `threaded` as the service runs it (the same store
 * on a worker thread of its own, behind a message-passing proxy).
 */
export function sqliteHarness(options: { threaded?: boolean } = {}): StoreHarness {
  const dir = mkdtempSync(join(tmpdir(), 'growrk-store-'));
  const where = new WeakMap<Store, string>();
  let open: Store[] = [];
  let n = 0;
  const openAt = (path: string): Store => {
    const store = options.threaded ? openThreadedSqliteStore({ path }) : openSqliteStore({ path });
    where.set(store, path);
    open.push(store);
    return store;
  };
  return {
    name: options.threaded ? 'sqlite (thread)' : 'sqlite',
    versions: SQLITE_MIGRATIONS.map((m) => m.version),
    reports: [],
    async fresh() {
      n += 1;
      const store = openAt(join(dir, `store-${n}.db`));
      await store.migrate();
      return store;
    },
    async blankPair() {
      n += 1;
      const path = join(dir, `store-${n}.db`);
      return [openAt(path), openAt(path)];
    },
    async sibling(store) {
      const path = where.get(store);
      if (!path) throw new Error('not a store of this harness');
      return openAt(path);
    },
    async closeAll() {
      const closing = open;
      open = [];
      await Promise.all(closing.map((s) => s.close()));
    },
    async cleanup() {
      await this.closeAll();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Options for {@link postgresHarness} stores. */
export interface PostgresOpenOptions {
  /** Connect through another URL (e.g. a proxy) to the same server. */
  url?: string;
  schema?: string;
  /** Overrides of the store options (timeouts, listener tuning). */
  tuning?: Partial<PostgresStoreOptions>;
}

/** A PostgreSQL harness; `open` also serves the PostgreSQL-only tests. */
export interface PostgresHarness extends StoreHarness {
  readonly name: 'postgres';
  /** Opens a store on `schema` (a new one by default), migrated unless `migrate: false`. */
  open(options?: PostgresOpenOptions & { migrate?: boolean }): Promise<PostgresStore>;
  /** A new schema name, dropped by cleanup(). */
  newSchema(): string;
}

export function postgresHarness(): PostgresHarness {
  const schemas: string[] = [];
  const where = new WeakMap<Store, string>();
  const reports: string[] = [];
  let open: Store[] = [];
  const prefix = `gs_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const newSchema = (): string => {
    const schema = `${prefix}_${schemas.length + 1}`;
    schemas.push(schema);
    return schema;
  };
  const openOn = async (
    schema: string,
    url = TEST_DATABASE_URL,
    tuning: Partial<PostgresStoreOptions> = {},
  ): Promise<PostgresStore> => {
    const store = await openPostgresStore({
      url,
      schema,
      poolSize: 8,
      connectTimeoutMs: 3000,
      statementTimeoutMs: 10_000,
      listenRetryMs: 20,
      logger: { warn: (obj) => reports.push(`${obj.context}: ${obj.err.message}`) },
      ...tuning,
    });
    where.set(store, schema);
    open.push(store);
    return store;
  };
  return {
    name: 'postgres',
    versions: POSTGRES_MIGRATIONS.map((m) => m.version),
    reports,
    newSchema,
    async open(options = {}) {
      const store = await openOn(options.schema ?? newSchema(), options.url, options.tuning);
      if (options.migrate !== false) await store.migrate();
      return store;
    },
    async fresh() {
      return this.open();
    },
    async blankPair() {
      const schema = newSchema();
      return [await openOn(schema), await openOn(schema)];
    },
    async sibling(store) {
      const schema = where.get(store);
      if (!schema) throw new Error('not a store of this harness');
      return openOn(schema);
    },
    async closeAll() {
      const closing = open;
      open = [];
      await Promise.all(closing.map((s) => s.close()));
    },
    async cleanup() {
      await this.closeAll();
      const admin = new pg.Client({
        connectionString: resolveConnection(TEST_DATABASE_URL).connectionString,
      });
      await admin.connect();
      try {
        for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await admin.end();
      }
    },
  };
}

/** A TCP proxy to a server, which a test can cut (connections dropped, port refusing) and restore. */
export interface TcpProxy {
  readonly port: number;
  /** Drops every connection and stops accepting new ones. */
  cut(): Promise<void>;
  /** Accepts connections again, on the same port. */
  restore(): Promise<void>;
  /** Stops forwarding on the open connections without closing them (a peer that vanished). */
  freeze(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  let port = 0;
  const listen = (): Promise<void> => {
    const s = createServer((inbound) => {
      const outbound = tcpConnect(targetPort, targetHost);
      sockets.add(inbound);
      sockets.add(outbound);
      const drop = () => {
        inbound.destroy();
        outbound.destroy();
        sockets.delete(inbound);
        sockets.delete(outbound);
      };
      inbound.on('error', drop);
      outbound.on('error', drop);
      inbound.on('close', drop);
      outbound.on('close', drop);
      inbound.pipe(outbound);
      outbound.pipe(inbound);
    });
    server = s;
    return new Promise((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        const address = s.address();
        if (address && typeof address === 'object') port = address.port;
        resolve();
      });
    });
  };
  const stop = (): Promise<void> => {
    const s = server;
    server = null;
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    return new Promise((resolve) => (s ? s.close(() => resolve()) : resolve()));
  };
  await listen();
  return {
    get port() {
      return port;
    },
    cut: stop,
    restore: listen,
    freeze() {
      for (const socket of sockets) {
        socket.unpipe();
        socket.pause();
      }
    },
    close: stop,
  };
}
