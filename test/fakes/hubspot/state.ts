/**
 * The CRM state of one emulated portal: object types (standard and custom), their properties,
 * records with unique-value indexes, and associations. Writes are planned first and applied
 * after, so that a batch either passes every check or changes nothing.
 */
import { AssociationStore } from './associations.ts';
import { HubSpotError, notFound, validationError } from './errors.ts';
import type {
  CreateAssociationInput,
  PropertyCreateInput,
  PropertyGroupInput,
  SchemaCreateInput,
  SchemaPatchInput,
} from './inputs.ts';
import type { AssociationTypeDef, CrmRecord, ObjectTypeDef, PropertyDef, PropertyGroupDef } from './model.ts';
import { customType, patchType, standardTypes, typeAliases } from './object-types.ts';
import {
  applyPropertyUpdate,
  checkValues,
  isUnique,
  normaliseValue,
  propertyFromInput,
} from './properties.ts';
import { type Claims, RecordStore } from './records.ts';

/** Options of a portal's state. */
export interface CrmStateOptions {
  portalId: number;
  clock: () => number;
}

/** A validated write waiting to be applied. */
export interface PlannedWrite {
  values: Map<string, string>;
  associations: Array<{ toObjectTypeId: string; toId: string; typeIds: number[] }>;
}

export type { Claims } from './records.ts';

/** The state of one portal. */
export class CrmState {
  readonly portalId: number;
  readonly associations: AssociationStore;
  private readonly clock: () => number;
  private readonly types = new Map<string, ObjectTypeDef>();
  private readonly records = new RecordStore();
  private nextSchemaNumber = 1;

  constructor(options: CrmStateOptions) {
    this.portalId = options.portalId;
    this.clock = options.clock;
    this.associations = new AssociationStore();
    this.reset();
  }

  /** The current time as HubSpot formats it. */
  now(): string {
    return new Date(this.clock()).toISOString();
  }

  /** Back to a fresh portal: contacts and deals with default properties, nothing else. */
  reset(): void {
    const now = this.now();
    this.types.clear();
    this.records.clear();
    this.nextSchemaNumber = 1;
    this.associations.clear();
    for (const type of standardTypes(now)) this.addType(type);
    const [contacts, deals] = [this.types.get('0-1')!, this.types.get('0-3')!];
    // HubSpot's fixed ids: deal_to_contact 3, contact_to_deal 4.
    this.associations.defineFixed(contacts, deals, 4, 3, now);
  }

  private addType(type: ObjectTypeDef): void {
    this.types.set(type.objectTypeId, type);
  }

  // ---- object types -------------------------------------------------------------------------

  /** The type a path segment or an `associatedObjects` entry names, if any. */
  findType(ref: string, includeArchived = false): ObjectTypeDef | undefined {
    const wanted = ref.toLowerCase();
    for (const type of this.types.values()) {
      if ((includeArchived || !type.archived) && typeAliases(type).includes(wanted)) return type;
    }
    return undefined;
  }

  /** Like `findType`, but answers HubSpot's 400 for an unknown type. */
  resolveType(ref: string): ObjectTypeDef {
    const type = this.findType(ref);
    if (!type) throw validationError(`Unable to infer object type from: ${ref}`);
    return type;
  }

  /** Custom types, oldest first. */
  customTypes(archived = false): ObjectTypeDef[] {
    return [...this.types.values()].filter((t) => t.custom && t.archived === archived);
  }

  /** Creates a custom object type and its association definitions. */
  createSchema(input: SchemaCreateInput): ObjectTypeDef {
    const clash = [...this.types.values()].find((t) => t.name.toLowerCase() === input.name.toLowerCase());
    if (clash) {
      throw new HubSpotError(
        409,
        'OBJECT_ALREADY_EXISTS',
        `Object type with name ${input.name} already exists`,
        {
          context: { objectTypeId: [clash.objectTypeId] },
        },
      );
    }
    const targets = (input.associatedObjects ?? []).map((ref) => this.resolveType(ref));
    const type = customType(input, this.nextSchemaNumber, this.portalId, this.now());
    this.nextSchemaNumber += 1;
    this.addType(type);
    for (const target of targets) this.defineAssociation(type, target);
    return type;
  }

  /** Adds an unlabelled association definition between two types. */
  defineAssociation(from: ObjectTypeDef, to: ObjectTypeDef, name?: string): AssociationTypeDef {
    const existing = this.associations.defaultType(from.objectTypeId, to.objectTypeId);
    if (existing && name === undefined) return existing;
    return this.associations.define(
      from.objectTypeId,
      to.objectTypeId,
      'USER_DEFINED',
      null,
      name ?? `${from.singular}_to_${to.singular}`,
      name === undefined ? `${to.singular}_to_${from.singular}` : `${name}_inverse`,
      this.now(),
    );
  }

  /** Adds a labelled association definition (`/crm/associations/v4/.../labels`). */
  defineLabel(
    from: ObjectTypeDef,
    to: ObjectTypeDef,
    label: string,
    name: string,
    inverseLabel?: string,
  ): AssociationTypeDef {
    const forward = this.associations.define(
      from.objectTypeId,
      to.objectTypeId,
      'USER_DEFINED',
      label,
      name,
      `${name}_inverse`,
      this.now(),
    );
    const inverse = this.associations.type(forward.inverseTypeId);
    if (inverse) inverse.label = inverseLabel ?? label;
    return forward;
  }

  /** Applies a schema patch. */
  patchSchema(type: ObjectTypeDef, patch: SchemaPatchInput): void {
    patchType(type, patch, this.now());
  }

  /**
   * Archives a custom type; HubSpot refuses while live records of the type exist. `purge` (the
   * `archived=true` query of the DELETE) removes an archived type for good, freeing its name.
   */
  archiveSchema(type: ObjectTypeDef, purge: boolean): void {
    if (!type.custom) throw validationError(`${type.name} is not a custom object type`);
    if (this.list(type).length > 0) {
      throw validationError(`Object type ${type.objectTypeId} still has records; archive them first`);
    }
    if (purge) {
      if (!type.archived)
        throw validationError(`Object type ${type.objectTypeId} must be archived before it is purged`);
      for (const def of this.associations.touching(type.objectTypeId)) this.associations.undefine(def.typeId);
      this.types.delete(type.objectTypeId);
      this.records.drop(type.objectTypeId);
      return;
    }
    type.archived = true;
    type.updatedAt = this.now();
  }

  // ---- properties -----------------------------------------------------------------------------

  /** A live or archived property, or 404. */
  property(type: ObjectTypeDef, name: string, archived = false): PropertyDef {
    const def = type.properties.get(name);
    if (!def || def.archived !== archived) throw notFound(`Property ${name} does not exist`);
    return def;
  }

  /** Creates a property; 409 when the name is taken. */
  createProperty(type: ObjectTypeDef, input: PropertyCreateInput): PropertyDef {
    if (type.properties.has(input.name)) {
      throw new HubSpotError(409, 'OBJECT_ALREADY_EXISTS', `Property named '${input.name}' already exists.`, {
        subCategory: 'PropertyDefinitionValidationError.PROPERTY_ALREADY_EXISTS',
      });
    }
    const def = propertyFromInput(input, [...type.groups.keys()][0] ?? 'information', this.now());
    if (!type.groups.has(def.groupName))
      throw validationError(`Property group ${def.groupName} does not exist`);
    type.properties.set(def.name, def);
    return def;
  }

  /** Updates a property definition. */
  updateProperty(type: ObjectTypeDef, name: string, update: Record<string, unknown>): PropertyDef {
    const def = this.property(type, name);
    if (def.hubspotDefined && def.readOnlyValue) throw validationError(`Property ${name} is read only`);
    if (typeof update.groupName === 'string' && !type.groups.has(update.groupName)) {
      throw validationError(`Property group ${update.groupName} does not exist`);
    }
    applyPropertyUpdate(def, update, this.now());
    return def;
  }

  /** Archives a custom property. */
  archiveProperty(type: ObjectTypeDef, name: string): void {
    const def = this.property(type, name);
    if (def.hubspotDefined)
      throw validationError(`Property ${name} is a default property and cannot be archived`);
    def.archived = true;
    def.archivedAt = this.now();
    this.records.dropIndex(type.objectTypeId, name);
  }

  /** A property group, or 404. */
  group(type: ObjectTypeDef, name: string): PropertyGroupDef {
    const def = type.groups.get(name);
    if (!def || def.archived) throw notFound(`Property group ${name} does not exist`);
    return def;
  }

  /** Creates or updates a property group. */
  saveGroup(
    type: ObjectTypeDef,
    name: string,
    input: PropertyGroupInput,
    creating: boolean,
  ): PropertyGroupDef {
    const existing = type.groups.get(name);
    if (creating && existing && !existing.archived) {
      throw new HubSpotError(409, 'OBJECT_ALREADY_EXISTS', `Property group named '${name}' already exists.`);
    }
    const def = creating
      ? { name, label: input.label ?? name, displayOrder: input.displayOrder ?? -1, archived: false }
      : this.group(type, name);
    if (!creating) {
      if (input.label !== undefined) def.label = input.label;
      if (input.displayOrder !== undefined) def.displayOrder = input.displayOrder;
    }
    type.groups.set(name, def);
    return def;
  }

  /** The property that an `idProperty` names; 400 unless it is unique. */
  idProperty(type: ObjectTypeDef, name: string): PropertyDef {
    const def = type.properties.get(name);
    if (!def || def.archived) throw validationError(`Property "${name}" does not exist`);
    if (!isUnique(def))
      throw validationError(`Property "${name}" is not a unique property and cannot be used as idProperty`);
    return def;
  }

  // ---- records --------------------------------------------------------------------------------

  /** Records of a type, live or archived, ordered by id. */
  list(type: ObjectTypeDef, archived = false): CrmRecord[] {
    return this.records.list(type.objectTypeId, archived);
  }

  /** A record by id, or by the value of a unique property. */
  find(type: ObjectTypeDef, id: string, idProperty?: string, archived = false): CrmRecord | undefined {
    if (idProperty === undefined || idProperty === 'hs_object_id') {
      const record = this.records.byId(type.objectTypeId, id);
      return record && record.archived === archived ? record : undefined;
    }
    const value = normaliseValue(this.idProperty(type, idProperty), id);
    if (!archived) return this.records.byUnique(type.objectTypeId, idProperty, value);
    return this.records.list(type.objectTypeId, true).find((r) => r.properties.get(idProperty) === value);
  }

  private planAssociations(
    type: ObjectTypeDef,
    inputs: readonly CreateAssociationInput[] | undefined,
  ): PlannedWrite['associations'] {
    return (inputs ?? []).map((input) => {
      const typeIds = input.types.map((spec) => {
        const def = this.associations.type(spec.associationTypeId);
        if (!def || def.fromObjectTypeId !== type.objectTypeId || def.category !== spec.associationCategory) {
          throw validationError(
            `${spec.associationCategory} association type id ${spec.associationTypeId} is not valid for ${type.singular}`,
          );
        }
        return def;
      });
      const toObjectTypeId = typeIds[0]?.toObjectTypeId;
      if (toObjectTypeId === undefined || typeIds.some((d) => d.toObjectTypeId !== toObjectTypeId)) {
        throw validationError('Each association needs types that point to one object type');
      }
      const toType = this.types.get(toObjectTypeId);
      if (!toType || !this.find(toType, input.to.id)) {
        throw validationError(
          `${toType?.singular ?? toObjectTypeId} ${input.to.id} does not exist; cannot associate`,
        );
      }
      return { toObjectTypeId, toId: input.to.id, typeIds: typeIds.map((d) => d.typeId) };
    });
  }

  /** Validates a create: property values, required properties, unique values, associations. */
  planCreate(
    type: ObjectTypeDef,
    values: Readonly<Record<string, string>>,
    associations: readonly CreateAssociationInput[] | undefined,
    claims: Claims,
    owner: string,
  ): PlannedWrite {
    const checked = checkValues(type, values);
    const missing = type.requiredProperties.filter((name) => (checked.get(name) ?? '') === '');
    if (missing.length > 0) {
      throw validationError(`Missing required properties: [${missing.join(', ')}]`, {
        errors: missing.map((name) => ({
          message: `${name} is required`,
          code: 'REQUIRED_PROPERTY',
          context: { propertyName: [name] },
        })),
      });
    }
    this.records.assertUnique(type, checked, owner, claims);
    return { values: checked, associations: this.planAssociations(type, associations) };
  }

  /** Validates an update of an existing record. */
  planUpdate(
    type: ObjectTypeDef,
    record: CrmRecord,
    values: Readonly<Record<string, string>>,
    claims: Claims,
  ): PlannedWrite {
    const checked = checkValues(type, values);
    const cleared = type.requiredProperties.find((name) => checked.get(name) === '');
    if (cleared !== undefined) throw validationError(`Property ${cleared} is required and cannot be cleared`);
    this.records.assertUnique(type, checked, record.id, claims);
    return { values: checked, associations: [] };
  }

  /** Applies a planned create. */
  applyCreate(type: ObjectTypeDef, plan: PlannedWrite): CrmRecord {
    const record = this.records.create(type, plan.values, this.now());
    for (const link of plan.associations) {
      this.associations.link(type.objectTypeId, record.id, link.toObjectTypeId, link.toId, link.typeIds);
    }
    return record;
  }

  /** Applies a planned update. */
  applyUpdate(type: ObjectTypeDef, record: CrmRecord, plan: PlannedWrite): CrmRecord {
    this.records.write(type, record, plan.values, this.now());
    return record;
  }

  /** Archives a record: it leaves the unique indexes and loses its associations. */
  archive(type: ObjectTypeDef, record: CrmRecord): void {
    this.records.archive(type, record, this.now());
    this.associations.unlinkAll(type.objectTypeId, record.id);
  }

  /** A JSON picture of the whole portal, for the control API and test failures. */
  snapshot(): Record<string, unknown> {
    const types = [...this.types.values()].map((t) => ({
      objectTypeId: t.objectTypeId,
      name: t.name,
      fullyQualifiedName: t.fullyQualifiedName,
      archived: t.archived,
      properties: [...t.properties.values()]
        .filter((p) => !p.hubspotDefined)
        .map((p) => ({
          name: p.name,
          type: p.type,
          hasUniqueValue: p.hasUniqueValue,
          archived: p.archived,
        })),
      records: this.records.all(t.objectTypeId).map((r) => ({
        id: r.id,
        archived: r.archived,
        properties: Object.fromEntries(r.properties),
      })),
    }));
    return {
      portalId: this.portalId,
      types,
      associationTypes: this.associations.allTypes(),
      associations: this.associations.allLinks(),
    };
  }
}
