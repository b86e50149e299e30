import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const POOL_SIZE = 4096;
let pool = randomBytes(POOL_SIZE);
let offset = 0;

/** Random bytes from a pool refilled 4 KiB at a time (one syscall per ~340 ids, not one per id). */
function nextRandomByte(): number {
  if (offset >= POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    offset = 0;
  }
  return pool[offset++]!;
}

/**
 * A sortable unique id: prefix, 10 base32 characters of milliseconds, 12 of randomness
 * (ULID-like), so ids sort by creation time.
 */
export function newId(prefix: string, now: number = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i += 1) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  let rand = '';
  for (let i = 0; i < 12; i += 1) rand += ALPHABET[nextRandomByte() % 32];
  return `${prefix}_${time}${rand}`;
}
