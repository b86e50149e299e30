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
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, inner] of Object.entries(v)) {
        if (!lowered.has(key.toLowerCase())) out[key] = walk(inner);
      }
      return out;
    }
    return v;
  };
  return walk(value) as T;
}
