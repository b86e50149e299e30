import type { IncomingMessage } from 'node:http';
import { SyncError } from '../errors.ts';

/**
 * The bytes the receiver may hold, across all requests, for bodies whose signature has not been
 * checked yet. A request reserves what it declares (Content-Length) before a byte is read, and
 * more as chunks of an undeclared body arrive; past the budget it is refused with 503 and
 * Retry-After. Everything a request reserved is given back when its response ends or its
 * connection drops, whatever happened in between.
 */
export class BodyBudget {
  readonly limit: number;
  private used = 0;

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Bytes reserved right now (the `http_unverified_body_bytes` gauge). */
  get inUse(): number {
    return this.used;
  }

  /** Reserves `bytes`, or returns false (nothing reserved) when they do not fit. */
  take(bytes: number): boolean {
    if (bytes < 0 || this.used + bytes > this.limit) return false;
    this.used += bytes;
    return true;
  }

  give(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }
}

/** The error for a body the budget has no room for: GroWrk retries after a pause. */
export function budgetExhausted(): SyncError {
  return new SyncError('RECEIVER_BUSY', undefined, { retryAfterMs: 5000 });
}

/**
 * Reads a request body into one buffer under `budget` and `bodyLimit`. Throws BODY_TOO_LARGE or
 * RECEIVER_BUSY (the request is destroyed when that happens mid-body: the rest is not read);
 * `release` gives back whatever was reserved, and the caller must call it once the request is
 * over (the route ties it to the response's `close`). It listens to the stream's events rather
 * than iterating it: the async iterator costs a promise and a closure per chunk.
 */
export function readBodyWithin(
  req: IncomingMessage,
  budget: BodyBudget,
  bodyLimit: number,
  reservation: { bytes: number },
): Promise<Buffer> {
  const declared = req.headers['content-length'];
  const length = declared === undefined ? null : Number(declared);
  if (length !== null && (!Number.isSafeInteger(length) || length < 0))
    return Promise.reject(new SyncError('BAD_REQUEST', 'content-length is not a number of bytes'));
  if (length !== null && length > bodyLimit) return Promise.reject(new SyncError('BODY_TOO_LARGE'));
  if (length !== null) {
    if (!budget.take(length)) return Promise.reject(budgetExhausted());
    reservation.bytes += length;
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const stop = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onCut);
    };
    const refuse = (error: SyncError) => {
      stop();
      req.destroy();
      reject(error);
    };
    const onData = (bytes: Buffer) => {
      received += bytes.length;
      if (received > bodyLimit) return refuse(new SyncError('BODY_TOO_LARGE'));
      if (received > reservation.bytes) {
        if (!budget.take(received - reservation.bytes)) return refuse(budgetExhausted());
        reservation.bytes = received;
      }
      chunks.push(bytes);
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks, received));
    };
    // The client hung up or timed out mid-body: its doing, not a fault of ours to log. (The error
    // listener stays: a settled promise ignores it, and the stream never errors unheard.)
    const onCut = () => {
      stop();
      reject(new SyncError('BAD_REQUEST', 'the request body was cut off before its end'));
    };
    if (req.readableEnded || req.destroyed) return onCut();
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('close', onCut);
    req.on('error', onCut);
  });
}
