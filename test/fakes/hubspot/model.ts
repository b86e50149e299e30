/** The emulator's data model: object types, their properties, records and association types. */

/** One option of an enumeration property. */
export interface PropertyOption {
  label: string;
  value: string;
  description?: string;
  displayOrder: number;
  hidden: boolean;
}

/** A property definition of one object type. */
export interface PropertyDef {
  name: string;
  label: string;
  type: string;
  fieldType: string;
  groupName: string;
  description: string;
  options: PropertyOption[];
  displayOrder: number;
  hasUniqueValue: boolean;
  hidden: boolean;
  formField: boolean;
  calculated: boolean;
  externalOptions: boolean;
  hubspotDefined: boolean;
  /** Values are set by HubSpot, never by callers (hs_object_id, last-modified dates). */
  readOnlyValue: boolean;
  /**
   * Values must be unique although HubSpot reports `hasUniqueValue: false` (a contact's email: HubSpot
   * deduplicates contacts by it and accepts it as an upsert `idProperty`).
   */
  uniqueIdentity: boolean;
  /** Other fields given at creation and echoed back (textDisplayHint, referencedObjectType, ...). */
  extra: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  archivedAt?: string;
}

/** A property group. */
export interface PropertyGroupDef {
  name: string;
  label: string;
  displayOrder: number;
  archived: boolean;
}

/** An object type: a standard one (contacts, deals) or a custom one from a schema. */
export interface ObjectTypeDef {
  /** `0-1`, `0-3`, `2-<n>`. */
  objectTypeId: string;
  /** The numeric part HubSpot reports as a schema's `id`. */
  schemaId: string;
  /** API name: `contacts`, `deals`, or the custom schema's `name`. */
  name: string;
  /** Singular name used in association type names (`contact`, `deal`, schema name). */
  singular: string;
  custom: boolean;
  fullyQualifiedName: string;
  labels: { singular: string; plural: string };
  description?: string;
  primaryDisplayProperty?: string;
  secondaryDisplayProperties: string[];
  searchableProperties: string[];
  requiredProperties: string[];
  properties: Map<string, PropertyDef>;
  groups: Map<string, PropertyGroupDef>;
  /** Properties a read returns when the caller names none. */
  defaultReadProperties: string[];
  /** The property names holding creation and last-modification time. */
  createdProperty: string;
  modifiedProperty: string;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
}

/** One CRM record. */
export interface CrmRecord {
  id: string;
  objectTypeId: string;
  properties: Map<string, string>;
  /** When each property value was last set (for propertiesWithHistory). */
  propertyTimes: Map<string, string>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  archivedAt?: string;
}

/** HubSpot's association categories. */
export type AssociationCategory = 'HUBSPOT_DEFINED' | 'USER_DEFINED' | 'INTEGRATOR_DEFINED' | 'WORK';

/** One direction of an association definition. */
export interface AssociationTypeDef {
  typeId: number;
  category: AssociationCategory;
  fromObjectTypeId: string;
  toObjectTypeId: string;
  /** `null` for the unlabelled (default) type of a pair. */
  label: string | null;
  /** e.g. `contact_to_deal`, `growrk_asset_to_contact`. */
  name: string;
  inverseTypeId: number;
  createdAt: string;
  updatedAt: string;
}
