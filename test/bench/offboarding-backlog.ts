import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import { createLogger } from '../../src/log.ts';
import { startService } from '../../src/service.ts';
import { startGoogleEmulator } from '../fakes/google-directory/index.ts';
import { startHubSpotEmulator } from '../fakes/hubspot/index.ts';
import type { FaultCall } from '../fakes/shared/faults.ts';
import type { RecordedCall } from '../fakes/shared/recorder.ts';
import { queueHubSpotBacklog } from '../helpers/asset-backlog.ts';
import {
  employeeBody,
  postSigned,
  seedPerson,
  seedSchema,
  userIdOfCall,
} from '../helpers/google-offboarding.ts';
import { percentile } from './percentile.ts';

const SECRET = 'bench-secret';
const HUBSPOT_LIMIT = 190;

interface Run {
  name: string;
  latencies: number[];
  hubspotPendingBefore: number;
  hubspotPendingAfter: number;
  hubspotCalls: number;
  rateLimited: number;
  seconds: number;
}

/**
 * One run: a fresh service (SQLite, durable) with both connectors and both emulators, `backlog`
 * HubSpot asset syncs queued before it starts (HubSpot at 190 calls per 10 s), then `total`
 * employee.offboarded webhooks one at a time. Latency: the webhook's 200 to the suspend patch's
 * arrival at the Directory emulator (hrtime on both sides; no polling).
 */
async function run(name: string, backlog: number, total: number): Promise<Run> {
  const google = await startGoogleEmulator({ quotaPerMinute: 1_000_000 });
  const hubspot = await startHubSpotEmulator({ limitPer10s: HUBSPOT_LIMIT });
  const dir = mkdtempSync(join(tmpdir(), 'gs-bench-backlog-'));
  const config = loadConfig({
    env: {
      GROWRK_WEBHOOK_SECRET: SECRET,
      DATABASE_URL: `sqlite:${join(dir, 'bench.db')}`,
      CONNECTORS: 'google-workspace,hubspot',
      GOOGLE_ACCESS_TOKEN: 'test-token',
      GOOGLE_API_ROOT_URL: google.url,
      HUBSPOT_ACCESS_TOKEN: 'hs-test-token',
      HUBSPOT_BASE_URL: hubspot.url,
      HUBSPOT_CALLS_PER_10S: String(HUBSPOT_LIMIT),
      DESTRUCTIVE_BUDGET: String(total * 10),
      RECONCILE_SCHEDULE: 'off',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
    },
    cwd: dir,
  });
  await queueHubSpotBacklog(join(dir, 'bench.db'), config, backlog);

  seedSchema(google);
  const index = new Map<string, number>();
  for (let i = 0; i < total; i += 1) index.set(seedPerson(google, i, {}, { linked: true }).id, i);
  const arrivals = new Map<string, bigint>();
  const next = google.faults.next.bind(google.faults);
  google.faults.next = (call: FaultCall) => {
    if (call.method === 'PATCH') arrivals.set(call.path, process.hrtime.bigint());
    return next(call);
  };
  const suspendedAt = new Map<number, bigint>();
  const waiters = new Map<number, () => void>();
  const record = google.recorder.record.bind(google.recorder);
  google.recorder.record = (call: Omit<RecordedCall, 'seq' | 'at'>) => {
    const full = record(call);
    const body = call.body as { suspended?: unknown } | undefined;
    if (call.operation === 'directory.users.patch' && call.status < 300 && body?.suspended === true) {
      const i = index.get(userIdOfCall(full) ?? '');
      if (i !== undefined && !suspendedAt.has(i)) {
        suspendedAt.set(i, arrivals.get(call.path) ?? process.hrtime.bigint());
        waiters.get(i)?.();
      }
    }
    return full;
  };
  const bodies = Array.from({ length: total }, (_, i) =>
    employeeBody('employee.offboarded', i, (employee) => {
      employee.manager = null;
    }),
  );

  const service = await startService({ config, logger: createLogger('silent'), cwd: dir });
  try {
    const pending = async () => (await service.store.countPendingByConnector()).hubspot ?? 0;
    const hubspotBefore = hubspot.stats().calls;
    const pendingBefore = await pending();
    const latencies: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < total; i += 1) {
      const done = new Promise<void>((resolve) => waiters.set(i, resolve));
      const res = await postSigned(service.url, bodies[i] ?? '', SECRET);
      const acked = process.hrtime.bigint();
      if (res.status !== 200) throw new Error(`webhook ${i} answered ${res.status}`);
      await done;
      latencies.push(Number((suspendedAt.get(i) ?? acked) - acked) / 1e6);
    }
    const seconds = (performance.now() - t0) / 1000;
    latencies.sort((a, b) => a - b);
    return {
      name,
      latencies,
      hubspotPendingBefore: pendingBefore,
      hubspotPendingAfter: await pending(),
      hubspotCalls: hubspot.stats().calls - hubspotBefore,
      rateLimited: hubspot.stats().rateLimited,
      seconds,
    };
  } finally {
    await service.close();
    await google.stop();
    await hubspot.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Offboarding behind a HubSpot backlog: `total` (100) offboardings one at a time, webhook 200 ->
 * suspend patch at the Directory emulator, on an idle service and with `backlog` (40,000) asset
 * syncs queued for HubSpot at 190 calls per 10 s (minutes of work), in one process, printed side
 * by side with ratios (target p99 <= 1 s with the backlog). Figures only, no asserts.
 */
export async function benchOffboardingBacklog(
  options: { total?: number; backlog?: number } = {},
): Promise<void> {
  const total = options.total ?? 100;
  const backlog = options.backlog ?? 40_000;
  console.log(
    `\n## offboarding-backlog: ${total} employee.offboarded one at a time, webhook 200 -> suspend patch at the Directory emulator; service in-process (SQLite, durable), Google + HubSpot (emulator and limiter at ${HUBSPOT_LIMIT} calls / 10 s)`,
  );
  const idle = await run('idle', 0, total);
  const busy = await run(`${backlog.toLocaleString('en')} assets queued for HubSpot`, backlog, total);
  const fmt = (ms: number) => `${ms.toFixed(2)} ms`;
  console.log(
    `${'scenario'.padEnd(36)} ${'p50'.padStart(10)} ${'p99'.padStart(10)} ${'max'.padStart(10)}  HubSpot queue before -> after, calls, 429s; wall`,
  );
  for (const r of [idle, busy]) {
    console.log(
      `${r.name.padEnd(36)} ${fmt(percentile(r.latencies, 50)).padStart(10)} ${fmt(percentile(r.latencies, 99)).padStart(10)} ${fmt(r.latencies.at(-1) ?? Number.NaN).padStart(10)}  ${r.hubspotPendingBefore} -> ${r.hubspotPendingAfter}, ${r.hubspotCalls}, ${r.rateLimited}; ${r.seconds.toFixed(1)} s`,
    );
  }
  const ratio = (p: number) =>
    (percentile(busy.latencies, p) / Math.max(1e-9, percentile(idle.latencies, p))).toFixed(2);
  console.log(
    `ratio backlog / idle: p50 ${ratio(50)}, p99 ${ratio(99)}; target p99 <= 1 s with the backlog: ${percentile(busy.latencies, 99) <= 1000 ? 'met' : 'not met'}`,
  );
}
