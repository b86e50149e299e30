/**
 * Custom schema values on users: a value may only be written for a schema that exists and a field it
 * declares, with a JSON type that fits the field type. Multi-valued fields take
 * `[{ value, type?, customType? }]`.
 */
import type { DirectorySchema, SchemaField } from './types.ts';

/** The field types Google allows in a custom schema. */
export const FIELD_TYPES = ['STRING', 'INT64', 'BOOL', 'DOUBLE', 'EMAIL', 'PHONE', 'DATE'] as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function scalarProblem(field: SchemaField, value: unknown, at: string): string | undefined {
  const bad = `Invalid value at '${at}' (${field.fieldType}), ${JSON.stringify(value)}`;
  switch (field.fieldType) {
    case 'STRING':
    case 'PHONE':
      return typeof value === 'string' ? undefined : bad;
    case 'EMAIL':
      return typeof value === 'string' && value.includes('@') ? undefined : bad;
    case 'DATE':
      return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) ? undefined : bad;
    case 'BOOL':
      return typeof value === 'boolean' ? undefined : bad;
    case 'INT64':
      return (typeof value === 'number' && Number.isInteger(value)) ||
        (typeof value === 'string' && /^-?\d+$/.test(value))
        ? undefined
        : bad;
    case 'DOUBLE':
      return typeof value === 'number' || (typeof value === 'string' && Number.isFinite(Number(value)))
        ? undefined
        : bad;
    default:
      return undefined;
  }
}

/**
 * Problems with a `customSchemas` value written to a user (empty when it fits).
 * `lookup` finds a schema by name.
 */
export function checkCustomSchemaValues(
  values: unknown,
  lookup: (schemaName: string) => DirectorySchema | undefined,
): string[] {
  if (values === null || values === undefined) return [];
  if (!isRecord(values)) return [`Invalid value at 'customSchemas', ${JSON.stringify(values)}`];
  const problems: string[] = [];
  for (const [schemaName, fields] of Object.entries(values)) {
    const schema = lookup(schemaName);
    if (!schema) {
      problems.push(
        `Invalid Input: custom schema '${schemaName}' does not exist (customSchemas.${schemaName})`,
      );
      continue;
    }
    if (fields === null) continue;
    if (!isRecord(fields)) {
      problems.push(`Invalid value at 'customSchemas.${schemaName}', ${JSON.stringify(fields)}`);
      continue;
    }
    for (const [fieldName, value] of Object.entries(fields)) {
      const at = `customSchemas.${schemaName}.${fieldName}`;
      const field = schema.fields.find((f) => f.fieldName === fieldName);
      if (!field) {
        problems.push(
          `Invalid Input: field '${fieldName}' is not declared by custom schema '${schemaName}' (${at})`,
        );
        continue;
      }
      if (value === null) continue;
      if (field.multiValued) {
        if (!Array.isArray(value)) {
          problems.push(
            `Invalid value at '${at}': multi-valued field takes [{"value": ...}], got ${JSON.stringify(value)}`,
          );
          continue;
        }
        value.forEach((entry, i) => {
          if (!isRecord(entry) || !('value' in entry)) {
            problems.push(`Invalid value at '${at}[${i}]': expected {"value": ...}`);
            return;
          }
          const unknownKeys = Object.keys(entry).filter((k) => !['value', 'type', 'customType'].includes(k));
          if (unknownKeys.length > 0)
            problems.push(`Invalid JSON payload received. Unknown name "${unknownKeys[0]}" at '${at}[${i}]'`);
          const p = scalarProblem(field, entry.value, `${at}[${i}].value`);
          if (p) problems.push(p);
        });
        continue;
      }
      const p = scalarProblem(field, value, at);
      if (p) problems.push(p);
    }
  }
  return problems;
}

/** Problems with a schema definition (names, field types, duplicates). */
export function checkSchemaDefinition(
  schemaName: string,
  fields: Array<{ fieldName: string; fieldType: string }>,
): string[] {
  const problems: string[] = [];
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(schemaName)) problems.push(`Invalid Input: schemaName '${schemaName}'`);
  const seen = new Set<string>();
  for (const field of fields) {
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(field.fieldName))
      problems.push(`Invalid Input: fieldName '${field.fieldName}'`);
    if (!(FIELD_TYPES as readonly string[]).includes(field.fieldType))
      problems.push(`Invalid Input: fieldType '${field.fieldType}' (one of ${FIELD_TYPES.join(', ')})`);
    if (seen.has(field.fieldName)) problems.push(`Invalid Input: duplicate fieldName '${field.fieldName}'`);
    seen.add(field.fieldName);
  }
  return problems;
}
