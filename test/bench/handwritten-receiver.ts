// The peer of the ingest bench: the webhook receiver one would write by hand. It verifies the
// signature (HMAC-SHA256 over the raw body, constant time), checks the body is JSON, and stores it
// with one synchronous=FULL SQLite commit per request (node:sqlite, WAL) before the 200. No
// projection, no jobs, no group commit. Prints its URL. argv: database path, secret.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { DatabaseSync } from 'node:sqlite';

const [path, secret] = process.argv.slice(2);
if (!path || !secret) throw new Error('usage: handwritten-receiver.ts DB_PATH SECRET');
const db = new DatabaseSync(path);
db.exec('PRAGMA journal_mode = WAL');
db.exec('PRAGMA synchronous = FULL');
db.exec('CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, received_at INTEGER, body TEXT)');
const insert = db.prepare('INSERT INTO events (received_at, body) VALUES (?, ?)');

function signed(body: Buffer, header: string | undefined): boolean {
  if (!header) return false;
  const expected = Buffer.from(
    createHmac('sha256', secret!).update(body).digest('base64').replace(/\+/g, '-').replace(/\//g, '_'),
  );
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const answer = (status: number, text: string) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(text);
    };
    if (!signed(body, req.headers['x-growrk-signature'] as string | undefined)) {
      answer(401, '{"error":"signature"}');
      return;
    }
    const text = body.toString('utf8');
    try {
      JSON.parse(text);
    } catch {
      answer(400, '{"error":"json"}');
      return;
    }
    const { lastInsertRowid } = insert.run(Date.now(), text);
    answer(200, `{"id":${lastInsertRowid}}`);
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address && typeof address === 'object')
    console.log(JSON.stringify({ msg: 'growrk-sync listening', url: `http://127.0.0.1:${address.port}` }));
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
