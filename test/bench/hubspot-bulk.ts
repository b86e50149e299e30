import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/load.ts';
import { signBody } from '../../src/growrk/signature.ts';
import { createLogger } from '../../src/log.ts';
import { type RunningService, startService } from '../../src/service.ts';
import { startHubSpotEmulator } from '../fakes/hubspot/index.ts';

const SECRET = 'bench-secret';
const fixture = JSON.parse(
  readFileSync(fileURLToPath(new URL('../fixtures/growrk/product.created.json', import.meta.url)), 'utf8'),
) as Record<string, unknown> & { products: Array<Record<string, unknown>> };

/** A product.created webhook body, unique per i. */
function productBody(i: number): string {
  return JSON.stringify({
    ...fixture,
    products: [{ ...fixture.products[0], id: `p-${i}`, serialNumber: `SN-${i}` }],
  });
}

async function post(url: string, body: string): Promise<number> {
  const res = await fetch(`${url}/webhooks/growrk`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-growrk-signature': signBody(body, SECRET) },
    body,
  });
  await res.arrayBuffer();
  return res.status;
}

async function postAll(url: string, total: number, concurrency: number): Promise<number> {
  let next = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) if ((await post(url, productBody(next++))) !== 200) failed += 1;
    }),
  );
  return failed;
}

/** Bounded poll until no job is pending or running (jobs rescheduled with backoff included). */
async function drained(service: RunningService): Promise<void> {
  const deadline = Date.now() + 600_000;
  for (;;) {
    await service.worker.idle();
    const jobs = await service.store.countJobs();
    if (jobs.pending === 0 && jobs.running === 0) return;
    if (Date.now() > deadline) throw new Error(`jobs still open: ${JSON.stringify(jobs)}`);
    await delay(50);
  }
}

interface Scenario {
  name: string;
  calls: number;
  upserts: number;
  reads: number;
  other: number;
  wallS: number;
  assets: number;
  rateLimited: number;
  failedPosts: number;
}

/**
 * One run: a fresh emulator and service, `init`, then `total` product.created webhooks. `queued`:
 * all are stored while the worker is stopped, then the worker drains them (the clock runs from its
 * start). `live`: posted over HTTP while the worker runs (the clock runs from the first post).
 */
async function scenario(mode: 'queued' | 'live', total: number, limit: number): Promise<Scenario> {
  const emu = await startHubSpotEmulator({ limitPer10s: limit });
  const dir = mkdtempSync(join(tmpdir(), 'gs-bench-hubspot-'));
  const config = loadConfig({
    env: {
      GROWRK_WEBHOOK_SECRET: SECRET,
      DATABASE_URL: `sqlite:${join(dir, 'bench.db')}`,
      CONNECTORS: 'hubspot',
      HUBSPOT_ACCESS_TOKEN: 'hs-test-token',
      HUBSPOT_BASE_URL: emu.url,
      HUBSPOT_CALLS_PER_10S: String(limit),
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
    },
    cwd: dir,
  });
  const service = await startService({ config, logger: createLogger('silent'), cwd: dir });
  try {
    const hubspot = service.runtime.connectors.get('hubspot');
    if (!hubspot) throw new Error('hubspot not loaded');
    // `init`'s few calls stay in the first rate window: the measured part starts with slightly less.
    await hubspot.definition.init(hubspot.ctx, { dryRun: false });
    emu.recorder.clear();
    const before = emu.stats();
    let failedPosts = 0;
    let t0: number;
    if (mode === 'queued') {
      await service.worker.stop();
      failedPosts = await postAll(service.url, total, 32);
      t0 = performance.now();
      service.worker.start();
    } else {
      t0 = performance.now();
      failedPosts = await postAll(service.url, total, 16);
    }
    await drained(service);
    const wallS = (performance.now() - t0) / 1000;
    const ops = emu.recorder.calls.map((c) => c.operation);
    const upserts = ops.filter((o) => o === 'crm.objects.batch.upsert').length;
    const reads = ops.filter(
      (o) => o === 'crm.objects.batch.read' || o === 'crm.associations.batch.read',
    ).length;
    const type = emu.state.findType('growrk_asset');
    return {
      name: mode === 'queued' ? 'queued backlog (worker drains)' : 'live (16 HTTP connections)',
      calls: emu.stats().calls - before.calls,
      upserts,
      reads,
      other: ops.length - upserts - reads,
      wallS,
      assets: type ? emu.state.list(type, false).length : 0,
      rateLimited: emu.stats().rateLimited - before.rateLimited,
      failedPosts,
    };
  } finally {
    await service.close();
    await emu.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * HubSpot bulk path: `total` (default 10,000) new assets upserted through the worker's batch path
 * (`syncBatch`: batch read, plan, batch upsert) against the emulator at `limit` (default 190)
 * calls per 10 s, with the connector's limiter at the same rate. Prints calls (by kind) and wall
 * time against the floor: ceil(total / 100) calls, and that floor's time at the sustained rate
 * (floor calls x 10 s / limit); and the ratios. Figures only, no asserts.
 */
export async function benchHubSpotBulk(options: { total?: number; limit?: number } = {}): Promise<void> {
  const total = options.total ?? 10_000;
  const limit = options.limit ?? 190;
  const floorCalls = Math.ceil(total / 100);
  const floorS = (floorCalls * 10) / limit;
  console.log(
    `\nhubspot bulk: ${total.toLocaleString('en')} new assets (product.created), emulator and limiter at ${limit} calls / 10 s`,
  );
  console.log(
    `floor: ${floorCalls} calls (one batch upsert per 100), ${floorS.toFixed(2)} s at the sustained rate`,
  );
  console.log(
    `${'scenario'.padEnd(32)} ${'calls'.padStart(6)} ${'upsert'.padStart(7)} ${'read'.padStart(5)} ${'other'.padStart(6)} ${'wall s'.padStart(7)} ${'calls/floor'.padStart(12)} ${'wall/floor'.padStart(11)}  landed, 429s`,
  );
  for (const mode of ['queued', 'live'] as const) {
    const r = await scenario(mode, total, limit);
    console.log(
      `${r.name.padEnd(32)} ${String(r.calls).padStart(6)} ${String(r.upserts).padStart(7)} ${String(r.reads).padStart(5)} ${String(r.other).padStart(6)} ${r.wallS.toFixed(2).padStart(7)} ${(r.calls / floorCalls).toFixed(2).padStart(12)} ${(r.wallS / floorS).toFixed(2).padStart(11)}  ${r.assets}/${total}, ${r.rateLimited}${r.failedPosts ? ` (${r.failedPosts} posts failed)` : ''}`,
    );
  }
  console.log(
    'reads: the batch read by GroWrk id that makes each sync level-triggered (create or update, only changed values)',
  );
}
