// The peer of the ingest bench: the webhook receiver one would write by hand. It verifies the
// signature (HMAC-SHA256 over the raw body, constant time), checks the body is JSON, and stores it
// with one synchronous=FULL SQLite commit per request (node:sqlite, WAL) before the 200. No
// projection, no jobs, no group commit. Prints its URL. argv: database path, secret.
import { DatabaseSync } from 'node:sqlite';
import { answer, checkedWith, servePeer } from './peer-server.ts';

const [path, secret] = process.argv.slice(2);
if (!path || !secret) throw new Error('usage: handwritten-receiver.ts DB_PATH SECRET');
const db = new DatabaseSync(path);
db.exec('PRAGMA journal_mode = WAL');
db.exec('PRAGMA synchronous = FULL');
db.exec('CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, received_at INTEGER, body TEXT)');
const insert = db.prepare('INSERT INTO events (received_at, body) VALUES (?, ?)');
const checked = checkedWith(secret);

servePeer((req, res, body) => {
  const text = checked(req, res, body);
  if (text === null) return;
  const { lastInsertRowid } = insert.run(Date.now(), text);
  answer(res, 200, `{"id":${lastInsertRowid}}`);
});
