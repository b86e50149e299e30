import type { DatabaseSync, StatementSync } from 'node:sqlite';

/** A named savepoint's three statements on one connection, prepared once. */
export class Savepoint {
  private readonly begin: StatementSync;
  private readonly release: StatementSync;
  private readonly rollbackTo: StatementSync;

  constructor(db: DatabaseSync, name: string) {
    this.begin = db.prepare(`SAVEPOINT ${name}`);
    this.release = db.prepare(`RELEASE ${name}`);
    this.rollbackTo = db.prepare(`ROLLBACK TO ${name}`);
  }

  /**
   * Runs `work` inside the savepoint, within the open transaction: when it throws, what it wrote
   * is undone (and only that) and the error is thrown on.
   */
  run<T>(work: () => T): T {
    this.begin.run();
    try {
      const value = work();
      this.release.run();
      return value;
    } catch (err) {
      this.rollbackTo.run();
      this.release.run();
      throw err;
    }
  }
}
