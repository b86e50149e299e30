import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import { createLogger } from '../../src/log.ts';
import { type RunningService, startService } from '../../src/service.ts';
import type { Store } from '../../src/store/types.ts';
import { type GoogleEmulator, startGoogleEmulator } from '../fakes/google-directory/index.ts';
import type { FaultCall } from '../fakes/shared/faults.ts';
import type { RecordedCall } from '../fakes/shared/recorder.ts';
import {
  employeeBody,
  postSigned,
  seedPerson,
  seedSchema,
  until,
  userIdOfCall,
} from '../helpers/google-offboarding.ts';
import { percentile } from './percentile.ts';

const SECRET = 'bench-secret';
const TOKENS = 2;
const APP_PASSWORDS = 1;
const GROUPS = 0;

/** The emulator seeded with `people` linked users, and the hooks that time each one's suspension. */
export interface OffboardingWorld {
  emu: GoogleEmulator;
  /** Signed-body material: person i's employee.offboarded webhook (no manager). */
  bodies: string[];
  /** Directory user id -> person index. */
  index: Map<string, number>;
  /** When person i's suspend patch arrived at the emulator (hrtime). */
  suspended: Array<bigint | undefined>;
  /** Resolves once person i is suspended. */
  suspendedOf(i: number): Promise<void>;
  suspensions(): number;
}

/**
 * Starts the Directory emulator (quota lifted: the measure is the pipeline, not Google's quota)
 * with `people` seeded, linked users, and notes the moment each one's suspend patch arrives (hrtime
 * on arrival, no polling: the fault hook notes each request's arrival, the recorder hook confirms
 * the suspend).
 */
export async function offboardingWorld(people: number): Promise<OffboardingWorld> {
  const emu = await startGoogleEmulator({ quotaPerMinute: 1_000_000_000 });
  seedSchema(emu);
  const index = new Map<string, number>();
  for (let i = 0; i < people; i += 1) index.set(seedPerson(emu, i, {}, { linked: true }).id, i);
  const suspended: Array<bigint | undefined> = new Array(people);
  const waiters = new Map<number, () => void>();
  const arrivals = new Map<string, bigint>();
  const next = emu.faults.next.bind(emu.faults);
  emu.faults.next = (call: FaultCall) => {
    if (call.method === 'PATCH') arrivals.set(call.path, process.hrtime.bigint());
    return next(call);
  };
  let suspensions = 0;
  const record = emu.recorder.record.bind(emu.recorder);
  emu.recorder.record = (call: Omit<RecordedCall, 'seq' | 'at'>) => {
    const full = record(call);
    const body = call.body as { suspended?: unknown } | undefined;
    const ok = call.status >= 200 && call.status < 300;
    if (call.operation === 'directory.users.patch' && ok && body?.suspended === true) {
      const i = index.get(userIdOfCall(full) ?? '');
      if (i !== undefined && suspended[i] === undefined) {
        suspended[i] = arrivals.get(call.path) ?? process.hrtime.bigint();
        suspensions += 1;
        waiters.get(i)?.();
      }
    }
    return full;
  };
  // Bodies without a manager: each event then touches only the person offboarded.
  const bodies = Array.from({ length: people }, (_, i) =>
    employeeBody('employee.offboarded', i, (employee) => {
      employee.manager = null;
    }),
  );
  return {
    emu,
    bodies,
    index,
    suspended,
    suspendedOf: (i) =>
      suspended[i] !== undefined ? Promise.resolve() : new Promise((resolve) => waiters.set(i, resolve)),
    suspensions: () => suspensions,
  };
}

/** Starts `instances` services on one database (`databaseUrl`), the Google connector aimed at the emulator. */
export async function startOffboardingServices(options: {
  emu: GoogleEmulator;
  databaseUrl: string;
  instances: number;
  budget: number;
  callsPerMinute?: number | undefined;
}): Promise<RunningService[]> {
  const services: RunningService[] = [];
  try {
    for (let n = 0; n < options.instances; n += 1) {
      const dir = mkdtempSync(join(tmpdir(), 'gs-bench-offboard-'));
      const config = loadConfig({
        env: {
          GROWRK_WEBHOOK_SECRET: SECRET,
          DATABASE_URL: options.databaseUrl.replace('{dir}', dir),
          CONNECTORS: 'google-workspace',
          GOOGLE_ACCESS_TOKEN: 'test-token',
          GOOGLE_API_ROOT_URL: options.emu.url,
          // 0 lifts the connector's limiter; a number runs at that quota (Google allows 2,400 per admin).
          GOOGLE_CALLS_PER_MINUTE: String(options.callsPerMinute ?? 0),
          DESTRUCTIVE_BUDGET: String(options.budget),
          PORT: '0',
          HOST: '127.0.0.1',
          LOG_LEVEL: 'silent',
          RECONCILE_SCHEDULE: 'off',
          ...(process.env.WORKER_CONCURRENCY ? { WORKER_CONCURRENCY: process.env.WORKER_CONCURRENCY } : {}),
        },
        cwd: dir,
      });
      services.push(await startService({ config, logger: createLogger('silent'), cwd: dir }));
    }
    return services;
  } catch (err) {
    await Promise.all(services.map((s) => s.close()));
    throw err;
  }
}

/** Per person: which instance's worker claimed its first job (the one that suspends), and when. */
export interface Claims {
  by: Array<number | undefined>;
  at: Array<bigint | undefined>;
}

/** Notes who claimed each person's first job and when (hrtime), by wrapping each store's `claimJobs`. */
export function noteClaims(services: readonly RunningService[]): Claims {
  const claims: Claims = { by: [], at: [] };
  services.forEach((service, n) => {
    const store = service.store;
    const claim = store.claimJobs.bind(store);
    store.claimJobs = async (opts) => {
      const jobs = await claim(opts);
      const at = process.hrtime.bigint();
      for (const job of jobs) {
        const i = Number(/^emp-(\d+)$/.exec(job.entityId)?.[1] ?? Number.NaN);
        if (Number.isInteger(i) && claims.by[i] === undefined) {
          claims.by[i] = n;
          claims.at[i] = at;
        }
      }
      return jobs;
    };
  });
  return claims;
}

/** No claims noted (one instance, nobody asks). */
export const NO_CLAIMS: Claims = { by: [], at: [] };

/**
 * Waits until no instance's worker has a job running or due. Each worker's `idle()` alone is not
 * enough with two: one may claim a job the other queued after the other answered idle.
 */
async function allIdle(services: readonly RunningService[]): Promise<void> {
  await Promise.all(services.map((s) => s.worker.idle()));
  if (services.length === 1) return;
  const store = services[0]!.store;
  await until(
    'every instance idle',
    async () => {
      await Promise.all(services.map((s) => s.worker.idle()));
      const [jobs, next] = await Promise.all([store.countJobs(), store.nextJobAt()]);
      return jobs.running === 0 && (next === null || next > Date.now());
    },
    { timeoutMs: 60_000, everyMs: 5 },
  );
}

/** Latencies in ms (sorted), the part of them until the job was claimed, and who claimed. */
export interface LatencyFigures {
  sorted: number[];
  /** From the 200 to the suspending job's claim (sorted; empty when claims were not noted). */
  toClaim: number[];
  /** Suspend calls made by each instance (its worker claimed the job), in instance order. */
  byInstance: number[];
}

/** `samples`: person and the hrtime of its 200; `ms`: its latency. */
function figures(
  ms: number[],
  samples: ReadonlyArray<{ i: number; acked: bigint }>,
  claims: Claims,
  instances: number,
): LatencyFigures {
  const byInstance = new Array<number>(instances).fill(0);
  const toClaim: number[] = [];
  for (const { i, acked } of samples) {
    const n = claims.by[i];
    if (n !== undefined) byInstance[n] = (byInstance[n] ?? 0) + 1;
    const at = claims.at[i];
    if (at !== undefined) toClaim.push(Number(at - acked) / 1e6);
  }
  const sort = (xs: number[]) => [...xs].sort((x, y) => x - y);
  return { sorted: sort(ms), toClaim: sort(toClaim), byInstance };
}

/**
 * Persons [from, from + count) one at a time on an idle service: each webhook posted to instance
 * `target(i)`, then its suspension awaited, then every worker idle again. Latency from the 200 to
 * the suspend patch's arrival.
 */
export async function measureAlone(
  world: OffboardingWorld,
  services: readonly RunningService[],
  range: { from: number; count: number },
  target: (i: number) => number,
  claims: Claims,
): Promise<LatencyFigures> {
  const alone: number[] = [];
  const samples: Array<{ i: number; acked: bigint }> = [];
  for (let i = range.from; i < range.from + range.count; i += 1) {
    const done = world.suspendedOf(i);
    const res = await postSigned(services[target(i)]!.url, world.bodies[i] ?? '', SECRET);
    const at = process.hrtime.bigint();
    if (res.status !== 200) continue;
    await done;
    alone.push(Number((world.suspended[i] ?? at) - at) / 1e6);
    samples.push({ i, acked: at });
    await allIdle(services);
  }
  return figures(alone, samples, claims, services.length);
}

/** A burst's figures: latencies, and when the last suspension and the last playbook came. */
export interface BurstFigures extends LatencyFigures {
  early: number;
  failed: number;
  sentSeconds: number;
  allSuspendedSeconds: number;
  finishedSeconds: number;
  mean: number;
}

/**
 * Persons [from, from + count) posted at once over `concurrency` connections (each to instance
 * `target(i)`); waits for every suspension, then for every job to be done.
 */
export async function measureBurst(
  world: OffboardingWorld,
  services: readonly RunningService[],
  range: { from: number; count: number; concurrency: number },
  target: (i: number) => number,
  claims: Claims,
): Promise<BurstFigures> {
  const { from, count } = range;
  const acked: Array<bigint | undefined> = [];
  const base = world.suspensions();
  let cursor = from;
  let failed = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: range.concurrency }, async () => {
      while (cursor < from + count) {
        const i = cursor++;
        const res = await postSigned(services[target(i)]!.url, world.bodies[i] ?? '', SECRET);
        if (res.status === 200) acked[i] = process.hrtime.bigint();
        else failed += 1;
      }
    }),
  );
  const sentSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await until('every suspension', () => world.suspensions() - base >= count, {
    timeoutMs: 300_000,
    everyMs: 50,
  });
  const allSuspendedSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await until(
    'every playbook',
    async () => {
      const jobs = await services[0]!.store.countJobs();
      return jobs.pending === 0 && jobs.running === 0;
    },
    { timeoutMs: 300_000, everyMs: 50 },
  );
  await allIdle(services);
  const finishedSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const latencies: number[] = [];
  const samples: Array<{ i: number; acked: bigint }> = [];
  let early = 0;
  for (let i = from; i < from + count; i += 1) {
    const a = acked[i];
    const s = world.suspended[i];
    if (a === undefined || s === undefined) continue;
    const ms = Number(s - a) / 1e6;
    if (ms < 0) early += 1;
    latencies.push(ms);
    samples.push({ i, acked: a });
  }
  const mean = latencies.reduce((sum, x) => sum + x, 0) / Math.max(1, latencies.length);
  return {
    ...figures(latencies, samples, claims, services.length),
    early,
    failed,
    sentSeconds,
    allSuspendedSeconds,
    finishedSeconds,
    mean,
  };
}

/** A temporary SQLite database for one run (`{dir}` is replaced by each instance's directory). */
export const SQLITE_URL = 'sqlite:{dir}/bench.db';

/**
 * Event-to-effect latency of offboarding: the service in-process (SQLite, durable commits) and the
 * Directory emulator, `total` employee.offboarded webhooks for as many seeded, linked users, sent
 * over HTTP with `concurrency` connections. Latency runs from the moment a webhook's 200 arrives
 * to the moment the emulator receives that user's suspend patch ({@link offboardingWorld}).
 * Then `single` more, one at a time on an idle service: the same latency without a backlog. Also:
 * a lone durable commit, store write calls and Directory calls per offboarding (against DESIGN's
 * estimate). Prints figures, asserts nothing. `WORKER_CONCURRENCY` in the environment is passed on.
 */
export async function benchOffboarding(
  options: { total?: number; concurrency?: number; single?: number; callsPerMinute?: number } = {},
): Promise<void> {
  const total = options.total ?? 1000;
  const concurrency = options.concurrency ?? 16;
  const single = options.single ?? 100;
  const world = await offboardingWorld(total + single);
  const { emu, index } = world;
  const [service] = await startOffboardingServices({
    emu,
    databaseUrl: SQLITE_URL,
    instances: 1,
    budget: total * 10,
    callsPerMinute: options.callsPerMinute,
  }).catch(async (err: unknown) => {
    await emu.stop();
    throw err;
  });
  if (!service) throw new Error('no service started');
  const writes = countStoreWrites(service.store);
  try {
    // One durable commit on its own, as a reference for the figures below.
    const commits: number[] = [];
    for (let i = 0; i < 50; i += 1) {
      const t = process.hrtime.bigint();
      await service.store.setState('bench', 'probe', i, Date.now());
      commits.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    commits.sort((x, y) => x - y);
    emu.recorder.clear();
    writes.reset();
    const services = [service];
    const burst = await measureBurst(
      world,
      services,
      { from: 0, count: total, concurrency },
      () => 0,
      NO_CLAIMS,
    );
    const storeWrites = writes.total();
    const playbooksDone = [...index]
      .filter(([, i]) => i < total)
      .filter(
        ([id]) =>
          emu.state.listVerificationCodes(id).length === 0 &&
          emu.state.listTokens(id).length === 0 &&
          emu.state.listAsps(id).length === 0 &&
          emu.state.signOutCount(id) === 1,
      ).length;
    const directory = emu.recorder.calls.filter((c) => c.operation.startsWith('directory.'));
    const ok = directory.filter((c) => c.status >= 200 && c.status < 300).length;

    // Then one at a time on an idle service: the pipeline's own latency, without a backlog.
    const alone = (await measureAlone(world, services, { from: total, count: single }, () => 0, NO_CLAIMS))
      .sorted;
    const latencies = burst.sorted;
    // The floor with every step: 1 read + 1 patch + sign-out + 2 listings + invalidate, + deletes.
    const estimate = 6 + TOKENS + APP_PASSWORDS + GROUPS;

    console.log(
      `\n## offboarding: ${total} employee.offboarded webhooks for ${total} seeded, linked users (${TOKENS} tokens, ${APP_PASSWORDS} app password, ${GROUPS} groups each), ${concurrency} connections; service in-process (SQLite, durable) + Directory emulator; ${options.callsPerMinute ? `connector limited to ${options.callsPerMinute} calls a minute` : 'limiter and emulator quota lifted'}`,
    );
    console.log(
      `webhook 200 -> suspend patch at the emulator: p50 ${percentile(latencies, 50).toFixed(2)} ms   p99 ${percentile(latencies, 99).toFixed(2)} ms   mean ${burst.mean.toFixed(2)} ms   max ${(latencies.at(-1) ?? Number.NaN).toFixed(2)} ms   (targets p50 20 ms, p99 100 ms; ${latencies.length}/${total} measured${burst.early > 0 ? `, ${burst.early} patch(es) arrived before their 200` : ''})`,
    );
    console.log(
      `webhooks sent in ${burst.sentSeconds.toFixed(2)} s (${(total / burst.sentSeconds).toFixed(0)} req/s, ${burst.failed} not 200); all suspended after ${burst.allSuspendedSeconds.toFixed(2)} s; all playbooks done after ${burst.finishedSeconds.toFixed(2)} s (${playbooksDone}/${total} complete)`,
    );
    console.log(
      `one at a time on an idle service (${alone.length}): p50 ${percentile(alone, 50).toFixed(2)} ms   p99 ${percentile(alone, 99).toFixed(2)} ms; one durable store commit alone: p50 ${percentile(commits, 50).toFixed(2)} ms   p99 ${percentile(commits, 99).toFixed(2)} ms; store write calls per offboarding in the burst: ${(storeWrites / total).toFixed(1)} (ingest excluded)`,
    );
    console.log(
      `directory calls per offboarding: mean ${(directory.length / total).toFixed(2)} (${directory.length} calls, ${ok} 2xx) vs floor 6 + tokens ${TOKENS} + app passwords ${APP_PASSWORDS} + groups ${GROUPS} = ${estimate}`,
    );
    console.log(
      `at Google's 2,400 calls a minute per impersonated admin, ${total} offboardings need at least ${((directory.length / 2400) * 60).toFixed(0)} s of quota`,
    );
  } finally {
    await service.close();
    await emu.stop();
  }
}

/** The Store methods that write (and so commit durably). */
const WRITE_METHODS = [
  'enqueueJobs',
  'claimJobs',
  'renewLeases',
  'finishJob',
  'recordOutcomes',
  'setState',
  'deleteState',
  'takeBudget',
  'addHeld',
  'decideHeld',
] as const satisfies ReadonlyArray<keyof Store>;

/** Counts calls of the store's write methods (not `ingest`) by wrapping them on the instance. */
function countStoreWrites(store: Store): { reset(): void; total(): number } {
  let count = 0;
  const target = store as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of WRITE_METHODS) {
    const original = target[name];
    if (typeof original !== 'function') continue;
    const bound = original.bind(store);
    target[name] = (...args: unknown[]) => {
      count += 1;
      return bound(...args);
    };
  }
  return {
    reset: () => {
      count = 0;
    },
    total: () => count,
  };
}
