/** JSON shapes of answers, as the OpenAPI files define them. */
import type { AssociationTypeDef, CrmRecord, ObjectTypeDef, PropertyDef, PropertyGroupDef } from './model.ts';

/** Which properties a read returns: the named ones plus the always-included ones, or the defaults. */
export function readProperties(type: ObjectTypeDef, requested: readonly string[] | undefined): string[] {
  if (!requested || requested.length === 0) return type.defaultReadProperties;
  const always = ['hs_object_id', type.createdProperty, type.modifiedProperty];
  const known = requested.filter((name) => type.properties.has(name));
  return [...new Set([...known, ...always])];
}

/** `SimplePublicObject` (and the `WithAssociations` variant when `associations` is given). */
export function recordView(
  type: ObjectTypeDef,
  record: CrmRecord,
  requested?: readonly string[],
  withHistory?: readonly string[],
): Record<string, unknown> {
  const properties: Record<string, string | null> = {};
  for (const name of readProperties(type, requested)) properties[name] = record.properties.get(name) ?? null;
  const view: Record<string, unknown> = {
    id: record.id,
    properties,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    archived: record.archived,
  };
  if (record.archivedAt) view.archivedAt = record.archivedAt;
  const history = (withHistory ?? []).filter((name) => type.properties.has(name));
  if (history.length > 0) {
    const out: Record<string, unknown[]> = {};
    for (const name of history) {
      const value = record.properties.get(name);
      out[name] =
        value === undefined
          ? []
          : [
              {
                value,
                timestamp: record.propertyTimes.get(name) ?? record.updatedAt,
                sourceType: 'API',
                sourceId: 'emulator',
              },
            ];
    }
    view.propertiesWithHistory = out;
  }
  return view;
}

/** `Property`. */
export function propertyView(def: PropertyDef): Record<string, unknown> {
  return {
    name: def.name,
    label: def.label,
    type: def.type,
    fieldType: def.fieldType,
    description: def.description,
    groupName: def.groupName,
    options: def.options,
    displayOrder: def.displayOrder,
    calculated: def.calculated,
    externalOptions: def.externalOptions,
    hasUniqueValue: def.hasUniqueValue,
    hidden: def.hidden,
    ...(def.hubspotDefined ? { hubspotDefined: true } : {}),
    modificationMetadata: {
      archivable: !def.hubspotDefined,
      readOnlyDefinition: def.hubspotDefined,
      readOnlyValue: def.readOnlyValue,
    },
    formField: def.formField,
    ...def.extra,
    createdAt: def.createdAt,
    updatedAt: def.updatedAt,
    archived: def.archived,
    ...(def.archivedAt ? { archivedAt: def.archivedAt } : {}),
  };
}

/** `PropertyGroup`. */
export function groupView(def: PropertyGroupDef): Record<string, unknown> {
  return { name: def.name, label: def.label, displayOrder: def.displayOrder, archived: def.archived };
}

/** `AssociationDefinition` (schemas API). */
export function associationDefinitionView(def: AssociationTypeDef): Record<string, unknown> {
  return {
    id: String(def.typeId),
    fromObjectTypeId: def.fromObjectTypeId,
    toObjectTypeId: def.toObjectTypeId,
    name: def.name,
    createdAt: def.createdAt,
    updatedAt: def.updatedAt,
  };
}

/** `AssociationSpecWithLabel`. */
export function associationTypeView(def: AssociationTypeDef): Record<string, unknown> {
  return { category: def.category, typeId: def.typeId, label: def.label };
}

/** `ObjectTypeDefinition` (the answer of a schema update). */
export function typeDefinitionView(type: ObjectTypeDef, portalId: number): Record<string, unknown> {
  return {
    id: type.schemaId,
    objectTypeId: type.objectTypeId,
    fullyQualifiedName: type.fullyQualifiedName,
    name: type.name,
    labels: type.labels,
    ...(type.description !== undefined ? { description: type.description } : {}),
    ...(type.primaryDisplayProperty !== undefined
      ? { primaryDisplayProperty: type.primaryDisplayProperty }
      : {}),
    secondaryDisplayProperties: type.secondaryDisplayProperties,
    searchableProperties: type.searchableProperties,
    requiredProperties: type.requiredProperties,
    portalId,
    createdAt: type.createdAt,
    updatedAt: type.updatedAt,
    archived: type.archived,
  };
}

/** `ObjectSchema`. */
export function schemaView(
  type: ObjectTypeDef,
  associations: readonly AssociationTypeDef[],
  include: { properties: boolean; associations: boolean; audit: boolean } = {
    properties: true,
    associations: true,
    audit: true,
  },
): Record<string, unknown> {
  return {
    id: type.schemaId,
    objectTypeId: type.objectTypeId,
    fullyQualifiedName: type.fullyQualifiedName,
    name: type.name,
    labels: type.labels,
    ...(type.description !== undefined ? { description: type.description } : {}),
    ...(type.primaryDisplayProperty !== undefined
      ? { primaryDisplayProperty: type.primaryDisplayProperty }
      : {}),
    secondaryDisplayProperties: type.secondaryDisplayProperties,
    searchableProperties: type.searchableProperties,
    requiredProperties: type.requiredProperties,
    properties: include.properties
      ? [...type.properties.values()].filter((p) => !p.archived).map(propertyView)
      : [],
    associations: include.associations ? associations.map(associationDefinitionView) : [],
    archived: type.archived,
    ...(include.audit ? { createdAt: type.createdAt, updatedAt: type.updatedAt } : {}),
  };
}

/** The envelope of a batch answer. */
export function batchView(
  results: unknown[],
  errors: unknown[],
  startedAt: string,
  completedAt: string,
): { status: number; body: Record<string, unknown> } {
  const body: Record<string, unknown> = { status: 'COMPLETE', results, startedAt, completedAt };
  if (errors.length === 0) return { status: 200, body };
  return { status: 207, body: { ...body, numErrors: errors.length, errors } };
}
