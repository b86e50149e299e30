// The SQLite store's own thread: owns the connection, runs group commits and fsyncs here, so the
// HTTP thread never blocks on the disk.
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteStore, type SqliteStoreOptions } from './store.ts';
import type { CallMessage, ReplyMessage } from './thread-protocol.ts';

const port = parentPort;
if (!port) throw new Error('thread-worker.ts must run in a worker thread');
const store = new SqliteStore(workerData as SqliteStoreOptions);
store.onJobsReady(() => port.postMessage({ kind: 'jobs-ready' } satisfies ReplyMessage));

port.on('message', (message: CallMessage) => {
  const method = store[message.method] as (...args: unknown[]) => Promise<unknown>;
  method.apply(store, message.args).then(
    (value) => {
      port.postMessage({ kind: 'reply', id: message.id, ok: true, value } satisfies ReplyMessage);
      if (message.method === 'close') port.close();
    },
    (err: unknown) => {
      const error = err instanceof Error ? err : new Error(String(err));
      const code = (error as { code?: unknown }).code;
      port.postMessage({
        kind: 'reply',
        id: message.id,
        ok: false,
        error: { name: error.name, message: error.message, ...(typeof code === 'string' ? { code } : {}) },
      } satisfies ReplyMessage);
    },
  );
});
