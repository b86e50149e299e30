/**
 * Reconciliation at scale (`npm run bench -- reconcile`): the CLI as a child process (so its peak
 * RSS is its own) against both vendor emulators in this process, at the vendors' limits:
 * Google 2,400 calls/min, HubSpot 190 calls/10 s and 4 searches/s.
 *
 * 1. N employees and 3N assets: a first run fills an empty CRM (Google users exist, in step);
 *    then drift is planted (1% offboarded but active, 2% new job titles, 1% stale asset statuses,
 *    0.5% contacts deleted) and a run repairs it; then a converged run must write nothing.
 * 2. Memory: the same first sync and repair at 10,000 and 100,000 employees (30,000 and 300,000
 *    assets), both connectors, limits raised: peak RSS side by side, and the growth ratio.
 * 3. Memory of a scheduled run: `serve` as a child process whose schedule fires once, doing the
 *    same first sync at the largest size, on the service thread with V8's defaults
 *    (`RECONCILE_THREAD_HEAP_MB=0`, as before) and on its own thread (the default): the service
 *    process's peak RSS before the run and at its end, next to the CLI's first sync.
 *
 * Figures only: calls against the minimum the run computes, wall time against the rate-limit
 * floor, peak RSS of the reconcile process.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ConnectorReport, RunReport } from '../../src/reconcile/types.ts';
import type { DirectoryUser } from '../fakes/google-directory/index.ts';
import { isWriteCall, type RecordedCall } from '../fakes/shared/recorder.ts';
import {
  directoryUser,
  employee,
  envelopes,
  product,
  startWorld,
  type World,
  type WorldOptions,
} from '../helpers/reconcile-world.ts';
import { startServiceProcess } from '../helpers/service-process.ts';

const BIN = fileURLToPath(new URL('../../src/cli/bin.js', import.meta.url));
/** Prints the process's peak RSS (KiB) on stderr at exit. */
const MAXRSS_HOOK =
  'data:text/javascript,process.on("exit",()=>process.stderr.write("\\nMAXRSS_KIB="+process.resourceUsage().maxRSS+"\\n"))';
/**
 * With `--expose-gc`: collects garbage every 250 ms and prints the largest heap left (the live set),
 * in bytes, at exit. Slows the run; used for the live-heap figure only.
 */
const LIVE_HOOK =
  'data:text/javascript,let m=0;const t=setInterval(()=>{gc();m=Math.max(m,process.memoryUsage().heapUsed)},250);t.unref();process.on("exit",()=>process.stderr.write("\\nPEAK_LIVE="+m+"\\n"))';
interface ChildRun {
  code: number;
  report: RunReport | null;
  stderr: string;
  maxRssMiB: number;
  /** Peak live heap (MiB) when probed, else NaN. */
  liveMiB: number;
  wallMs: number;
}

/** Runs `growrk-sync reconcile ARGS --json` as a child process with the world's env. */
function reconcileChild(world: World, args: string[], probe = false): Promise<ChildRun> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const hooks = probe ? ['--expose-gc', '--import', LIVE_HOOK] : [];
    const argv = [...hooks, '--import', MAXRSS_HOOK, BIN, 'reconcile', ...args, '--json'];
    const child = spawn(process.execPath, argv, {
      cwd: world.dir,
      env: { PATH: process.env.PATH ?? '', ...world.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const rss = /MAXRSS_KIB=(\d+)/.exec(stderr);
      const live = /PEAK_LIVE=(\d+)/.exec(stderr);
      let report: RunReport | null = null;
      try {
        report = JSON.parse(stdout) as RunReport;
      } catch {
        report = null;
      }
      resolve({
        code: code ?? -1,
        report,
        stderr: stderr.replace(/\n?(MAXRSS_KIB|PEAK_LIVE)=\d+\n?/g, ''),
        maxRssMiB: rss ? Number(rss[1]) / 1024 : Number.NaN,
        liveMiB: live ? Number(live[1]) / 2 ** 20 : Number.NaN,
        wallMs: performance.now() - started,
      });
    });
  });
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** One labelled block of figures for a run. */
function printRun(label: string, world: World, run: ChildRun): void {
  const live = Number.isNaN(run.liveMiB)
    ? ''
    : `, peak live heap ${run.liveMiB.toFixed(0)} MiB (GC forced every 250 ms)`;
  console.log(
    `  ${label}: exit ${run.code}, process wall ${secs(run.wallMs)}, peak RSS ${run.maxRssMiB.toFixed(0)} MiB${live}`,
  );
  if (!run.report?.plan) {
    console.log(
      `    no report; stdout/stderr: ${JSON.stringify(run.report)?.slice(0, 300)} ${run.stderr.slice(0, 500)}`,
    );
    return;
  }
  const r = run.report;
  console.log(
    `    plan: ${r.plan.create} create, ${r.plan.update} update, ${r.plan.suspend} suspend, ${r.plan.protected} protected; applied ${r.results.applied}, failed ${r.results.failed}; status ${r.status}`,
  );
  const recorded: Record<string, RecordedCall[]> = {
    'google-workspace': world.google.recorder.calls,
    hubspot: world.hubspot.recorder.calls,
  };
  for (const c of r.connectors) {
    const calls = recorded[c.connector] ?? [];
    const refused = calls.filter((x) => x.status === 429);
    const byOperation = new Map<string, number>();
    for (const x of refused) byOperation.set(x.operation, (byOperation.get(x.operation) ?? 0) + 1);
    const limited =
      refused.length === 0
        ? '0'
        : `${refused.length}: ${[...byOperation].map(([op, n]) => `${n} ${op}`).join(', ')}`;
    const writes = calls.filter(isWriteCall).length;
    console.log(
      `    ${connectorLine(c)}; emulator saw ${fmt(calls.length)} calls (${fmt(writes)} writes, ${limited} answered 429)`,
    );
  }
}

function connectorLine(c: ConnectorReport): string {
  const over = c.calls.minimum > 0 ? ((c.calls.actual - c.calls.minimum) / c.calls.minimum) * 100 : 0;
  const kinds = c.kinds.map((k) => `${fmt(k.listed)} ${k.kind}s`).join(' + ');
  return `${c.connector} [${kinds}]: calls ${fmt(c.calls.actual)} vs minimum ${fmt(c.calls.minimum)} (${fmt(c.calls.minimumList)} listing + ${fmt(c.calls.minimumWrite)} writes; ${over >= 0 ? '+' : ''}${over.toFixed(2)}%); wall ${secs(c.wallMs)} vs rate-limit floor ${secs(c.calls.floorMs)}`;
}

/** Seeds N employees with 3N assets in the projection and N in-step Google users. */
async function seedScale(world: World, employees: number): Promise<void> {
  await world.init();
  const people = Array.from({ length: employees }, (_, i) => employee(i + 1));
  await world.ingest(envelopes('employee.updated', people));
  const assets = Array.from({ length: employees * 3 }, (_, i) => product(i + 1, (i % employees) + 1));
  await world.ingest(envelopes('product.assigned', assets));
  seedUsersFast(world, employees);
}

/**
 * Adds in-step directory users quickly: one through the emulator's `addUser`, the rest cloned into
 * its user map (its `addUser` scans every user for a duplicate e-mail, which is quadratic at 100,000).
 */
function seedUsersFast(world: World, count: number, from = 1): void {
  const template = world.google.state.addUser(directoryUser(from));
  const users = (world.google.state as unknown as { users: Map<string, DirectoryUser> }).users;
  for (let n = from + 1; n <= count; n += 1) {
    const user = structuredClone(template);
    user.id = `${template.id.slice(0, 6)}${String(n).padStart(15, '0')}`;
    user.primaryEmail = `user${n}@example.com`;
    user.externalIds = [{ type: 'custom', customType: 'growrk', value: `emp-${n}` }];
    users.set(user.id, user);
  }
}

/** Plants drift across both targets (see the file comment); returns what was planted. */
async function plantDrift(world: World, employees: number): Promise<string> {
  const later = '2024-10-01T09:00:00Z';
  const offboarded = Array.from({ length: Math.floor(employees / 100) }, (_, i) => 1 + i * 100);
  await world.ingest(
    envelopes(
      'employee.offboarded',
      offboarded.map((n) => employee(n, { status: 'offboarded' })),
      500,
      later,
    ),
  );
  for (const n of offboarded) {
    const user = world.google.state.getUser(`user${n}@example.com`)!;
    world.google.state.addToken(user.id, 'client-a.apps.googleusercontent.com');
    world.google.state.addAsp(user.id);
  }
  const retitled = Array.from({ length: Math.floor(employees / 50) }, (_, i) => 2 + i * 50);
  await world.ingest(
    envelopes(
      'employee.updated',
      retitled.map((n) => employee(n, { jobTitle: 'Lead' })),
      500,
      later,
    ),
  );
  const assetType = world.hubspot.state.findType('growrk_asset')!;
  const stale = Array.from({ length: Math.floor((employees * 3) / 100) }, (_, i) => 3 + i * 100);
  for (const n of stale) {
    const record = world.hubspot.state.find(assetType, `prod-${n}`, 'growrk_product_id')!;
    world.hubspot.state.applyUpdate(
      assetType,
      record,
      world.hubspot.state.planUpdate(assetType, record, { status: 'In Stock' }, new Map()),
    );
  }
  const contacts = world.hubspot.state.findType('contacts')!;
  const deleted = Array.from({ length: Math.floor(employees / 200) }, (_, i) => 4 + i * 200);
  for (const n of deleted) {
    world.hubspot.state.archive(
      contacts,
      world.hubspot.state.find(contacts, `emp-${n}`, 'growrk_employee_id')!,
    );
  }
  return `${fmt(offboarded.length)} offboarded but active (1 token + 1 app password each), ${fmt(retitled.length)} new job titles, ${fmt(stale.length)} stale asset statuses, ${fmt(deleted.length)} contacts deleted`;
}

async function scale(employees: number, limits: WorldOptions, label: string): Promise<void> {
  const world = await startWorld({
    ...limits,
    env: { RECONCILE_MAX_DESTRUCTIVE: '1000', RECONCILE_MAX_DESTRUCTIVE_SHARE: '0.05' },
  });
  try {
    console.log(`\n[reconcile] ${label}: ${fmt(employees)} employees, ${fmt(employees * 3)} assets`);
    const seeded = performance.now();
    await seedScale(world, employees);
    console.log(`  seeded projection and directory in ${secs(performance.now() - seeded)}`);
    world.clearCalls();
    printRun('run 1, empty CRM (first sync)', world, await reconcileChild(world, []));
    const planted = await plantDrift(world, employees);
    console.log(`  drift planted: ${planted}`);
    world.clearCalls();
    const dry = await reconcileChild(world, ['--dry-run']);
    printRun('run 2, dry run over the drift', world, dry);
    world.clearCalls();
    printRun('run 3, repair', world, await reconcileChild(world, []));
    world.clearCalls();
    printRun('run 4, converged', world, await reconcileChild(world, []));
    world.clearCalls();
    printRun('run 5, converged, live-heap probe', world, await reconcileChild(world, ['--dry-run'], true));
  } finally {
    await world.close();
  }
}

/** One directory size of the memory figures: peak RSS of the first sync and of the repair. */
interface MemoryRow {
  employees: number;
  firstSync: ChildRun;
  repair: ChildRun;
}

/** A world for the memory figures: every vendor limit and the destructive budget raised out of the way. */
function scaleWorld(): Promise<World> {
  return startWorld({
    googlePerMinute: 1_000_000,
    hubspotPer10s: 1_000_000,
    hubspotSearchPerSecond: 100_000,
    env: { RECONCILE_MAX_DESTRUCTIVE: '100000', RECONCILE_MAX_DESTRUCTIVE_SHARE: '0.05' },
  });
}

async function memoryAt(employees: number): Promise<MemoryRow> {
  const world = await scaleWorld();
  try {
    console.log(
      `\n[reconcile] memory at ${fmt(employees)} employees, ${fmt(employees * 3)} assets (limits raised)`,
    );
    const seeded = performance.now();
    await seedScale(world, employees);
    console.log(`  seeded projection and directory in ${secs(performance.now() - seeded)}`);
    world.clearCalls();
    const firstSync = await reconcileChild(world, []);
    printRun('first sync (empty CRM)', world, firstSync);
    console.log(`  drift planted: ${await plantDrift(world, employees)}`);
    world.clearCalls();
    const repair = await reconcileChild(world, []);
    printRun('repair', world, repair);
    return { employees, firstSync, repair };
  } finally {
    await world.close();
  }
}

/**
 * Peak RSS of the reconcile process at two directory sizes, first sync and repair, side by side:
 * flat memory means a growth ratio near 1 while the directory grows tenfold.
 */
async function memory(sizes: readonly number[]): Promise<void> {
  const rows: MemoryRow[] = [];
  for (const size of sizes) rows.push(await memoryAt(size));
  console.log('\n[reconcile] peak RSS of the reconcile process (MiB), both connectors:');
  console.log('  employees + assets     first sync   repair');
  for (const r of rows) {
    console.log(
      `  ${`${fmt(r.employees)} + ${fmt(r.employees * 3)}`.padEnd(22)} ${r.firstSync.maxRssMiB.toFixed(0).padStart(10)}   ${r.repair.maxRssMiB.toFixed(0).padStart(6)}`,
    );
  }
  const [small, large] = [rows[0], rows[rows.length - 1]];
  if (small && large && small !== large) {
    const ratio = (a: number, b: number) => (b / a).toFixed(2);
    console.log(
      `  growth ${fmt(small.employees)} -> ${fmt(large.employees)} employees (x${large.employees / small.employees}): first sync x${ratio(small.firstSync.maxRssMiB, large.firstSync.maxRssMiB)}, repair x${ratio(small.repair.maxRssMiB, large.repair.maxRssMiB)} (target: <= 300 MB at ${fmt(large.employees)})`,
    );
  }
}

/** Peak RSS (VmHWM) of process `pid` so far, MiB (Linux). */
function peakRssMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/** One scheduled first sync in a `serve` child process. */
interface ScheduledRun {
  label: string;
  idleMiB: number;
  peakMiB: number;
  wallMs: number;
  line: string;
}

/**
 * Starts `serve` with a schedule that fires once, a few seconds after start (a seconds field: once
 * a minute, and the run takes longer), waits for its "finished" line and reads the process's peak
 * RSS then, and before the run.
 */
async function scheduledFirstSync(
  world: World,
  label: string,
  env: Record<string, string>,
): Promise<ScheduledRun> {
  const second = (new Date().getUTCSeconds() + 10) % 60;
  const service = await startServiceProcess({
    ...world.env,
    GROWRK_WEBHOOK_SECRET: 'bench-secret',
    LOG_LEVEL: 'info',
    RECONCILE_SCHEDULE: `${second} * * * * *`,
    ...env,
  });
  try {
    const pid = service.child.pid!;
    const idleMiB = peakRssMiB(pid);
    await service.waitForLine((l) => l.includes('"msg":"scheduled reconciliation enabled"'));
    const started = performance.now();
    const line = await service.waitForLine((l) =>
      /"scheduled reconciliation (finished|failed|stopped)/.test(l),
    );
    const peakMiB = peakRssMiB(pid);
    return { label, idleMiB, peakMiB, wallMs: performance.now() - started, line };
  } finally {
    await service.stop();
  }
}

/**
 * Peak RSS of the service process during a scheduled first sync of `employees`, before (on the
 * service thread, V8's defaults) and after (on its own thread), next to the CLI's first sync.
 */
async function scheduledMemory(employees: number): Promise<void> {
  const world = await scaleWorld();
  try {
    console.log(
      `\n[reconcile] scheduled in serve, first sync of ${fmt(employees)} employees, ${fmt(employees * 3)} assets (limits raised)`,
    );
    const runs: ScheduledRun[] = [];
    // BENCH_RECONCILE_THREAD_HEAPS: the RECONCILE_THREAD_HEAP_MB values to compare ("default": unset).
    const heaps = (process.env.BENCH_RECONCILE_THREAD_HEAPS ?? '0,default').split(',');
    const modes: Array<[string, Record<string, string>]> = heaps.map((h) =>
      h === '0'
        ? [
            'service thread, V8 defaults (RECONCILE_THREAD_HEAP_MB=0, before)',
            { RECONCILE_THREAD_HEAP_MB: '0' },
          ]
        : h === 'default'
          ? ['own thread (RECONCILE_THREAD_HEAP_MB default)', {}]
          : [`own thread (RECONCILE_THREAD_HEAP_MB=${h})`, { RECONCILE_THREAD_HEAP_MB: h }],
    );
    let cli: ChildRun | null = null;
    for (const [i, [label, env]] of modes.entries()) {
      if (i > 0) await world.reset();
      await seedScale(world, employees);
      world.clearCalls();
      const run = await scheduledFirstSync(world, label, env);
      runs.push(run);
      const fields = JSON.parse(run.line) as { msg: string; status?: string; results?: unknown };
      console.log(
        `  ${label}: service peak RSS ${run.idleMiB.toFixed(0)} MiB started -> ${run.peakMiB.toFixed(0)} MiB at the end of the run; ${secs(run.wallMs)}; ${fields.msg.slice(0, 160)}`,
      );
    }
    await world.reset();
    await seedScale(world, employees);
    world.clearCalls();
    cli = await reconcileChild(world, []);
    printRun('CLI first sync (`growrk-sync reconcile`, for comparison)', world, cli);
    console.log('\n[reconcile] peak RSS (MiB), scheduled first sync in serve beside the CLI:');
    for (const r of runs) console.log(`  ${r.label.padEnd(68)} ${r.peakMiB.toFixed(0).padStart(6)}`);
    console.log(`  ${'CLI reconcile process'.padEnd(68)} ${cli.maxRssMiB.toFixed(0).padStart(6)}`);
  } finally {
    await world.close();
  }
}

/** The `reconcile` benchmark section. */
export async function benchReconcile(
  options: {
    employees?: number;
    memorySizes?: readonly number[];
    atLimits?: boolean;
    /** Employees of the scheduled-run figures (0: none). */
    scheduled?: number;
  } = {},
): Promise<void> {
  if (options.atLimits !== false) {
    await scale(
      options.employees ?? 10_000,
      { googlePerMinute: 2400, hubspotPer10s: 190, hubspotSearchPerSecond: 4 },
      "at the vendors' limits (Google 2,400/min; HubSpot 190/10 s, search 4/s)",
    );
  }
  const sizes = options.memorySizes ?? [10_000, 100_000];
  if (sizes.length > 0) await memory(sizes);
  const scheduled = options.scheduled ?? Math.max(...sizes);
  if (scheduled > 0) await scheduledMemory(scheduled);
}
