// A scheduled reconciliation on a thread of its own (started by `isolated.ts`): its own V8 heap,
// sized for one long run, its own store connection and connectors built from the service's
// configuration, and the service thread's limiters for every vendor call (`thread-limiters.ts`).
import { parentPort, workerData } from 'node:worker_threads';
import { createLogger } from '../log.ts';
import { openStore } from '../store/open.ts';
import type { Store } from '../store/types.ts';
import { createConnectorRuntime } from '../sync/runtime.ts';
import { reconcile } from './run.ts';
import { remoteLimiters } from './thread-limiters.ts';
import type { FromThread, ThreadInput, ToThread } from './thread-protocol.ts';
import { toWire } from './thread-protocol.ts';

const port = parentPort;
if (!port) throw new Error('reconcile/thread.ts must run in a worker thread');
const input = workerData as ThreadInput;
const post = (message: FromThread) => port.postMessage(message);

// Log lines go to the service's logger, which writes them with its own (`component: reconcile`).
const logger = createLogger(input.logLevel, { write: (line: string) => post({ kind: 'log', line }) });

const stopping = new AbortController();
const limiters = remoteLimiters(post);
port.on('message', (message: ToThread) => {
  if (message.kind === 'stop') {
    stopping.abort(new Error(message.reason));
    logger.debug({ reason: message.reason }, 'reconcile thread: the run is asked to stop');
  } else limiters.settle(message);
});

/** The thread's store, once open (closed after the outcome is out). */
const opened: { store: Store | null } = { store: null };

async function run(): Promise<FromThread> {
  try {
    // This thread serves no HTTP: the store runs on it, as in the `reconcile` command.
    const store = await openStore(
      input.config,
      input.cwd,
      { warn: (obj, msg) => logger.warn(obj, msg) },
      { ownThread: false },
    );
    opened.store = store;
    const runtime = await createConnectorRuntime({
      config: input.config,
      store,
      logger,
      only: input.connectors,
      limiters: limiters.source,
    });
    const outcome = await reconcile(input.request, {
      config: input.config,
      store,
      runtime,
      logger,
      signal: stopping.signal,
      onStarted: (started) => post({ kind: 'started', ...started }),
    });
    return { kind: 'done', outcome };
  } catch (err) {
    return { kind: 'failed', error: toWire(err) };
  }
}

post(await run());
// The outcome is out; a store that fails to close fails the thread, which the service reports.
await opened.store?.close();
// Ends the thread even if a vendor client keeps a socket open (keep-alive).
process.exit(0);
