import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signs a body exactly as GroWrk does: HMAC-SHA256 over the raw bytes, base64, then `+` -> `-` and
 * `/` -> `_`, padding kept.
 */
export function signBody(body: string | Uint8Array, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

/** Decodes a signature header in any of the forms GroWrk's scheme yields (url-safe or plain, padded or not). */
function decodeSignature(header: string): Buffer | null {
  const trimmed = header.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) return null;
  const decoded = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return decoded.length === 32 ? decoded : null;
}

/**
 * Verifies `header` against `body` for each secret, in constant time per secret. Every secret is
 * always tried, so the time taken does not reveal which one matched.
 * @returns the index of the matching secret, or -1.
 */
export function verifySignature(
  body: Uint8Array,
  header: string | undefined,
  secrets: readonly string[],
): number {
  if (header === undefined || header === '') return -1;
  const given = decodeSignature(header);
  if (given === null) return -1;
  let match = -1;
  secrets.forEach((secret, index) => {
    const expected = createHmac('sha256', secret).update(body).digest();
    if (timingSafeEqual(expected, given) && match === -1) match = index;
  });
  return match;
}
