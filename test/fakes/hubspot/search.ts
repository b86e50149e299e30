/**
 * CRM search semantics: filter groups (OR of groups, AND of the filters inside a group), the free
 * text `query`, and sorts. The OpenAPI file types `sorts` as a list of strings; the emulator reads
 * each string as a property name, ascending, or descending when it starts with `-`.
 */
import { validationError } from './errors.ts';
import type { FilterInput, SearchInput } from './inputs.ts';
import type { CrmRecord, ObjectTypeDef, PropertyDef } from './model.ts';

const VALUE_OPERATORS = new Set([
  'EQ',
  'NEQ',
  'GT',
  'GTE',
  'LT',
  'LTE',
  'CONTAINS_TOKEN',
  'NOT_CONTAINS_TOKEN',
]);

function asTime(value: string): number {
  return /^\d+$/.test(value) ? Number(value) : Date.parse(value);
}

/** Orders two stored values by the property's type. */
function compare(def: PropertyDef | undefined, a: string, b: string): number {
  if (
    def?.type === 'number' ||
    (def === undefined && /^-?\d+(\.\d+)?$/.test(a) && /^-?\d+(\.\d+)?$/.test(b))
  ) {
    return Number(a) - Number(b);
  }
  if (def?.type === 'date' || def?.type === 'datetime') return asTime(a) - asTime(b);
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

function tokens(value: string): string[] {
  return value
    .toLowerCase()
    .split(/[^a-z0-9@._*-]+/)
    .flatMap((t) => [t, ...t.split(/[@._-]+/)])
    .filter((t) => t !== '');
}

function containsToken(value: string, token: string): boolean {
  const wanted = token.toLowerCase();
  if (wanted.includes('*')) {
    const pattern = new RegExp(
      `^${wanted
        .split('*')
        .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    );
    return tokens(value).some((t) => pattern.test(t));
  }
  return tokens(value).includes(wanted);
}

function matchesFilter(type: ObjectTypeDef, record: CrmRecord, filter: FilterInput): boolean {
  const def = type.properties.get(filter.propertyName);
  const stored = record.properties.get(filter.propertyName);
  const has = stored !== undefined && stored !== '';
  const value = filter.value ?? '';
  switch (filter.operator) {
    case 'HAS_PROPERTY':
      return has;
    case 'NOT_HAS_PROPERTY':
      return !has;
    case 'EQ':
      return has && compare(def, stored, value) === 0;
    case 'NEQ':
      return !has || compare(def, stored, value) !== 0;
    case 'GT':
      return has && compare(def, stored, value) > 0;
    case 'GTE':
      return has && compare(def, stored, value) >= 0;
    case 'LT':
      return has && compare(def, stored, value) < 0;
    case 'LTE':
      return has && compare(def, stored, value) <= 0;
    case 'BETWEEN':
      return has && compare(def, stored, value) >= 0 && compare(def, stored, filter.highValue ?? '') <= 0;
    case 'IN':
      return has && (filter.values ?? []).some((v) => compare(def, stored, v) === 0);
    case 'NOT_IN':
      return !has || !(filter.values ?? []).some((v) => compare(def, stored, v) === 0);
    case 'CONTAINS_TOKEN':
      return has && containsToken(stored, value);
    case 'NOT_CONTAINS_TOKEN':
      return !has || !containsToken(stored, value);
    default:
      return false;
  }
}

/** One parsed sort: property and direction. */
export interface SortKey {
  propertyName: string;
  descending: boolean;
}

/** Reads the `sorts` strings. */
export function parseSorts(sorts: readonly string[] | undefined): SortKey[] {
  return (sorts ?? []).map((s) =>
    s.startsWith('-')
      ? { propertyName: s.slice(1), descending: true }
      : { propertyName: s, descending: false },
  );
}

/** Throws HubSpot's 400 for filters or sorts on properties the type does not have, or a filter missing its value. */
export function checkSearch(type: ObjectTypeDef, input: SearchInput): void {
  for (const group of input.filterGroups ?? []) {
    for (const filter of group.filters) {
      const def = type.properties.get(filter.propertyName);
      if (!def || def.archived) {
        throw validationError(
          `There was a problem with the request. Property "${filter.propertyName}" does not exist`,
        );
      }
      if (VALUE_OPERATORS.has(filter.operator) && filter.value === undefined) {
        throw validationError(
          `Filter on ${filter.propertyName} with operator ${filter.operator} needs a value`,
        );
      }
      if ((filter.operator === 'IN' || filter.operator === 'NOT_IN') && filter.values === undefined) {
        throw validationError(
          `Filter on ${filter.propertyName} with operator ${filter.operator} needs values`,
        );
      }
      if (filter.operator === 'BETWEEN' && (filter.value === undefined || filter.highValue === undefined)) {
        throw validationError(
          `Filter on ${filter.propertyName} with operator BETWEEN needs value and highValue`,
        );
      }
    }
  }
  for (const sort of parseSorts(input.sorts)) {
    if (!type.properties.has(sort.propertyName)) {
      throw validationError(
        `There was a problem with the request. Property "${sort.propertyName}" does not exist`,
      );
    }
  }
}

/** Whether a record matches the request's filters and free text query. */
export function matchesSearch(type: ObjectTypeDef, record: CrmRecord, input: SearchInput): boolean {
  const groups = input.filterGroups ?? [];
  if (groups.length > 0 && !groups.some((g) => g.filters.every((f) => matchesFilter(type, record, f))))
    return false;
  const text = input.query?.trim().toLowerCase();
  if (text) {
    const fields =
      type.searchableProperties.length > 0
        ? type.searchableProperties
        : [...type.properties.values()].filter((p) => p.type === 'string').map((p) => p.name);
    return fields.some((name) => (record.properties.get(name) ?? '').toLowerCase().includes(text));
  }
  return true;
}

/** Sorts records by the given keys, then by id. */
export function sortRecords(
  type: ObjectTypeDef,
  records: CrmRecord[],
  sorts: readonly SortKey[],
): CrmRecord[] {
  return records.sort((a, b) => {
    for (const sort of sorts) {
      const def = type.properties.get(sort.propertyName);
      const x = a.properties.get(sort.propertyName) ?? '';
      const y = b.properties.get(sort.propertyName) ?? '';
      const order = x === y ? 0 : x === '' ? 1 : y === '' ? -1 : compare(def, x, y);
      if (order !== 0) return sort.descending ? -order : order;
    }
    return Number(a.id) - Number(b.id);
  });
}
