/**
 * Ingest throughput (`npm run bench -- ingest`), measured with wrk (Debian's `wrk` package) as the
 * load generator: one thread, one pool of keep-alive connections, the same for every server, and
 * signed bodies prepared before the clock (a file wrk's script reads at start). Four servers take
 * the same bodies, each on a fresh database, in rounds whose order rotates:
 * - bare `node:http` (reads the body, answers 200): the ceiling;
 * - a hand-written receiver (verify, JSON.parse, one synchronous=FULL SQLite commit per request);
 * - a group-commit receiver: the lean acknowledgement and nothing else (verify, SHA-256,
 *   JSON.parse, an inbox append in a group commit, fsynced before the 200), the ceiling of an
 *   "ack after one inbox append" design on this machine;
 * - growrk-sync (`serve`, production settings, every 200 after a durable commit of its inbox row;
 *   on SQLite the projection and job fan-out run behind, and the bench waits for them to finish
 *   after wrk stops: "drained after" is that wait, "sustained" the events projected per second
 *   from the first request to the last projection).
 * With one employee per body and with six. Each server's CPU time per request (all its threads,
 * from /proc, the projection included) is printed too: unlike req/s it hardly moves when other
 * work shares the machine. Ratios are what count on a shared machine.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { signBody } from '../../src/growrk/signature.ts';
import { startServiceProcess } from '../helpers/service-process.ts';
import { measureIngestFloor } from './ingest-floor.ts';

const SECRET = 'bench-secret';
const SCRIPT = fileURLToPath(new URL('./wrk-bodies.lua', import.meta.url));
const fixture = JSON.parse(
  readFileSync(fileURLToPath(new URL('../fixtures/growrk/employee.updated.json', import.meta.url)), 'utf8'),
) as Record<string, unknown> & { employees: Array<Record<string, unknown>> };

/** A signed employee.updated webhook with `perBody` employees (about 1.7 KB each), unique per i. */
export function employeesWebhook(
  i: number,
  perBody: number,
  offset = 0,
): { body: string; headers: Record<string, string> } {
  const employees = Array.from({ length: perBody }, (_, k) => {
    const n = offset + i * perBody + k;
    return {
      ...fixture.employees[0],
      id: `emp-${n}`,
      email: `user${n}@example.com`,
      customNotes: 'x'.repeat(300),
    };
  });
  const body = JSON.stringify({
    ...fixture,
    event: 'employee.updated',
    timestamp: new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString(),
    employees,
  });
  return { body, headers: { 'x-growrk-signature': signBody(body, SECRET) } };
}

/** A signed employee webhook of about 1.7 KB, unique per i. */
export function employeeWebhook(i: number, offset = 0): { body: string; headers: Record<string, string> } {
  return employeesWebhook(i, 1, offset);
}

/** True when `wrk` can be run; otherwise explains how to install it. */
export function wrkAvailable(): boolean {
  const probe = spawnSync('wrk', ['--version'], { encoding: 'utf8' });
  if (!probe.error) return true;
  console.error(
    'The ingest bench uses wrk as its load generator, and wrk is not installed.\n' +
      '  Debian/Ubuntu: apt-get update && apt-get install -y wrk\n' +
      '  macOS:         brew install wrk\n' +
      'then run npm run bench -- ingest again.',
  );
  return false;
}

/** One wrk run's figures. */
export interface WrkResult {
  requests: number;
  rps: number;
  p50ms: number;
  p99ms: number;
  /** Answers other than 2xx/3xx, and socket errors (connect, read, write, timeout). */
  failed: number;
}

/** Runs wrk against `url` with the bodies in `file`. */
export function runWrk(options: {
  url: string;
  file: string;
  seconds: number;
  connections: number;
}): Promise<WrkResult> {
  const args = ['-t1', `-c${options.connections}`, `-d${options.seconds}s`, '--timeout', '10s'];
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', [...args, '-s', SCRIPT, options.url, '--', options.file], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString('utf8');
    });
    child.on('error', reject);
    child.on('exit', () => {
      const line = /WRK_RESULT (\{.*\})/.exec(out);
      if (!line) return reject(new Error(`wrk printed no result:\n${out}`));
      const r = JSON.parse(line[1]!) as Record<string, number>;
      resolve({
        requests: r.requests!,
        rps: r.requests! / (r.durationUs! / 1e6),
        p50ms: r.p50Us! / 1000,
        p99ms: r.p99Us! / 1000,
        failed: r.non2xx! + r.socketErrors!,
      });
    });
  });
}

/** One run's figures with the server's CPU time and, for growrk-sync, its projection drain. */
interface Measured extends WrkResult {
  cpuUsPerRequest: number;
  /** Seconds from wrk's end until every acknowledged event was projected (0 for the peers). */
  drainSeconds: number;
  /** Requests per second counted to the last projection. */
  sustained: number;
}

/** A server under test, started afresh (on a fresh database) for each run. */
interface Target {
  name: string;
  /** Path the bodies are posted to. */
  path: string;
  /** Whether a body seen before is cheaper (a duplicate): then every body must be new. */
  dedupes: boolean;
  /** Whether it serves /metrics with the projection backlog (growrk-sync). */
  projects: boolean;
  start(): Promise<Server>;
}

interface Server {
  url: string;
  /** The server's process id (its CPU time is read from /proc). */
  pid: number;
  stop(): Promise<unknown>;
}

/** CPU seconds (user + system, all threads) a process has used, from /proc/PID/stat. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of stat (utime, stime), counted from after the command name, in clock ticks.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Waits until growrk-sync has projected every acknowledged event; answers the seconds waited. */
async function drained(url: string): Promise<number> {
  const started = performance.now();
  for (;;) {
    const text = await (await fetch(`${url}/metrics`)).text();
    const backlog = /^growrk_projection_backlog_events (\d+)/m.exec(text);
    if (!backlog || backlog[1] === '0') return (performance.now() - started) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function startScript(script: string, args: string[]): Promise<Server> {
  const child: ChildProcess = spawn(
    process.execPath,
    [fileURLToPath(new URL(script, import.meta.url)), ...args],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve) => {
    child.stdout?.once('data', (chunk: Buffer) =>
      resolve({
        url: (JSON.parse(chunk.toString()) as { url: string }).url,
        pid: child.pid!,
        stop: () =>
          new Promise<void>((done) => {
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      }),
    );
  });
}

function row(name: string, r: WrkResult, note = ''): string {
  return `  ${name.padEnd(30)} ${r.rps.toFixed(0).padStart(7)} req/s   p50 ${r.p50ms.toFixed(2).padStart(6)} ms   p99 ${r.p99ms.toFixed(2).padStart(7)} ms${r.failed ? `   ${r.failed} FAILED` : ''}${note}`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Writes `count` signed bodies with `perBody` employees as wrk's script reads them. */
function bodiesFile(dir: string, name: string, count: number, perBody: number, offset: number): string {
  const file = join(dir, name);
  const lines: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const { body, headers } = employeesWebhook(i, perBody, offset);
    lines.push(`${headers['x-growrk-signature']}\t${body}`);
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/**
 * Ingest throughput of growrk-sync against bare node:http and the hand-written receiver, with wrk.
 * @param databaseUrl a fresh database for each service start (default: a new SQLite file).
 */
export async function benchIngest(
  options: {
    seconds?: number;
    connections?: number;
    rounds?: number;
    /** Employees per body, one block of figures each. Default 1 and 6. */
    shapes?: readonly number[];
    databaseUrl?: () => string;
    label?: string;
  } = {},
): Promise<void> {
  if (!wrkAvailable()) {
    process.exitCode = 2;
    return;
  }
  const seconds = options.seconds ?? 3;
  const connections = options.connections ?? 64;
  const rounds = options.rounds ?? 3;
  const label = options.label ?? 'sqlite';
  const dir = mkdtempSync(join(tmpdir(), 'gs-bench-'));
  let starts = 0;
  const databaseUrl = options.databaseUrl ?? (() => `sqlite:${join(dir, `service-${++starts}.db`)}`);
  const startService = async () => {
    const service = await startServiceProcess({ GROWRK_WEBHOOK_SECRET: SECRET, DATABASE_URL: databaseUrl() });
    return { url: service.url, pid: service.child.pid!, stop: () => service.stop() };
  };
  const targets: Target[] = [
    {
      name: 'bare node:http',
      path: '/',
      dedupes: false,
      projects: false,
      start: () => startScript('./bare-server.ts', []),
    },
    {
      name: 'hand-written receiver',
      path: '/',
      dedupes: false,
      projects: false,
      start: () => startScript('./handwritten-receiver.ts', [join(dir, `peer-${++starts}.db`), SECRET]),
    },
    {
      name: 'group-commit receiver',
      path: '/',
      dedupes: false,
      projects: false,
      start: () => startScript('./group-commit-receiver.ts', [join(dir, `lean-${++starts}.db`), SECRET]),
    },
    {
      name: `growrk-sync (${label})`,
      path: '/webhooks/growrk',
      dedupes: true,
      projects: true,
      start: () => startService(),
    },
  ];
  try {
    for (const perBody of options.shapes ?? [1, 6]) {
      // Enough distinct bodies that no receiver sees one twice (a duplicate is cheaper): up to
      // 15,000 requests a second for one employee a body, 5,000 for six.
      const count = Math.ceil((perBody === 1 ? 15_000 : 5_000) * seconds);
      const measured = bodiesFile(dir, `bodies-${perBody}.txt`, count, perBody, 0);
      const warm = bodiesFile(dir, `warm-${perBody}.txt`, 2_000, perBody, 50_000_000);
      console.log(
        `\n## ingest (${label}): employee.updated with ${perBody} employee(s) a body (${(readFileSync(measured).length / count / 1024).toFixed(1)} KB), wrk -t1 -c${connections} -d${seconds}s, ${rounds} rounds, a fresh server and database each run`,
      );
      const results = new Map<string, Measured[]>(targets.map((t) => [t.name, []]));
      for (let round = 0; round < rounds; round += 1) {
        for (let k = 0; k < targets.length; k += 1) {
          const target = targets[(k + round) % targets.length]!;
          const server = await target.start();
          try {
            const url = `${server.url}${target.path}`;
            await runWrk({ url, file: warm, seconds: 1, connections });
            if (target.projects) await drained(server.url);
            const cpuBefore = cpuSeconds(server.pid);
            const r = await runWrk({ url, file: measured, seconds, connections });
            const drainSeconds = target.projects ? await drained(server.url) : 0;
            const m: Measured = {
              ...r,
              cpuUsPerRequest: ((cpuSeconds(server.pid) - cpuBefore) / r.requests) * 1e6,
              drainSeconds,
              sustained: r.requests / (r.requests / r.rps + drainSeconds),
            };
            const wrapped =
              target.dedupes && r.requests > count ? ' (bodies ran out: some were duplicates)' : '';
            const drain = target.projects
              ? `   projected all ${drainSeconds.toFixed(2)} s after; sustained ${m.sustained.toFixed(0)} events/s`
              : '';
            console.log(
              row(
                `round ${round + 1} ${target.name}`,
                r,
                `   cpu ${m.cpuUsPerRequest.toFixed(0)} us/req${drain}${wrapped}`,
              ),
            );
            results.get(target.name)!.push(m);
          } finally {
            await server.stop();
          }
        }
      }
      const [bare, peer, lean, service] = targets.map((t) => results.get(t.name)!) as [
        Measured[],
        Measured[],
        Measured[],
        Measured[],
      ];
      const ratios = (a: Measured[], b: Measured[], of: (m: Measured) => number = (m) => m.rps) =>
        a.map((r, i) => of(r) / of(b[i]!));
      const show = (xs: number[], digits = 2) =>
        `median ${median(xs).toFixed(digits)} (rounds ${xs.map((x) => x.toFixed(digits)).join(' / ')})`;
      console.log(
        `  growrk-sync / bare node:http, acknowledged req/s: ${show(ratios(service, bare))}; target >= ${perBody === 1 ? '0.5' : '0.3'}`,
      );
      console.log(
        `  growrk-sync / hand-written receiver, acknowledged req/s: ${show(ratios(service, peer))}x; target >= 3x`,
      );
      console.log(
        `  growrk-sync sustained (acknowledged and projected) / hand-written req/s: ${show(ratios(service, peer, (m) => m.sustained))}x`,
      );
      console.log(`  hand-written receiver / bare node:http: ${show(ratios(peer, bare))}`);
      console.log(
        `  group-commit receiver (the lean ack alone, on SQLite) / bare node:http: ${show(ratios(lean, bare))}; / hand-written: ${show(ratios(lean, peer))}x`,
      );
      console.log(
        `  growrk-sync / group-commit receiver, acknowledged req/s: ${show(ratios(service, lean))}`,
      );
      const floor = await measureIngestFloor(
        Array.from({ length: 10_000 }, (_, i) => {
          const { body, headers } = employeesWebhook(i, perBody, 90_000_000);
          return { signature: headers['x-growrk-signature']!, body: Buffer.from(body) };
        }),
        SECRET,
      );
      const bareCpu = median(bare.map((m) => m.cpuUsPerRequest));
      console.log(
        `  floor, CPU a body on top of bare (this process): verify ${floor.verify.toFixed(1)} + sha256 ${floor.hash.toFixed(1)} + JSON.parse ${floor.parse.toFixed(1)} + inbox insert and commit share ${floor.insertAndCommit.toFixed(1)} = ${floor.total.toFixed(1)} us; bare ${bareCpu.toFixed(1)} us a request: a receiver doing only that reaches at most ${(bareCpu / (bareCpu + floor.total)).toFixed(2)} of bare's CPU per request`,
      );
      console.log(
        `  CPU per request, growrk-sync / bare: ${show(
          ratios(service, bare, (m) => m.cpuUsPerRequest),
          1,
        )}x; / hand-written: ${show(
          ratios(service, peer, (m) => m.cpuUsPerRequest),
          1,
        )}x`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
