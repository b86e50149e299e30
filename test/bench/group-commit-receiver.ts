// The second peer of the ingest bench: the lean acknowledgement #14 asks for, and nothing else,
// written as directly as it can be. The HTTP thread verifies the signature (HMAC-SHA256, constant
// time), SHA-256s the body (the dedupe key) and JSON.parses it; the body is then appended to an
// inbox table, and the requests that arrive while the previous commit runs share the next one
// (group commit). Same durability as growrk-sync on SQLite: WAL, synchronous=NORMAL, the WAL
// fdatasync'd before any of a commit's requests is answered. No validation, no projection, no
// jobs. With `--threads 1` the inserts run on the HTTP thread (the fsync on libuv's pool); with
// `--threads 2` (the default) on a second thread that owns the connection, as growrk-sync's store
// does. No design that acknowledges only after such an append does much less work, so its ratio to
// bare node:http is about the ceiling of that design on this machine.
// argv: database path, secret, [--threads 1|2]. Prints its URL.
import { hash } from 'node:crypto';
import { fdatasync, openSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { DatabaseSync } from 'node:sqlite';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { answer, checkedWith, servePeer } from './peer-server.ts';

/** One queued row: the body's SHA-256 and its text. */
type Row = [hash: string, body: string];
/** Commits rows and calls back once they are on disk. */
type Append = (rows: Row[], done: (err: Error | null) => void) => void;

/** Opens the inbox and answers its {@link Append}. */
function openInbox(path: string): Append {
  const db = new DatabaseSync(path);
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = NORMAL');
  db.exec(
    'CREATE TABLE IF NOT EXISTS inbox (id INTEGER PRIMARY KEY, body_hash TEXT UNIQUE, received_at INTEGER, body TEXT)',
  );
  const insert = db.prepare(
    'INSERT INTO inbox (body_hash, received_at, body) VALUES (?, ?, ?) ON CONFLICT (body_hash) DO NOTHING',
  );
  const wal = openSync(`${path}-wal`, 'r+');
  return (rows, done) => {
    const now = Date.now();
    db.exec('BEGIN IMMEDIATE');
    for (const [h, body] of rows) insert.run(h, now, body);
    db.exec('COMMIT');
    fdatasync(wal, done);
  };
}

if (!isMainThread) {
  // The store thread: the HTTP thread keeps queueing while this one commits and fsyncs.
  const append = openInbox(workerData as string);
  parentPort!.on('message', (rows: Row[]) =>
    append(rows, (err) => parentPort!.postMessage(err ? String(err) : null)),
  );
} else {
  const [path, secret, flag, value] = process.argv.slice(2);
  if (!path || !secret) throw new Error('usage: group-commit-receiver.ts DB_PATH SECRET [--threads 1|2]');
  const threads = flag === '--threads' ? Number(value) : 2;
  let append: Append;
  if (threads === 1) append = openInbox(path);
  else {
    const worker = new Worker(new URL(import.meta.url), { workerData: path });
    let waiting: ((err: Error | null) => void) | null = null;
    worker.on('message', (err: string | null) => {
      const done = waiting!;
      waiting = null;
      done(err ? new Error(err) : null);
    });
    append = (rows, done) => {
      waiting = done;
      worker.postMessage(rows);
    };
  }

  let queued: ServerResponse[] = [];
  let rows: Row[] = [];
  let busy = false;
  // Commits what is queued and answers it once durable; what arrives meanwhile waits for that.
  const flush = () => {
    if (busy || queued.length === 0) return;
    const batch = queued;
    const batchRows = rows;
    queued = [];
    rows = [];
    busy = true;
    append(batchRows, (err) => {
      busy = false;
      for (const res of batch) answer(res, err ? 503 : 200, err ? '{"error":"store"}' : '{"ok":true}');
      flush();
    });
  };
  const checked = checkedWith(secret);
  servePeer((req, res, body) => {
    const text = checked(req, res, body);
    if (text === null) return;
    queued.push(res);
    rows.push([hash('sha256', body, 'hex'), text]);
    if (queued.length === 1) setImmediate(flush);
  });
}
