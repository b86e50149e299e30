// The SQLite store's own thread: owns the connection, runs group commits and fsyncs here, so the
// HTTP thread never blocks on the disk.
import { parentPort, workerData } from 'node:worker_threads';
import { Ingestor, type IngestSettings, outcomeToData } from '../../core/ingest.ts';
import { SqliteStore, type SqliteStoreOptions } from './store.ts';
import {
  type CallBatch,
  type CallMessage,
  type Reply,
  type ReplyMessage,
  turnBatcher,
} from './thread-protocol.ts';

const port = parentPort;
if (!port) throw new Error('thread-worker.ts must run in a worker thread');
const store = new SqliteStore(workerData as SqliteStoreOptions);
store.onJobsReady(() => port.postMessage({ kind: 'jobs-ready' } satisfies ReplyMessage));

let ingestor: Ingestor | null = null;

/** The ingest pipeline, run here: verify, parse, drop sensitive fields, commit. */
async function receiveWebhook(
  raw: Uint8Array,
  signature: string | undefined,
  settings: IngestSettings | null,
  now: number | null,
) {
  if (settings) {
    ingestor = new Ingestor({
      store,
      secrets: () => settings.secrets,
      dropFields: settings.dropFields,
      jobConnectors: settings.jobConnectors,
      limits: settings.limits,
      keepFields: settings.keepFields,
      maxClockSkewMs: settings.maxClockSkewMs,
    });
  }
  if (!ingestor) throw new Error('receiveWebhook: no ingest settings were sent');
  return outcomeToData(await ingestor.receive(raw, signature, now ?? Date.now()));
}

// Answers ready in one turn of this thread's loop go back as one message.
let closing = false;
const replies = turnBatcher<Reply>((batch) => {
  port.postMessage({ kind: 'replies', replies: batch } satisfies ReplyMessage);
  if (closing) port.close();
});

port.on('message', (batch: CallBatch) => {
  for (const message of batch) handle(message);
});

function handle(message: CallMessage): void {
  const work =
    message.method === 'receiveWebhook'
      ? receiveWebhook(...message.args)
      : (store[message.method] as (...args: unknown[]) => Promise<unknown>).apply(store, message.args);
  work.then(
    (value) => {
      replies.push({ id: message.id, ok: true, value });
      if (message.method === 'close') closing = true;
    },
    (err: unknown) => {
      const error = err instanceof Error ? err : new Error(String(err));
      const code = (error as { code?: unknown }).code;
      replies.push({
        id: message.id,
        ok: false,
        error: { name: error.name, message: error.message, ...(typeof code === 'string' ? { code } : {}) },
      });
    },
  );
}
