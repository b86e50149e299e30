import { loadavg } from 'node:os';
import type { RunningService } from '../../src/service.ts';
import {
  type BurstFigures,
  type LatencyFigures,
  measureAlone,
  measureBurst,
  noteClaims,
  offboardingWorld,
  SQLITE_URL,
  startOffboardingServices,
} from './offboarding.ts';
import { percentile } from './percentile.ts';
import { DATABASE_URL, dropSchemas, newSchema, withSchema } from './postgres.ts';

/** One configuration: the store, how many instances, and which one each webhook goes to. */
interface Setup {
  label: string;
  store: 'sqlite' | 'postgres';
  instances: number;
  /** The instance person i's webhook is posted to. */
  target: (i: number) => number;
}

interface SetupFigures {
  setup: Setup;
  alone: LatencyFigures;
  burst: BurstFigures;
}

/** Runs one setup on a fresh database and emulator: the burst, then one at a time. */
async function runSetup(setup: Setup, single: number, total: number): Promise<SetupFigures> {
  const world = await offboardingWorld(total + single);
  const schema = setup.store === 'postgres' ? newSchema() : null;
  let services: RunningService[] = [];
  try {
    services = await startOffboardingServices({
      emu: world.emu,
      databaseUrl: schema ? withSchema(DATABASE_URL, schema) : SQLITE_URL,
      instances: setup.instances,
      budget: (total + single) * 10,
    });
    const claims = noteClaims(services);
    const burst = await measureBurst(
      world,
      services,
      { from: 0, count: total, concurrency: 16 },
      setup.target,
      claims,
    );
    const alone = await measureAlone(world, services, { from: total, count: single }, setup.target, claims);
    return { setup, alone, burst };
  } finally {
    await Promise.all(services.map((s) => s.close()));
    await world.emu.stop();
    if (schema) await dropSchemas([schema]);
  }
}

const ms = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '-');

function line(f: LatencyFigures, base: LatencyFigures | null): string {
  const p50 = percentile(f.sorted, 50);
  const p99 = percentile(f.sorted, 99);
  const max = f.sorted.at(-1) ?? Number.NaN;
  const ratio = base
    ? `   x${(p50 / percentile(base.sorted, 50)).toFixed(1)} / x${(p99 / percentile(base.sorted, 99)).toFixed(1)}`
    : '';
  const by = f.byInstance.length > 1 ? `   suspend calls by A ${f.byInstance.join(' / B ')}` : '';
  const claim = `   (200 -> claimed p50 ${ms(percentile(f.toClaim, 50))}, p99 ${ms(percentile(f.toClaim, 99))}, max ${ms(f.toClaim.at(-1) ?? Number.NaN)} ms)`;
  return `p50 ${ms(p50)} ms   p99 ${ms(p99)} ms   max ${ms(max)} ms (${f.sorted.length})${ratio}${claim}${by}`;
}

/**
 * Webhook 200 -> suspend patch at the emulator on the PostgreSQL store (see benchOffboarding for
 * the measure): one instance, then two in this process on one schema (webhooks alternately to A and
 * B, then all to A, so the projection and the job claim may happen on the other one), each a
 * burst of `total` then `single` one at a time on an idle service; beside SQLite one at a time in
 * the same run, as ratios (p50 / p99). Which instance's worker claimed each suspension is noted.
 */
export async function benchOffboardingPostgres(
  options: { single?: number; total?: number } = {},
): Promise<void> {
  const single = options.single ?? 200;
  const total = options.total ?? 500;
  const setups: Setup[] = [
    { label: 'SQLite, 1 instance', store: 'sqlite', instances: 1, target: () => 0 },
    { label: 'PostgreSQL, 1 instance', store: 'postgres', instances: 1, target: () => 0 },
    {
      label: 'PostgreSQL, 2 instances, alternately A/B',
      store: 'postgres',
      instances: 2,
      target: (i) => i % 2,
    },
    {
      label: 'PostgreSQL, 2 instances, all to A',
      store: 'postgres',
      instances: 2,
      target: () => 0,
    },
  ];
  const results: SetupFigures[] = [];
  for (const setup of setups) results.push(await runSetup(setup, single, total));
  const base = results[0]?.alone ?? null;
  console.log(
    `\n## offboarding on PostgreSQL: webhook 200 -> suspend patch at the emulator, services in-process + Directory emulator (limiter and quota lifted), one at a time on an idle service (${single}) and a burst of ${total} over 16 connections; ratios p50 / p99 against SQLite's in this run (target p99 100 ms idle; load average ${loadavg()[0]!.toFixed(1)})`,
  );
  for (const r of results) {
    console.log(`${r.setup.label}, one at a time: ${line(r.alone, r === results[0] ? null : base)}`);
    console.log(
      `${r.setup.label}, burst: ${line(r.burst, r === results[0] ? null : (results[0]?.burst ?? null))}; all suspended after ${r.burst.allSuspendedSeconds.toFixed(2)} s, playbooks done after ${r.burst.finishedSeconds.toFixed(2)} s${r.burst.failed > 0 ? `, ${r.burst.failed} not 200` : ''}`,
    );
  }
}
