/**
 * A connector as one reconciliation run uses it: a copy of its context whose client is wrapped so
 * that each vendor call is counted (by client method) and retried in place when the vendor says
 * "not now". A listing is an async generator that cannot be resumed once a page throws, so a page
 * refused with a 429 or a passing 5xx must be retried where it failed; a page that keeps failing
 * ends the listing (and the run applies no destructive change). Connectors' calls are idempotent
 * (their `apply` contract), so retrying one call is safe.
 */
import { isSyncError } from '../errors.ts';
import { MAX_INLINE_WAIT_MS } from '../sync/retry.ts';
import type { LoadedConnector } from '../sync/runtime.ts';

/** Retries of a call refused with a rate limit (429), each after the wait the vendor asked for. */
export const RATE_LIMIT_RETRIES = 5;
/** Retries of a call that failed transiently (5xx, reset, timeout). */
export const UNAVAILABLE_RETRIES = 2;
const UNAVAILABLE_BACKOFF_MS = 250;

/** A connector prepared for one run, with its calls counted. */
export interface RunConnector {
  loaded: LoadedConnector;
  /** Client method name -> calls made in this run (retries included). */
  methods: Map<string, number>;
  /** Calls started through the connector's limiter since the run began. */
  started(): number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** How long to wait before retry `attempt` (1-based) of a call that failed with `err`, or null. */
export function retryDelay(err: unknown, attempt: number): number | null {
  if (isSyncError(err, 'VENDOR_RATE_LIMITED')) {
    if (attempt > RATE_LIMIT_RETRIES) return null;
    const wait = err.retryAfterMs ?? 1000;
    return wait <= MAX_INLINE_WAIT_MS ? wait : null;
  }
  if (isSyncError(err, 'VENDOR_UNAVAILABLE')) {
    return attempt > UNAVAILABLE_RETRIES ? null : UNAVAILABLE_BACKOFF_MS * 2 ** (attempt - 1);
  }
  return null;
}

function wrapClient<T extends object>(client: T, methods: Map<string, number>): T {
  return new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      const invoke = (args: unknown[]): unknown => {
        methods.set(property, (methods.get(property) ?? 0) + 1);
        return Reflect.apply(value, target, args);
      };
      return (...args: unknown[]) => {
        const first = invoke(args);
        if (!(first instanceof Promise)) return first;
        const attempt = async (n: number, err: unknown): Promise<unknown> => {
          const wait = retryDelay(err, n);
          if (wait === null) throw err;
          await sleep(wait);
          try {
            return await invoke(args);
          } catch (next) {
            return attempt(n + 1, next);
          }
        };
        return first.catch((err: unknown) => attempt(1, err));
      };
    },
  });
}

/**
 * A copy of `loaded` for one run. A scheduled run on its own thread counts its own calls (its
 * limiters are the thread's, drawing slots from the service's); one on the service thread
 * (`RECONCILE_THREAD_HEAP_MB=0`) shares the job worker's limiter, so `started()` then also counts
 * calls the worker made during the run.
 */
export function runConnector(loaded: LoadedConnector): RunConnector {
  const methods = new Map<string, number>();
  const { client } = loaded.ctx;
  const wrapped = typeof client === 'object' && client !== null ? wrapClient(client, methods) : client;
  const base = loaded.ctx.limiter.started;
  return {
    loaded: { ...loaded, ctx: { ...loaded.ctx, client: wrapped } },
    methods,
    started: () => loaded.ctx.limiter.started - base,
  };
}
