/** Items of a failed batch re-run alone, this many at a time (the pool serves other work too). */
const ALONE_LANES = 4;

/** One queued call: its input and how to answer it. */
interface Pending<I, O> {
  input: I;
  resolve: (value: O) => void;
  reject: (err: unknown) => void;
}

/** The outcome of one item of a batch: a value, or an error that rejects only that item. */
export type ItemResult<O> = { ok: true; value: O } | { ok: false; error: unknown };

/** Options for {@link BatchQueue}. */
export interface BatchQueueOptions<I, O> {
  /**
   * Runs one batch (in arrival order) in one transaction and resolves, once it has committed, with
   * one result per item; rejects when the transaction as a whole failed (nothing was committed).
   */
  runBatch: (inputs: readonly I[]) => Promise<Array<ItemResult<O>>>;
  /** Most items per batch. */
  maxBatch: number;
  /** Most batches running at once. */
  maxInFlight: number;
}

/**
 * Group commit for asynchronous work: items queued in the same turn of the event loop, and while
 * the batches in flight run, go into the next batch (at most `maxBatch` of them). Each caller is
 * answered only once its batch has committed. When a batch of several fails as a whole, every item
 * runs again in a batch of its own, so one bad item cannot fail its neighbours; items that share a
 * `sameKey` run one after another, in arrival order (a later one may depend on an earlier one).
 */
export class BatchQueue<I, O> {
  private queue: Array<Pending<I, O>> = [];
  private scheduled = false;
  private inFlight = 0;
  private readonly options: BatchQueueOptions<I, O>;
  private readonly sameKey: (input: I) => string;
  /** Batches run, items they carried, and items re-run alone after a failed batch. */
  readonly stats = { batches: 0, items: 0, alone: 0 };

  constructor(options: BatchQueueOptions<I, O>, sameKey: (input: I) => string) {
    this.options = options;
    this.sameKey = sameKey;
  }

  /** Whether items are queued or batches are committing. */
  busy(): boolean {
    return this.queue.length > 0 || this.inFlight > 0;
  }

  /** Queues `input`; resolves with its result once the batch carrying it has committed. */
  run(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      if (!this.scheduled && this.inFlight < this.options.maxInFlight) {
        this.scheduled = true;
        // Let the rest of this turn's callers join the batch.
        setImmediate(() => {
          this.scheduled = false;
          this.pump();
        });
      }
    });
  }

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.options.maxBatch);
      this.inFlight += 1;
      void this.settle(batch).finally(() => {
        this.inFlight -= 1;
        this.pump();
      });
    }
  }

  private async settle(batch: Array<Pending<I, O>>): Promise<void> {
    this.stats.batches += 1;
    this.stats.items += batch.length;
    let results: Array<ItemResult<O>>;
    try {
      results = await this.options.runBatch(batch.map((p) => p.input));
    } catch (err) {
      if (batch.length === 1) {
        batch[0]!.reject(err);
        return;
      }
      await this.alone(batch);
      return;
    }
    batch.forEach((pending, i) => {
      const result = results[i];
      if (result === undefined) pending.reject(new Error('batch answered fewer results than items'));
      else if (result.ok) pending.resolve(result.value);
      else pending.reject(result.error);
    });
  }

  /** Runs every item of a failed batch in a batch of its own; items sharing a key in order. */
  private async alone(batch: Array<Pending<I, O>>): Promise<void> {
    const chains = new Map<string, Array<Pending<I, O>>>();
    for (const pending of batch) {
      const key = this.sameKey(pending.input);
      const chain = chains.get(key);
      if (chain) chain.push(pending);
      else chains.set(key, [pending]);
    }
    const queue = [...chains.values()];
    const lanes = Math.min(queue.length, ALONE_LANES);
    await Promise.all(
      Array.from({ length: lanes }, async () => {
        for (let chain = queue.shift(); chain !== undefined; chain = queue.shift()) {
          for (const pending of chain) {
            this.stats.alone += 1;
            try {
              const [result] = await this.options.runBatch([pending.input]);
              if (result === undefined) pending.reject(new Error('batch answered no result'));
              else if (result.ok) pending.resolve(result.value);
              else pending.reject(result.error);
            } catch (err) {
              pending.reject(err);
            }
          }
        }
      }),
    );
  }
}
