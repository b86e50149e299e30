/**
 * Several service instances (child processes, as `npm start` runs them) on one PostgreSQL schema,
 * syncing into one Google Directory emulator that runs in this process. What must hold whatever
 * happens to an instance or to the database: every acknowledged webhook is stored and reaches
 * Google, each change is applied once, and a webhook that cannot be stored is answered 503, never
 * 200. All waiting is on conditions (bounded polls); nothing asserts on timing.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signBody } from '../../src/growrk/signature.ts';
import type { PostgresStore } from '../../src/store/postgres/store.ts';
import type { Run } from '../../src/store/types.ts';
import { type GoogleEmulator, startGoogleEmulator } from '../fakes/google-directory/index.ts';
import { fixture } from '../helpers/fixtures.ts';
import { type PrivatePostgres, startPrivatePostgres } from '../helpers/private-postgres.ts';
import { type ServiceProcess, startServiceProcess } from '../helpers/service-process.ts';
import { postgresHarness, TEST_DATABASE_URL } from '../helpers/stores.ts';
import { until } from '../helpers/wait.ts';

const SECRET = 'multi-instance-secret';
const CONNECTOR = 'google-workspace';
const CUSTOM_SCHEMA = 'GrowrkSync';
/** The access token of the instance killed mid-burst: the emulator can hold its calls alone. */
const VICTIM_TOKEN = 'victim-token';

let emu: GoogleEmulator;
const harness = postgresHarness();
const services: ServiceProcess[] = [];
const clusters: PrivatePostgres[] = [];

beforeAll(async () => {
  // The quota is raised: this test is about delivery, not about Google's per-admin limit.
  emu = await startGoogleEmulator({ quotaPerMinute: 10_000_000, accessTokens: ['test-token', VICTIM_TOKEN] });
});
afterEach(async () => {
  for (const s of services.splice(0)) if (s.child.exitCode === null) await s.kill9();
  await harness.closeAll();
  for (const c of clusters.splice(0)) await c.destroy();
});
afterAll(async () => {
  await emu.stop();
  await harness.cleanup();
});

// --- the workload ------------------------------------------------------------------------

/** One webhook of the burst. */
interface Delivery {
  user: number;
  round: number;
  type: 'employee.updated' | 'employee.offboarded';
  body: string;
  signature: string;
}

const titleOf = (user: number, round: number) => `Title ${user}.${round}`;
const emailOf = (user: number) => `user${user}@example.com`;

/**
 * `rounds` webhooks per user, round by round (so a user's webhooks are far apart in the burst):
 * employee.updated with a new title each round; for every `offboardEvery`-th user the last one is
 * employee.offboarded. Timestamps grow with the round, so the last round is what must end up in
 * Google.
 */
function workload(users: number, rounds: number, offboardEvery: number): Delivery[] {
  const base = fixture('employee.updated');
  const [template] = base.employees as Array<Record<string, unknown>>;
  const deliveries: Delivery[] = [];
  for (let round = 0; round < rounds; round += 1) {
    for (let user = 0; user < users; user += 1) {
      const offboard = round === rounds - 1 && user % offboardEvery === 0;
      const employee: Record<string, unknown> = {
        ...template,
        id: `emp-${user}`,
        email: emailOf(user),
        status: offboard ? 'offboarded' : 'active',
        jobTitle: titleOf(user, round),
        department: 'Engineering',
      };
      delete employee.manager;
      delete employee.secondaryEmail;
      const type = offboard ? 'employee.offboarded' : 'employee.updated';
      const body = JSON.stringify({
        ...base,
        event: type,
        timestamp: new Date(Date.UTC(2024, 0, 1) + (round * users + user) * 1000).toISOString(),
        employees: [employee],
      });
      deliveries.push({ user, round, type, body, signature: signBody(body, SECRET) });
    }
  }
  return deliveries;
}

/** A fresh directory: the custom schema (as `init` creates it) and one linked user per employee. */
function seedDirectory(users: number): void {
  emu.reset();
  emu.state.addSchema({
    schemaName: CUSTOM_SCHEMA,
    fields: [
      'suspendedAt',
      'suspendedBy',
      'growrkEventId',
      'growrkOffboardedAt',
      'orgUnitBefore',
      'reactivatedAt',
    ].map((fieldName) => ({ fieldName, fieldType: 'STRING' })),
  });
  for (let user = 0; user < users; user += 1) {
    emu.state.addUser({
      primaryEmail: emailOf(user),
      externalIds: [{ type: 'custom', customType: 'growrk', value: `emp-${user}` }],
      organizations: [{ type: 'work', primary: true, title: 'Seeded', department: 'Engineering' }],
    });
  }
}

/** What the directory should look like once every webhook is synced: one line per wrong user. */
function directoryMismatches(deliveries: readonly Delivery[]): string[] {
  const last = new Map<number, Delivery>();
  for (const d of deliveries) if ((last.get(d.user)?.round ?? -1) < d.round) last.set(d.user, d);
  const byEmail = new Map(emu.state.listUsers().map((u) => [u.primaryEmail, u]));
  const wrong: string[] = [];
  for (const [user, d] of last) {
    const actual = byEmail.get(emailOf(user));
    const orgs = Array.isArray(actual?.organizations)
      ? (actual.organizations as Array<{ title?: unknown }>)
      : [];
    const title = orgs[0]?.title;
    const suspended = actual?.suspended ?? false;
    const wantSuspended = d.type === 'employee.offboarded';
    if (title !== titleOf(user, d.round) || suspended !== wantSuspended) {
      wrong.push(`user ${user}: title ${String(title)}, suspended ${suspended}`);
    }
  }
  return wrong;
}

/** Successful `users.patch` calls, by user number. */
function patchesByUser(): Map<number, Array<Record<string, unknown>>> {
  const numberOf = new Map(
    emu.state.listUsers().map((u) => [u.id, Number(/^user(\d+)@/.exec(u.primaryEmail)?.[1])]),
  );
  const patches = new Map<number, Array<Record<string, unknown>>>();
  for (const call of emu.recorder.byOperation('directory.users.patch')) {
    if (call.status !== 200) continue;
    const user = numberOf.get(decodeURIComponent(call.path.split('/').pop() ?? ''));
    if (user === undefined) continue;
    const list = patches.get(user) ?? [];
    list.push(call.body as Record<string, unknown>);
    patches.set(user, list);
  }
  return patches;
}

// --- delivery --------------------------------------------------------------------------

/** What the senders saw. */
interface BurstLog {
  /** Delivery index -> event id of its 200. */
  acked: Map<number, string>;
  /** Non-200 answers by status. */
  refused: Map<number, number>;
  /** Requests that got no answer (connection refused or reset), by instance URL. */
  unanswered: Map<string, number>;
}

/**
 * Sends every delivery until it is acknowledged, like GroWrk redelivering: an attempt that gets
 * no 200 is retried on the next live instance, after `retryDelayMs` (doubling, capped at 1 s).
 * `onAck` runs after each 200 (to kill an instance or stop the database mid-burst).
 */
async function burst(options: {
  deliveries: readonly Delivery[];
  live: () => readonly ServiceProcess[];
  lanes: number;
  retryDelayMs: number;
  deadlineMs: number;
  onAck?: (log: BurstLog) => void;
}): Promise<BurstLog> {
  const log: BurstLog = { acked: new Map(), refused: new Map(), unanswered: new Map() };
  const deadline = Date.now() + options.deadlineMs;
  let next = 0;
  const deliver = async (i: number) => {
    const d = options.deliveries[i]!;
    for (let attempt = 0; ; attempt += 1) {
      if (Date.now() > deadline) throw new Error(`delivery ${i} not acknowledged before the deadline`);
      const live = options.live();
      const target = live[(i + attempt) % live.length]!;
      try {
        const res = await fetch(`${target.url}/webhooks/growrk`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-growrk-signature': d.signature },
          body: d.body,
        });
        if (res.status === 200) {
          log.acked.set(i, ((await res.json()) as { id: string }).id);
          options.onAck?.(log);
          return;
        }
        await res.arrayBuffer();
        log.refused.set(res.status, (log.refused.get(res.status) ?? 0) + 1);
      } catch {
        log.unanswered.set(target.url, (log.unanswered.get(target.url) ?? 0) + 1);
      }
      if (options.retryDelayMs > 0) {
        // Redelivery backoff, not synchronisation: the outcome is checked on the next attempt.
        await new Promise((r) => setTimeout(r, Math.min(1000, options.retryDelayMs * 2 ** attempt)));
      }
    }
  };
  await Promise.all(
    Array.from({ length: options.lanes }, async () => {
      while (next < options.deliveries.length) await deliver(next++);
    }),
  );
  return log;
}

/** The service environment: one schema, the emulator, a short job lease. */
function serviceEnv(databaseUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    GROWRK_WEBHOOK_SECRET: SECRET,
    DATABASE_URL: databaseUrl,
    CONNECTORS: CONNECTOR,
    GOOGLE_ACCESS_TOKEN: 'test-token',
    GOOGLE_API_ROOT_URL: emu.url,
    GOOGLE_CALLS_PER_MINUTE: '1000000',
    JOB_LEASE: '2s',
    // Offboardings are destructive; this test is not about the budget that holds them back.
    DESTRUCTIVE_BUDGET: '100000',
    RECONCILE_SCHEDULE: 'off',
    ...extra,
  };
}

function withSchema(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('schema', schema);
  return parsed.toString();
}

async function start(count: number, env: Record<string, string>): Promise<ServiceProcess[]> {
  // Started together: their migrations race on one fresh schema.
  const started = await Promise.all(Array.from({ length: count }, () => startServiceProcess(env)));
  services.push(...started);
  return started;
}

/** Waits until no job is pending or running; then every job must be done (none dead). */
async function jobsSettled(store: PostgresStore, timeoutMs: number): Promise<void> {
  await until(
    async () => JSON.stringify(await store.countJobs()),
    async () => {
      const c = await store.countJobs();
      return c.pending === 0 && c.running === 0;
    },
    { timeoutMs, everyMs: 200 },
  );
}

/** The common end state: nothing acknowledged is lost, Google has every change, each once. */
async function expectDelivered(store: PostgresStore, deliveries: readonly Delivery[], log: BurstLog) {
  expect(log.acked.size).toBe(deliveries.length);
  await until(
    () => directoryMismatches(deliveries).slice(0, 5).join('; '),
    () => directoryMismatches(deliveries).length === 0,
    { timeoutMs: 40_000, everyMs: 200 },
  );
  await jobsSettled(store, 15_000);
  expect(await store.countJobs()).toMatchObject({ dead: 0 });

  // Every acknowledged event is in the inbox.
  const stored = new Set((await store.listEvents({ limit: deliveries.length + 100 })).map((e) => e.id));
  const lost = [...log.acked].filter(([, id]) => !stored.has(id)).map(([i]) => i);
  expect(lost).toEqual([]);

  // The newest event of every user reached the connector: its job finished (applied, or found
  // already applied by the run a dead instance started).
  const outcomes = await store.listOutcomes({ connector: CONNECTOR, limit: 1_000_000 });
  const finished = new Set(
    outcomes.filter((o) => o.result === 'succeeded' || o.result === 'skipped').map((o) => o.eventId),
  );
  const newest = new Map<number, number>();
  deliveries.forEach((d, i) => {
    if ((deliveries[newest.get(d.user) ?? -1]?.round ?? -1) < d.round) newest.set(d.user, i);
  });
  const unfinished = [...newest.values()].filter((i) => !finished.has(log.acked.get(i) ?? null));
  expect(unfinished).toEqual([]);
  expect(outcomes.filter((o) => o.result === 'dead' || o.result === 'held')).toEqual([]);

  // Each change applied once: one suspension per offboarded user, no title written twice.
  const offboarded = new Set(deliveries.filter((d) => d.type === 'employee.offboarded').map((d) => d.user));
  const patches = patchesByUser();
  const twice: string[] = [];
  for (const user of new Set(deliveries.map((d) => d.user))) {
    const list = patches.get(user) ?? [];
    const suspensions = list.filter((b) => b.suspended === true).length;
    if (suspensions !== (offboarded.has(user) ? 1 : 0))
      twice.push(`user ${user}: ${suspensions} suspensions`);
    const titles = list.flatMap((b) =>
      Array.isArray(b.organizations) ? [(b.organizations as Array<{ title?: unknown }>)[0]?.title] : [],
    );
    if (new Set(titles).size !== titles.length) twice.push(`user ${user}: titles ${titles.join(', ')}`);
  }
  expect(twice).toEqual([]);
  expect(emu.recorder.violations()).toEqual([]);
}

/** Scheduled reconciliation runs, oldest first; two of them overlapping is a failure. */
function overlaps(runs: readonly Run[]): string[] {
  const sorted = [...runs].filter((r) => r.trigger === 'schedule').sort((a, b) => a.startedAt - b.startedAt);
  const found: string[] = [];
  for (let i = 1; i < sorted.length; i += 1) {
    const before = sorted[i - 1]!;
    const run = sorted[i]!;
    if (before.finishedAt === null || run.startedAt < before.finishedAt) {
      found.push(`${run.id} started at ${run.startedAt} before ${before.id} finished (${before.finishedAt})`);
    }
  }
  return found;
}

describe('several instances on one PostgreSQL database', () => {
  it('three instances, one killed -9 mid-burst: every acknowledged event reaches Google, once', async () => {
    const USERS = 1000;
    seedDirectory(USERS);
    const deliveries = workload(USERS, 3, 10); // 3,000 webhooks, 100 of them offboardings
    const schema = harness.newSchema();
    const databaseUrl = withSchema(TEST_DATABASE_URL, schema);
    // Workers that look for jobs every 50 ms: the projection runs behind the acknowledgements, so
    // during the burst jobs appear when a claim catches it up; this keeps them flowing (and the
    // victim holding some when it dies) as they would with the burst spread over a longer time.
    const env = serviceEnv(databaseUrl, { JOB_POLL_INTERVAL: '50ms' });
    // Started together, so their migrations race on one fresh schema.
    const [[victim], survivors] = await Promise.all([
      start(1, { ...env, GOOGLE_ACCESS_TOKEN: VICTIM_TOKEN }),
      start(2, env),
    ]);
    if (!victim) throw new Error('the victim did not start');
    const instances = [victim, ...survivors];
    let live: ServiceProcess[] = instances;
    let killedAt = -1;
    let killing: Promise<void> | null = null;
    let unhold = (): void => {};

    const log = await burst({
      deliveries,
      live: () => live,
      lanes: 48,
      retryDelayMs: 0,
      // A bound, not a speed target: generous so a loaded CI machine still gets every ack.
      deadlineMs: 120_000,
      onAck: (l) => {
        if (killing || l.acked.size < 1000) return;
        // The victim dies while it holds a job: its next Google call is held in the emulator, and
        // the kill follows. (Killing at a count of acks alone sometimes found it between jobs.)
        unhold = emu.faults.add({ kind: 'hold', token: VICTIM_TOKEN });
        killing = emu.faults.waitForHeld().then(async () => {
          killedAt = l.acked.size;
          // Deliveries keep going to the victim until it has died, as a load balancer's would:
          // the ones in flight or sent meanwhile get no answer. (Taking it out of rotation before
          // the kill landed let a fast machine finish every in-flight request first.)
          await victim.kill9();
          live = survivors;
          // Its held calls reach Google after their client is gone, as a request already sent
          // would; the job's next owner must find that work done, not do it again.
          unhold();
          for (const call of [...emu.faults.held()]) call.release();
        });
      },
    });
    await killing;
    // The kill really came mid-burst: requests in flight to the victim got no answer, and most
    // webhooks were acknowledged after it.
    expect(killedAt).toBeGreaterThan(0);
    expect(killedAt).toBeLessThan(deliveries.length / 2);
    expect(log.unanswered.get(victim.url) ?? 0).toBeGreaterThan(0);
    expect([...log.refused.keys()]).toEqual([]);

    const store = await harness.open({ schema, migrate: false });
    await expectDelivered(store, deliveries, log);
    // The victim held jobs when it died: they were claimed again once their lease ran out (a
    // second attempt, with no failure recorded for the first).
    const jobs = await store.listJobs({ limit: deliveries.length });
    expect(jobs.filter((j) => j.attempts > 1).length).toBeGreaterThan(0);
    expect(
      (await store.listOutcomes({ connector: CONNECTOR, limit: 1_000_000 })).filter(
        (o) => o.result === 'failed',
      ),
    ).toEqual([]);
    for (const s of survivors) expect(s.child.exitCode).toBeNull();

    // Scheduled reconciliation every second on three more instances of the database: the leader
    // lease lets one run at a time, whichever instance's tick wins; the others skip. The directory
    // is in step by now, so the runs find no drift and write nothing.
    const writes = emu.recorder.writes().length;
    const scheduled = await start(3, serviceEnv(databaseUrl, { RECONCILE_SCHEDULE: '* * * * * *' }));
    const finished = async () =>
      (await store.listRuns(100)).filter((r) => r.trigger === 'schedule' && r.finishedAt !== null);
    await until(
      async () => JSON.stringify(await store.listRuns(10)),
      async () => (await finished()).length >= 4,
      // A bound, not a speed target: it includes starting three more instances on a loaded machine.
      { timeoutMs: 90_000, everyMs: 200 },
    );
    expect(overlaps(await store.listRuns(1000))).toEqual([]);
    // The ticks met: instances found the lease taken and skipped (so "no overlap" is not vacuous).
    const skipped = scheduled.flatMap((s) =>
      s.output.filter((l) => l.includes('scheduled reconciliation skipped')),
    );
    expect(skipped.length).toBeGreaterThan(0);
    expect(new Set((await finished()).map((r) => r.status))).toEqual(new Set(['no-drift']));
    expect(emu.recorder.writes().length).toBe(writes);
  }, 240_000);

  it('PostgreSQL crashed and restarted mid-burst: 503 while it is down, nothing acknowledged lost', async () => {
    const USERS = 500;
    seedDirectory(USERS);
    const deliveries = workload(USERS, 2, 10); // 1,000 webhooks, 50 of them offboardings
    // A real crash and restart (no checkpoint, WAL replay), of a private server: the shared one
    // serves the other test files at the same time.
    const cluster = await startPrivatePostgres();
    clusters.push(cluster);
    const schema = harness.newSchema();
    // A lease longer than the outage plus one attempt's quick retries (about 3 s). With a 2 s lease
    // a worker whose renewals failed during the outage lost its job to another worker while its
    // own quick retry went on, and both applied it (the same title written twice).
    const instances = await start(2, serviceEnv(withSchema(cluster.url, schema), { JOB_LEASE: '10s' }));
    // Held back from the burst: sent while the database is down, and again after.
    const probes = deliveries.splice(-20);

    let outage: Promise<void> | null = null;
    const during = { probes: [] as string[], readyz: [] as number[] };
    const crashAndRestart = async () => {
      await cluster.stop('immediate');
      for (const [i, d] of probes.entries()) {
        const res = await fetch(`${instances[i % 2]!.url}/webhooks/growrk`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-growrk-signature': d.signature },
          body: d.body,
        });
        const answer = (await res.json()) as { error?: { code?: string } };
        during.probes.push(`${res.status} ${answer.error?.code}`);
      }
      for (const s of instances) during.readyz.push((await fetch(`${s.url}/readyz`)).status);
      await cluster.start();
    };
    const log = await burst({
      deliveries,
      live: () => instances,
      lanes: 32,
      retryDelayMs: 50,
      deadlineMs: 90_000,
      onAck: (l) => {
        if (!outage && l.acked.size >= 300) outage = crashAndRestart();
      },
    });
    await outage;

    // While the database was down: every webhook answered 503 (never a 200 it could not keep),
    // and the instances said they were not ready.
    expect(during.probes).toEqual(probes.map(() => '503 STORE_UNAVAILABLE'));
    expect(during.readyz).toEqual([503, 503]);
    // The burst saw the outage too, and nothing but 503s: no 200 was lost, no 500 was sent.
    expect(log.refused.get(503) ?? 0).toBeGreaterThan(0);
    expect([...log.refused.keys()]).toEqual([503]);
    expect([...log.unanswered.keys()]).toEqual([]);

    // The probes, retried after the restart, are accepted.
    const retried = await burst({
      deliveries: probes,
      live: () => instances,
      lanes: 4,
      retryDelayMs: 50,
      deadlineMs: 20_000,
    });
    for (const [i, id] of retried.acked) log.acked.set(deliveries.length + i, id);
    deliveries.push(...probes);

    const store = await harness.open({ url: cluster.url, schema, migrate: false });
    await expectDelivered(store, deliveries, log);
    for (const s of instances) expect((await fetch(`${s.url}/readyz`)).status).toBe(200);
  }, 200_000);
});
