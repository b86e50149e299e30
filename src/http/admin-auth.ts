import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SyncError } from '../errors.ts';
import { sendError } from './errors.ts';

/** How many wrong tokens one client address may try, per window, before it is refused with 429. */
export interface AdminThrottle {
  /** Failed attempts allowed per window (`ADMIN_MAX_FAILED_ATTEMPTS`). */
  maxFailures: number;
  /** The window, in ms (`ADMIN_FAILED_ATTEMPTS_WINDOW`); a throttled address waits until it ends. */
  windowMs: number;
}

export const DEFAULT_ADMIN_THROTTLE: AdminThrottle = { maxFailures: 10, windowMs: 5 * 60_000 };

/** Addresses remembered at most; the oldest are forgotten first (a flood of addresses stays bounded). */
const MAX_TRACKED = 10_000;

function tokenMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header?.startsWith('Bearer ') ? header.slice(7) : '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * The admin API's guard (an `onRequest` hook): the bearer token must match, compared in constant
 * time. Failures are counted per client address (as the server sees it: behind a proxy, the
 * proxy's) and logged at warn; past `maxFailures` in a window that address gets 429 with
 * Retry-After for the rest of the window, right token or not, so guessing cannot go on.
 */
export function adminGuard(token: string, throttle: AdminThrottle = DEFAULT_ADMIN_THROTTLE, now = Date.now) {
  const failures = new Map<string, { count: number; since: number }>();
  const entryFor = (ip: string, at: number) => {
    const entry = failures.get(ip);
    if (entry && at - entry.since < throttle.windowMs) return entry;
    if (entry) failures.delete(ip);
    return null;
  };
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const at = now();
    const entry = entryFor(request.ip, at);
    if (entry && entry.count >= throttle.maxFailures) {
      const retryAfterMs = entry.since + throttle.windowMs - at;
      return sendError(reply, new SyncError('TOO_MANY_ATTEMPTS', undefined, { retryAfterMs }));
    }
    if (tokenMatches(request.headers.authorization, token)) return undefined;
    const counted = entry ?? { count: 0, since: at };
    counted.count += 1;
    failures.delete(request.ip);
    failures.set(request.ip, counted);
    if (failures.size > MAX_TRACKED) failures.delete(failures.keys().next().value as string);
    request.log.warn(
      {
        ip: request.ip,
        failures: counted.count,
        throttled: counted.count >= throttle.maxFailures,
        url: request.routeOptions.url,
      },
      'admin token refused',
    );
    return sendError(reply, new SyncError('UNAUTHORIZED'));
  };
}

/**
 * A `preValidation` hook for the admin API: every query parameter given once, as plain text of
 * reasonable size. `?type=a&type=b` (an array), control characters or an over-long value are 400.
 */
export async function singleQueryParams(request: FastifyRequest): Promise<void> {
  const query = (request.query ?? {}) as Record<string, unknown>;
  for (const [name, value] of Object.entries(query)) {
    const shown = JSON.stringify(name.slice(0, 40));
    if (Array.isArray(value))
      throw new SyncError('BAD_REQUEST', `query parameter ${shown} is given more than once`);
    if (typeof value !== 'string') throw new SyncError('BAD_REQUEST', `query parameter ${shown} is not text`);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point.
    if (value.length > 512 || /[\u0000-\u001f\u007f]/.test(value) || name.length > 64) {
      throw new SyncError('BAD_REQUEST', `query parameter ${shown} is malformed`);
    }
  }
}
