/**
 * Vendor limits are per portal, not per instance: three service instances (child processes) on
 * one PostgreSQL schema sync assets into one HubSpot portal and together never go over its limit,
 * so the emulator answers no 429 at all.
 *
 * Scaled to fit CI. HubSpot allows 190 calls per rolling 10 s, and the scenario is 10,000
 * assets (about 200 batch calls). On this 2-core machine three instances finish about 100 asset
 * jobs a second on PostgreSQL (database work, not calls, is their bottleneck), so at 190 per 10 s
 * they would never press on the limit, and 10,000 jobs would take over a minute. So the emulator
 * and the service (HUBSPOT_RATE_WINDOW=1s, HUBSPOT_CALLS_PER_10S=4) both count 4 calls per rolling
 * 1 s, and 3,000 assets (about 60 batch calls) go through: the call demand of three instances is
 * then above the limit, as 190 per 10 s is for faster instances. Each instance alone may send 4 a
 * window; three with limiters of their own send up to 12 and the emulator answers 429 (checked
 * when this test was written: 5 of them); only the budget shared through the database keeps the
 * three under it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { createLogger } from '../../src/log.ts';
import type { PostgresStore } from '../../src/store/postgres/store.ts';
import { createConnectorRuntime } from '../../src/sync/runtime.ts';
import { type HubSpotEmulator, startHubSpotEmulator } from '../fakes/hubspot/index.ts';
import { seedAssetBacklog } from '../helpers/asset-backlog.ts';
import { type ServiceProcess, startServiceProcess } from '../helpers/service-process.ts';
import { postgresHarness, TEST_DATABASE_URL } from '../helpers/stores.ts';
import { until } from '../helpers/wait.ts';

const ASSETS = 3_000;
const LIMIT = 4;
const WINDOW = '1s';
const TOKEN = 'hs-test-token';

let emu: HubSpotEmulator;
const harness = postgresHarness();
const services: ServiceProcess[] = [];

beforeAll(async () => {
  emu = await startHubSpotEmulator({ limitPer10s: LIMIT, windowMs: 1000 });
});
afterEach(async () => {
  for (const s of services.splice(0)) if (s.child.exitCode === null) await s.kill9();
  await harness.closeAll();
});
afterAll(async () => {
  await emu.stop();
  await harness.cleanup();
});

function withSchema(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('schema', schema);
  return parsed.toString();
}

const hubspotEnv = {
  CONNECTORS: 'hubspot',
  HUBSPOT_ACCESS_TOKEN: TOKEN,
  HUBSPOT_BASE_URL: '',
  HUBSPOT_CALLS_PER_10S: String(LIMIT),
  HUBSPOT_RATE_WINDOW: WINDOW,
};

/** HubSpot's setup (`init`) for the portal, through the same shared budget. */
async function initPortal(store: PostgresStore): Promise<void> {
  const config = loadConfig({
    env: { ...hubspotEnv, HUBSPOT_BASE_URL: emu.url, LOG_LEVEL: 'silent' },
    cwd: '/nonexistent',
  });
  const runtime = await createConnectorRuntime({ config, store, logger: createLogger('silent') });
  const loaded = runtime.connectors.get('hubspot')!;
  await loaded.definition.init(loaded.ctx, { dryRun: false });
}

describe('three instances, one HubSpot portal', () => {
  it('sync 3,000 assets without a single 429', async () => {
    const schema = harness.newSchema();
    const store = await harness.open({ schema });
    await initPortal(store);
    await seedAssetBacklog(store, ASSETS);
    expect((await store.countPendingByConnector()).hubspot).toBe(ASSETS);
    emu.recorder.clear();

    const env = {
      ...hubspotEnv,
      HUBSPOT_BASE_URL: emu.url,
      GROWRK_WEBHOOK_SECRET: 'shared-budget-secret',
      DATABASE_URL: withSchema(TEST_DATABASE_URL, schema),
      RECONCILE_SCHEDULE: 'off',
      LOG_LEVEL: 'debug',
    };
    services.push(...(await Promise.all([1, 2, 3].map(() => startServiceProcess(env)))));

    await until(
      async () => `jobs ${JSON.stringify(await store.countJobs())}, ${emu.stats().rateLimited} 429s`,
      async () => {
        const jobs = await store.countJobs();
        return jobs.pending === 0 && jobs.running === 0;
      },
      { timeoutMs: 120_000, everyMs: 250 },
    );

    expect(emu.stats().rateLimited).toBe(0);
    expect(await store.countJobs()).toMatchObject({ done: ASSETS, dead: 0 });
    const type = emu.state.findType('growrk_asset');
    expect(type ? emu.state.list(type, false).length : 0).toBe(ASSETS);
    // All three did part of the work: each logged batches it ran.
    const batchesBy = services.map((s) => s.output.filter((l) => l.includes('"sync batch done"')).length);
    expect(batchesBy.every((n) => n > 0)).toBe(true);
  }, 180_000);
});
