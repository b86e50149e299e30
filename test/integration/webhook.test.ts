import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { signBody } from '../../src/growrk/signature.ts';
import { testApp } from '../helpers/app.ts';
import { runCliCaptured } from '../helpers/cli.ts';
import { fixture, fixtureBodies } from '../helpers/fixtures.ts';
import { until } from '../helpers/wait.ts';

const SECRET = 'test-secret';
let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0)) await fn();
});

async function app(env: Record<string, string> = {}, path?: string) {
  const t = await testApp(env, path ? { path } : {});
  cleanup.push(t.close);
  return t;
}

function post(body: string | Buffer, signature?: string | null, headers: Record<string, string> = {}) {
  return {
    method: 'POST' as const,
    url: '/webhooks/growrk',
    headers: {
      'content-type': 'application/json',
      ...(signature === null ? {} : { 'x-growrk-signature': signature ?? signBody(body, SECRET) }),
      ...headers,
    },
    payload: body,
  };
}

describe('POST /webhooks/growrk', () => {
  it('accepts all ten fixtures, lists them in events list --json, and answers a resend as a duplicate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gs-webhook-'));
    const db = join(dir, 'db.sqlite');
    const { app: server } = await app({}, db);
    const ids = new Map<string, string>();
    for (const [type, body] of fixtureBodies()) {
      const res = await server.inject(post(body));
      expect(res.statusCode, type).toBe(200);
      const json = res.json() as { id: string; duplicate: boolean };
      expect(json.duplicate).toBe(false);
      ids.set(type, json.id);
    }
    const again = await server.inject(post(fixtureBodies().get('employee.created')!));
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({ id: ids.get('employee.created'), duplicate: true });

    const { code, stdout } = await runCliCaptured(
      ['events', 'list', '--json', '--limit', '100'],
      { DATABASE_URL: `sqlite:${db}` },
      dir,
    );
    expect(code).toBe(0);
    const listed = JSON.parse(stdout) as Array<{ id: string; type: string; status: string }>;
    expect(listed).toHaveLength(10);
    expect(new Set(listed.map((e) => e.type))).toEqual(new Set(ids.keys()));
    expect(listed.every((e) => e.status === 'accepted')).toBe(true);
  });

  it('keeps the newer employee snapshot when updates arrive out of order', async () => {
    const { app: server, store } = await app();
    const base = fixture('employee.updated');
    const employees = base.employees as Array<Record<string, unknown>>;
    const newer = {
      ...base,
      timestamp: '2024-10-02T00:00:00Z',
      employees: [{ ...employees[0], jobTitle: 'Staff Engineer' }],
    };
    const older = {
      ...base,
      timestamp: '2024-10-01T00:00:00Z',
      employees: [{ ...employees[0], jobTitle: 'Intern' }],
    };
    expect((await server.inject(post(JSON.stringify(newer)))).statusCode).toBe(200);
    expect((await server.inject(post(JSON.stringify(older)))).statusCode).toBe(200);
    const snapshot = await store.getEntity('employee', 'emp-12345');
    expect(snapshot?.data.jobTitle).toBe('Staff Engineer');
    expect(snapshot?.ts).toBe(Date.parse('2024-10-02T00:00:00Z'));
  });

  it('answers 401 for a missing, wrong or truncated signature and stores nothing', async () => {
    const { app: server, store } = await app();
    const body = fixtureBodies().get('employee.offboarded')!;
    const flipped = Buffer.from(body);
    flipped[10] = flipped[10]! ^ 1;
    const cases = [
      post(body, null),
      post(body, signBody(body, 'wrong')),
      post(body, signBody(body, SECRET).slice(0, 12)),
      post(flipped, signBody(body, SECRET)),
    ];
    for (const request of cases) {
      const res = await server.inject(request);
      expect(res.statusCode).toBe(401);
      expect((res.json() as { error: { code: string } }).error.code).toMatch(/^SIGNATURE_(MISSING|INVALID)$/);
    }
    expect(await store.listEvents({})).toHaveLength(0);
  });

  it('accepts the second of two secrets during rotation', async () => {
    const { app: server } = await app({ GROWRK_WEBHOOK_SECRET: 'old-secret,new-secret' });
    const body = fixtureBodies().get('order.created')!;
    expect((await server.inject(post(body, signBody(body, 'new-secret')))).statusCode).toBe(200);
  });

  it('keeps a signed non-JSON body as rejected by digest and size only, and answers 400 without quoting it', async () => {
    const { app: server, store } = await app();
    const raw = '{"event": "employee.updated", "taxId": TAX-000-11-2222 oops';
    const res = await server.inject(post(raw));
    expect(res.statusCode).toBe(400);
    const answer = res.json() as { error: { code: string; message: string } };
    expect(answer.error.code).toBe('BODY_NOT_JSON');
    expect(res.body).not.toContain('TAX');
    const [event] = await store.listEvents({ status: 'rejected' });
    expect(event?.error?.code).toBe('BODY_NOT_JSON');
    expect(JSON.stringify(event)).not.toContain('TAX');
    expect(JSON.parse(event!.body)).toEqual({
      withheld: true,
      code: 'BODY_NOT_JSON',
      bytes: Buffer.byteLength(raw),
      sha256: event!.bodyHash,
    });
  });

  it('keeps a signed invalid envelope as rejected, without its sensitive fields', async () => {
    const { app: server, store } = await app();
    const bad = { ...fixture('employee.created'), timestamp: 'not a date' };
    const res = await server.inject(post(JSON.stringify(bad)));
    expect(res.statusCode).toBe(400);
    expect((res.json() as { error: { message: string } }).error.message).toMatch(/timestamp/);
    const [event] = await store.listEvents({ status: 'rejected' });
    expect(event?.body).not.toContain('TAX-000-11-2222');
    expect(event?.body).toContain('Software Engineer');
  });

  it('answers 413 for a 2 MiB body and keeps serving', async () => {
    const { app: server } = await app();
    const big = Buffer.alloc(2 * 1024 * 1024, 'a');
    const res = await server.inject(post(big, signBody(big, SECRET)));
    expect(res.statusCode).toBe(413);
    expect((res.json() as { error: { code: string } }).error.code).toBe('BODY_TOO_LARGE');
    expect((await server.inject(post(fixtureBodies().get('order.created')!))).statusCode).toBe(200);
  });

  it('stores an unknown event type as ignored and acknowledges it', async () => {
    const { app: server, store } = await app();
    const body = JSON.stringify({
      event: 'invoice.paid',
      timestamp: '2024-08-17T12:34:56Z',
      companyId: '123',
    });
    const res = await server.inject(post(body));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ duplicate: false, ignored: true });
    expect((await store.listEvents({ status: 'ignored' }))[0]?.type).toBe('invoice.paid');
  });

  it('answers 503 while no secret is configured', async () => {
    const { app: server } = await app({ GROWRK_WEBHOOK_SECRET: '' });
    const body = fixtureBodies().get('order.created')!;
    const res = await server.inject(post(body, signBody(body, 'anything')));
    expect(res.statusCode).toBe(503);
    expect((res.json() as { error: { code: string } }).error.code).toBe('WEBHOOK_SECRET_UNSET');
  });

  it('accepts a body whatever its content type, since the signature covers the bytes', async () => {
    const { app: server } = await app();
    const body = fixtureBodies().get('product.created')!;
    const res = await server.inject(post(body, undefined, { 'content-type': 'text/plain' }));
    expect(res.statusCode).toBe(200);
  });

  it('never logs bodies or sensitive values, and exposes health, readiness and metrics', async () => {
    const { app: server, logs } = await app();
    await server.inject(post(fixtureBodies().get('employee.offboarded')!));
    await server.inject(post('{"broken', undefined));
    expect(logs.lines.length).toBeGreaterThan(0);
    for (const value of ['TAX-000-11-2222', 'NID-123-45-6789', 'johndoe@example.com', 'test-secret']) {
      expect(logs.text()).not.toContain(value);
    }
    expect((await server.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await server.inject({ method: 'GET', url: '/readyz' })).json()).toMatchObject({
      status: 'ready',
    });
    const metrics = (await server.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('growrk_events_received_total{type="employee.offboarded",result="accepted"} 1');
    expect(metrics).toContain('result="rejected"');
    expect(metrics).toContain('http_request_duration_seconds');
  });

  it('answers 503 and stores nothing when the store fails', async () => {
    const { app: server, store } = await app();
    await store.close();
    const res = await server.inject(post(fixtureBodies().get('order.created')!));
    expect(res.statusCode).toBe(503);
    expect((res.json() as { error: { code: string } }).error.code).toBe('STORE_UNAVAILABLE');
    expect((await server.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503);
    cleanup = cleanup.slice(0, -1);
    await server.close();
  });

  it('answers alike through inject and a listening socket: JSON, x-request-id, one timing each', async () => {
    const { app: server } = await app();
    const url = await server.listen({ port: 0, host: '127.0.0.1' });
    const bodies = fixtureBodies();
    const injected = await server.inject(
      post(bodies.get('order.created')!, undefined, { 'x-request-id': 'req-1' }),
    );
    const body = bodies.get('order.statusChange')!;
    const socket = await fetch(`${url}/webhooks/growrk?via=socket`, {
      method: 'POST',
      headers: { 'x-growrk-signature': signBody(body, SECRET), 'x-request-id': 'req-2' },
      body,
    });
    const unsigned = await fetch(`${url}/webhooks/growrk`, { method: 'POST', body });
    for (const [res, id] of [
      [injected.statusCode, injected.headers['x-request-id']],
      [socket.status, socket.headers.get('x-request-id')],
    ] as const) {
      expect(res).toBe(200);
      expect(id).toMatch(/^req-[12]$/);
    }
    expect(socket.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await socket.json()).toMatchObject({ duplicate: false });
    expect(unsigned.status).toBe(401);
    expect(unsigned.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(((await unsigned.json()) as { error: { code: string } }).error.code).toBe('SIGNATURE_MISSING');
    // Other routes still go through Fastify (and are timed by its hook).
    expect((await fetch(`${url}/webhooks/growrk`)).status).toBe(404);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    const count = (status: string) =>
      new RegExp(
        `^http_request_duration_seconds_count\\{route="/webhooks/growrk",method="POST",status="${status}"\\} (\\d+)$`,
        'm',
      ).exec(metrics)?.[1];
    expect(count('200')).toBe('2');
    expect(count('401')).toBe('1');
  });

  it('takes in no delivery that arrives once the app is closing: 503 or no answer, nothing stored', async () => {
    const { app: server, store } = await app();
    const url = new URL(await server.listen({ port: 0, host: '127.0.0.1' }));
    const bodies = fixtureBodies();
    const request = (body: string) =>
      `POST /webhooks/growrk HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Growrk-Signature: ${signBody(body, SECRET)}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    const first = request(bodies.get('order.created')!);
    const second = request(bodies.get('product.created')!);
    const socket = connect(Number(url.port), '127.0.0.1');
    let answers = '';
    socket.on('data', (c: Buffer) => {
      answers += c.toString('latin1');
    });
    const ended = new Promise((resolve) => socket.on('close', resolve));
    // The first delivery is under way (half its body sent) when the app starts to close; the
    // second follows on the same connection once it is closing.
    const half = first.length - 20;
    await new Promise<void>((resolve) => socket.write(first.slice(0, half), () => resolve()));
    await until('the first delivery to be reading its body', async () => {
      const metrics = await server.inject({ method: 'GET', url: '/metrics' });
      return /^http_unverified_body_bytes [1-9]/m.test(metrics.body);
    });
    const closed = server.close();
    socket.write(first.slice(half) + second);
    await ended;
    await closed;
    const statuses = [...answers.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => m[1]);
    // Node may drop the pipelined second request with the connection instead of answering it;
    // either way it was not acknowledged (GroWrk redelivers) and not stored.
    expect(statuses[0]).toBe('200');
    expect(statuses.slice(1).filter((s) => s !== '503')).toEqual([]);
    expect((await store.listEvents({})).map((e) => e.type)).toEqual(['order.created']);
    cleanup = cleanup.slice(0, -1);
    await store.close();
  });

  it('answers a client that shuts its sending side once its request is sent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gs-half-'));
    const { app: server, store } = await app({}, join(dir, 'db.sqlite'));
    const url = new URL(await server.listen({ port: 0, host: '127.0.0.1' }));
    const body = fixtureBodies().get('employee.offboarded')!;
    const socket = connect(Number(url.port), '127.0.0.1');
    let answer = '';
    socket.on('data', (c: Buffer) => {
      answer += c.toString('latin1');
    });
    const ended = new Promise((resolve) => socket.on('close', resolve));
    socket.end(
      `POST /webhooks/growrk HTTP/1.1\r\nHost: x\r\nX-Growrk-Signature: ${signBody(body, SECRET)}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    await ended;
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect((await store.listEvents({})).map((e) => e.type)).toEqual(['employee.offboarded']);
  });
});
