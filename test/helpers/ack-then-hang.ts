// A store process that dies right after its acknowledgements: it opens the SQLite store at
// argv[2], acknowledges the signed deliveries in the JSON file argv[3] (one commit), prints the
// outcomes as one JSON line, then blocks its event loop until it is killed (the parent sends
// SIGKILL). The continuation after the acknowledgements runs before any projection slice could
// (those run on a later turn of the loop), so the process dies with every row unprojected.
import { readFileSync } from 'node:fs';
import { Ingestor } from '../../src/core/ingest.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';

const [path, file, secret] = process.argv.slice(2);
if (!path || !file || !secret) throw new Error('usage: ack-then-hang.ts DB_PATH DELIVERIES_JSON SECRET');
const deliveries = JSON.parse(readFileSync(file, 'utf8')) as Array<{ body: string; signature: string }>;
const store = new SqliteStore({ path });
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
