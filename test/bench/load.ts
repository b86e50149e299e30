import { Agent, request } from 'node:http';

/** Result of one load run. */
export interface LoadResult {
  requests: number;
  ok: number;
  seconds: number;
  rps: number;
  p50ms: number;
  p99ms: number;
}

/** Percentile of sorted values. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * Sends `total` POSTs with `concurrency` keep-alive connections; `bodyFor(i)` gives each body and
 * its headers. Counts 200s, measures latency per request.
 */
export async function runLoad(options: {
  url: string;
  total: number;
  concurrency: number;
  bodyFor: (i: number) => { body: string; headers: Record<string, string> };
}): Promise<LoadResult> {
  const target = new URL(options.url);
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const latencies: number[] = [];
  let ok = 0;
  let next = 0;
  const one = (i: number) =>
    new Promise<void>((resolve) => {
      const { body, headers } = options.bodyFor(i);
      const started = process.hrtime.bigint();
      const req = request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            ...headers,
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
            if (res.statusCode === 200) ok += 1;
            resolve();
          });
        },
      );
      req.on('error', () => resolve());
      req.end(body);
    });
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (next < options.total) await one(next++);
    }),
  );
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    requests: options.total,
    ok,
    seconds,
    rps: options.total / seconds,
    p50ms: percentile(latencies, 50),
    p99ms: percentile(latencies, 99),
  };
}
