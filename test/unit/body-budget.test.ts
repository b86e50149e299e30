/**
 * readBodyWithin on a real socket: a body read whole, and each way it can end early (too large,
 * no room in the budget, the client gone), with the budget's reservation in each case.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SyncError } from '../../src/errors.ts';
import { BodyBudget, readBodyWithin } from '../../src/http/body-budget.ts';
import { until } from '../helpers/wait.ts';

interface Read {
  outcome: { bytes: number } | { code: string; message: string };
  reserved: number;
  destroyed: boolean;
}

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  if (server) await new Promise((resolve) => server!.close(resolve));
  server = undefined;
});

/** A server whose one request is read by readBodyWithin; resolves with what the read gave. */
async function serveOnce(
  budget: BodyBudget,
  bodyLimit: number,
): Promise<{ port: number; read: Promise<Read> }> {
  let done: (read: Read) => void = () => {};
  const read = new Promise<Read>((resolve) => {
    done = resolve;
  });
  server = createServer((req: IncomingMessage, res) => {
    const reservation = { bytes: 0 };
    readBodyWithin(req, budget, bodyLimit, reservation).then(
      (body) => {
        done({ outcome: { bytes: body.length }, reserved: reservation.bytes, destroyed: req.destroyed });
        res.end('ok');
      },
      (err: unknown) => {
        const e = err as SyncError;
        done({
          outcome: { code: e.code, message: e.message },
          reserved: reservation.bytes,
          destroyed: req.destroyed,
        });
        res.end();
      },
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return { port: address.port, read };
}

/** Sends raw HTTP: a chunked POST with `chunks`, finished or not. */
async function sendChunked(port: number, chunks: readonly string[], finish: boolean) {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.on('error', () => {});
  socket.write('POST / HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n');
  for (const c of chunks) socket.write(`${Buffer.byteLength(c).toString(16)}\r\n${c}\r\n`);
  if (finish) socket.write('0\r\n\r\n');
  return socket;
}

describe('readBodyWithin', () => {
  it('reads a chunked body whole and reserves exactly its bytes', async () => {
    const budget = new BodyBudget(1000);
    const { port, read } = await serveOnce(budget, 500);
    const socket = await sendChunked(port, ['a'.repeat(100), 'b'.repeat(150)], true);
    expect(await read).toMatchObject({ outcome: { bytes: 250 }, reserved: 250 });
    expect(budget.inUse).toBe(250);
    socket.destroy();
  });

  it('refuses a chunked body past the body limit mid-body, and stops reading it', async () => {
    const budget = new BodyBudget(10_000);
    const { port, read } = await serveOnce(budget, 300);
    const socket = await sendChunked(port, ['a'.repeat(200), 'b'.repeat(200)], false);
    const r = await read;
    expect(r.outcome).toMatchObject({ code: 'BODY_TOO_LARGE' });
    expect(r.destroyed).toBe(true);
    expect(r.reserved).toBeLessThanOrEqual(300);
    socket.destroy();
  });

  it('refuses a chunked body that outgrows the budget with RECEIVER_BUSY, keeping what fit', async () => {
    const budget = new BodyBudget(300);
    const { port, read } = await serveOnce(budget, 10_000);
    const socket = await sendChunked(port, ['a'.repeat(200), 'b'.repeat(200)], false);
    const r = await read;
    expect(r.outcome).toMatchObject({ code: 'RECEIVER_BUSY' });
    expect(r.destroyed).toBe(true);
    // What was reserved before the refusal is the caller's to give back (never more than fits).
    expect(r.reserved).toBe(budget.inUse);
    expect(budget.inUse).toBeLessThanOrEqual(300);
    socket.destroy();
  });

  it('answers BAD_REQUEST "cut off" when the client hangs up mid-body', async () => {
    const budget = new BodyBudget(10_000);
    const { port, read } = await serveOnce(budget, 10_000);
    const socket = await sendChunked(port, ['a'.repeat(100)], false);
    // The first chunk is read before the hang-up (the reservation shows it).
    await until('the first chunk to be read', () => budget.inUse === 100);
    socket.destroy();
    const r = await read;
    expect(r.outcome).toEqual({ code: 'BAD_REQUEST', message: expect.stringContaining('cut off') });
    expect(r.reserved).toBe(100);
  });

  it('refuses a declared length over the limit or the budget before reading a byte', async () => {
    const budget = new BodyBudget(100);
    const req = { headers: { 'content-length': '5000' } } as unknown as IncomingMessage;
    await expect(readBodyWithin(req, budget, 1000, { bytes: 0 })).rejects.toMatchObject({
      code: 'BODY_TOO_LARGE',
    });
    const fits = { headers: { 'content-length': '500' } } as unknown as IncomingMessage;
    await expect(readBodyWithin(fits, budget, 1000, { bytes: 0 })).rejects.toMatchObject({
      code: 'RECEIVER_BUSY',
    });
    const bad = { headers: { 'content-length': '-1' } } as unknown as IncomingMessage;
    await expect(readBodyWithin(bad, budget, 1000, { bytes: 0 })).rejects.toBeInstanceOf(SyncError);
    expect(budget.inUse).toBe(0);
  });
});
