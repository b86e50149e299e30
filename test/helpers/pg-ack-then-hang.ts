// A PostgreSQL store process that dies right after its acknowledgements: it opens the store on
// the URL argv[2] and schema argv[3] (migrated), acknowledges the signed deliveries in the JSON
// file argv[4], prints the outcomes as one JSON line, then blocks its event loop until it is
// killed (the parent sends SIGKILL). The continuation after the acknowledgements runs before any
// projection slice could (those start on a later turn of the loop), so the process dies with
// every row it acknowledged unprojected.
import { readFileSync } from 'node:fs';
import { Ingestor } from '../../src/core/ingest.ts';
import { openPostgresStore } from '../../src/store/postgres/store.ts';

const [url, schema, file, secret] = process.argv.slice(2);
if (!url || !schema || !file || !secret)
  throw new Error('usage: pg-ack-then-hang.ts DATABASE_URL SCHEMA DELIVERIES_JSON SECRET');
const deliveries = JSON.parse(readFileSync(file, 'utf8')) as Array<{ body: string; signature: string }>;
const store = await openPostgresStore({
  url,
  schema,
  poolSize: 4,
  connectTimeoutMs: 3000,
  statementTimeoutMs: 10_000,
});
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
