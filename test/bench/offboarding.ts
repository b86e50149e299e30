import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import { createLogger } from '../../src/log.ts';
import { startService } from '../../src/service.ts';
import type { Store } from '../../src/store/types.ts';
import { startGoogleEmulator } from '../fakes/google-directory/index.ts';
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

/**
 * Event-to-effect latency of offboarding: the service in-process (SQLite, durable commits) and the
 * Directory emulator, `total` employee.offboarded webhooks for as many seeded, linked users, sent
 * over HTTP with `concurrency` connections. Latency runs from the moment a webhook's 200 arrives
 * to the moment the emulator receives that user's suspend patch (hrtime on both sides, no polling:
 * the emulator's fault hook notes each request's arrival, its recorder hook confirms the suspend).
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
  // The measure is the pipeline, not Google's quota: the emulator's per-admin quota and the
  // connector's limiter (2,400 and 2,000 calls a minute by default) are lifted.
  const emu = await startGoogleEmulator({ quotaPerMinute: 1_000_000_000 });
  seedSchema(emu);
  const index = new Map<string, number>();
  for (let i = 0; i < total + single; i += 1) index.set(seedPerson(emu, i, {}, { linked: true }).id, i);

  const acked: Array<bigint | undefined> = new Array(total + single);
  const suspended: Array<bigint | undefined> = new Array(total + single);
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

  const dir = mkdtempSync(join(tmpdir(), 'gs-bench-offboard-'));
  const config = loadConfig({
    env: {
      GROWRK_WEBHOOK_SECRET: SECRET,
      DATABASE_URL: `sqlite:${join(dir, 'bench.db')}`,
      CONNECTORS: 'google-workspace',
      GOOGLE_ACCESS_TOKEN: 'test-token',
      GOOGLE_API_ROOT_URL: emu.url,
      // 0 lifts the connector's limiter; a number runs at that quota (Google allows 2,400 per admin).
      GOOGLE_CALLS_PER_MINUTE: String(options.callsPerMinute ?? 0),
      DESTRUCTIVE_BUDGET: String(total * 10),
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      ...(process.env.WORKER_CONCURRENCY ? { WORKER_CONCURRENCY: process.env.WORKER_CONCURRENCY } : {}),
    },
    cwd: dir,
  });
  const service = await startService({ config, logger: createLogger('silent'), cwd: dir });
  // Bodies without a manager: each event then touches only the person offboarded.
  const bodies = Array.from({ length: total + single }, (_, i) =>
    employeeBody('employee.offboarded', i, (employee) => {
      employee.manager = null;
    }),
  );
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
    let cursor = 0;
    let failed = 0;
    const t0 = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (cursor < total) {
          const i = cursor++;
          const res = await postSigned(service.url, bodies[i] ?? '', SECRET);
          if (res.status === 200) acked[i] = process.hrtime.bigint();
          else failed += 1;
        }
      }),
    );
    const sent = Number(process.hrtime.bigint() - t0) / 1e9;
    await until('every suspension', () => suspensions >= total, {
      timeoutMs: 300_000,
      everyMs: 50,
    });
    const allSuspended = Number(process.hrtime.bigint() - t0) / 1e9;
    await until(
      'every playbook',
      async () => {
        const jobs = await service.store.countJobs();
        return jobs.pending === 0 && jobs.running === 0;
      },
      { timeoutMs: 300_000, everyMs: 50 },
    );
    await service.worker.idle();
    const finished = Number(process.hrtime.bigint() - t0) / 1e9;
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
    const alone: number[] = [];
    for (let i = total; i < total + single; i += 1) {
      const done = new Promise<void>((resolve) => waiters.set(i, resolve));
      const res = await postSigned(service.url, bodies[i] ?? '', SECRET);
      const at = process.hrtime.bigint();
      if (res.status !== 200) continue;
      await done;
      alone.push(Number((suspended[i] ?? at) - at) / 1e6);
      await service.worker.idle();
    }
    alone.sort((x, y) => x - y);

    const latencies: number[] = [];
    let early = 0;
    for (let i = 0; i < total; i += 1) {
      const a = acked[i];
      const s = suspended[i];
      if (a === undefined || s === undefined) continue;
      const ms = Number(s - a) / 1e6;
      if (ms < 0) early += 1;
      latencies.push(ms);
    }
    latencies.sort((x, y) => x - y);
    // The floor with every step: 1 read + 1 patch + sign-out + 2 listings + invalidate, + deletes.
    const estimate = 6 + TOKENS + APP_PASSWORDS + GROUPS;
    const mean = latencies.reduce((sum, x) => sum + x, 0) / Math.max(1, latencies.length);

    console.log(
      `\n## offboarding: ${total} employee.offboarded webhooks for ${total} seeded, linked users (${TOKENS} tokens, ${APP_PASSWORDS} app password, ${GROUPS} groups each), ${concurrency} connections; service in-process (SQLite, durable) + Directory emulator; ${options.callsPerMinute ? `connector limited to ${options.callsPerMinute} calls a minute` : 'limiter and emulator quota lifted'}`,
    );
    console.log(
      `webhook 200 -> suspend patch at the emulator: p50 ${percentile(latencies, 50).toFixed(2)} ms   p99 ${percentile(latencies, 99).toFixed(2)} ms   mean ${mean.toFixed(2)} ms   max ${(latencies.at(-1) ?? Number.NaN).toFixed(2)} ms   (targets p50 20 ms, p99 100 ms; ${latencies.length}/${total} measured${early > 0 ? `, ${early} patch(es) arrived before their 200` : ''})`,
    );
    console.log(
      `webhooks sent in ${sent.toFixed(2)} s (${(total / sent).toFixed(0)} req/s, ${failed} not 200); all suspended after ${allSuspended.toFixed(2)} s; all playbooks done after ${finished.toFixed(2)} s (${playbooksDone}/${total} complete)`,
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
