/**
 * Request body shapes, as the OpenAPI files define them. The server validates every body against
 * the files before a handler runs, so handlers may read a body through these types.
 */

/** `AssociationSpec`. */
export interface AssociationSpecInput {
  associationCategory: string;
  associationTypeId: number;
}

/** `PublicAssociationsForObject` (associations given when creating a record). */
export interface CreateAssociationInput {
  to: { id: string };
  types: AssociationSpecInput[];
}

/** `SimplePublicObjectInputForCreate` / `SimplePublicObjectBatchInputForCreate`. */
export interface ObjectCreateInput {
  properties: Record<string, string>;
  associations?: CreateAssociationInput[];
  objectWriteTraceId?: string;
}

/** `SimplePublicObjectInput`. */
export interface ObjectUpdateInput {
  properties: Record<string, string>;
}

/** `SimplePublicObjectBatchInput` / `SimplePublicObjectBatchInputUpsert`. */
export interface ObjectBatchWriteInput {
  id: string;
  idProperty?: string;
  objectWriteTraceId?: string;
  properties: Record<string, string>;
}

/** `BatchReadInputSimplePublicObjectId`. */
export interface ObjectBatchReadInput {
  inputs: Array<{ id: string }>;
  idProperty?: string;
  properties: string[];
  propertiesWithHistory?: string[];
}

/** `Filter`. */
export interface FilterInput {
  propertyName: string;
  operator: string;
  value?: string;
  highValue?: string;
  values?: string[];
}

/** `PublicObjectSearchRequest`. */
export interface SearchInput {
  query?: string;
  limit?: number;
  after?: string;
  sorts?: string[];
  properties?: string[];
  filterGroups?: Array<{ filters: FilterInput[] }>;
}

/** `OptionInput`. */
export interface OptionInput {
  label: string;
  value: string;
  description?: string;
  displayOrder?: number;
  hidden: boolean;
}

/** `PropertyCreate` / `ObjectTypePropertyCreate`. */
export interface PropertyCreateInput {
  name: string;
  label: string;
  type: string;
  fieldType: string;
  groupName?: string;
  description?: string;
  options?: OptionInput[];
  displayOrder?: number;
  hasUniqueValue?: boolean;
  hidden?: boolean;
  formField?: boolean;
  [other: string]: unknown;
}

/** `PropertyUpdate`. */
export interface PropertyUpdateInput {
  label?: string;
  type?: string;
  fieldType?: string;
  groupName?: string;
  description?: string;
  options?: OptionInput[];
  displayOrder?: number;
  hidden?: boolean;
  formField?: boolean;
  [other: string]: unknown;
}

/** `PropertyGroupCreate` / `PropertyGroupUpdate`. */
export interface PropertyGroupInput {
  name?: string;
  label?: string;
  displayOrder?: number;
}

/** `ObjectSchemaEgg`. */
export interface SchemaCreateInput {
  name: string;
  labels: { singular?: string; plural?: string };
  description?: string;
  primaryDisplayProperty?: string;
  secondaryDisplayProperties?: string[];
  searchableProperties?: string[];
  requiredProperties?: string[];
  associatedObjects?: string[];
  properties: PropertyCreateInput[];
}

/** `ObjectTypeDefinitionPatch`. */
export interface SchemaPatchInput {
  labels?: { singular?: string; plural?: string };
  description?: string;
  clearDescription?: boolean;
  primaryDisplayProperty?: string;
  secondaryDisplayProperties?: string[];
  searchableProperties?: string[];
  requiredProperties?: string[];
}

/** `AssociationDefinitionEgg`. */
export interface AssociationDefinitionInput {
  fromObjectTypeId: string;
  toObjectTypeId: string;
  name?: string;
}

/** `PublicAssociationMultiPost`. */
export interface AssociationPostInput {
  from: { id: string };
  to: { id: string };
  types: AssociationSpecInput[];
}

/** `PublicAssociationMultiArchive`. */
export interface AssociationArchiveInput {
  from: { id: string };
  to: Array<{ id: string }>;
}

/** `PublicDefaultAssociationMultiPost`. */
export interface DefaultAssociationInput {
  from: { id: string };
  to: { id: string };
}

/** `PublicFetchAssociationsBatchRequest`. */
export interface AssociationFetchInput {
  id: string;
  after?: string;
}

/** `{ inputs: [...] }`, the batch envelope. */
export interface BatchOf<T> {
  inputs: T[];
}
