/**
 * The floor under the ingest ratio: CPU that any durable, verified acknowledgement of these bodies
 * must spend on top of what bare `node:http` spends, measured in this process, step by step:
 * the HMAC check, the body's SHA-256 (the dedupe key), one JSON.parse, and the inbox row's insert
 * and its share of a 64-row commit (raw SQL on the service's own schema, WAL, the WAL fsynced per
 * commit as the service does). No framework, no validation, no privacy filter, no thread hop, no
 * projection: a receiver that did only this could not do better than bare / (bare + floor).
 */
import { hash as digestOf } from 'node:crypto';
import { fdatasyncSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { verifySignature } from '../../src/growrk/signature.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';

/** CPU microseconds per body of each irreducible step. */
export interface IngestFloor {
  verify: number;
  hash: number;
  parse: number;
  insertAndCommit: number;
  total: number;
}

const BATCH = 64;

function cpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** CPU µs per item of `step` over all `items` (after a warm-up pass over a tenth of them). */
function perItem<T>(items: readonly T[], step: (item: T, i: number) => void): number {
  items.slice(0, Math.ceil(items.length / 10)).forEach(step);
  const before = cpuUs();
  items.forEach(step);
  return (cpuUs() - before) / items.length;
}

/** Measures the floor for `bodies` (signature, body) signed with `secret`. */
export async function measureIngestFloor(
  bodies: ReadonlyArray<{ signature: string; body: Buffer }>,
  secret: string,
): Promise<IngestFloor> {
  const verify = perItem(bodies, (b) => {
    if (verifySignature(b.body, b.signature, [secret]) < 0) throw new Error('bench body not signed');
  });
  const hash = perItem(bodies, (b) => digestOf('sha256', b.body, 'hex'));
  const parse = perItem(bodies, (b) => JSON.parse(b.body.toString('utf8')));
  const insertAndCommit = await inboxAppend(bodies);
  return { verify, hash, parse, insertAndCommit, total: verify + hash + parse + insertAndCommit };
}

/** CPU µs per row of the acknowledgement's inbox insert, committed 64 rows at a time. */
async function inboxAppend(bodies: ReadonlyArray<{ body: Buffer }>): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'gs-floor-'));
  const path = join(dir, 'floor.db');
  try {
    const schema = new SqliteStore({ path });
    await schema.migrate();
    await schema.close();
    const db = new DatabaseSync(path);
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = NORMAL');
    const wal = openSync(`${path}-wal`, 'r+');
    const insert = db.prepare(
      `INSERT INTO inbox (id, body_hash, type, company_id, growrk_ts, received_at, status, body, entity_keys)
       VALUES (?, ?, 'employee.updated', 'c1', ?, ?, 'accepted', ?, '[]')
       ON CONFLICT (coalesce(growrk_ts, ''), body_hash) DO NOTHING`,
    );
    const rows = bodies.map((b, i) => {
      const body = b.body.toString('utf8');
      return {
        id: `evt_${String(i).padStart(12, '0')}`,
        hash: digestOf('sha256', b.body, 'hex'),
        timestamp: String((JSON.parse(body) as { timestamp?: unknown }).timestamp ?? ''),
        body,
      };
    });
    const before = cpuUs();
    for (let start = 0; start < rows.length; start += BATCH) {
      db.exec('BEGIN IMMEDIATE');
      for (const row of rows.slice(start, start + BATCH))
        insert.run(row.id, row.hash, row.timestamp, start, row.body);
      db.exec('COMMIT');
      fdatasyncSync(wal);
    }
    const perRow = (cpuUs() - before) / rows.length;
    db.close();
    return perRow;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
