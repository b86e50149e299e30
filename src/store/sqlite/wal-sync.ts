import { closeSync, fdatasync, openSync } from 'node:fs';

/**
 * Makes SQLite commits durable without blocking the thread that runs SQL. The connection runs in
 * WAL mode with `synchronous=NORMAL` (a commit writes its WAL frames but does not fsync), and
 * this flushes the WAL file with `fdatasync` on libuv's thread pool. A caller is told "durable"
 * only after an fsync that started after its commit has completed, so a commit is acknowledged
 * exactly when `synchronous=FULL` would have acknowledged it, while the next batch's statements
 * already run. Concurrent waits share one fsync.
 */
export class WalSync {
  private readonly walPath: string;
  private fd: number | null = null;
  private running = false;
  private waiting: Array<{ resolve: () => void; reject: (err: unknown) => void }> = [];
  /** fsyncs done, for the benchmark. */
  syncs = 0;

  constructor(databasePath: string) {
    this.walPath = `${databasePath}-wal`;
  }

  /** Resolves once everything committed before this call is on disk. Call right after COMMIT. */
  durable(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.kick();
    });
  }

  private kick(): void {
    if (this.running || this.waiting.length === 0) return;
    const batch = this.waiting;
    this.waiting = [];
    let fd: number;
    try {
      fd = this.fd ??= openSync(this.walPath, 'r+');
    } catch (err) {
      for (const w of batch) w.reject(err);
      return;
    }
    this.running = true;
    fdatasync(fd, (err) => {
      this.running = false;
      this.syncs += 1;
      for (const w of batch) {
        if (err) w.reject(err);
        else w.resolve();
      }
      this.kick();
    });
  }

  /** Closes the WAL handle (before the connection closes, which may delete the file). */
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
