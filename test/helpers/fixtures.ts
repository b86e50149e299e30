import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../fixtures/growrk/', import.meta.url));

/** The GroWrk sample bodies (copied from shared/fixtures), by event type, as raw text. */
export function fixtureBodies(): Map<string, string> {
  const bodies = new Map<string, string>();
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    bodies.set(file.replace(/\.json$/, ''), readFileSync(dir + file, 'utf8'));
  }
  return bodies;
}

/** One fixture as a parsed object. */
export function fixture(type: string): Record<string, unknown> {
  const body = fixtureBodies().get(type);
  if (!body) throw new Error(`no fixture ${type}`);
  return JSON.parse(body) as Record<string, unknown>;
}

/** The sensitive values the employee fixtures carry, which must never be stored or logged. */
export const SENSITIVE_VALUES = [
  'TAX-000-11-2222',
  'NID-123-45-6789',
  '1990-04-01',
  '123456',
  '59.35',
  'biweekly',
  'single',
  'Jane Doe',
  '+1 555 0100',
];
