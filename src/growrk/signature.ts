import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signs a body exactly as GroWrk does: HMAC-SHA256 over the raw bytes, base64, then `+` -> `-` and
 * `/` -> `_`, padding kept.
 */
export function signBody(body: string | Uint8Array, secret: string): string {
  // base64url is that alphabet without the padding, which for 32 bytes is always one '='.
  return `${createHmac('sha256', secret).update(body).digest('base64url')}=`;
}

/**
 * Verifies `header` against `body` for each secret: the header must be exactly the string GroWrk's
 * own function produces (url-safe alphabet, padding kept, nothing around it). Standard base64,
 * missing or extra padding, or another last character that decodes to the same bytes are refused:
 * one accepted form per body and secret. Each secret is compared in constant time and every secret
 * is always tried, so the time taken reveals neither the signature nor which secret matched.
 * @returns the index of the matching secret, or -1.
 */
export function verifySignature(
  body: Uint8Array,
  header: string | undefined,
  secrets: readonly string[],
): number {
  if (header === undefined || header.length !== SIGNATURE_LENGTH) return -1;
  const given = Buffer.from(header, 'utf8');
  let match = -1;
  secrets.forEach((secret, index) => {
    const expected = Buffer.from(signBody(body, secret), 'utf8');
    if (given.length === expected.length && timingSafeEqual(expected, given) && match === -1) match = index;
  });
  return match;
}

/** base64 of a 32-byte HMAC-SHA256: 43 characters and one `=`. */
const SIGNATURE_LENGTH = 44;
