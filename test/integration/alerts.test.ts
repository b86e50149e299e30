/**
 * Alerts: a local HTTP receiver stands in for Slack's incoming webhook and for a generic webhook.
 * The monitor is checked tick by tick with a clock of the test's own, on a real store.
 */

import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AlertConfig, AlertMonitor } from '../../src/alerts/monitor.ts';
import { loadConfig } from '../../src/config/load.ts';
import { createLogger } from '../../src/log.ts';
import { startService } from '../../src/service.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { LogCapture } from '../helpers/app.ts';
import { until } from '../helpers/wait.ts';

interface Received {
  path: string;
  body: Record<string, unknown>;
}

let server: Server;
let base: string;
const received: Received[] = [];
/** Answers for the next requests to a path (default 200). */
const failNext = new Map<string, number>();

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString('utf8')));
    req.on('end', () => {
      const path = req.url ?? '';
      const left = failNext.get(path) ?? 0;
      if (left > 0) {
        failNext.set(path, left - 1);
        res.writeHead(500).end('no');
        return;
      }
      received.push({ path, body: JSON.parse(text) as Record<string, unknown> });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

let store: SqliteStore;
let t: number;
let logs: LogCapture;
beforeEach(async () => {
  store = new SqliteStore({ path: ':memory:' });
  await store.migrate();
  received.length = 0;
  failNext.clear();
  t = Date.parse('2026-01-10T12:00:00Z');
  logs = new LogCapture();
});
afterEach(async () => {
  await store.close();
});

function monitor(config: Partial<AlertConfig> = {}): AlertMonitor {
  return new AlertMonitor({
    store,
    config: {
      slackWebhookUrl: `${base}/slack/T000/B000/secret-part`,
      webhookUrl: `${base}/hook`,
      noEventAfter: 0,
      interval: 1000,
      ...config,
    },
    logger: createLogger('info', logs),
    now: () => t,
  });
}

async function deadJob(entityId: string): Promise<void> {
  await store.enqueueJobs([
    { connector: 'google-workspace', kind: 'employee', entityId, eventId: null, runAt: t },
  ]);
  const [job] = await store.claimJobs({ owner: 'w', limit: 1, now: t, leaseMs: 1000 });
  const error = { code: 'VENDOR_AUTH', message: 'the service account lacks admin.directory.user' };
  await store.finishJob(job!.id, 'w', { state: 'dead', error }, t);
}

const slack = () => received.filter((r) => r.path.startsWith('/slack'));
const hook = () => received.filter((r) => r.path === '/hook');

describe('alerts', () => {
  it('tells Slack and the webhook once when a job dies, and again for the next one', async () => {
    const m = monitor();
    expect(await m.tick()).toEqual([]);
    await deadJob('emp-1');
    t += 1000;
    const sent = await m.tick();
    expect(sent.map((a) => a.kind)).toEqual(['job.dead', 'job.dead']);
    expect(slack()).toHaveLength(1);
    const text = String(slack()[0]!.body.text);
    expect(text).toContain('*growrk-sync: 1 sync job(s) died');
    expect(text).toContain('• google-workspace: employee emp-1 after 1 attempt(s): VENDOR_AUTH');
    expect(hook()[0]!.body).toMatchObject({
      source: 'growrk-sync',
      kind: 'job.dead',
      details: { jobs: [{ connector: 'google-workspace', entityId: 'emp-1' }] },
    });
    t += 1000;
    expect(await m.tick()).toEqual([]);
    await deadJob('emp-2');
    t += 1000;
    await m.tick();
    expect(slack().map((r) => String(r.body.text).includes('emp-2'))).toEqual([false, true]);
    // A restarted service (a new monitor on the same store) does not repeat what was told.
    t += 1000;
    expect(await monitor().tick()).toEqual([]);
  });

  it('tells when a destructive change is held, with what it would do and why', async () => {
    const m = monitor({ slackWebhookUrl: '' });
    await store.addHeld({
      id: 'held_1',
      connector: 'google-workspace',
      kind: 'employee',
      entityId: 'emp-7',
      reason: 'destructive budget 10 per 1h exceeded',
      plan: { ops: [{ type: 'suspend', destructive: true, description: 'suspend user7@example.com' }] },
      eventIds: [],
      createdAt: t,
    });
    t += 1;
    await m.tick();
    expect(slack()).toEqual([]);
    expect(hook().map((r) => r.body.kind)).toEqual(['change.held']);
    expect(hook()[0]!.body.lines).toEqual([
      'google-workspace: employee emp-7: suspend user7@example.com (destructive budget 10 per 1h exceeded)',
    ]);
  });

  it('is a dead-man switch: tells once when no GroWrk event came for the configured time, and when events come back', async () => {
    const m = monitor({ noEventAfter: 3_600_000 });
    expect(await m.tick()).toEqual([]);
    t += 3_600_001;
    const silent = await m.tick();
    expect(silent.map((a) => a.kind)).toEqual(['events.silent', 'events.silent']);
    expect(silent[0]!.title).toContain('no GroWrk event for 1.0 h (none since this service started)');
    t += 600_000;
    expect(await m.tick()).toEqual([]);
    await store.ingest({
      id: 'evt_back',
      bodyHash: 'h1',
      receivedAt: t,
      status: 'accepted',
      event: null,
      type: 'employee.updated',
      body: '{}',
      jobConnectors: {},
    });
    t += 1000;
    const back = await m.tick();
    expect(back.map((a) => a.kind)).toEqual(['events.resumed', 'events.resumed']);
    t += 3_600_000;
    expect((await m.tick()).map((a) => a.title)).toEqual([
      `no GroWrk event for 1.0 h (the last at ${new Date(t - 3_601_000).toISOString()}): check the webhook endpoint in GroWrk`,
      `no GroWrk event for 1.0 h (the last at ${new Date(t - 3_601_000).toISOString()}): check the webhook endpoint in GroWrk`,
    ]);
  });

  it('tries a failed sink again at the next check, without repeating it to the sink that got it, and never logs the URL', async () => {
    const m = monitor();
    await deadJob('emp-3');
    failNext.set('/slack/T000/B000/secret-part', 1);
    t += 1000;
    await m.tick();
    expect(slack()).toHaveLength(0);
    expect(hook()).toHaveLength(1);
    expect(logs.text()).toContain('the slack alert sink answered HTTP 500');
    expect(logs.text()).not.toContain('secret-part');
    t += 1000;
    await m.tick();
    expect(slack()).toHaveLength(1);
    expect(hook()).toHaveLength(1);
  });

  it('sends from one instance at a time', async () => {
    const a = monitor();
    const b = monitor();
    await deadJob('emp-4');
    t += 1000;
    const [fromA, fromB] = [await a.tick(), await b.tick()];
    expect(fromA.length + fromB.length).toBe(2);
    expect(fromB).toEqual([]);
  });
});

describe('alerts in the service', () => {
  it('are configured by env vars, checked at start, and sent by a running service', async () => {
    const bad = () =>
      loadConfig({ env: { ALERT_SLACK_WEBHOOK_URL: 'hooks.slack.example/T0/B0/x' }, cwd: '/nonexistent' });
    expect(bad).toThrow(/slackWebhookUrl.*http\(s\) URL/);
    expect(bad).not.toThrow(/T0\/B0/);
    const dir = mkdtempSync(join(tmpdir(), 'gs-alerts-'));
    const config = loadConfig({
      env: {
        DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`,
        ALERT_WEBHOOK_URL: `${base}/hook`,
        ALERT_CHECK_INTERVAL: '1s',
        RECONCILE_SCHEDULE: 'off',
        LOG_LEVEL: 'silent',
      },
      cwd: '/nonexistent',
    });
    await store.close();
    const service = await startService({ config, logger: createLogger('silent'), listen: false });
    try {
      expect(service.alerts).not.toBeNull();
      store = service.store as SqliteStore;
      await deadJob('emp-9');
      await until('the alert at the webhook', () =>
        hook().find((r) => String(r.body.title).includes('died')),
      );
      expect(hook()[0]!.body.lines).toEqual([
        'google-workspace: employee emp-9 after 1 attempt(s): VENDOR_AUTH: the service account lacks admin.directory.user',
      ]);
    } finally {
      await service.close();
      store = new SqliteStore({ path: ':memory:' });
    }
  });
});
