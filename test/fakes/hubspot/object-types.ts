/** Object type definitions: the standard contacts and deals, and custom types built from schemas. */
import { validationError } from './errors.ts';
import type { SchemaCreateInput, SchemaPatchInput } from './inputs.ts';
import type { ObjectTypeDef, PropertyDef } from './model.ts';
import {
  contactProperties,
  customSystemProperties,
  dealProperties,
  propertyFromInput,
} from './properties.ts';

const NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]*$/;

function byName(defs: readonly PropertyDef[]): Map<string, PropertyDef> {
  return new Map(defs.map((d) => [d.name, d]));
}

function group(
  name: string,
  label: string,
): Map<string, { name: string; label: string; displayOrder: number; archived: boolean }> {
  return new Map([[name, { name, label, displayOrder: -1, archived: false }]]);
}

/** The standard types the emulator serves: contacts (0-1) and deals (0-3). */
export function standardTypes(now: string): ObjectTypeDef[] {
  return [
    {
      objectTypeId: '0-1',
      schemaId: '0-1',
      name: 'contacts',
      singular: 'contact',
      custom: false,
      fullyQualifiedName: 'contact',
      labels: { singular: 'Contact', plural: 'Contacts' },
      primaryDisplayProperty: 'email',
      secondaryDisplayProperties: ['firstname', 'lastname'],
      searchableProperties: ['email', 'firstname', 'lastname', 'phone', 'company', 'mobilephone', 'website'],
      requiredProperties: [],
      properties: byName(contactProperties(now)),
      groups: group('contactinformation', 'Contact information'),
      defaultReadProperties: [
        'createdate',
        'email',
        'firstname',
        'hs_object_id',
        'lastmodifieddate',
        'lastname',
      ],
      createdProperty: 'createdate',
      modifiedProperty: 'lastmodifieddate',
      createdAt: now,
      updatedAt: now,
      archived: false,
    },
    {
      objectTypeId: '0-3',
      schemaId: '0-3',
      name: 'deals',
      singular: 'deal',
      custom: false,
      fullyQualifiedName: 'deal',
      labels: { singular: 'Deal', plural: 'Deals' },
      primaryDisplayProperty: 'dealname',
      secondaryDisplayProperties: [],
      searchableProperties: ['dealname'],
      requiredProperties: [],
      properties: byName(dealProperties(now)),
      groups: group('dealinformation', 'Deal information'),
      defaultReadProperties: [
        'amount',
        'closedate',
        'createdate',
        'dealname',
        'dealstage',
        'hs_lastmodifieddate',
        'hs_object_id',
        'pipeline',
      ],
      createdProperty: 'createdate',
      modifiedProperty: 'hs_lastmodifieddate',
      createdAt: now,
      updatedAt: now,
      archived: false,
    },
  ];
}

function checkNamed(type: ObjectTypeDef, names: readonly string[] | undefined, what: string): void {
  for (const name of names ?? []) {
    if (!type.properties.has(name))
      throw validationError(`${what} "${name}" is not a property of ${type.name}`);
  }
}

/** Builds a custom type from an `ObjectSchemaEgg`; throws 400 when the egg is inconsistent. */
export function customType(
  input: SchemaCreateInput,
  n: number,
  portalId: number,
  now: string,
): ObjectTypeDef {
  if (!NAME_PATTERN.test(input.name)) {
    throw validationError(
      `Object type name "${input.name}" is invalid: start with a letter, use letters, digits and underscores`,
    );
  }
  const groupName = `${input.name.toLowerCase()}_information`;
  const properties = byName(customSystemProperties(groupName, now));
  for (const p of input.properties) {
    if (properties.has(p.name))
      throw validationError(`Property "${p.name}" is defined twice or is a reserved name`);
    properties.set(p.name, propertyFromInput(p, groupName, now));
  }
  const singular = input.labels.singular ?? input.name;
  const type: ObjectTypeDef = {
    objectTypeId: `2-${n}`,
    schemaId: String(n),
    name: input.name,
    singular: input.name.toLowerCase(),
    custom: true,
    fullyQualifiedName: `p${portalId}_${input.name}`,
    labels: { singular, plural: input.labels.plural ?? singular },
    ...(input.description !== undefined ? { description: input.description } : {}),
    ...(input.primaryDisplayProperty !== undefined
      ? { primaryDisplayProperty: input.primaryDisplayProperty }
      : {}),
    secondaryDisplayProperties: input.secondaryDisplayProperties ?? [],
    searchableProperties: input.searchableProperties ?? [],
    requiredProperties: input.requiredProperties ?? [],
    properties,
    groups: group(groupName, `${singular} information`),
    defaultReadProperties: ['hs_createdate', 'hs_lastmodifieddate', 'hs_object_id'],
    createdProperty: 'hs_createdate',
    modifiedProperty: 'hs_lastmodifieddate',
    createdAt: now,
    updatedAt: now,
    archived: false,
  };
  checkNamed(
    type,
    input.primaryDisplayProperty === undefined ? [] : [input.primaryDisplayProperty],
    'primaryDisplayProperty',
  );
  checkNamed(type, input.secondaryDisplayProperties, 'secondaryDisplayProperties entry');
  checkNamed(type, input.searchableProperties, 'searchableProperties entry');
  checkNamed(type, input.requiredProperties, 'requiredProperties entry');
  return type;
}

/** Applies an `ObjectTypeDefinitionPatch`. */
export function patchType(type: ObjectTypeDef, patch: SchemaPatchInput, now: string): void {
  checkNamed(
    type,
    patch.primaryDisplayProperty === undefined ? [] : [patch.primaryDisplayProperty],
    'primaryDisplayProperty',
  );
  checkNamed(type, patch.secondaryDisplayProperties, 'secondaryDisplayProperties entry');
  checkNamed(type, patch.searchableProperties, 'searchableProperties entry');
  checkNamed(type, patch.requiredProperties, 'requiredProperties entry');
  if (patch.labels?.singular !== undefined) type.labels.singular = patch.labels.singular;
  if (patch.labels?.plural !== undefined) type.labels.plural = patch.labels.plural;
  if (patch.clearDescription) delete type.description;
  else if (patch.description !== undefined) type.description = patch.description;
  if (patch.primaryDisplayProperty !== undefined) type.primaryDisplayProperty = patch.primaryDisplayProperty;
  if (patch.secondaryDisplayProperties) type.secondaryDisplayProperties = patch.secondaryDisplayProperties;
  if (patch.searchableProperties) type.searchableProperties = patch.searchableProperties;
  if (patch.requiredProperties) type.requiredProperties = patch.requiredProperties;
  type.updatedAt = now;
}

/** The lower-case names a type answers to: id, API name, singular, fully qualified name. */
export function typeAliases(type: ObjectTypeDef): string[] {
  return [type.objectTypeId, type.name, type.singular, type.fullyQualifiedName].map((a) => a.toLowerCase());
}
