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
 * (the state of its parent object passes to it; array items share their array's), and never a
 * `__proto__` key. Iterative (an explicit stack), so no nesting can overflow the call stack.
 */
export function copyWhere<S>(
  value: unknown,
  rootState: S,
  child: (key: string, state: S) => S | null,
): unknown {
  if (!isContainer(value)) return value;
  type Target = unknown[] | Record<string, unknown>;
  const root: Target = Array.isArray(value) ? [] : {};
  const stack: Array<{ from: object; to: Target; state: S }> = [{ from: value, to: root, state: rootState }];
  // Plain loops over keys and items: this runs for every entity of every webhook.
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { from, to, state } = item;
    if (Array.isArray(from)) {
      const out = to as unknown[];
      for (const inner of from) out.push(copyInto(inner, state, stack));
      continue;
    }
    const source = from as Record<string, unknown>;
    const out = to as Record<string, unknown>;
    for (const key in source) {
      // JSON.parse makes `__proto__` an own key, but assigning it would set the copy's prototype
      // (fields it does not own, which JSON.stringify leaves out): no GroWrk field has that name.
      if (!Object.hasOwn(source, key) || key === '__proto__') continue;
      const innerState = child(key, state);
      if (innerState !== null) out[key] = copyInto(source[key], innerState, stack);
    }
  }
  return root;
}

function isContainer(v: unknown): v is object {
  return v !== null && typeof v === 'object';
}

/** The copy of `inner` to place: itself when a scalar, else an empty container queued to fill. */
function copyInto<S>(
  inner: unknown,
  state: S,
  stack: Array<{ from: object; to: unknown[] | Record<string, unknown>; state: S }>,
): unknown {
  if (!isContainer(inner)) return inner;
  const copy = Array.isArray(inner) ? [] : {};
  stack.push({ from: inner, to: copy, state });
  return copy;
}

/**
 * What is stored instead of a signed body that could not be read as an event (not JSON, or over a
 * structural limit): no field can be told from another, so nothing of it is kept but its size and
 * digest (the same SHA-256 as the event's body hash) and why it was refused.
 */
export function withheldBody(code: string, bytes: number, sha256: string): string {
  return JSON.stringify({ withheld: true, code, bytes, sha256 });
}
