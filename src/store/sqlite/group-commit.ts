import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { WalSync } from './wal-sync.ts';

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

  private prepared: { savepoint: StatementSync; release: StatementSync; rollbackTo: StatementSync } | null =
    null;

  /** Savepoint statements, prepared once (exec would parse them again for every write). */
  private savepoints() {
    this.prepared ??= {
      savepoint: this.db.prepare('SAVEPOINT w'),
      release: this.db.prepare('RELEASE w'),
      rollbackTo: this.db.prepare('ROLLBACK TO w'),
    };
    return this.prepared;
  }

  /** Runs everything queued now, in one transaction. */
  flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    const results: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      this.db.exec('BEGIN IMMEDIATE');
    } catch (err) {
      for (const item of batch) item.reject(err);
      return;
    }
    const { savepoint, release, rollbackTo } = this.savepoints();
    for (const item of batch) {
      savepoint.run();
      try {
        const value = item.work();
        release.run();
        results.push({ ok: true, value });
      } catch (error) {
        rollbackTo.run();
        release.run();
        results.push({ ok: false, error });
      }
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
