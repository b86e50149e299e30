/**
 * Lanes: a HubSpot backlog (40,000 assets at HubSpot's 190 calls per 10 s, minutes of work) must
 * not delay an offboarding's suspension. The service runs in-process on SQLite with both vendor
 * emulators; the backlog is seeded straight into the store (cheap), and the test never waits for
 * it to drain: it waits for the suspension, or for most of the backlog to be gone, whichever comes
 * first, and then asserts on the emulators' call logs and the queue.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import type { AppConfig } from '../../src/config/types.ts';
import { createLogger } from '../../src/log.ts';
import { type RunningService, startService } from '../../src/service.ts';
import { type GoogleEmulator, startGoogleEmulator } from '../fakes/google-directory/index.ts';
import { type HubSpotEmulator, startHubSpotEmulator } from '../fakes/hubspot/index.ts';
import { queueHubSpotBacklog } from '../helpers/asset-backlog.ts';
import {
  employeeBody,
  postSigned,
  seedPerson,
  seedSchema,
  stepOfCall,
  until,
  userIdOfCall,
} from '../helpers/google-offboarding.ts';

const SECRET = 'lanes-secret';
const ASSETS = 40_000;
const HUBSPOT_LIMIT = 190;

let google: GoogleEmulator;
let hubspot: HubSpotEmulator;
let service: RunningService;
let dir: string;

function configFor(): AppConfig {
  return loadConfig({
    env: {
      GROWRK_WEBHOOK_SECRET: SECRET,
      DATABASE_URL: `sqlite:${join(dir, 'lanes.db')}`,
      CONNECTORS: 'google-workspace,hubspot',
      GOOGLE_ACCESS_TOKEN: 'test-token',
      GOOGLE_API_ROOT_URL: google.url,
      HUBSPOT_ACCESS_TOKEN: 'hs-test-token',
      HUBSPOT_BASE_URL: hubspot.url,
      HUBSPOT_CALLS_PER_10S: String(HUBSPOT_LIMIT),
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
    },
    cwd: dir,
  });
}

beforeAll(async () => {
  google = await startGoogleEmulator({ quotaPerMinute: 1_000_000 });
  hubspot = await startHubSpotEmulator({ limitPer10s: HUBSPOT_LIMIT });
  dir = mkdtempSync(join(tmpdir(), 'gs-lanes-'));
  const config = configFor();
  // The backlog, queued before the service starts: 40,000 asset syncs, and HubSpot's setup.
  await queueHubSpotBacklog(join(dir, 'lanes.db'), config, ASSETS);
  seedSchema(google);
  seedPerson(google, 1, {}, { linked: true });
  service = await startService({ config, logger: createLogger('silent'), cwd: dir });
}, 120_000);

afterAll(async () => {
  await service?.close();
  await google?.stop();
  await hubspot?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('an offboarding behind a HubSpot backlog', () => {
  it('is suspended while most of the 40,000 asset syncs are still queued', async () => {
    // The HubSpot lane is at work on the backlog before the offboarding arrives.
    await until('the first HubSpot batch', () =>
      hubspot.recorder.calls.some((c) => c.operation === 'crm.objects.batch.upsert'),
    );
    const res = await postSigned(service.url, employeeBody('employee.offboarded', 1), SECRET);
    expect(res.status).toBe(200);

    const suspended = () => google.recorder.calls.some((c) => stepOfCall(c) === 'suspend');
    const pendingHubSpot = async () => (await service.store.countPendingByConnector()).hubspot ?? 0;
    // Whichever comes first: the suspension, or most of the backlog gone (the failure).
    await until(
      'the suspension or half the backlog drained',
      async () => suspended() || (await pendingHubSpot()) < ASSETS / 2,
      { timeoutMs: 120_000, everyMs: 20 },
    );

    const suspend = google.recorder.calls.find((c) => stepOfCall(c) === 'suspend');
    expect(suspend && userIdOfCall(suspend)).toBeTruthy();
    expect(await pendingHubSpot()).toBeGreaterThan(ASSETS / 2);
    const upserts = hubspot.recorder.calls.filter((c) => c.operation === 'crm.objects.batch.upsert');
    // At most a few of the 400 batches went out before the suspension.
    expect(upserts.length).toBeLessThan(ASSETS / 100 / 2);
    expect(hubspot.stats().rateLimited).toBe(0);
  }, 180_000);
});
