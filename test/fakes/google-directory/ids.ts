/** Seeded, repeatable identifiers in the shapes Google uses. */
import { createHash } from 'node:crypto';

/** Makes ids from a seeded PRNG (mulberry32), so a run with the same seed gets the same ids. */
export class IdGenerator {
  private a: number;

  constructor(seed = 1) {
    this.a = seed >>> 0;
  }

  private next(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** `count` characters drawn from `alphabet`. */
  chars(alphabet: string, count: number): string {
    let out = '';
    for (let i = 0; i < count; i += 1) out += alphabet.charAt(Math.floor(this.next() * alphabet.length));
    return out;
  }

  /** A 21-digit user id such as `103948572910384756123`. */
  userId(): string {
    return `1${this.chars('0123456789', 20)}`;
  }

  /** A group id such as `03x8tuzt2x9s1ab`. */
  groupId(): string {
    return `0${this.chars('0123456789abcdefghijklmnopqrstuvwxyz', 14)}`;
  }

  /** A schema or field id. */
  opaqueId(): string {
    return this.chars('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_', 22);
  }

  /** An org unit id such as `id:03ph8a2z1x3k9l0`. */
  orgUnitId(): string {
    return `id:03ph${this.chars('0123456789abcdefghijklmnopqrstuvwxyz', 11)}`;
  }

  /** An eight-digit backup code. */
  verificationCode(): string {
    return this.chars('0123456789', 8);
  }

  /** An OAuth access token. */
  accessToken(): string {
    return `ya29.emu-${this.chars('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 40)}`;
  }
}

/** An etag derived from the record's content, in Google's quoted form. */
export function etagOf(value: unknown): string {
  const hash = createHash('sha1').update(JSON.stringify(value)).digest('base64url');
  return `"${hash}"`;
}
