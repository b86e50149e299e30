import { availableParallelism, loadavg } from 'node:os';
import pg from 'pg';
import { stateKeys } from '../../connectors/google-workspace/model.ts';
import { Ingestor } from '../../src/core/ingest.ts';
import { DEFAULT_SENSITIVE_FIELDS } from '../../src/growrk/privacy.ts';
import { resolveConnection } from '../../src/store/postgres/connection.ts';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres/store.ts';
import { type GoogleEmulator, startGoogleEmulator } from '../fakes/google-directory/index.ts';
import { type ServiceProcess, startServiceProcess } from '../helpers/service-process.ts';
import { TEST_DATABASE_URL } from '../helpers/stores.ts';
import { benchIngest, employeeWebhook } from './ingest.ts';
import { benchPostgresAck } from './postgres-ack.ts';

const CONNECTOR = 'google-workspace';
/** The PostgreSQL database the benchmarks use (a schema each). */
export const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? TEST_DATABASE_URL;

/** `url` with its `schema` parameter set. */
export function withSchema(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('schema', schema);
  return parsed.toString();
}

/** A fresh schema name for one benchmark run (drop it with {@link dropSchemas}). */
export function newSchema(): string {
  return `gs_bench_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
}

/** Drops the benchmark's schemas. */
export async function dropSchemas(schemas: readonly string[]): Promise<void> {
  const admin = new pg.Client({ connectionString: resolveConnection(DATABASE_URL).connectionString });
  await admin.connect();
  try {
    for (const schema of schemas)
      await admin.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
  } finally {
    await admin.end();
  }
}

/** Runs `work(i)` for i in [0, count) with `lanes` at a time. */
async function inLanes(count: number, lanes: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

/** One measurement of the worker: `jobs` pending jobs, `instances` services draining them. */
interface WorkerRun {
  instances: number;
  jobs: number;
  succeeded: number;
  /** From the first job finished to the last. */
  seconds: number;
  /** From starting the processes to the last job finished (start-up included). */
  wallSeconds: number;
  /** CPU time of this process (the emulator, mostly) per wall second while the jobs ran. */
  emulatorCpu: number;
}

/**
 * Pre-loads `jobs` employee.updated jobs through the real ingest path (each employee already
 * linked to a user of the emulator, as after a first sync: one users.get and one users.patch per
 * job), then starts `instances` services and measures until every job is done.
 */
async function measureWorkers(emu: GoogleEmulator, instances: number, jobs: number): Promise<WorkerRun> {
  emu.reset();
  const userIds: string[] = [];
  for (let i = 0; i < jobs; i += 1) {
    const user = emu.state.addUser({
      primaryEmail: `user${i}@example.com`,
      externalIds: [{ type: 'custom', customType: 'growrk', value: `emp-${i}` }],
      organizations: [{ type: 'work', primary: true, title: 'Seeded', department: 'Engineering' }],
    });
    userIds.push(user.id);
  }
  const schema = newSchema();
  const url = withSchema(DATABASE_URL, schema);
  const store: PostgresStore = await openPostgresStore({
    url,
    poolSize: 16,
    connectTimeoutMs: 5000,
    statementTimeoutMs: 30_000,
  });
  const services: ServiceProcess[] = [];
  try {
    await store.migrate();
    await inLanes(jobs, 32, (i) =>
      store.setState(CONNECTOR, stateKeys.link(`emp-${i}`), userIds[i], Date.now()),
    );
    const ingestor = new Ingestor({
      store,
      secrets: () => [],
      dropFields: DEFAULT_SENSITIVE_FIELDS,
      jobConnectors: { employee: [CONNECTOR] },
    });
    await inLanes(jobs, 32, async (i) => {
      // Without the embedded manager, whose partial entity would add a job of its own.
      const body = JSON.parse(employeeWebhook(i).body) as { employees: Array<Record<string, unknown>> };
      for (const employee of body.employees) delete employee.manager;
      const outcome = await ingestor.accept(Buffer.from(JSON.stringify(body)));
      if (!outcome.ok) throw outcome.error;
    });
    const queued = await store.countJobs();
    if (queued.pending !== jobs)
      throw new Error(`expected ${jobs} pending jobs, found ${JSON.stringify(queued)}`);

    const started = Date.now();
    const cpu = process.cpuUsage();
    const env = {
      DATABASE_URL: url,
      CONNECTORS: CONNECTOR,
      GOOGLE_ACCESS_TOKEN: 'test-token',
      GOOGLE_API_ROOT_URL: emu.url,
      GOOGLE_CALLS_PER_MINUTE: '10000000',
      RECONCILE_SCHEDULE: 'off',
    };
    services.push(...(await Promise.all(Array.from({ length: instances }, () => startServiceProcess(env)))));
    const deadline = Date.now() + 300_000;
    for (;;) {
      const counts = await store.countJobs();
      if (counts.pending === 0 && counts.running === 0) break;
      if (Date.now() > deadline) throw new Error(`jobs not done after 300 s: ${JSON.stringify(counts)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const used = process.cpuUsage(cpu);
    const emulatorCpu = (used.user + used.system) / 1000 / (Date.now() - started);
    const outcomes = await store.listOutcomes({ connector: CONNECTOR, limit: jobs * 2 });
    const times = outcomes.map((o) => o.at);
    const last = Math.max(...times);
    return {
      instances,
      jobs,
      succeeded: outcomes.filter((o) => o.result === 'succeeded').length,
      seconds: (last - Math.min(...times)) / 1000,
      wallSeconds: (last - started) / 1000,
      emulatorCpu,
    };
  } finally {
    await Promise.all(services.map((s) => s.stop()));
    await store.close();
    await dropSchemas([schema]);
  }
}

/**
 * The PostgreSQL store: ingest against bare node:http (as `benchIngest` does for SQLite), and sync
 * jobs per second through the worker with one instance and with two on one database.
 */
export async function benchPostgres(
  options: {
    /** Webhooks per ingest round (0 skips the ingest part). Default 5,000. */
    ingestTotal?: number;
    /** Jobs pre-loaded for each worker measurement. Default 5,000. */
    jobs?: number;
  } = {},
): Promise<void> {
  const ingestTotal = options.ingestTotal ?? 5000;
  if (ingestTotal > 0) {
    const schemas: string[] = [];
    try {
      await benchIngest({
        shapes: [1],
        databaseUrl: () => {
          const schema = newSchema();
          schemas.push(schema);
          return withSchema(DATABASE_URL, schema);
        },
        label: 'postgres',
      });
    } finally {
      await dropSchemas(schemas);
    }
  }

  const jobs = options.jobs ?? 5000;
  const emu = await startGoogleEmulator({ quotaPerMinute: 100_000_000 });
  try {
    const runs: WorkerRun[] = [];
    for (const instances of [1, 2]) runs.push(await measureWorkers(emu, instances, jobs));
    console.log(
      `\n## worker: ${jobs} pre-loaded employee.updated jobs -> Google emulator (quota raised; users.get + users.patch per job), default WORKER_CONCURRENCY and DATABASE_POOL_SIZE per instance, ${availableParallelism()} CPUs shared by instances, emulator and PostgreSQL (load average ${loadavg()[0]!.toFixed(1)})`,
    );
    console.log('instances   jobs/s   first->last job   wall incl. start   succeeded   emulator process CPU');
    for (const r of runs) {
      console.log(
        `${String(r.instances).padStart(9)}   ${(r.jobs / r.seconds).toFixed(0).padStart(6)}   ${r.seconds.toFixed(2).padStart(13)} s   ${r.wallSeconds.toFixed(2).padStart(14)} s   ${`${r.succeeded}/${r.jobs}`.padStart(9)}   ${(r.emulatorCpu * 100).toFixed(0).padStart(8)} %`,
      );
    }
    const [one, two] = runs;
    if (one && two) {
      console.log(`ratio 2 instances / 1: ${(one.seconds / two.seconds).toFixed(2)}`);
    }
  } finally {
    await emu.stop();
  }
}

/** Acknowledgement latency and throughput on PostgreSQL without a load generator (see {@link benchPostgresAck}). */
export async function benchPostgresAcks(): Promise<void> {
  const schemas: string[] = [];
  try {
    await benchPostgresAck({
      url: DATABASE_URL,
      newSchema: () => {
        const schema = newSchema();
        schemas.push(schema);
        return schema;
      },
    });
  } finally {
    await dropSchemas(schemas);
  }
}
