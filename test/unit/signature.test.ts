import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signBody, verifySignature } from '../../src/growrk/signature.ts';
import { fixtureBodies } from '../helpers/fixtures.ts';

/** GroWrk's documented Node.js function, verbatim (from growrk-webhooks-seed.txt). */
function growrkValidateSignature(
  requestBody: string | Buffer,
  headerSignature: string,
  secret: string,
): boolean {
  const hash = createHmac('sha256', secret)
    .update(requestBody)
    .digest('base64')
    .replace(/\+/g, '-')
    .replace(/\//g, '_');
  return hash === headerSignature;
}

/** What GroWrk itself would send: the header its own function accepts. */
function growrkHeader(body: string | Buffer, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

const secret = 'whsec_test_4f9a';

describe('GroWrk signatures', () => {
  it('matches GroWrk documented function on every fixture', () => {
    for (const body of fixtureBodies().values()) {
      const header = growrkHeader(body, secret);
      expect(growrkValidateSignature(body, header, secret)).toBe(true);
      expect(signBody(body, secret)).toBe(header);
      expect(verifySignature(Buffer.from(body), header, [secret])).toBe(0);
    }
  });

  it('exercises the url-safe alphabet: a vector whose signature has - and _', () => {
    // Search a body whose base64 digest contains both + and / so the replacement matters.
    let body = '';
    for (let i = 0; i < 500; i += 1) {
      body = `{"event":"employee.updated","n":${i}}`;
      const plain = createHmac('sha256', secret).update(body).digest('base64');
      if (plain.includes('+') && plain.includes('/')) break;
    }
    const header = growrkHeader(body, secret);
    expect(header).toMatch(/-/);
    expect(header).toMatch(/_/);
    expect(verifySignature(Buffer.from(body), header, [secret])).toBe(0);
  });

  it('accepts only the exact form GroWrk sends: no plain base64, no padding changes, no same-bytes variant', () => {
    // A body whose digest has + and / (so plain and url-safe differ).
    let body = Buffer.alloc(0);
    for (let i = 0; i < 500; i += 1) {
      body = Buffer.from(`{"event":"order.created","n":${i}}`);
      const plain = createHmac('sha256', secret).update(body).digest('base64');
      if (plain.includes('+') && plain.includes('/')) break;
    }
    const exact = growrkHeader(body, secret);
    expect(exact.endsWith('=')).toBe(true);
    expect(verifySignature(body, exact, [secret])).toBe(0);
    const plain = createHmac('sha256', secret).update(body).digest('base64');
    expect(verifySignature(body, plain, [secret])).toBe(-1);
    expect(verifySignature(body, exact.replace(/=+$/, ''), [secret])).toBe(-1);
    expect(verifySignature(body, `${exact}=`, [secret])).toBe(-1);
    expect(verifySignature(body, ` ${exact}`, [secret])).toBe(-1);
    expect(verifySignature(body, exact.toLowerCase(), [secret])).toBe(-1);
    // The last character carries 2 unused bits: flipping them decodes to the same 32 bytes.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = exact[42]!;
    const sibling = alphabet[alphabet.indexOf(last) ^ 0b01]!;
    const variant = `${exact.slice(0, 42)}${sibling}=`;
    expect(Buffer.from(variant, 'base64url')).toEqual(Buffer.from(exact, 'base64url'));
    expect(verifySignature(body, variant, [secret])).toBe(-1);
    // A non-ASCII character that would truncate to a matching byte.
    const wide = `${String.fromCharCode(0x100 + exact.charCodeAt(0))}${exact.slice(1)}`;
    expect(verifySignature(body, wide, [secret])).toBe(-1);
  });

  it('refuses a flipped body byte, a wrong secret, a truncated or missing header', () => {
    const body = Buffer.from(fixtureBodies().get('employee.offboarded')!);
    const header = growrkHeader(body, secret);
    const flipped = Buffer.from(body);
    flipped[40] = flipped[40]! ^ 0x01;
    expect(verifySignature(flipped, header, [secret])).toBe(-1);
    expect(verifySignature(body, growrkHeader(body, 'other'), [secret])).toBe(-1);
    expect(verifySignature(body, header.slice(0, 20), [secret])).toBe(-1);
    expect(verifySignature(body, header.slice(0, -2), [secret])).toBe(-1);
    expect(verifySignature(body, undefined, [secret])).toBe(-1);
    expect(verifySignature(body, '', [secret])).toBe(-1);
    expect(verifySignature(body, 'not base64 at all!', [secret])).toBe(-1);
  });

  it('tries every configured secret (rotation)', () => {
    const body = Buffer.from('{"x":1}');
    expect(verifySignature(body, growrkHeader(body, 'new'), ['old', 'new'])).toBe(1);
    expect(verifySignature(body, growrkHeader(body, 'old'), ['old', 'new'])).toBe(0);
    expect(verifySignature(body, growrkHeader(body, 'gone'), ['old', 'new'])).toBe(-1);
  });
});
