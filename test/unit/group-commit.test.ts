import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { GroupCommitter } from '../../src/store/sqlite/group-commit.ts';

describe('GroupCommitter', () => {
  it('commits a batch as one, and a piece that throws rejects only its caller', async () => {
    const db = new DatabaseSync(':memory:');
    db.exec('CREATE TABLE t (v TEXT PRIMARY KEY)');
    let commits = 0;
    const committer = new GroupCommitter(db, () => {
      commits += 1;
    });
    const insert = (v: string) => () => db.prepare('INSERT INTO t (v) VALUES (?)').run(v).changes;
    const results = await Promise.allSettled([
      committer.run(insert('a')),
      // Writes c, then the primary key refuses its a: none of it may stay.
      committer.run(() => {
        insert('c')();
        return insert('a')();
      }),
      committer.run(insert('b')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(commits).toBe(1);
    expect((db.prepare('SELECT v FROM t ORDER BY v').all() as Array<{ v: string }>).map((r) => r.v)).toEqual([
      'a',
      'b',
    ]);
    expect(db.isTransaction).toBe(false);
    db.close();
  });
});
