/**
 * Pure mapping from the GroWrk projection to HubSpot property values, driven by configurable
 * tables (`contactProperties`, `assetProperties`, `dealProperties`): HubSpot property name ->
 * source. A source is a dot path into the GroWrk entity (`jobTitle`, `specs.ram`) or a derived
 * value (`@firstName`, `@lastName`, `@dealName`); an empty source leaves the property unmanaged.
 * A field GroWrk did not send (e.g. an employee known only from a reference) is not managed
 * either, so a partial snapshot never clears what HubSpot holds.
 */

import type { EntitySnapshot } from '../../src/core/projection.ts';
import { employeeRefOf } from '../../src/core/projection.ts';
import type { EntityKind } from '../../src/growrk/types.ts';
import type { HubSpotConfig } from './config.ts';

/** How a value is written and compared. */
export type ValueType = 'string' | 'email' | 'number' | 'bool' | 'date' | 'datetime';

/** The HubSpot type of a property this connector may create (see `init`). */
export interface PropertySpec {
  name: string;
  label: string;
  type: ValueType;
  /** True for the unique GroWrk id property. */
  unique: boolean;
}

/** One desired property value. */
export interface DesiredValue {
  value: string;
  type: ValueType;
}

/** The target record an entity kind maps to. */
export interface TargetSpec {
  kind: EntityKind;
  /** Object type as configured (`contacts`, `deals`, a custom object name or id). */
  objectType: string;
  /** The unique property holding the GroWrk id. */
  idProperty: string;
  /** HubSpot property -> source. */
  table: Readonly<Record<string, string>>;
  /** Whether the record is associated with the contact of an employee. */
  associatesContact: boolean;
}

/** Value types of GroWrk fields that are not plain strings; keyed by source. */
const SOURCE_TYPES: Readonly<Record<string, ValueType>> = {
  email: 'email',
  'employee.email': 'email',
  arrivalDate: 'date',
  startDate: 'date',
  closedAt: 'datetime',
  createdAt: 'datetime',
  wiped: 'bool',
  charger: 'bool',
  assigned: 'bool',
  expediteShipping: 'bool',
  cost: 'number',
  contactAttempt: 'number',
};

/** The value type of a source. */
export function typeOfSource(source: string): ValueType {
  return SOURCE_TYPES[source] ?? 'string';
}

/** The object type, id property, table and association of each kind. */
export function targetSpec(kind: EntityKind, config: HubSpotConfig): TargetSpec {
  switch (kind) {
    case 'employee':
      return {
        kind,
        objectType: 'contacts',
        idProperty: config.idProperty,
        table: config.contactProperties,
        associatesContact: false,
      };
    case 'product':
      return {
        kind,
        objectType: config.assetObjectType,
        idProperty: config.assetIdProperty,
        table: config.assetProperties,
        associatesContact: true,
      };
    case 'order':
      return {
        kind,
        objectType: 'deals',
        idProperty: config.dealIdProperty,
        table: config.dealProperties,
        associatesContact: true,
      };
  }
}

function splitName(displayName: unknown): { first: string; last: string } | undefined {
  if (displayName === undefined) return undefined;
  const parts = typeof displayName === 'string' ? displayName.trim().split(/\s+/).filter(Boolean) : [];
  return { first: parts[0] ?? '', last: parts.slice(1).join(' ') };
}

/** Reads a source from an entity; `undefined` when GroWrk did not send it. */
export function readSource(data: Readonly<Record<string, unknown>>, source: string): unknown {
  switch (source) {
    case '@firstName':
      return splitName(data.displayName)?.first;
    case '@lastName':
      return splitName(data.displayName)?.last;
    case '@dealName':
      return `GroWrk order ${String(data.id)}`;
  }
  let value: unknown = data;
  for (const key of source.split('.')) {
    if (value === null || value === undefined) return value;
    if (typeof value !== 'object' || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function isoDate(value: string): string | undefined {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString().slice(0, 10);
}

/**
 * A GroWrk value as a HubSpot property value (always a string; '' clears), or undefined when the
 * value is not managed.
 */
export function toHubSpotValue(type: ValueType, raw: unknown): string | undefined {
  if (raw === undefined) return undefined;
  if (raw === null) return '';
  if (typeof raw === 'boolean') return raw ? 'true' : 'false';
  if (typeof raw === 'number') return Number.isFinite(raw) ? String(raw) : '';
  if (typeof raw === 'object') return JSON.stringify(raw);
  const text = String(raw);
  switch (type) {
    case 'email':
      return text.trim().toLowerCase();
    case 'bool':
      return /^(true|yes|1)$/i.test(text.trim())
        ? 'true'
        : /^(false|no|0|)$/i.test(text.trim())
          ? 'false'
          : text;
    case 'date':
      return text === '' ? '' : (isoDate(text) ?? text);
    case 'datetime': {
      if (text === '') return '';
      const ms = Date.parse(text);
      return Number.isNaN(ms) ? text : new Date(ms).toISOString();
    }
    default:
      return text;
  }
}

function epoch(value: string): number {
  return /^\d+$/.test(value) ? Number(value) : Date.parse(value);
}

/** Whether HubSpot's value already equals the desired one (HubSpot reports unset as null). */
export function sameValue(type: ValueType, desired: string, actual: string | null | undefined): boolean {
  const have = actual ?? '';
  if (desired === have) return true;
  if (desired === '' || have === '') return false;
  switch (type) {
    case 'email':
      return desired.trim().toLowerCase() === have.trim().toLowerCase();
    case 'number':
      return Number(desired) === Number(have);
    case 'bool':
      return desired.toLowerCase() === have.toLowerCase();
    case 'date':
      return isoDate(desired) !== undefined && isoDate(desired) === isoDate(have);
    case 'datetime':
      return !Number.isNaN(epoch(desired)) && epoch(desired) === epoch(have);
    default:
      return false;
  }
}

/** Result of mapping one entity: the desired values and anything worth a note. */
export interface Mapped {
  properties: Record<string, DesiredValue>;
  notes: string[];
}

/** Maps an entity through its kind's table (plus the id property and, for deals, pipeline and stage). */
export function mapEntity(kind: EntityKind, snapshot: EntitySnapshot, config: HubSpotConfig): Mapped {
  const spec = targetSpec(kind, config);
  const data = snapshot.data as Readonly<Record<string, unknown>>;
  const properties: Record<string, DesiredValue> = {};
  const notes: string[] = [];
  for (const [name, source] of Object.entries(spec.table)) {
    if (!source || name === spec.idProperty) continue;
    const type = typeOfSource(source);
    const value = toHubSpotValue(type, readSource(data, source));
    if (value === undefined) continue;
    // An e-mail identifies a contact: never clear it because GroWrk sent none.
    if (type === 'email' && value === '') continue;
    properties[name] = { value, type };
  }
  properties[spec.idProperty] = { value: snapshot.id, type: 'string' };
  if (kind === 'order') {
    properties.pipeline = { value: config.dealPipeline, type: 'string' };
    const status = typeof data.status === 'string' ? data.status : '';
    const stage = stageFor(status, config.dealStages);
    if (stage !== undefined) properties.dealstage = { value: stage, type: 'string' };
    else notes.push(`order status "${status}" has no deal stage in dealStages; the stage is left as it is`);
  }
  return { properties, notes };
}

function stageFor(status: string, stages: Readonly<Record<string, string>>): string | undefined {
  const wanted = status.trim().toLowerCase();
  for (const [key, stage] of Object.entries(stages)) {
    if (key.trim().toLowerCase() === wanted) return stage;
  }
  return undefined;
}

/** The contact properties of an employee, as plain strings (for creating the contact). */
export function contactValues(snapshot: EntitySnapshot, config: HubSpotConfig): Record<string, string> {
  return plainValues(mapEntity('employee', snapshot, config).properties);
}

/** Drops the types. */
export function plainValues(properties: Readonly<Record<string, DesiredValue>>): Record<string, string> {
  return Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, v.value]));
}

/** The employee a product is assigned to (or an order is for), or null. */
export function assigneeIdOf(kind: EntityKind, snapshot: EntitySnapshot): string | null {
  if (kind === 'employee') return null;
  const data = snapshot.data as Readonly<Record<string, unknown>>;
  if (kind === 'product' && data.assigned === false) return null;
  return employeeRefOf(data.employee)?.id ?? null;
}

/** How people recognise the target of an entity (no personal data beyond the target's label). */
export function labelOf(kind: EntityKind, snapshot: EntitySnapshot): string {
  const data = snapshot.data as Readonly<Record<string, unknown>>;
  if (kind === 'employee') return typeof data.email === 'string' ? data.email : `employee ${snapshot.id}`;
  if (kind === 'product') {
    return typeof data.serialNumber === 'string' && data.serialNumber !== ''
      ? `asset ${data.serialNumber}`
      : `product ${snapshot.id}`;
  }
  return `order ${snapshot.id}`;
}

/** Properties a read must ask for: the table's names and the id property (and deal pipeline/stage). */
export function readPropertyNames(kind: EntityKind, config: HubSpotConfig): string[] {
  const spec = targetSpec(kind, config);
  const names = Object.entries(spec.table)
    .filter(([, source]) => Boolean(source))
    .map(([name]) => name);
  names.push(spec.idProperty);
  if (kind === 'order') names.push('pipeline', 'dealstage');
  return [...new Set(names)];
}

const LABELS: Readonly<Record<string, string>> = {
  growrk_status: 'GroWrk status',
};

function labelFor(name: string): string {
  const known = LABELS[name];
  if (known) return known;
  const words = name
    .replace(/^growrk_/, '')
    .split('_')
    .filter(Boolean);
  const text = words.join(' ');
  const label = text.charAt(0).toUpperCase() + text.slice(1);
  return name.startsWith('growrk_') ? `GroWrk ${text}` : label;
}

/** The properties of a kind's table that `init` may have to create, with their types. */
export function propertySpecs(kind: EntityKind, config: HubSpotConfig): PropertySpec[] {
  const spec = targetSpec(kind, config);
  const out: PropertySpec[] = [];
  for (const [name, source] of Object.entries(spec.table)) {
    if (!source || name === spec.idProperty) continue;
    out.push({ name, label: labelFor(name), type: typeOfSource(source), unique: false });
  }
  out.push({
    name: spec.idProperty,
    label: `GroWrk ${kind === 'employee' ? 'employee' : kind === 'product' ? 'product' : 'order'} id`,
    type: 'string',
    unique: true,
  });
  return out;
}
