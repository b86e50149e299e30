import type { DatabaseSync } from 'node:sqlite';
import { Savepoint } from './savepoint.ts';
import type { WalSync } from './wal-sync.ts';

type Result = { ok: true; value: unknown } | { ok: false; error: unknown };

interface Pending {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit for a synchronous SQLite connection: write work queued in the same turn of the
 * event loop (and while a commit is running) runs in one transaction, each piece inside its own
 * savepoint, so one failure rejects only its caller. Every caller's promise resolves only once
 * the shared commit is on disk: after COMMIT itself (`synchronous=FULL`), or, with a {@link WalSync},
 * after its fsync of the WAL, which runs off this thread while the next batch already executes.
 */
export class GroupCommitter {
  private queue: Pending[] = [];
  private scheduled = false;
  private readonly db: DatabaseSync;
  private readonly afterCommit: () => void;

  private readonly walSync: WalSync | null;

  constructor(db: DatabaseSync, afterCommit: () => void, walSync: WalSync | null = null) {
    this.db = db;
    this.afterCommit = afterCommit;
    this.walSync = walSync;
  }

  /** Whether work is queued for the next shared transaction. */
  busy(): boolean {
    return this.queue.length > 0 || this.scheduled;
  }

  /** Queues `work` to run inside the next shared transaction. */
  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Savepoint statements, prepared once (exec would parse them again for every write). */
  private savepoint: Savepoint | null = null;

  /**
   * Runs the batch's work inside the open transaction. First all of it without savepoints (two
   * statements fewer per piece); only if a piece throws is the transaction rolled back and the
   * batch run again with a savepoint per piece, so that the failure rejects only its caller. Work
   * is plain SQL on this connection, so running it again gives the same result.
   */
  private runAll(batch: readonly Pending[]): Result[] {
    const results: Result[] = [];
    for (const item of batch) {
      try {
        results.push({ ok: true, value: item.work() });
      } catch {
        // Which piece failed, and only that piece, is found by running the batch again.
        this.db.exec('ROLLBACK');
        this.db.exec('BEGIN IMMEDIATE');
        return this.runEach(batch);
      }
    }
    return results;
  }

  /** Runs each piece of the batch in its own savepoint. */
  private runEach(batch: readonly Pending[]): Result[] {
    this.savepoint ??= new Savepoint(this.db, 'w');
    const savepoint = this.savepoint;
    return batch.map((item): Result => {
      try {
        return { ok: true, value: savepoint.run(item.work) };
      } catch (error) {
        return { ok: false, error };
      }
    });
  }

  /** Ends a transaction left open by a failure (a closed connection has none to end). */
  private rollbackIfOpen(): void {
    try {
      if (this.db.isOpen && this.db.isTransaction) this.db.exec('ROLLBACK');
    } catch {
      // The connection broke while rolling back: it holds no transaction of ours any more, and
      // every caller of the batch has been told of the original failure already.
    }
  }

  /** Runs everything queued now, in one transaction. */
  flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    let results: Result[];
    try {
      this.db.exec('BEGIN IMMEDIATE');
      results = this.runAll(batch);
    } catch (err) {
      for (const item of batch) item.reject(err);
      this.rollbackIfOpen();
      return;
    }
    try {
      this.db.exec('COMMIT');
    } catch (err) {
      try {
        this.db.exec('ROLLBACK');
      } finally {
        for (const item of batch) item.reject(err);
      }
      return;
    }
    const settle = () => {
      batch.forEach((item, i) => {
        const result = results[i]!;
        if (result.ok) item.resolve(result.value);
        else item.reject(result.error);
      });
      this.afterCommit();
    };
    if (!this.walSync) {
      settle();
      return;
    }
    this.inFlight += 1;
    this.walSync.durable().then(
      () => {
        this.inFlight -= 1;
        settle();
      },
      (err: unknown) => {
        // Committed but not known to be on disk: the callers hear of a failure (a webhook is
        // answered 503 and redelivered, then found as a duplicate), never of a success.
        this.inFlight -= 1;
        for (const item of batch) item.reject(err);
      },
    );
  }

  private inFlight = 0;

  /** Resolves once everything queued so far is committed and durable. */
  async drain(): Promise<void> {
    if (this.queue.length > 0 || this.scheduled || this.inFlight > 0) await this.run(() => undefined);
  }
}
