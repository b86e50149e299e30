/**
 * A destructive change that is held or dead must be visible: a warn line (ids, connector, reason;
 * no e-mail), and gauges in /metrics by connector and kind. A fake connector through the real
 * worker, engine and SQLite store.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { PlannedOp } from '../../src/connector/types.ts';
import { SyncError } from '../../src/errors.ts';
import { parseEnvelope } from '../../src/growrk/envelope.ts';
import { createMetrics } from '../../src/metrics.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import type { ConnectorRuntime } from '../../src/sync/runtime.ts';
import { Worker } from '../../src/sync/worker.ts';
import { fakeRuntime } from '../helpers/fake-runtime.ts';
import { fixture } from '../helpers/fixtures.ts';

const EMAIL = 'leaver@example.com';

/** A logger whose JSON lines land in `lines`. */
function capture(): { logger: pino.Logger; lines: Array<Record<string, unknown>>; raw: string[] } {
  const lines: Array<Record<string, unknown>> = [];
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) {
        raw.push(line);
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines, raw };
}

/** A connector that plans a suspension; `failWith` makes its read fail instead. */
function runtimeOf(logger: pino.Logger, failWith: SyncError | null): ConnectorRuntime {
  const suspend: PlannedOp = { type: 'suspend', destructive: true, description: 'suspend the account' };
  return fakeRuntime({
    id: 'fake',
    logger,
    now: Date.now,
    read: async () => {
      if (failWith) throw failWith;
      return { id: 'u1' };
    },
    target: { id: 'u1', label: 'the account' },
    ops: [suspend],
    done: ['suspend'],
  });
}

/** Runs the worker over one employee.offboarded for emp-9000 until it is idle. */
async function offboard(options: { failWith: SyncError | null; destructiveLimit: number }) {
  const { logger, lines, raw } = capture();
  const store = new SqliteStore({ path: ':memory:' });
  await store.migrate();
  const body = fixture('employee.offboarded');
  const employees = body.employees as Array<Record<string, unknown>>;
  employees[0] = { ...employees[0], id: 'emp-9000', email: EMAIL };
  await store.ingest({
    id: 'evt_leaver',
    bodyHash: 'leaver',
    receivedAt: Date.now(),
    status: 'accepted',
    event: parseEnvelope(body, []),
    body: JSON.stringify(body),
    jobConnectors: { employee: ['fake'] },
  });
  const metrics = createMetrics(store);
  const worker = new Worker({
    store,
    runtime: runtimeOf(logger, options.failWith),
    logger,
    metrics,
    config: {
      concurrency: 1,
      lanes: {},
      maxAttempts: 1,
      quickRetries: 0,
      backoffBase: 10,
      backoffMax: 10,
      lease: 10_000,
      pollInterval: 60_000,
    },
    engine: {
      guardrails: {
        protectedEmails: [],
        protectedOrgUnits: [],
        destructiveLimit: options.destructiveLimit,
        destructiveWindow: 3_600_000,
      },
      dryRun: false,
    },
    now: Date.now,
  });
  worker.start();
  await worker.idle();
  await worker.stop();
  const scraped = await metrics.registry.metrics();
  await store.close();
  return { lines, raw, scraped };
}

describe('held and dead destructive changes are visible', () => {
  it('a held suspension: a warn line with the employee id and reason, and the held gauge', async () => {
    const { lines, raw, scraped } = await offboard({ failWith: null, destructiveLimit: 0 });
    const held = lines.filter((l) => l.msg === 'destructive change held for approval');
    expect(held).toHaveLength(1);
    expect(held[0]).toMatchObject({
      level: 40,
      connector: 'fake',
      entity: 'employee:emp-9000',
      ops: ['suspend'],
      reason: expect.stringContaining('destructive budget'),
    });
    expect(raw.join('\n')).not.toContain(EMAIL);
    expect(scraped).toContain('sync_held_changes{connector="fake",kind="employee"} 1');
    expect(scraped).not.toContain('sync_dead_jobs{');
  });

  it('a dead suspension: a warn line naming it destructive, and the dead gauge', async () => {
    const { lines, raw, scraped } = await offboard({
      failWith: new SyncError('VENDOR_AUTH', 'the service account lacks a scope'),
      destructiveLimit: 10,
    });
    const dead = lines.filter((l) => String(l.msg).startsWith('destructive change dead'));
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({
      level: 40,
      connector: 'fake',
      entity: 'employee:emp-9000',
      code: 'VENDOR_AUTH',
      dead: true,
      destructive: true,
      reason: 'VENDOR_AUTH after 1 attempt(s)',
    });
    expect(raw.join('\n')).not.toContain(EMAIL);
    expect(scraped).toContain('sync_dead_jobs{connector="fake",kind="employee"} 1');
    expect(scraped).not.toContain('sync_held_changes{');
  });
});
