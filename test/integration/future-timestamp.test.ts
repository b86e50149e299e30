/**
 * Events dated in the future are refused (400 TIMESTAMP_IN_FUTURE) and kept as rejected, on every
 * store (the threaded SQLite store runs the check on its own thread, with the clock sent along),
 * over HTTP (config, answer, metrics) and in `import`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createReceiver, type WebhookReceiver } from '../../src/core/ingest.ts';
import { signBody } from '../../src/growrk/signature.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import type { Store } from '../../src/store/types.ts';
import { testApp } from '../helpers/app.ts';
import { runCliCaptured } from '../helpers/cli.ts';
import { fixture } from '../helpers/fixtures.ts';
import { postgresHarness, type StoreHarness, sqliteHarness } from '../helpers/stores.ts';

const SECRET = 'future-secret';
const NOW = Date.parse('2026-12-01T20:00:00Z');
const MINUTE = 60_000;

/** An employee.updated for emp-12345 dated `timestamp` with `jobTitle`. */
function updated(timestamp: string, jobTitle: string): string {
  const body = fixture('employee.updated');
  const [employee] = body.employees as Array<Record<string, unknown>>;
  return JSON.stringify({ ...body, timestamp, employees: [{ ...employee, jobTitle, manager: null }] });
}

const iso = (ms: number) => new Date(ms).toISOString();

const harnesses: StoreHarness[] = [sqliteHarness(), sqliteHarness({ threaded: true }), postgresHarness()];
afterAll(async () => {
  await Promise.all(harnesses.map((h) => h.cleanup()));
});

describe.each(harnesses)('future timestamps on the $name store', (harness) => {
  let store: Store;
  let clock: number;
  let receiver: WebhookReceiver;

  beforeEach(async () => {
    store = await harness.fresh();
    clock = NOW;
    receiver = createReceiver({
      store,
      secrets: () => [SECRET],
      dropFields: [],
      jobConnectors: { employee: ['google-workspace'] },
      maxClockSkewMs: 5 * MINUTE,
      now: () => clock,
    });
  });
  afterEach(async () => {
    await harness.closeAll();
  });

  const send = (body: string) => receiver.receive(Buffer.from(body), signBody(body, SECRET));

  it('refuses an event dated past the skew, keeps it as rejected with the reason, and projects nothing', async () => {
    const body = updated('9999-12-31T23:59:59Z', 'Frozen');
    const outcome = await send(body);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.error.code).toBe('TIMESTAMP_IN_FUTURE');
    expect(outcome.error.status).toBe(400);
    expect(outcome.stored?.status).toBe('rejected');
    const stored = await store.getEvent(outcome.stored?.id ?? '');
    expect(stored).toMatchObject({
      status: 'rejected',
      type: 'employee.updated',
      timestamp: '9999-12-31T23:59:59.000Z',
      entityKeys: ['employee:emp-12345'],
      receivedAt: NOW,
      error: { code: 'TIMESTAMP_IN_FUTURE' },
    });
    expect(stored?.error?.message).toContain('ahead of this service');
    expect(await store.getEntity('employee', 'emp-12345')).toBeNull();
    expect(await store.listJobs({})).toEqual([]);

    // A real event after it is applied and queued as if the refused one had never come.
    const real = await send(updated('2024-10-01T00:00:00Z', 'Engineer'));
    expect(real.ok).toBe(true);
    expect((await store.getEntity('employee', 'emp-12345'))?.data.jobTitle).toBe('Engineer');
    expect(await store.listJobs({ state: 'pending' })).toHaveLength(1);
  });

  it('accepts up to the skew ahead; a redelivery is judged again and accepted once its time has come', async () => {
    const within = await send(updated(iso(NOW + 5 * MINUTE), 'Within'));
    expect(within.ok).toBe(true);

    const ahead = updated(iso(NOW + 10 * MINUTE), 'Ahead');
    const first = await send(ahead);
    expect(first.ok ? 'accepted' : first.error.code).toBe('TIMESTAMP_IN_FUTURE');
    clock = NOW + MINUTE;
    const second = await send(ahead);
    expect(second.ok ? 'accepted' : second.error.code).toBe('TIMESTAMP_IN_FUTURE');
    expect(second.ok ? null : second.stored?.id).not.toBe(first.ok ? null : first.stored?.id);
    clock = NOW + 6 * MINUTE;
    const third = await send(ahead);
    expect(third.ok && !third.result.duplicate).toBe(true);
    expect((await store.getEntity('employee', 'emp-12345'))?.data.jobTitle).toBe('Ahead');
    // And from then on it is an ordinary duplicate.
    const fourth = await send(ahead);
    expect(fourth.ok && fourth.result.duplicate).toBe(true);
    const rejected = await store.listEvents({ status: 'rejected' });
    expect(rejected.map((e) => e.error?.code)).toEqual(['TIMESTAMP_IN_FUTURE', 'TIMESTAMP_IN_FUTURE']);
  });
});

describe('future timestamps over HTTP and in import', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0)) await fn();
  });

  it('answers 400 TIMESTAMP_IN_FUTURE, counts it by code, and follows WEBHOOK_MAX_CLOCK_SKEW', async () => {
    const t = await testApp({ GROWRK_WEBHOOK_SECRET: SECRET, WEBHOOK_MAX_CLOCK_SKEW: '2h' });
    cleanup.push(t.close);
    expect(t.config.webhook.maxClockSkew).toBe(2 * 60 * MINUTE);
    const post = (body: string) =>
      t.app.inject({
        method: 'POST',
        url: '/webhooks/growrk',
        headers: { 'content-type': 'application/json', 'x-growrk-signature': signBody(body, SECRET) },
        payload: body,
      });
    const inOneHour = await post(updated(iso(Date.now() + 60 * MINUTE), 'Soon'));
    expect(inOneHour.statusCode).toBe(200);
    const future = await post(updated('9999-12-31T23:59:59Z', 'Frozen'));
    expect(future.statusCode).toBe(400);
    expect(future.json()).toMatchObject({ error: { code: 'TIMESTAMP_IN_FUTURE' } });
    const metrics = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain('growrk_events_rejected_total{code="TIMESTAMP_IN_FUTURE"} 1');
    expect(metrics.body).toContain(
      'growrk_events_received_total{type="employee.updated",result="rejected"} 1',
    );
    const [rejected] = await t.store.listEvents({ status: 'rejected' });
    expect(rejected?.error?.code).toBe('TIMESTAMP_IN_FUTURE');
  });

  it('import: a future-dated JSON line is a bad row (not stored); a future CSV timestamp refuses the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gs-future-import-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const db = join(dir, 'store.db');
    const env = { NODE_ENV: 'test', DATABASE_URL: `sqlite:${db}`, LOG_LEVEL: 'silent' };
    const lines = join(dir, 'export.jsonl');
    writeFileSync(
      lines,
      `${updated('2024-10-01T00:00:00Z', 'Engineer')}\n${updated('9999-12-31T23:59:59Z', 'Frozen')}\n`,
    );
    const run = await runCliCaptured(['import', lines, '--json'], env, dir);
    expect(run.code).toBe(1);
    const summary = JSON.parse(run.stdout) as { imported: number; bad: number; problems: unknown[] };
    expect(summary).toMatchObject({ imported: 1, bad: 1 });
    expect(summary.problems).toEqual([{ line: 2, reason: expect.stringContaining('ahead of this service') }]);

    const csv = join(dir, 'employees.csv');
    writeFileSync(csv, 'id,email,jobTitle\nemp-1,a@example.com,Engineer\n');
    const refused = await runCliCaptured(['import', csv, '--timestamp', '9999-01-01T00:00:00Z'], env, dir);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--timestamp');

    const store = new SqliteStore({ path: db });
    cleanup.push(() => store.close());
    const events = await store.listEvents({ limit: 10 });
    expect(events.map((e) => e.timestamp)).toEqual(['2024-10-01T00:00:00.000Z']);
    expect((await store.getEntity('employee', 'emp-12345'))?.data.jobTitle).toBe('Engineer');
  });
});
