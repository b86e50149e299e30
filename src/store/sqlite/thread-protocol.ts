import type { IngestSettings } from '../../core/ingest.ts';
import type { Store } from '../types.ts';

/** The Store methods a SQLite worker thread serves (everything but `kind` and `onJobsReady`). */
export const THREADED_METHODS = [
  'migrate',
  'ready',
  'close',
  'ingest',
  'getEvent',
  'listEvents',
  'getEntity',
  'listEntities',
  'countEntities',
  'enqueueJobs',
  'claimJobs',
  'renewLeases',
  'finishJob',
  'getJob',
  'listJobs',
  'countJobs',
  'nextJobAt',
  'countPendingByConnector',
  'replay',
  'recordOutcomes',
  'listOutcomes',
  'getState',
  'setState',
  'deleteState',
  'takeBudget',
  'takeCallBudget',
  'countAttention',
  'projectionBacklog',
  'addHeld',
  'getHeld',
  'listHeld',
  'decideHeld',
  'putOffboarding',
  'getOffboarding',
  'listOffboardings',
  'listProductsOf',
  'createRun',
  'updateRun',
  'getRun',
  'listRuns',
  'putRunItems',
  'listRunItems',
  'countRunItems',
  'clearRunItems',
  'dropRunItems',
  'indexRunKeys',
  'matchRunKeys',
  'runKeyEntities',
  'putRunListPage',
  'getRunListState',
  'resetRunKind',
  'acquireLease',
  'releaseLease',
] as const satisfies ReadonlyArray<keyof Store>;

export type ThreadedMethod = (typeof THREADED_METHODS)[number];

/** Main thread -> worker: a Store method, or the whole ingest pipeline for one delivery. */
export type CallMessage =
  | { id: number; method: ThreadedMethod; args: unknown[] }
  | {
      id: number;
      method: 'receiveWebhook';
      /**
       * Settings travel only when they changed since the last delivery (null: as before); the
       * receipt time only when the caller's clock is injected (null: this thread's clock).
       */
      args: [Uint8Array, string | undefined, IngestSettings | null, number | null];
    };

/** One answer to a {@link CallMessage}. */
export type Reply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { name: string; message: string; code?: string } };

/**
 * Main thread -> worker: the calls made in one turn of the main thread's event loop, in call
 * order (one message, one wake-up of the worker, however many requests came in together).
 */
export type CallBatch = CallMessage[];

/** Worker -> main thread: the answers ready in one turn of the worker's loop, or a wake-up for jobs. */
export type ReplyMessage = { kind: 'replies'; replies: Reply[] } | { kind: 'jobs-ready' };

/**
 * Collects items to cross between the threads and hands them to `deliver` together: at the end
 * of this turn of the event loop, or at once when `sendAt` are waiting (both sides batch this way).
 */
export function turnBatcher<T>(deliver: (items: T[]) => void, sendAt = Number.POSITIVE_INFINITY) {
  let items: T[] = [];
  const flush = () => {
    const batch = items;
    items = [];
    if (batch.length > 0) deliver(batch);
  };
  return {
    push(item: T): void {
      if (items.length === 0) setImmediate(flush);
      items.push(item);
      if (items.length >= sendAt) flush();
    },
  };
}
