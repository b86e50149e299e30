import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { signBody } from '../../src/growrk/signature.ts';
import { startServiceProcess } from '../helpers/service-process.ts';
import { type LoadResult, runLoad } from './load.ts';

const SECRET = 'bench-secret';
const fixture = JSON.parse(
  readFileSync(fileURLToPath(new URL('../fixtures/growrk/employee.updated.json', import.meta.url)), 'utf8'),
) as Record<string, unknown> & { employees: Array<Record<string, unknown>> };

/** A signed employee webhook of about 1.7 KB, unique per i. */
export function employeeWebhook(i: number, offset = 0): { body: string; headers: Record<string, string> } {
  const employee = {
    ...fixture.employees[0],
    id: `emp-${offset + i}`,
    email: `user${offset + i}@example.com`,
    customNotes: 'x'.repeat(300),
  };
  const body = JSON.stringify({
    ...fixture,
    timestamp: new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString(),
    employees: [employee],
  });
  return { body, headers: { 'x-growrk-signature': signBody(body, SECRET) } };
}

async function startBare(): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./bare-server.ts', import.meta.url))], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve) => {
    child.stdout.once('data', (chunk: Buffer) =>
      resolve((JSON.parse(chunk.toString()) as { url: string }).url),
    );
  });
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function row(name: string, r: LoadResult): string {
  return `${name.padEnd(34)} ${r.rps.toFixed(0).padStart(7)} req/s   p50 ${r.p50ms.toFixed(2).padStart(6)} ms   p99 ${r.p99ms.toFixed(2).padStart(7)} ms   (${r.ok}/${r.requests} ok)`;
}

/** Ingest throughput of the service (durable commits) against a bare node:http server. */
export async function benchIngest(options: {
  total: number;
  concurrency: number;
  databaseUrl?: string;
  label?: string;
}): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gs-bench-'));
  const databaseUrl = options.databaseUrl ?? `sqlite:${join(dir, 'bench.db')}`;
  const bare = await startBare();
  // Production settings: default logging, every commit fsynced before the 200.
  const quiet = await startServiceProcess({ GROWRK_WEBHOOK_SECRET: SECRET, DATABASE_URL: databaseUrl });
  try {
    const warm = { total: 500, concurrency: options.concurrency };
    await runLoad({ url: bare.url, ...warm, bodyFor: (i) => employeeWebhook(i, 9_000_000) });
    await runLoad({
      url: `${quiet.url}/webhooks/growrk`,
      ...warm,
      bodyFor: (i) => employeeWebhook(i, 9_000_000),
    });
    const results: Array<[LoadResult, LoadResult]> = [];
    for (let round = 0; round < 3; round += 1) {
      // Bodies and signatures are made before the clock starts: the load generator shares the
      // machine's two cores, and its own work should weigh on neither side.
      const bodies = Array.from({ length: options.total }, (_, i) => employeeWebhook(i, round * 1_000_000));
      const b = await runLoad({
        url: bare.url,
        total: options.total,
        concurrency: options.concurrency,
        bodyFor: (i) => bodies[i]!,
      });
      const s = await runLoad({
        url: `${quiet.url}/webhooks/growrk`,
        total: options.total,
        concurrency: options.concurrency,
        bodyFor: (i) => bodies[i]!,
      });
      results.push([b, s]);
    }
    const label = options.label ?? 'sqlite';
    console.log(
      `\n## ingest: ${options.total} signed 1.7 KB employee webhooks x 3 rounds, ${options.concurrency} keep-alive connections (${label})`,
    );
    for (const [i, [b, s]] of results.entries()) {
      console.log(row(`round ${i + 1} bare node:http`, b));
      console.log(row(`round ${i + 1} growrk-sync (${label}, durable)`, s));
      console.log(`round ${i + 1} ratio service/bare: ${(s.rps / b.rps).toFixed(2)}`);
    }
    const ratios = results.map(([b, s]) => s.rps / b.rps).sort((a, b) => a - b);
    console.log(`median ratio: ${ratios[1]!.toFixed(2)} (target >= 0.5)`);
  } finally {
    await quiet.stop();
    await bare.stop();
  }
}
