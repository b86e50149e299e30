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
 * RECEIVER_BUSY; `release` gives back whatever was reserved, and the caller must call it once the
 * request is over (the route ties it to the response's `close`).
 */
export async function readBodyWithin(
  req: IncomingMessage,
  budget: BodyBudget,
  bodyLimit: number,
  reservation: { bytes: number },
): Promise<Buffer> {
  const declared = req.headers['content-length'];
  const length = declared === undefined ? null : Number(declared);
  if (length !== null && (!Number.isSafeInteger(length) || length < 0))
    throw new SyncError('BAD_REQUEST', 'content-length is not a number of bytes');
  if (length !== null && length > bodyLimit) throw new SyncError('BODY_TOO_LARGE');
  const reserve = (bytes: number) => {
    if (!budget.take(bytes)) throw budgetExhausted();
    reservation.bytes += bytes;
  };
  if (length !== null) reserve(length);
  const chunks: Buffer[] = [];
  let received = 0;
  try {
    for await (const chunk of req) {
      const bytes = chunk as Buffer;
      received += bytes.length;
      if (received > bodyLimit) throw new SyncError('BODY_TOO_LARGE');
      if (received > reservation.bytes) reserve(received - reservation.bytes);
      chunks.push(bytes);
    }
  } catch (err) {
    if (err instanceof SyncError) throw err;
    // The client hung up or timed out mid-body: its doing, not a fault of ours to log.
    throw new SyncError('BAD_REQUEST', 'the request body was cut off before its end');
  }
  return Buffer.concat(chunks, received);
}
