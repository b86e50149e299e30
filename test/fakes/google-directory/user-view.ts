/**
 * How a user is shown: `projection` (basic: no custom schemas; custom: the schemas named in
 * `customFieldMask`; full: all), `viewType` (domain_public drops admin-only fields and custom fields
 * readable only by admins and the user) and Google's habit of omitting empty fields.
 */
import { invalid } from './errors.ts';
import type { DirectorySchema, DirectoryUser } from './types.ts';

/** The query parameters that shape a user. */
export interface UserViewOptions {
  projection?: string | null;
  customFieldMask?: string | null;
  viewType?: string | null;
}

/** Fields a `domain_public` view shows. */
const PUBLIC_FIELDS = new Set([
  'kind',
  'id',
  'etag',
  'primaryEmail',
  'name',
  'emails',
  'aliases',
  'phones',
  'organizations',
  'relations',
  'addresses',
  'locations',
  'thumbnailPhotoUrl',
  'thumbnailPhotoEtag',
  'customSchemas',
]);

/** Rejects `projection=custom` without a `customFieldMask`, as Google does. */
export function checkViewOptions(options: UserViewOptions): void {
  if (options.projection === 'custom' && !options.customFieldMask)
    throw invalid('Invalid Input: customFieldMask is required when projection=custom');
}

/** The user as the API returns it. */
export function renderUser(
  user: DirectoryUser,
  options: UserViewOptions,
  schemaOf: (name: string) => DirectorySchema | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = structuredClone(user) as unknown as Record<string, unknown>;
  if (!user.suspended) delete out.suspensionReason;
  const projection = options.projection ?? 'basic';
  if (projection === 'basic') delete out.customSchemas;
  if (projection === 'custom' && user.customSchemas) {
    const wanted = new Set((options.customFieldMask ?? '').split(',').map((s) => s.trim()));
    const kept: Record<string, unknown> = {};
    for (const [name, values] of Object.entries(user.customSchemas))
      if (wanted.has(name)) kept[name] = values;
    out.customSchemas = kept;
  }
  if (options.viewType === 'domain_public') {
    for (const key of Object.keys(out)) if (!PUBLIC_FIELDS.has(key)) delete out[key];
    const custom = out.customSchemas as Record<string, Record<string, unknown>> | undefined;
    if (custom) {
      for (const [name, values] of Object.entries(custom)) {
        const schema = schemaOf(name);
        for (const field of Object.keys(values)) {
          const spec = schema?.fields.find((f) => f.fieldName === field);
          if (spec?.readAccessType === 'ADMINS_AND_SELF') delete values[field];
        }
      }
    }
  }
  for (const [key, value] of Object.entries(out)) {
    const empty =
      value === undefined ||
      (Array.isArray(value) && value.length === 0) ||
      (key === 'customSchemas' &&
        typeof value === 'object' &&
        value !== null &&
        Object.keys(value).length === 0);
    if (empty) delete out[key];
  }
  return out;
}
