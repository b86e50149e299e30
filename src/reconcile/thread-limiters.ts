/**
 * One set of limiters per process. A scheduled reconciliation on a thread of its own must not get
 * a second set: the vendor counts its calls and the job worker's against one quota. So the
 * thread's connectors get limiters that ask the service thread's limiters (the very ones the job
 * worker uses, shared through the store's call budget across instances on PostgreSQL) for each
 * call's slot, and pass on the vendor's signals (`pauseUntil`, `observe`).
 */
import { SyncError } from '../errors.ts';
import type { RateLimiter } from '../sync/rate-limiter.ts';
import type { ConnectorRuntime, LimiterSource } from '../sync/runtime.ts';
import { type FromThread, fromWire, type ToThread, toWire, type WireError } from './thread-protocol.ts';

/** The thread's side: limiters whose slots come from the service thread. */
export interface RemoteLimiters {
  /** For `createConnectorRuntime({ limiters })`. */
  source: LimiterSource;
  /** Hands a `slot` answer from the service thread to the call waiting for it. */
  settle(answer: Extract<ToThread, { kind: 'slot' }>): void;
}

/** Limiters that ask the service thread, through `post`, before every call. */
export function remoteLimiters(post: (message: FromThread) => void): RemoteLimiters {
  const waiting = new Map<number, { resolve: () => void; reject: (err: unknown) => void }>();
  let nextId = 0;
  const slot = (connector: string, limiter: string, cost: number) =>
    new Promise<void>((resolve, reject) => {
      const id = ++nextId;
      waiting.set(id, { resolve, reject });
      post({ kind: 'slot', id, connector, limiter, cost });
    });
  const source: LimiterSource = (connector, name) => {
    let started = 0;
    return {
      schedule<T>(task: () => Promise<T>, cost = 1): Promise<T> {
        return slot(connector, name, cost).then(() => {
          started += cost;
          return task();
        });
      },
      pauseUntil: (until) => post({ kind: 'pause', connector, limiter: name, until }),
      observe: (remaining, intervalMs) =>
        post({ kind: 'observe', connector, limiter: name, remaining, intervalMs }),
      get started() {
        return started;
      },
    } satisfies RateLimiter;
  };
  return {
    source,
    settle(answer) {
      const waiter = waiting.get(answer.id);
      if (!waiter) return;
      waiting.delete(answer.id);
      if (answer.error) waiter.reject(fromWire(answer.error));
      else waiter.resolve();
    },
  };
}

/**
 * The service thread's side: answers the thread's limiter messages from `runtime`'s limiters.
 * Returns true when `message` was one of them.
 */
export function serveLimiterMessage(
  runtime: ConnectorRuntime,
  message: FromThread,
  reply: (answer: Extract<ToThread, { kind: 'slot' }>) => void,
): boolean {
  if (message.kind !== 'slot' && message.kind !== 'pause' && message.kind !== 'observe') return false;
  const limiter = runtime.connectors.get(message.connector)?.limiters.get(message.limiter);
  if (!limiter) {
    const error = new SyncError(
      'INTERNAL',
      `the reconcile thread asked for limiter "${message.limiter}" of connector "${message.connector}", which this process does not have`,
    );
    if (message.kind === 'slot') reply({ kind: 'slot', id: message.id, error: toWire(error) });
    return true;
  }
  if (message.kind === 'pause') limiter.pauseUntil(message.until);
  else if (message.kind === 'observe') limiter.observe(message.remaining, message.intervalMs);
  else {
    const { id } = message;
    limiter
      .schedule(async () => reply({ kind: 'slot', id, error: null }), message.cost)
      .catch((err: unknown) => reply({ kind: 'slot', id, error: toWire(err) satisfies WireError }));
  }
  return true;
}
