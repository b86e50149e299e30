import { SyncError } from '../errors.ts';
import { parseDatabaseUrl } from './open.ts';
import type { Store } from './types.ts';

/** The state row the probe writes: a namespace no connector uses. */
const PROBE = { owner: '_service', key: 'readiness-probe' } as const;

/**
 * Proves the store can commit: migrated (`ready()`), then one durable write of a probe row (the
 * same commit path as a webhook). A store that can be read but not written fails here.
 * @throws whatever the store throws for the write, or an Error when it is not migrated.
 */
export async function proveWritable(store: Store, now: number = Date.now()): Promise<void> {
  if (!(await store.ready())) throw new Error('the store is not reachable or not migrated');
  await store.setState(PROBE.owner, PROBE.key, { at: now }, now);
}

/** `/readyz`: ready only when {@link proveWritable} succeeds. */
export async function isWritable(store: Store): Promise<boolean> {
  try {
    await proveWritable(store);
    return true;
  } catch {
    return false;
  }
}

/**
 * A start error about the store, in one line naming DATABASE_URL and where it points (the SQLite
 * path, or the PostgreSQL host and database: never a password).
 */
export function storeStartError(url: string, cwd: string | undefined, cause: unknown): SyncError {
  const reason = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
  return new SyncError('STORE_UNAVAILABLE', `DATABASE_URL (${describeTarget(url, cwd)}): ${reason}`, {
    cause,
  });
}

function describeTarget(url: string, cwd: string | undefined): string {
  try {
    const target = parseDatabaseUrl(url, cwd);
    if (target.kind === 'sqlite') return `SQLite at ${target.path}`;
    const parsed = new URL(target.url);
    return `PostgreSQL at ${parsed.hostname}${parsed.port ? `:${parsed.port}` : ''}${parsed.pathname}`;
  } catch {
    return 'unreadable';
  }
}
