/**
 * The employee fields no mapping uses and that must never be stored: GroWrk sends them, we drop
 * them before anything is written. Configurable (`privacy.dropFields`); this is the safe default.
 */
export const DEFAULT_SENSITIVE_FIELDS: readonly string[] = [
  'taxId',
  'nationalId',
  'dateOfBirth',
  'annualCompensation',
  'payRate',
  'payFrequency',
  'gender',
  'maritalStatus',
  'nationality',
  'emergencyContact',
  'temporaryAddress',
];

/**
 * Returns a copy of `value` with every key in `fields` removed, at any depth (an employee may be
 * nested in an order or product, or a body may be malformed). Keys compare case-insensitively.
 */
export function dropSensitive<T>(value: T, fields: readonly string[]): T {
  const lowered = new Set(fields.map((f) => f.toLowerCase()));
  return copyWhere(value, true, (key) => (lowered.has(key.toLowerCase()) ? null : true)) as T;
}

/**
 * Copies JSON-like data, keeping an object key only when `child(key, state)` gives a state for it
 * (the state of its parent object passes to it; array items share their array's). Iterative (an
 * explicit stack), so no nesting can overflow the call stack.
 */
export function copyWhere<S>(
  value: unknown,
  rootState: S,
  child: (key: string, state: S) => S | null,
): unknown {
  const isContainer = (v: unknown): v is object => v !== null && typeof v === 'object';
  if (!isContainer(value)) return value;
  type Target = unknown[] | Record<string, unknown>;
  const root: Target = Array.isArray(value) ? [] : {};
  const stack: Array<{ from: object; to: Target; state: S }> = [{ from: value, to: root, state: rootState }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { from, to, state } = item;
    const isArray = Array.isArray(from);
    const entries: Array<[string, unknown]> = isArray
      ? from.map((v, i) => [String(i), v])
      : Object.entries(from);
    for (const [key, inner] of entries) {
      const innerState = isArray ? state : child(key, state);
      if (innerState === null) continue;
      let copy: unknown = inner;
      if (isContainer(inner)) {
        copy = Array.isArray(inner) ? [] : {};
        stack.push({ from: inner, to: copy as Target, state: innerState });
      }
      if (Array.isArray(to)) to.push(copy);
      else to[key] = copy;
    }
  }
  return root;
}

/**
 * What is stored instead of a signed body that could not be read as an event (not JSON, or over a
 * structural limit): no field can be told from another, so nothing of it is kept but its size and
 * digest (the same SHA-256 as the event's body hash) and why it was refused.
 */
export function withheldBody(code: string, bytes: number, sha256: string): string {
  return JSON.stringify({ withheld: true, code, bytes, sha256 });
}
