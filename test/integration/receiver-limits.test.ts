/**
 * The receiver under hostile connections (issue 10, item 1): the bytes of unverified bodies are
 * budgeted (503 RECEIVER_BUSY with Retry-After past it) and given back however a request ends;
 * slow headers, slow bodies and idle keep-alive connections are closed; connections are capped.
 * Real sockets against a listening app; every wait is on a condition.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { signBody } from '../../src/growrk/signature.ts';
import { testApp } from '../helpers/app.ts';
import { fixtureBodies } from '../helpers/fixtures.ts';
import { until } from '../helpers/wait.ts';

const SECRET = 'test-secret';
const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function listening(env: Record<string, string>) {
  const t = await testApp(env);
  const url = await t.app.listen({ port: 0, host: '127.0.0.1' });
  cleanup.push(t.close);
  const port = Number(new URL(url).port);
  const held = async (): Promise<number> => {
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    const line = res.body.split('\n').find((l) => l.startsWith('http_unverified_body_bytes '));
    return Number(line?.split(' ')[1]);
  };
  return { ...t, port, held };
}

/** A raw connection that records what the server sent and whether it closed. */
function rawSocket(port: number): Promise<{ socket: Socket; received: () => string; closed: () => boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    let isClosed = false;
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      isClosed = true;
    });
    socket.once('connect', () => {
      cleanup.push(() => {
        socket.destroy();
      });
      resolve({ socket, received: () => data, closed: () => isClosed });
    });
    socket.once('error', reject);
  });
}

/** Headers of a webhook POST declaring `length` bytes, and the first `sent` of them. */
function stalledPost(length: number, sent: number): string {
  return (
    'POST /webhooks/growrk HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
    `x-growrk-signature: ${'A'.repeat(43)}=\r\nContent-Length: ${length}\r\n\r\n${'x'.repeat(sent)}`
  );
}

function signed(body: string) {
  return {
    method: 'POST' as const,
    url: '/webhooks/growrk',
    headers: { 'content-type': 'application/json', 'x-growrk-signature': signBody(body, SECRET) },
    payload: body,
  };
}

describe('receiver budgets and timeouts', () => {
  it('holds at most WEBHOOK_UNVERIFIED_BYTES for stalled bodies, refuses the rest with 503 and Retry-After, and gives it all back', async () => {
    const { app, port, held, logs } = await listening({ WEBHOOK_UNVERIFIED_BYTES: String(3 * 1_048_000) });
    // Ten unsigned connections each declare ~1 MB, send 1 KB and stall.
    const sockets = await Promise.all(Array.from({ length: 10 }, () => rawSocket(port)));
    for (const s of sockets) s.socket.write(stalledPost(1_048_000, 1024));
    const refused = await until('seven connections refused', () => {
      const busy = sockets.filter((s) => s.received().startsWith('HTTP/1.1 503'));
      return busy.length === 7 ? busy : null;
    });
    for (const s of refused) {
      expect(s.received()).toMatch(/retry-after: \d+/i);
      expect(s.received()).toContain('RECEIVER_BUSY');
    }
    expect(await held()).toBe(3 * 1_048_000);
    // A real delivery meanwhile is refused the same way, never stored half-read.
    const busy = await app.inject(signed(fixtureBodies().get('employee.updated')!));
    expect(busy.statusCode).toBe(503);
    expect(busy.headers['retry-after']).toBeDefined();
    // The attackers go away: every byte is given back and deliveries go through again.
    for (const s of sockets) s.socket.destroy();
    await until('the budget to be given back', async () => (await held()) === 0);
    const ok = await app.inject(signed(fixtureBodies().get('employee.updated')!));
    expect(ok.statusCode).toBe(200);
    expect(await held()).toBe(0);
    // Clients that hang up are not our fault: nothing is logged as an error.
    expect(logs.lines.filter((l) => (JSON.parse(l) as { level: number }).level >= 50)).toEqual([]);
  });

  it('closes a connection whose body does not arrive within HTTP_BODY_TIMEOUT and gives its bytes back', async () => {
    const { port, held, logs } = await listening({
      HTTP_HEADERS_TIMEOUT: '200ms',
      HTTP_BODY_TIMEOUT: '300ms',
    });
    const slow = await rawSocket(port);
    slow.socket.write(stalledPost(5000, 10));
    await until('the reservation', async () => (await held()) === 5000);
    await until('the server to close the slow connection', () => slow.closed());
    expect(slow.received()).toMatch(/^HTTP\/1.1 408/);
    await until('the budget to be given back', async () => (await held()) === 0);
    expect(logs.lines.filter((l) => (JSON.parse(l) as { level: number }).level >= 50)).toEqual([]);
  });

  it('closes a connection that never finishes its headers within HTTP_HEADERS_TIMEOUT', async () => {
    const { port } = await listening({ HTTP_HEADERS_TIMEOUT: '200ms', HTTP_BODY_TIMEOUT: '10s' });
    const slow = await rawSocket(port);
    slow.socket.write('POST /webhooks/growrk HTTP/1.1\r\nHost: x\r\n');
    await until('the server to close the connection', () => slow.closed());
  });

  it('closes an idle keep-alive connection after HTTP_KEEP_ALIVE_TIMEOUT', async () => {
    const { port } = await listening({ HTTP_KEEP_ALIVE_TIMEOUT: '200ms' });
    const client = await rawSocket(port);
    client.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
    await until('the answer', () => client.received().includes('"ok"'));
    await until('the server to close the idle connection', () => client.closed());
  });

  it('caps open connections at HTTP_MAX_CONNECTIONS', async () => {
    const { port } = await listening({ HTTP_MAX_CONNECTIONS: '2' });
    const a = await rawSocket(port);
    const b = await rawSocket(port);
    // The server has taken both (each answers), then a third is dropped as it arrives.
    for (const s of [a, b]) s.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await until('both answered', () => a.received().includes('"ok"') && b.received().includes('"ok"'));
    const c = await rawSocket(port);
    await until('the third connection to be closed', () => c.closed());
    expect(c.received()).toBe('');
    a.socket.destroy();
    b.socket.destroy();
    const d = await until('a connection to be served again', async () => {
      const s = await rawSocket(port);
      s.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      await until('an answer or a close', () => s.closed() || s.received().includes('"ok"'));
      return s.received().includes('"ok"') ? s : null;
    });
    expect(d.received()).toMatch(/^HTTP\/1.1 200/);
  });
});
