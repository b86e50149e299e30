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

  it('accepts the padded, unpadded and plain base64 forms', () => {
    const body = Buffer.from('{"event":"order.created"}');
    const padded = growrkHeader(body, secret);
    expect(padded.endsWith('=')).toBe(true);
    const plain = createHmac('sha256', secret).update(body).digest('base64');
    expect(verifySignature(body, padded, [secret])).toBe(0);
    expect(verifySignature(body, padded.replace(/=+$/, ''), [secret])).toBe(0);
    expect(verifySignature(body, plain, [secret])).toBe(0);
    expect(verifySignature(body, ` ${padded} `, [secret])).toBe(0);
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
