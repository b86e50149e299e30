import { Worker } from 'node:worker_threads';
import type { IngestingStore, IngestOutcomeData, IngestSettings } from '../../core/ingest.ts';
import type { SqliteStoreOptions } from './store.ts';
import {
  type CallBatch,
  type CallMessage,
  type ReplyMessage,
  THREADED_METHODS,
  turnBatcher,
} from './thread-protocol.ts';

/** A batch of this many calls goes over at once, without waiting for the end of the turn. */
const SEND_AT = 8;

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/**
 * The SQLite store run on a worker thread of its own: the same `SqliteStore`, but its synchronous
 * statements and fsyncs no longer block the HTTP thread, and concurrent requests still share one
 * durable commit. This is what the service uses; tests may use `SqliteStore` directly.
 */
export function openThreadedSqliteStore(options: SqliteStoreOptions): IngestingStore {
  const worker = new Worker(new URL('./thread-worker.ts', import.meta.url), { workerData: options });
  const pending = new Map<number, Pending>();
  const listeners = new Set<() => void>();
  let nextId = 0;
  let failure: Error | null = null;
  let lastSettings: IngestSettings | null = null;

  worker.on('message', (message: ReplyMessage) => {
    if (message.kind === 'jobs-ready') {
      for (const listener of listeners) listener();
      return;
    }
    for (const reply of message.replies) {
      const waiter = pending.get(reply.id);
      if (!waiter) continue;
      pending.delete(reply.id);
      if (reply.ok) waiter.resolve(reply.value);
      else
        waiter.reject(
          Object.assign(new Error(reply.error.message), { name: reply.error.name, code: reply.error.code }),
        );
    }
    if (pending.size === 0) worker.unref();
  });
  const failAll = (err: Error) => {
    failure = err;
    for (const waiter of pending.values()) waiter.reject(err);
    pending.clear();
  };
  worker.on('error', (err) => failAll(err));
  worker.on('exit', (code) => failAll(new Error(`the SQLite store thread exited (code ${code})`)));
  worker.unref();

  // Calls made in one turn of this thread's loop go over as one message (see CallBatch); a full
  // batch goes at once, so the store thread starts on it while this thread still reads the rest
  // of a burst (one batch per turn made the two threads take turns).
  const outbox = turnBatcher<{ call: CallMessage; transfer: ArrayBuffer[] }>((batch) => {
    if (failure) return;
    worker.postMessage(
      batch.map((b) => b.call) satisfies CallBatch,
      batch.flatMap((b) => b.transfer),
    );
  }, SEND_AT);
  const call = (
    method: CallMessage['method'],
    args: CallMessage['args'],
    transfer: ArrayBuffer[] = [],
  ): Promise<unknown> => {
    if (failure) return Promise.reject(failure);
    const id = ++nextId;
    return new Promise((resolve, reject) => {
      // Referenced only while calls are in flight: an idle store never keeps a process alive.
      if (pending.size === 0) worker.ref();
      pending.set(id, { resolve, reject });
      outbox.push({ call: { id, method, args } as CallMessage, transfer });
    });
  };

  const methods: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const method of THREADED_METHODS) methods[method] = (...args: unknown[]) => call(method, args);
  const store = {
    ...methods,
    kind: 'sqlite' as const,
    onJobsReady(listener: () => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    receiveWebhook(raw: Uint8Array, signature: string | undefined, settings: IngestSettings, now?: number) {
      // A copy of our own to hand over: the request's buffer may share memory with others.
      const bytes = new Uint8Array(raw);
      // Settings are the same arrays delivery after delivery: send them only when they change.
      const same =
        lastSettings !== null &&
        lastSettings.secrets === settings.secrets &&
        lastSettings.dropFields === settings.dropFields &&
        lastSettings.jobConnectors === settings.jobConnectors &&
        lastSettings.limits === settings.limits &&
        lastSettings.keepFields === settings.keepFields &&
        lastSettings.maxClockSkewMs === settings.maxClockSkewMs;
      lastSettings = settings;
      return call(
        'receiveWebhook',
        [bytes, signature, same ? null : settings, now ?? null],
        [bytes.buffer],
      ) as Promise<IngestOutcomeData>;
    },
    async ready() {
      if (failure) return false;
      return (await call('ready', [])) as boolean;
    },
    async close() {
      if (failure) return;
      await call('close', []);
      await worker.terminate();
    },
  };
  return store as unknown as IngestingStore;
}
