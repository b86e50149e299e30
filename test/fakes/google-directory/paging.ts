/**
 * Page tokens for list methods: opaque to the client, bound to the query that made them, so a
 * token replayed with other filters is a 400 (as Google answers "Invalid page token").
 */
import { createHash } from 'node:crypto';
import { invalid } from './errors.ts';

/** A fingerprint of the parameters that define a listing (everything but paging and shaping). */
export function listingFingerprint(query: URLSearchParams, ignore: readonly string[]): string {
  const skip = new Set(['pageToken', 'maxResults', 'fields', 'prettyPrint', 'alt', ...ignore]);
  const entries = [...query.entries()].filter(([k]) => !skip.has(k)).sort(([a], [b]) => a.localeCompare(b));
  return createHash('sha1').update(JSON.stringify(entries)).digest('base64url').slice(0, 12);
}

/** Encodes where the next page starts. */
export function encodePageToken(offset: number, fingerprint: string): string {
  return Buffer.from(JSON.stringify({ o: offset, f: fingerprint })).toString('base64url');
}

/** Decodes a page token made for the same listing; throws a 400 otherwise. */
export function decodePageToken(token: string, fingerprint: string): number {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && 'o' in parsed && 'f' in parsed) {
      const { o, f } = parsed;
      if (typeof o === 'number' && Number.isInteger(o) && o >= 0 && f === fingerprint) return o;
    }
  } catch {
    // fall through to the 400
  }
  throw invalid('Invalid Input: pageToken (not made for this listing)');
}

/** One page of `items` and the token for the next one. */
export function page<T>(
  items: T[],
  query: URLSearchParams,
  defaultSize: number,
  fingerprint: string,
): { items: T[]; nextPageToken?: string } {
  const size = query.has('maxResults') ? Number(query.get('maxResults')) : defaultSize;
  const token = query.get('pageToken');
  const offset = token ? decodePageToken(token, fingerprint) : 0;
  const slice = items.slice(offset, offset + size);
  const next = offset + size;
  return next < items.length
    ? { items: slice, nextPageToken: encodePageToken(next, fingerprint) }
    : { items: slice };
}
