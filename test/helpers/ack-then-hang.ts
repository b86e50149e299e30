// A store process that dies right after its acknowledgements: it opens the store (a SQLite file
// path, or a PostgreSQL URL and schema), acknowledges the signed deliveries in a JSON file (one
// commit), prints the outcomes as one JSON line, then blocks its event loop until it is killed
// (the parent sends SIGKILL). The continuation after the acknowledgements runs before any
// projection slice could (those start on a later turn of the loop), so the process dies with
// every row it acknowledged unprojected.
//   ack-then-hang.ts DELIVERIES_JSON SECRET SQLITE_PATH
//   ack-then-hang.ts DELIVERIES_JSON SECRET POSTGRES_URL SCHEMA
import { readFileSync } from 'node:fs';
import { Ingestor } from '../../src/core/ingest.ts';
import { openPostgresStore } from '../../src/store/postgres/store.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import type { Store } from '../../src/store/types.ts';

const [file, secret, target, schema] = process.argv.slice(2);
if (!file || !secret || !target)
  throw new Error('usage: ack-then-hang.ts DELIVERIES_JSON SECRET (SQLITE_PATH | POSTGRES_URL SCHEMA)');
const deliveries = JSON.parse(readFileSync(file, 'utf8')) as Array<{ body: string; signature: string }>;
const store: Store = target.startsWith('postgres')
  ? await openPostgresStore({
      url: target,
      schema: schema ?? 'public',
      poolSize: 4,
      connectTimeoutMs: 3000,
      statementTimeoutMs: 10_000,
    })
  : new SqliteStore({ path: target });
await store.migrate();
const ingestor = new Ingestor({
  store,
  secrets: () => [secret],
  dropFields: [],
  jobConnectors: { employee: ['google-workspace', 'hubspot'], product: ['hubspot'] },
});
const outcomes = await Promise.all(deliveries.map((d) => ingestor.receive(Buffer.from(d.body), d.signature)));
process.stdout.write(
  `${JSON.stringify(outcomes.map((o) => (o.ok ? { ok: true, id: o.result.id } : { ok: false, code: o.error.code })))}\n`,
);
// Busy until killed: no later turn of the event loop (and so no projection) ever runs.
const until = Date.now() + 60_000;
while (Date.now() < until);
process.exit(3);
