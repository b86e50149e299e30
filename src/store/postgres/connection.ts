import { userInfo } from 'node:os';
import type { ClientConfig, PoolConfig } from 'pg';

/** Options for {@link openPostgresStore}, as `open.ts` passes them (plus an optional schema). */
export interface PostgresConnectionOptions {
  /** `postgres://user@host:port/db`; may carry `?schema=name` or `?options=-c search_path=name`. */
  url: string;
  poolSize: number;
  /** Milliseconds to wait for a connection (new, or a free one from the pool). */
  connectTimeoutMs: number;
  /** Server-side `statement_timeout` in milliseconds (0: none). */
  statementTimeoutMs: number;
  /** Schema that holds the tables (created by `migrate()`); overrides one in the URL. */
  schema?: string | undefined;
}

/** Where and how to connect, after reading the URL. */
export interface ResolvedConnection {
  /** Connection string for `pg`, with `schema` removed and `search_path` in `options`. */
  connectionString: string;
  /** The schema the store lives in (`migrate()` creates it when missing). */
  schema: string;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Reads the schema from `schema` or the URL and puts it into the connection's startup `options`
 * (`-c search_path=<schema>`), so every pooled connection and the listener use it without an
 * extra round trip. Without a user in the URL or `PGUSER`/`USER`, the OS user name is used, as
 * libpq does.
 */
export function resolveConnection(url: string, schema?: string): ResolvedConnection {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('database.url: not a valid postgres:// URL');
  }
  const fromParam = parsed.searchParams.get('schema');
  parsed.searchParams.delete('schema');
  const options = parsed.searchParams.get('options') ?? '';
  const fromOptions = /(?:^|\s)(?:-c\s*|--)search_path=([^\s,]+)/.exec(options)?.[1] ?? null;
  const chosen = schema ?? fromParam ?? null;
  if (chosen !== null) {
    if (!IDENTIFIER.test(chosen)) {
      throw new Error(`database schema "${chosen}" must be a plain identifier ([A-Za-z_][A-Za-z0-9_]*)`);
    }
    const rest = options.replace(/(?:^|\s)(?:-c\s*|--)search_path=\S+/g, '').trim();
    parsed.searchParams.set('options', `${rest ? `${rest} ` : ''}-c search_path=${chosen}`);
  }
  if (parsed.username === '' && !process.env.PGUSER && !process.env.USER) {
    parsed.username = userInfo().username;
  }
  const effective = chosen ?? (fromOptions === null ? 'public' : fromOptions.replace(/^"|"$/g, ''));
  return { connectionString: parsed.toString(), schema: effective };
}

/** Settings shared by the pool and the listener connection. */
export function clientConfig(conn: ResolvedConnection, opts: PostgresConnectionOptions): ClientConfig {
  return {
    connectionString: conn.connectionString,
    connectionTimeoutMillis: opts.connectTimeoutMs,
    // Server side: no statement may run longer, and a transaction left open by a hung caller
    // cannot hold its locks for long.
    statement_timeout: opts.statementTimeoutMs,
    idle_in_transaction_session_timeout: Math.max(10_000, opts.statementTimeoutMs * 2),
    // Client side: when the server stops answering (no RST, e.g. a dead host), the query still
    // fails instead of hanging.
    query_timeout: opts.statementTimeoutMs > 0 ? opts.statementTimeoutMs + opts.connectTimeoutMs : undefined,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    application_name: 'growrk-sync',
  };
}

/** Pool settings: {@link clientConfig} plus size and idle recycling. */
export function poolConfig(conn: ResolvedConnection, opts: PostgresConnectionOptions): PoolConfig {
  return {
    ...clientConfig(conn, opts),
    max: Math.max(1, opts.poolSize),
    idleTimeoutMillis: 30_000,
  };
}

/** The SQLSTATE of an error the server sent (a `DatabaseError` has a severity), if it is one. */
export function sqlState(err: unknown): string | null {
  if (err && typeof err === 'object' && 'severity' in err && 'code' in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return null;
}

/** Normalises anything thrown into an Error. */
export function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
