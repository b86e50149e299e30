/**
 * Google's partial-response `fields` syntax: `nextPageToken,users(id,primaryEmail,name/givenName)`.
 * Comma lists, nested parentheses, `a/b` as a shorthand for `a(b)`, and `*` for every key.
 */

/** A parsed selection: each key maps to a sub-selection, or `null` for the whole value. */
export type FieldMask = Map<string, FieldMask | null>;

/** Thrown for a `fields` value that does not parse. */
export class FieldsSyntaxError extends Error {}

function merge(into: FieldMask, key: string, sub: FieldMask | null): void {
  if (!into.has(key)) {
    into.set(key, sub);
    return;
  }
  const existing = into.get(key) ?? null;
  if (existing === null || sub === null) {
    into.set(key, null);
    return;
  }
  for (const [k, v] of sub) merge(existing, k, v);
}

/** Parses a `fields` expression. */
export function parseFields(expr: string): FieldMask {
  let pos = 0;
  const fail = (what: string): never => {
    throw new FieldsSyntaxError(`Invalid field selection ${expr}: ${what} at position ${pos}`);
  };
  const skipSpace = (): void => {
    while (pos < expr.length && /\s/.test(expr.charAt(pos))) pos += 1;
  };
  const name = (): string => {
    skipSpace();
    const start = pos;
    while (pos < expr.length && !/[,()/\s]/.test(expr.charAt(pos))) pos += 1;
    if (pos === start) fail('expected a field name');
    return expr.slice(start, pos);
  };
  const selection = (): FieldMask => {
    const mask: FieldMask = new Map();
    for (;;) {
      item(mask);
      skipSpace();
      if (expr.charAt(pos) !== ',') return mask;
      pos += 1;
    }
  };
  const item = (mask: FieldMask): void => {
    const path = [name()];
    skipSpace();
    while (expr.charAt(pos) === '/') {
      pos += 1;
      path.push(name());
      skipSpace();
    }
    let leaf: FieldMask | null = null;
    if (expr.charAt(pos) === '(') {
      pos += 1;
      leaf = selection();
      skipSpace();
      if (expr.charAt(pos) !== ')') fail('expected ")"');
      pos += 1;
    }
    let sub: FieldMask | null = leaf;
    for (let i = path.length - 1; i >= 1; i -= 1) sub = new Map([[path[i] ?? '', sub]]);
    merge(mask, path[0] ?? '', sub);
  };
  if (expr.trim() === '') fail('empty selection');
  const mask = selection();
  skipSpace();
  if (pos !== expr.length) fail(`unexpected "${expr.charAt(pos)}"`);
  return mask;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Keeps only the selected parts of a JSON value (arrays are filtered element by element). */
export function applyFields(value: unknown, mask: FieldMask | null): unknown {
  if (mask === null) return value;
  if (Array.isArray(value)) return value.map((v) => applyFields(v, mask));
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  const wildcard = mask.get('*');
  for (const [key, v] of Object.entries(value)) {
    if (mask.has(key)) out[key] = applyFields(v, mask.get(key) ?? null);
    else if (wildcard !== undefined) out[key] = applyFields(v, wildcard);
  }
  return out;
}
