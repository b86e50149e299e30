/**
 * What crosses between the service's thread and the thread a scheduled reconciliation runs on
 * (`thread.ts`, started by `isolated.ts`). Everything is structured-clone data: errors cross as
 * their catalogue code and message and are rebuilt as {@link SyncError}s on the other side.
 */
import type { AppConfig } from '../config/types.ts';
import { type ErrorCode, SyncError, toSyncError } from '../errors.ts';
import type { ReconcileOutcome } from './run.ts';
import type { ReconcileRequest } from './types.ts';

/** What the reconcile thread is started with (`workerData`). */
export interface ThreadInput {
  /** The service's validated configuration, as it loaded it. */
  config: AppConfig;
  /** The directory a relative SQLite path is resolved against. */
  cwd: string | undefined;
  request: ReconcileRequest;
  /** The connectors the service runs (the thread loads the same ones). */
  connectors: string[];
  /** The service logger's level: the thread drops what the service would. */
  logLevel: string;
}

/** An error as it crosses: its catalogue code, message and advised wait. */
export interface WireError {
  code: ErrorCode;
  message: string;
  retryAfterMs?: number;
}

/** Service thread -> reconcile thread. */
export type ToThread =
  /** A limiter slot asked for with `id` is granted (the call may start) or failed. */
  | { kind: 'slot'; id: number; error: WireError | null }
  /** Stop the run (service shutdown): it is stored as failed, as an in-process run is. */
  | { kind: 'stop'; reason: string };

/** Reconcile thread -> service thread. */
export type FromThread =
  /** Asks the service's limiter `limiter` of `connector` for `cost` call slots. */
  | { kind: 'slot'; id: number; connector: string; limiter: string; cost: number }
  /** `RateLimiter.pauseUntil` on the service's limiter. */
  | { kind: 'pause'; connector: string; limiter: string; until: number }
  /** `RateLimiter.observe` on the service's limiter. */
  | { kind: 'observe'; connector: string; limiter: string; remaining: number; intervalMs: number }
  /** One JSON log line of the thread's logger, for the service's logger. */
  | { kind: 'log'; line: string }
  /** The run is stored as running under `runId`, holding the lease as `leaseOwner`. */
  | { kind: 'started'; runId: string; leaseOwner: string }
  /** The run is over. */
  | { kind: 'done'; outcome: ReconcileOutcome }
  /** The run threw (it is stored as failed when it got that far). */
  | { kind: 'failed'; error: WireError };

/** An error as it crosses the boundary. */
export function toWire(err: unknown): WireError {
  const e = toSyncError(err);
  return {
    code: e.code,
    message: e.message,
    ...(e.retryAfterMs === undefined ? {} : { retryAfterMs: e.retryAfterMs }),
  };
}

/** The error on this side of the boundary. */
export function fromWire(wire: WireError): SyncError {
  return new SyncError(
    wire.code,
    wire.message,
    wire.retryAfterMs === undefined ? {} : { retryAfterMs: wire.retryAfterMs },
  );
}
