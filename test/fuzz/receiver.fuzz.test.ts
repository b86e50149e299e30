/**
 * The fuzz suite (issue 10, item 7): a seeded generator (test/fuzz/hostile.ts) sends at least
 * 5,000 hostile deliveries through app.inject and a few hundred over real sockets. Zero crashes,
 * zero 5xx except while the store is made to fail, zero bodies stored that GroWrk did not sign.
 * `FUZZ_SEED` replays a run; `FUZZ_REQUESTS` sends more.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { signBody } from '../../src/growrk/signature.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { openThreadedSqliteStore } from '../../src/store/sqlite/threaded.ts';
import type { Store, StoredEvent } from '../../src/store/types.ts';
import { testApp } from '../helpers/app.ts';
import { fixtureBodies } from '../helpers/fixtures.ts';
import { until } from '../helpers/wait.ts';
import { hostileRequest, Rand } from './hostile.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 5000);
const SECRET = 'test-secret';
const BODY_LIMIT = 262_144;
const ENV = { WEBHOOK_BODY_LIMIT: String(BODY_LIMIT), HTTP_BODY_TIMEOUT: '1s', HTTP_HEADERS_TIMEOUT: '1s' };
const dir = mkdtempSync(join(tmpdir(), 'gs-fuzz-'));
const cleanup: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function allEvents(store: Store): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  let before: string | undefined;
  for (;;) {
    const page = await store.listEvents({ limit: 500, before });
    out.push(...page);
    if (page.length < 500) return out;
    before = page[page.length - 1]!.id;
  }
}

function errorLogs(lines: readonly string[]): string[] {
  return lines.filter((l) => (JSON.parse(l) as { level: number }).level >= 50);
}

describe(`fuzz: hostile deliveries (FUZZ_SEED=${SEED})`, () => {
  it(`${REQUESTS} through app.inject: only 200, 400, 401, 413 or 415, and nothing unsigned stored`, async () => {
    const store = openThreadedSqliteStore({ path: join(dir, 'inject.db') });
    const t = await testApp(ENV, { store });
    cleanup.push(t.close);
    const rand = new Rand(SEED);
    const signed = new Set<string>();
    const statuses = new Map<string, number>();
    const violations: string[] = [];
    for (let sent = 0; sent < REQUESTS; ) {
      const batch = Array.from({ length: Math.min(25, REQUESTS - sent) }, () =>
        hostileRequest(rand, SECRET, BODY_LIMIT),
      );
      sent += batch.length;
      for (const r of batch) if (r.validlySigned) signed.add(sha(r.body));
      const answers = await Promise.all(
        batch.map((r) =>
          t.app.inject({ method: 'POST', url: '/webhooks/growrk', headers: r.headers, payload: r.body }),
        ),
      );
      answers.forEach((res, i) => {
        const r = batch[i]!;
        const key = `${res.statusCode}`;
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
        // 415: no usable Content-Type (empty or unparsable), refused before anything is read.
        const allowed = r.validlySigned ? [200, 400, 413, 415] : [401, 413, 415];
        if (!allowed.includes(res.statusCode)) {
          violations.push(
            `#${sent - batch.length + i} ${r.kind} signed=${r.validlySigned}: ${res.statusCode} ${res.body.slice(0, 200)}`,
          );
        }
        if (res.statusCode !== 200) {
          const code = (res.json() as { error?: { code?: unknown } }).error?.code;
          if (typeof code !== 'string')
            violations.push(`#${i} ${r.kind}: no error code in ${res.body.slice(0, 100)}`);
        }
      });
    }
    expect(violations.slice(0, 20)).toEqual([]);
    // Every kind of answer happened: the run is not vacuous.
    for (const status of ['200', '400', '401', '413'])
      expect(statuses.get(status) ?? 0, status).toBeGreaterThan(0);
    const stored = await allEvents(store);
    expect(stored.length).toBeGreaterThan(100);
    const unsigned = stored.filter((e) => !signed.has(e.bodyHash.split(':')[0]!));
    expect(unsigned.map((e) => e.id)).toEqual([]);
    expect(errorLogs(t.logs.lines)).toEqual([]);
    // Still up and still right.
    const fine = fixtureBodies().get('employee.offboarded')!;
    const res = await t.app.inject({
      method: 'POST',
      url: '/webhooks/growrk',
      headers: { 'content-type': 'application/json', 'x-growrk-signature': signBody(`${fine} `, SECRET) },
      payload: `${fine} `,
    });
    expect(res.statusCode).toBe(200);
  });

  it('while the store fails: 503 STORE_UNAVAILABLE for signed deliveries, 401 for the rest, and 200 once it is back', async () => {
    const inner = new SqliteStore({ path: join(dir, 'outage.db') });
    await inner.migrate();
    let down = true;
    const store = new Proxy(inner, {
      get(target, prop, receiver) {
        if (prop === 'ingest' && down) return () => Promise.reject(new Error('disk I/O error'));
        const value = Reflect.get(target, prop, receiver) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as Store;
    const t = await testApp(ENV, { store });
    cleanup.push(t.close);
    const rand = new Rand(SEED + 1);
    const violations: string[] = [];
    for (let i = 0; i < 300; i += 1) {
      const r = hostileRequest(rand, SECRET, BODY_LIMIT);
      const res = await t.app.inject({
        method: 'POST',
        url: '/webhooks/growrk',
        headers: r.headers,
        payload: r.body,
      });
      const code = res.statusCode === 200 ? null : (res.json() as { error: { code: string } }).error.code;
      const ok = r.validlySigned
        ? [413, 415].includes(res.statusCode) || code === 'STORE_UNAVAILABLE'
        : [401, 413, 415].includes(res.statusCode);
      if (!ok) violations.push(`${r.kind} signed=${r.validlySigned}: ${res.statusCode} ${code}`);
    }
    expect(violations).toEqual([]);
    down = false;
    const fine = fixtureBodies().get('employee.created')!;
    const res = await t.app.inject({
      method: 'POST',
      url: '/webhooks/growrk',
      headers: { 'content-type': 'application/json', 'x-growrk-signature': signBody(fine, SECRET) },
      payload: fine,
    });
    expect(res.statusCode).toBe(200);
  });

  it('300 hostile connections over real sockets: no 5xx, the server stays up and gives every byte back', async () => {
    const store = openThreadedSqliteStore({ path: join(dir, 'sockets.db') });
    const t = await testApp(ENV, { store });
    cleanup.push(t.close);
    const url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const port = Number(new URL(url).port);
    const rand = new Rand(SEED + 2);
    const answers: string[] = [];
    const send = (bytes: Buffer, how: 'end' | 'stall' | 'cut') =>
      new Promise<void>((resolve) => {
        const socket = connect(port, '127.0.0.1');
        let data = '';
        socket.on('data', (c: Buffer) => {
          data += c.toString('latin1');
        });
        socket.on('error', () => {});
        socket.on('close', () => {
          answers.push(data);
          resolve();
        });
        socket.on('connect', () => {
          if (how === 'cut') {
            socket.write(bytes.subarray(0, Math.max(1, bytes.length >> 1)), () => socket.destroy());
          } else if (how === 'stall') {
            socket.write(bytes.subarray(0, Math.max(1, bytes.length >> 1)));
          } else socket.end(bytes);
        });
      });
    const raws: Array<Promise<void>> = [];
    for (let i = 0; i < 300; i += 1) {
      const r = hostileRequest(rand, SECRET, BODY_LIMIT);
      const headerLines = Object.entries(r.headers)
        .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${k}: ${x}`))
        .join('\r\n');
      const variants = [
        Buffer.concat([
          Buffer.from(
            `POST /webhooks/growrk HTTP/1.1\r\nHost: x\r\nContent-Length: ${r.body.length}\r\n${headerLines}\r\nConnection: close\r\n\r\n`,
          ),
          r.body,
        ]),
        Buffer.concat([
          Buffer.from(
            `POST /webhooks/growrk HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n${headerLines}\r\nConnection: close\r\n\r\n${r.body.length.toString(16)}\r\n`,
          ),
          r.body,
          Buffer.from('\r\n0\r\n\r\n'),
        ]),
        Buffer.from(
          `POST /webhooks/growrk HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\nContent-Length: 5\r\n\r\nhello`,
        ),
        Buffer.from(
          `GET /${'a'.repeat(rand.int(1, 20_000))} HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(rand.int(1, 20_000))}\r\n\r\n`,
        ),
        Buffer.from(Array.from({ length: rand.int(1, 500) }, () => rand.int(0, 255))),
        Buffer.from(
          `POST /webhooks/growrk HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
        ),
      ];
      raws.push(send(rand.pick(variants), rand.pick(['end', 'end', 'end', 'stall', 'cut'] as const)));
      if (raws.length >= 30) await Promise.all(raws.splice(0));
    }
    await Promise.all(raws);
    const fiveHundreds = answers.filter((a) => /^HTTP\/1\.1 5\d\d/m.test(a));
    expect(fiveHundreds.map((a) => a.slice(0, 200))).toEqual([]);
    expect(answers.filter((a) => a.includes('HTTP/1.1 200')).length).toBeGreaterThan(0);
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    await until('every unverified byte to be given back', async () => {
      const metrics = await (await fetch(`${url}/metrics`)).text();
      return /^http_unverified_body_bytes 0$/m.test(metrics);
    });
    expect(errorLogs(t.logs.lines)).toEqual([]);
  });
});
