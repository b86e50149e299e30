/**
 * Record storage: one table per object type, ids from one counter (HubSpot ids are numeric
 * strings), and an index per unique property (value -> record id) over live records.
 */
import { conflict } from './errors.ts';
import type { CrmRecord, ObjectTypeDef } from './model.ts';
import { isUnique } from './properties.ts';

/** Unique values claimed by the writes of one batch, to catch duplicates inside the batch. */
export type Claims = Map<string, string>;

/** The records of one portal. */
export class RecordStore {
  private readonly tables = new Map<string, Map<string, CrmRecord>>();
  /** `${objectTypeId}|${property}` -> value -> record id. */
  private readonly unique = new Map<string, Map<string, string>>();
  private nextId = 1;

  /** Forgets every record. */
  clear(): void {
    this.tables.clear();
    this.unique.clear();
    this.nextId = 1;
  }

  /** Forgets the records of one type (a purged schema). */
  drop(objectTypeId: string): void {
    this.tables.delete(objectTypeId);
    for (const key of [...this.unique.keys()])
      if (key.startsWith(`${objectTypeId}|`)) this.unique.delete(key);
  }

  /** Forgets the index of a property (an archived property no longer constrains values). */
  dropIndex(objectTypeId: string, property: string): void {
    this.unique.delete(`${objectTypeId}|${property}`);
  }

  private table(objectTypeId: string): Map<string, CrmRecord> {
    let table = this.tables.get(objectTypeId);
    if (!table) {
      table = new Map();
      this.tables.set(objectTypeId, table);
    }
    return table;
  }

  /** Every record of a type, live and archived, in insertion order. */
  all(objectTypeId: string): CrmRecord[] {
    return [...this.table(objectTypeId).values()];
  }

  /** Records of a type, live or archived, ordered by id. */
  list(objectTypeId: string, archived: boolean): CrmRecord[] {
    return this.all(objectTypeId)
      .filter((r) => r.archived === archived)
      .sort((a, b) => Number(a.id) - Number(b.id));
  }

  byId(objectTypeId: string, id: string): CrmRecord | undefined {
    return this.table(objectTypeId).get(id);
  }

  /** The live record holding a unique value. */
  byUnique(objectTypeId: string, property: string, value: string): CrmRecord | undefined {
    const id = this.unique.get(`${objectTypeId}|${property}`)?.get(value);
    return id === undefined ? undefined : this.byId(objectTypeId, id);
  }

  /** Throws 409 CONFLICT when a unique value is held by another record or claimed by another input. */
  assertUnique(
    type: ObjectTypeDef,
    values: ReadonlyMap<string, string>,
    owner: string,
    claims: Claims,
  ): void {
    for (const [name, value] of values) {
      const def = type.properties.get(name);
      if (!def || !isUnique(def) || value === '') continue;
      const holder = this.unique.get(`${type.objectTypeId}|${name}`)?.get(value);
      const claimKey = `${type.objectTypeId}|${name}|${value}`;
      const claimedBy = claims.get(claimKey);
      const other = [holder, claimedBy].find((id) => id !== undefined && id !== owner);
      if (other !== undefined) {
        const message =
          type.objectTypeId === '0-1' && name === 'email'
            ? `Contact already exists. Existing ID: ${other}`
            : `A ${type.singular} with ${name} "${value}" already exists. Existing ID: ${other}`;
        throw conflict(message, { context: { id: [other], propertyName: [name] } });
      }
      claims.set(claimKey, owner);
    }
  }

  private index(type: ObjectTypeDef, record: CrmRecord, name: string, previous: string | undefined): void {
    const def = type.properties.get(name);
    if (!def || !isUnique(def)) return;
    const key = `${type.objectTypeId}|${name}`;
    let index = this.unique.get(key);
    if (!index) {
      index = new Map();
      this.unique.set(key, index);
    }
    if (previous !== undefined && index.get(previous) === record.id) index.delete(previous);
    const value = record.properties.get(name);
    if (value !== undefined && value !== '' && !record.archived) index.set(value, record.id);
  }

  /** Sets values (an empty string clears one) and the last-modified time. */
  write(type: ObjectTypeDef, record: CrmRecord, values: ReadonlyMap<string, string>, now: string): void {
    for (const [name, value] of values) {
      const previous = record.properties.get(name);
      if (value === '') record.properties.delete(name);
      else record.properties.set(name, value);
      record.propertyTimes.set(name, now);
      this.index(type, record, name, previous);
    }
    record.properties.set(type.modifiedProperty, now);
    record.propertyTimes.set(type.modifiedProperty, now);
    record.updatedAt = now;
  }

  /** Creates a record with the next id. */
  create(type: ObjectTypeDef, values: ReadonlyMap<string, string>, now: string): CrmRecord {
    const id = String(this.nextId);
    this.nextId += 1;
    const record: CrmRecord = {
      id,
      objectTypeId: type.objectTypeId,
      properties: new Map([
        ['hs_object_id', id],
        [type.createdProperty, now],
      ]),
      propertyTimes: new Map([
        ['hs_object_id', now],
        [type.createdProperty, now],
      ]),
      createdAt: now,
      updatedAt: now,
      archived: false,
    };
    this.table(type.objectTypeId).set(id, record);
    this.write(type, record, values, now);
    return record;
  }

  /** Archives a record; it leaves the unique indexes. */
  archive(type: ObjectTypeDef, record: CrmRecord, now: string): void {
    if (record.archived) return;
    record.archived = true;
    record.archivedAt = now;
    for (const [name, value] of record.properties) this.index(type, record, name, value);
  }
}
