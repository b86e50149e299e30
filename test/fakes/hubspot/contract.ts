/**
 * HubSpot's contract as the emulator enforces it: the OpenAPI files, with exactly the relaxations
 * that test/fakes/contracts/README.md documents, plus the limits HubSpot documents outside the files.
 */
import type {
  ContractViolation,
  NullableInAnswers,
  OpenApiOperation,
  OpenApiSource,
  QueryValue,
  SchemaRelaxation,
} from '../shared/openapi.ts';
import { OpenApiValidator } from '../shared/openapi.ts';

/**
 * The relaxations of test/fakes/contracts/README.md, each written once. HubSpot's generated schemas mark these
 * fields as required although the live API treats them as optional.
 */
export const HUBSPOT_RELAXATIONS: readonly SchemaRelaxation[] = [
  {
    // A record can be created without associating it to anything.
    schemas: ['SimplePublicObjectInputForCreate', 'SimplePublicObjectBatchInputForCreate'],
    unrequire: ['associations'],
    reason: 'associations are optional on create inputs',
  },
  {
    // A search needs none of its paging, filtering, projection or sorting fields.
    schemas: ['PublicObjectSearchRequest'],
    unrequire: ['after', 'filterGroups', 'limit', 'properties', 'sorts'],
    reason: 'every search request field is optional',
  },
  {
    // Batch read without property history.
    schemas: ['BatchReadInputSimplePublicObjectId'],
    unrequire: ['propertiesWithHistory'],
    reason: 'propertiesWithHistory is optional on batch read',
  },
  {
    // A custom object schema may start with no associations and no required properties.
    schemas: ['ObjectSchemaEgg'],
    unrequire: ['associatedObjects', 'requiredProperties'],
    reason: 'associatedObjects and requiredProperties are optional on a schema',
  },
];

/**
 * For the emulator's check of its own answers: fields HubSpot sends as `null` although the files
 * type them as plain strings (`@hubspot/api-client` types record property values `string | null`).
 */
export const HUBSPOT_NULLABLE_IN_ANSWERS: readonly NullableInAnswers[] = [
  {
    schemas: ['SimplePublicObject', 'SimplePublicObjectWithAssociations', 'SimplePublicUpsertObject'],
    fields: ['properties.*'],
    reason: 'a requested property without a value comes back as null',
  },
  {
    schemas: ['AssociationSpecWithLabel'],
    fields: ['label'],
    reason: 'the unlabelled association type has label null',
  },
];

/** HubSpot's documented batch size (no spec states it). */
export const MAX_BATCH_INPUTS = 100;

/** Page size caps HubSpot documents for list-style operations, by path template. */
const PAGE_LIMITS: ReadonlyArray<{ method: string; template: RegExp; max: number; where: 'query' | 'body' }> =
  [
    { method: 'GET', template: /^\/crm\/v3\/objects\/(contacts|\{objectType\})$/, max: 100, where: 'query' },
    {
      method: 'POST',
      template: /^\/crm\/v3\/objects\/(contacts|\{objectType\})\/search$/,
      max: 200,
      where: 'body',
    },
    {
      method: 'GET',
      template: /^\/crm\/v4\/objects\/.*\/associations\/\{toObjectType\}$/,
      max: 500,
      where: 'query',
    },
  ];

/** Checks of HubSpot's documented limits that the OpenAPI files do not carry. */
export function documentedLimits(
  operation: OpenApiOperation,
  query: Readonly<Record<string, QueryValue>>,
  body: unknown,
): ContractViolation[] {
  const violations: ContractViolation[] = [];
  const record =
    typeof body === 'object' && body !== null && !Array.isArray(body)
      ? (body as Record<string, unknown>)
      : {};
  if (
    operation.template.includes('/batch/') &&
    Array.isArray(record.inputs) &&
    record.inputs.length > MAX_BATCH_INPUTS
  ) {
    violations.push({
      field: 'inputs',
      message: `batch of ${record.inputs.length} inputs exceeds the limit of ${MAX_BATCH_INPUTS}`,
    });
  }
  for (const rule of PAGE_LIMITS) {
    if (rule.method !== operation.method || !rule.template.test(operation.template)) continue;
    const limit = rule.where === 'query' ? query.limit : record.limit;
    if (typeof limit === 'number' && (limit < 1 || limit > rule.max)) {
      violations.push({
        field: rule.where === 'query' ? 'query.limit' : 'limit',
        message: `must be between 1 and ${rule.max}`,
      });
    }
  }
  return violations;
}

/** Builds the validator for HubSpot's files. */
export function hubSpotValidator(sources: readonly OpenApiSource[]): OpenApiValidator {
  return new OpenApiValidator(sources, {
    relaxations: HUBSPOT_RELAXATIONS,
    nullableInAnswers: HUBSPOT_NULLABLE_IN_ANSWERS,
  });
}

/** The message of a 400 answer for contract violations, naming each field. */
export function violationMessage(violations: readonly ContractViolation[]): string {
  const shown = violations.slice(0, 5).map((v) => `${v.field}: ${v.message}`);
  const more = violations.length > 5 ? ` (and ${violations.length - 5} more)` : '';
  const onlyParameters = violations.every((v) => v.field.startsWith('query.') || v.field.startsWith('path.'));
  return `${onlyParameters ? 'Invalid request parameters' : 'Invalid input JSON'}: ${shown.join('; ')}${more}`;
}
