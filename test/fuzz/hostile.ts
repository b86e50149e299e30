/**
 * A seeded generator of hostile webhook deliveries, for the fuzz suite: signatures in every wrong
 * encoding, bodies broken, nested, wide, huge or odd, unusual headers. Deterministic for a seed
 * (mulberry32), so a failing run is replayed with `FUZZ_SEED=<seed>`.
 */
import { createHmac } from 'node:crypto';
import { signBody } from '../../src/growrk/signature.ts';
import { fixtureBodies } from '../helpers/fixtures.ts';

/** A small seeded PRNG with the helpers the generator needs. */
export class Rand {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  text(
    length: number,
    alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_+/=. ',
  ): string {
    let out = '';
    for (let i = 0; i < length; i += 1) out += alphabet[this.int(0, alphabet.length - 1)];
    return out;
  }
}

/** One request to send, and whether it carries a signature the receiver must accept as GroWrk's. */
export interface HostileRequest {
  kind: string;
  body: Buffer;
  headers: Record<string, string | string[]>;
  /** True when the signature header is exactly GroWrk's for this body and the configured secret. */
  validlySigned: boolean;
}

const FIXTURES = [...fixtureBodies().values()];
const ODD_KEYS = ['__proto__', 'constructor', 'prototype', '', ' ', '\u0000', 'toString', 'hasOwnProperty'];

function nested(rand: Rand, depth: number, leaf: string): string {
  const open = rand.chance(0.5) ? '[' : '{"a":';
  const close = open === '[' ? ']' : '}';
  return `${open.repeat(depth)}${leaf}${close.repeat(depth)}`;
}

/** A body: broken, nested, wide, odd or fine. */
function body(rand: Rand, bodyLimit: number): { kind: string; text: string | Buffer } {
  const base = rand.pick(FIXTURES);
  switch (rand.int(0, 13)) {
    case 0:
      return { kind: 'fixture', text: base };
    case 1: {
      const cut = rand.int(0, base.length - 1);
      return { kind: 'truncated', text: base.slice(0, cut) };
    }
    case 2: {
      const bytes = Buffer.from(base);
      for (let i = rand.int(1, 8); i > 0; i -= 1) bytes[rand.int(0, bytes.length - 1)] = rand.int(0, 255);
      return { kind: 'bit-flipped', text: bytes };
    }
    case 3: {
      const json = JSON.parse(base) as Record<string, unknown>;
      const key = Object.keys(json).find((k) => Array.isArray(json[k])) ?? 'employees';
      const depth = rand.pick([10, 63, 64, 65, 200, 1000, 10_000, 20_000]);
      return {
        kind: `nested-${depth}`,
        text: JSON.stringify({ ...json, [key]: [{ id: 'x', deep: '__D__' }] }).replace(
          '"__D__"',
          nested(rand, depth, '1'),
        ),
      };
    }
    case 4:
      return { kind: 'bare-nesting', text: nested(rand, rand.int(1, 50_000), '"x"') };
    case 5: {
      const n = rand.pick([0, 1, 9_999, 10_000, 10_001, 50_000]);
      const json = JSON.parse(base) as Record<string, unknown>;
      return { kind: `wide-${n}`, text: JSON.stringify({ ...json, wide: Array(n).fill(0) }) };
    }
    case 6:
      return {
        kind: 'not-object',
        text: rand.pick(['1', '"text"', 'null', 'true', '[]', '[1,2,3]', '{}', '""']),
      };
    case 7: {
      const json = JSON.parse(base) as Record<string, unknown>;
      for (const key of ['event', 'timestamp', 'companyId']) if (rand.chance(0.4)) delete json[key];
      if (rand.chance(0.3))
        json.event = rand.pick(['', 'employee.', 'x'.repeat(5000), 'product.exploded', 42]);
      if (rand.chance(0.3))
        json.timestamp = rand.pick(['9999-12-31T23:59:59Z', 'yesterday', '2024-02-30T00:00:00Z', 1]);
      return { kind: 'envelope', text: JSON.stringify(json) };
    }
    case 8: {
      const json = JSON.parse(base) as Record<string, unknown>;
      const key = Object.keys(json).find((k) => Array.isArray(json[k])) ?? 'employees';
      const entity: Record<string, unknown> = { id: rand.pick(['1', 2, '', null, {}, [], 'x'.repeat(300)]) };
      for (const odd of ODD_KEYS) if (rand.chance(0.5)) entity[odd] = rand.text(8);
      return {
        kind: 'odd-keys',
        text: JSON.stringify({ ...json, [key]: [entity] }).replace('"x0"', '"__proto__"'),
      };
    }
    case 9:
      return {
        kind: 'garbage',
        text: Buffer.from(Array.from({ length: rand.int(0, 2000) }, () => rand.int(0, 255))),
      };
    case 10:
      return {
        kind: 'unicode',
        text: base.replace(
          /"email":\s*"[^"]*"/,
          `"email":"${'\u{1F600}\uD800\u0000'.repeat(rand.int(1, 50))}"`,
        ),
      };
    case 11:
      if (rand.chance(0.7)) return { kind: 'fixture', text: base };
      return {
        kind: 'huge',
        text: `{"event":"employee.updated","pad":"${'x'.repeat(rand.int(bodyLimit - 100, bodyLimit + 5000))}"}`,
      };
    case 12:
      return { kind: 'empty', text: '' };
    default:
      return {
        kind: 'numbers',
        text: base.replace(
          /"companyId":\s*[^,}]+/,
          `"companyId": ${rand.pick(['1e999', '-0', '123456789012345678901234567890', 'NaN'])}`,
        ),
      };
  }
}

/** A signature header for `raw`: GroWrk's own, or one of the ways it can be wrong. */
function signature(
  rand: Rand,
  raw: Buffer,
  secret: string,
): { header: string | string[] | null; valid: boolean } {
  const good = signBody(raw, secret);
  switch (rand.int(0, 11)) {
    case 0:
    case 1:
    case 2:
    case 3:
      return { header: good, valid: true };
    case 4:
      return { header: createHmac('sha256', secret).update(raw).digest('base64'), valid: false };
    case 5:
      return { header: good.replace(/=+$/, ''), valid: false };
    case 6:
      return { header: `${good}=`, valid: false };
    case 7:
      return { header: signBody(raw, `${secret}x`), valid: false };
    case 8:
      // A trailing space: app.inject passes it on (refused); a real HTTP parser strips it.
      if (rand.chance(0.2)) return { header: `${good} `, valid: false };
      return { header: rand.pick(['', ' ', 'null', good.slice(0, 20), good.toLowerCase()]), valid: false };
    case 9:
      return { header: rand.text(rand.int(1, 300)), valid: false };
    case 10:
      return { header: null, valid: false };
    default: {
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const sibling = alphabet[alphabet.indexOf(good[42]!) ^ 1]!;
      return { header: `${good.slice(0, 42)}${sibling}=`, valid: false };
    }
  }
}

/** The next hostile request. */
export function hostileRequest(rand: Rand, secret: string, bodyLimit: number): HostileRequest {
  const made = body(rand, bodyLimit);
  const raw = Buffer.isBuffer(made.text) ? made.text : Buffer.from(made.text);
  const candidate = signature(rand, raw, secret);
  // A "wrong" encoding can still be the exact string (plain base64 of a digest without + or /).
  const good = signBody(raw, secret);
  const sig = {
    ...candidate,
    valid: candidate.header === good,
  };
  const headers: Record<string, string | string[]> = {
    'content-type': rand.pick([
      'application/json',
      'application/json; charset=utf-8',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      '',
    ]),
  };
  if (sig.header !== null) headers['x-growrk-signature'] = sig.header;
  if (rand.chance(0.05)) headers['x-request-id'] = rand.text(rand.int(1, 500));
  if (rand.chance(0.05)) headers['content-encoding'] = rand.pick(['gzip', 'br', 'identity']);
  return { kind: made.kind, body: raw, headers, validlySigned: sig.valid };
}
