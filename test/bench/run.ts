// `npm run bench [-- section...]`: prints figures measured side by side in one run.
// Sections: ingest, offboarding, offboarding-quota, offboarding-backlog, offboarding-closing,
// offboarding-postgres, postgres,
// postgres-ack, postgres-workers,
// hubspot, reconcile, reconcile-memory (default: all that exist).
import { benchHubSpotBulk } from './hubspot-bulk.ts';
import { benchIngest } from './ingest.ts';
import { benchOffboarding } from './offboarding.ts';
import { benchOffboardingBacklog } from './offboarding-backlog.ts';
import { benchOffboardingClosing } from './offboarding-closing.ts';
import { benchOffboardingPostgres } from './offboarding-postgres.ts';
import { benchPostgres, benchPostgresAcks } from './postgres.ts';
import { benchReconcile } from './reconcile.ts';

const SECTIONS: Record<string, () => Promise<void>> = {
  ingest: () => benchIngest(),
  offboarding: () => benchOffboarding({ total: 1000, concurrency: 16, single: 1000 }),
  // 100 offboardings needing 1,000 calls under a 600-a-minute quota: suspensions come first.
  'offboarding-quota': () =>
    benchOffboarding({ total: 100, concurrency: 16, single: 10, callsPerMinute: 600 }),
  // 100 offboardings one at a time, idle and behind 40,000 HubSpot asset syncs (lanes).
  'offboarding-backlog': () => benchOffboardingBacklog({ total: 100, backlog: 40_000 }),
  // Calls per offboarding with handover, device wipe and the equipment-gated closing on.
  'offboarding-closing': () => benchOffboardingClosing({ total: 100 }),
  // Webhook 200 -> suspend on PostgreSQL, one instance and two on one schema, beside SQLite.
  'offboarding-postgres': () =>
    benchOffboardingPostgres({
      single: Number(process.env.BENCH_OFFBOARDING_SINGLE ?? 200),
      total: Number(process.env.BENCH_OFFBOARDING_TOTAL ?? 500),
    }),
  postgres: () => benchPostgres(),
  // The PostgreSQL store's acknowledgements in-process (no HTTP, no wrk), then the worker part alone.
  'postgres-ack': () => benchPostgresAcks(),
  'postgres-workers': () => benchPostgres({ ingestTotal: 0 }),
  hubspot: () => benchHubSpotBulk({ total: 10_000, limit: 190 }),
  reconcile: () => benchReconcile(),
  // Only the memory figures (first sync and repair at 10,000 and 100,000 employees, then a
  // scheduled first sync in `serve` at the largest size, before and after, beside the CLI's).
  'reconcile-memory': () =>
    benchReconcile({
      atLimits: false,
      memorySizes: (process.env.BENCH_RECONCILE_SIZES ?? '10000,100000')
        .split(',')
        .filter(Boolean)
        .map(Number),
      ...(process.env.BENCH_RECONCILE_SCHEDULED
        ? { scheduled: Number(process.env.BENCH_RECONCILE_SCHEDULED) }
        : {}),
    }),
};

const wanted = process.argv.slice(2);
const names = wanted.length > 0 ? wanted : Object.keys(SECTIONS);
console.log(`growrk-sync benchmarks on ${process.version}, ${new Date().toISOString()}`);
for (const name of names) {
  const section = SECTIONS[name];
  if (!section) {
    console.error(`unknown section ${name}; known: ${Object.keys(SECTIONS).join(', ')}`);
    process.exit(2);
  }
  await section();
}
