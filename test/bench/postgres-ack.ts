import { loadavg } from 'node:os';
import { Ingestor } from '../../src/core/ingest.ts';
import { DEFAULT_SENSITIVE_FIELDS } from '../../src/growrk/privacy.ts';
import { openPostgresStore } from '../../src/store/postgres/store.ts';
import { employeesWebhook } from './ingest.ts';

const SECRET = 'bench-secret';

/** One round's figures. */
interface AckRound {
  acksPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Seconds from the last acknowledgement until the store reported no projection backlog. */
  drainSeconds: number;
  /** Events acknowledged and projected per second (acknowledgements plus drain). */
  sustained: number;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
}

async function ackRound(
  url: string,
  schema: string,
  perBody: number,
  total: number,
  concurrency: number,
): Promise<AckRound> {
  const store = await openPostgresStore({
    url,
    schema,
    poolSize: 10,
    connectTimeoutMs: 5000,
    statementTimeoutMs: 30_000,
  });
  try {
    await store.migrate();
    const ingestor = new Ingestor({
      store,
      secrets: () => [SECRET],
      dropFields: DEFAULT_SENSITIVE_FIELDS,
      jobConnectors: { employee: ['google-workspace', 'hubspot'] },
    });
    const bodies = Array.from({ length: total }, (_, i) => {
      const { body, headers } = employeesWebhook(i, perBody);
      return { raw: Buffer.from(body), signature: headers['x-growrk-signature']! };
    });
    const latencies: number[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < total) {
          const { raw, signature } = bodies[next++]!;
          const t0 = performance.now();
          const outcome = await ingestor.receive(raw, signature);
          latencies.push(performance.now() - t0);
          if (!outcome.ok) throw outcome.error;
        }
      }),
    );
    const acked = performance.now();
    // Polled: a read (countEntities) would catch the projection up itself and hide the drain.
    while ((await store.projectionBacklog()).events > 0) await new Promise((r) => setTimeout(r, 5));
    const drained = performance.now();
    const entities = await store.countEntities('employee');
    // Plus the embedded manager (the same in every body, possibly one of the employees).
    if (entities < total * perBody)
      throw new Error(`expected ${total * perBody} employees or more, found ${entities}`);
    latencies.sort((a, b) => a - b);
    return {
      acksPerSecond: total / ((acked - started) / 1000),
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      drainSeconds: (drained - acked) / 1000,
      sustained: total / ((drained - started) / 1000),
    };
  } finally {
    await store.close();
  }
}

/**
 * Acknowledgements on the PostgreSQL store without HTTP (no load generator): signed
 * `employee.updated` bodies through the Ingestor (verify, parse, store), `concurrency` at a time,
 * each round on a fresh schema; then the wait until the projection behind them is done.
 */
export async function benchPostgresAck(options: {
  url: string;
  newSchema: () => string;
  total?: number;
  concurrency?: number;
  rounds?: number;
}): Promise<void> {
  const total = options.total ?? 5000;
  const concurrency = options.concurrency ?? 64;
  const rounds = options.rounds ?? 3;
  for (const perBody of [1, 6]) {
    console.log(
      `\n## postgres acknowledgements, in-process (no HTTP): ${total} signed employee.updated, ${perBody} employee(s) a body, ${concurrency} at a time, ${rounds} rounds on fresh schemas (load average ${loadavg()[0]!.toFixed(1)})`,
    );
    console.log('round   acks/s   p50 ms   p99 ms   drained after   sustained events/s');
    for (let round = 1; round <= rounds; round += 1) {
      const r = await ackRound(options.url, options.newSchema(), perBody, total, concurrency);
      console.log(
        `${String(round).padStart(5)}   ${r.acksPerSecond.toFixed(0).padStart(6)}   ${r.p50Ms.toFixed(1).padStart(6)}   ${r.p99Ms.toFixed(1).padStart(6)}   ${r.drainSeconds.toFixed(2).padStart(11)} s   ${r.sustained.toFixed(0).padStart(18)}`,
      );
    }
  }
}
