/**
 * How a `users.insert` / `users.update` / `users.patch` body changes a user. The discovery document
 * says both update and patch have patch semantics: fields absent from the body are kept, `null`
 * clears a field, arrays are replaced whole, objects (`name`, `customSchemas.<schema>`) are merged.
 * Patch differs in one documented way: it "is unable to clear fields that contain repeated objects
 * (addresses, phones, etc)", so there `null` or `[]` on such a field changes nothing.
 * Read-only fields (per the discovery `User` schema) are ignored, as Google ignores them.
 */
import type { DiscoverySchema } from './discovery.ts';
import type { CustomSchemaValues, DirectoryUser } from './types.ts';

/** Which write is being applied. */
export type UserWriteMode = 'insert' | 'update' | 'patch';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Fields handled by the caller (identity, password, OU, suspension) rather than copied. */
const SPECIAL = new Set([
  'id',
  'primaryEmail',
  'password',
  'orgUnitPath',
  'suspended',
  'customSchemas',
  'name',
]);

/** Merges custom schema values per schema and per field; `null` removes a field or a whole schema. */
export function mergeCustomSchemas(
  current: CustomSchemaValues | undefined,
  patch: unknown,
): CustomSchemaValues {
  const out: CustomSchemaValues = {};
  for (const [name, fields] of Object.entries(current ?? {})) out[name] = { ...fields };
  if (!isRecord(patch)) return out;
  for (const [name, fields] of Object.entries(patch)) {
    if (fields === null) {
      delete out[name];
      continue;
    }
    if (!isRecord(fields)) continue;
    const merged = { ...(out[name] ?? {}) };
    for (const [field, value] of Object.entries(fields)) {
      if (value === null) delete merged[field];
      else merged[field] = value;
    }
    if (Object.keys(merged).length === 0) delete out[name];
    else out[name] = merged;
  }
  return out;
}

/**
 * Copies the plain writable fields of `body` onto `user` (everything but the special fields, which
 * the state handles). `userSchema` is the discovery `User` schema.
 */
export function applyPlainFields(
  user: DirectoryUser,
  body: Record<string, unknown>,
  mode: UserWriteMode,
  userSchema: DiscoverySchema,
): void {
  const target = user as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(body)) {
    if (SPECIAL.has(key)) continue;
    const prop = userSchema.properties?.[key];
    if (!prop || prop.readOnly) continue;
    const repeated =
      prop.type === 'any' && (Array.isArray(target[key]) || Array.isArray(value) || value === null);
    if (mode === 'patch' && repeated && (value === null || (Array.isArray(value) && value.length === 0)))
      continue;
    if (value === null || (Array.isArray(value) && value.length === 0 && prop.type === 'any')) {
      delete target[key];
      continue;
    }
    target[key] = structuredClone(value);
  }
  if (isRecord(body.name)) {
    const name = { ...user.name };
    for (const [key, value] of Object.entries(body.name)) {
      if (key === 'givenName' || key === 'familyName' || key === 'displayName' || key === 'fullName') {
        if (typeof value === 'string') name[key] = value;
        else if (value === null) delete name[key];
      }
    }
    if (!('fullName' in body.name) || body.name.fullName === null)
      name.fullName = [name.givenName, name.familyName].filter(Boolean).join(' ');
    user.name = name;
  }
}
