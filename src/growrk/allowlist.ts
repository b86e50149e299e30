import { copyWhere } from './privacy.ts';
import { ENTITY_ARRAY_KEY, type EntityKind, kindOfEvent } from './types.ts';

/**
 * The fields kept of each entity kind, as dot paths from the entity (`email`, `manager.email`,
 * `specs.*` for everything below `specs`). Array items take their array's path (`customFields.name`
 * keeps the `name` of every item). Everything not listed is dropped before anything is stored.
 * Plain data: it crosses to the SQLite thread.
 */
export type KeepFields = Readonly<Record<EntityKind, readonly string[]>>;

/**
 * The safe default: of employees what the core and the built-in mappings read (ids, e-mails,
 * names, status, the directory fields, the manager), nothing about pay, identity documents,
 * health, family or addresses; of products and orders their documented business fields, without
 * the device PIN, free-text notes, addresses or contact attempts. `PRIVACY_KEEP_FIELDS` replaces it, and the
 * field mappings of enabled connectors add to it.
 */
export const DEFAULT_KEEP_FIELDS: KeepFields = {
  employee: [
    'id',
    'email',
    'secondaryEmail',
    'displayName',
    'firstName',
    'lastName',
    'status',
    'jobTitle',
    'department',
    'manager.id',
    'manager.email',
    'manager.displayName',
  ],
  // Asset data, not personal: every documented field but the device PIN and free-text notes.
  product: [
    'id',
    'url',
    'createdAt',
    'status',
    'assigned',
    'serialNumber',
    'title',
    'model',
    'manufacturer',
    'specs.*',
    'condition',
    'location',
    'regionId',
    'managedBy',
    'mdm',
    'orderId',
    'arrivalDate',
    'wiped',
    'charger',
    'po',
    'legalHoldStatus',
    'employee.id',
    'employee.email',
    'employee.displayName',
  ],
  // No addresses, no contact attempts.
  order: [
    'id',
    'url',
    'createdAt',
    'status',
    'closedAt',
    'regionId',
    'country',
    'type',
    'cost',
    'poNumber',
    'expediteShipping',
    'employee.id',
    'employee.email',
    'employee.displayName',
  ],
};

/** The envelope keys kept beside the entity array. */
const ENVELOPE_KEYS = ['event', 'timestamp', 'companyId'] as const;

interface Node {
  all: boolean;
  children: Map<string, Node>;
}

function tree(paths: readonly string[]): Node {
  const root: Node = { all: false, children: new Map() };
  for (const path of paths) {
    let node = root;
    for (const part of path.split('.').filter(Boolean)) {
      if (part === '*') {
        node.all = true;
        break;
      }
      let next = node.children.get(part);
      if (!next) {
        next = { all: false, children: new Map() };
        node.children.set(part, next);
      }
      node = next;
    }
  }
  return root;
}

/**
 * A filter for entities of one kind: keeps the allowed paths, and never a key named in `drop`
 * (compared case-insensitively), whatever the allowlist says. Iterative; built once, used per body.
 */
export function entityFilter(
  paths: readonly string[],
  drop: readonly string[],
): (entity: unknown) => unknown {
  const root = tree(paths);
  const dropped = new Set(drop.map((d) => d.toLowerCase()));
  return (entity) =>
    copyWhere(entity, root, (key, node) => {
      // Most keys GroWrk sends are not on the allowlist: they go without the case-folded lookup.
      const next = node.all ? node : node.children.get(key);
      if (next === undefined || dropped.has(key.toLowerCase())) return null;
      return next;
    });
}

/** Filters whole bodies: the envelope, and each entity of the body's family through its filter. */
export function bodyFilter(keep: KeepFields, drop: readonly string[]) {
  const filters = {
    employee: entityFilter(keep.employee, drop),
    product: entityFilter(keep.product, drop),
    order: entityFilter(keep.order, drop),
  } satisfies Record<EntityKind, (entity: unknown) => unknown>;
  return {
    /**
     * What is stored of a body: `event`, `timestamp`, `companyId` and the entity array of the
     * event's family, filtered; nothing else. Null for a body that is not a JSON object.
     */
    body(json: unknown): Record<string, unknown> | null {
      if (json === null || typeof json !== 'object' || Array.isArray(json)) return null;
      const record = json as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const key of ENVELOPE_KEYS) {
        const value = record[key];
        if (value === null || typeof value !== 'object') out[key] = value;
      }
      const kind = typeof record.event === 'string' ? kindOfEvent(record.event.trim()) : null;
      if (kind !== null) {
        const key = ENTITY_ARRAY_KEY[kind];
        const list = record[key];
        if (Array.isArray(list)) out[key] = list.map((item) => withId(item, filters[kind](item)));
      }
      return out;
    },
  };
}

/** An entity's copy with its `id` (what names it: kept whatever the allowlist says). */
function withId(item: unknown, copy: unknown): unknown {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) return copy;
  if (!('id' in item) || (copy as Record<string, unknown>).id !== undefined) return copy;
  return { ...(copy as Record<string, unknown>), id: (item as Record<string, unknown>).id };
}

/**
 * Reads `PRIVACY_KEEP_FIELDS` entries: `kind:path` for one kind (`employee:startDate`), a bare path
 * for every kind.
 */
export function parseKeepFields(entries: readonly string[]): KeepFields {
  const out: Record<EntityKind, string[]> = { employee: [], product: [], order: [] };
  for (const entry of entries) {
    const match = /^(employee|product|order):(.+)$/.exec(entry.trim());
    if (match) out[match[1] as EntityKind].push(match[2]!);
    else for (const kind of Object.keys(out) as EntityKind[]) out[kind].push(entry.trim());
  }
  return out;
}

/** The default as `PRIVACY_KEEP_FIELDS` entries. */
export function keepFieldsEntries(keep: KeepFields): string[] {
  return (Object.keys(keep) as EntityKind[]).flatMap((kind) => keep[kind].map((path) => `${kind}:${path}`));
}
