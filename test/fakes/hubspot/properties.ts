/**
 * Property definitions: the standard ones contacts and deals come with, definitions built from
 * create requests, and the checks HubSpot applies to property values on write.
 */
import { type PropertyProblem, propertyValuesError, validationError } from './errors.ts';
import type { OptionInput, PropertyCreateInput } from './inputs.ts';
import type { ObjectTypeDef, PropertyDef, PropertyOption } from './model.ts';

const NAME_PATTERN = /^[a-z][a-z0-9_]*$/;

/** Fields of a PropertyCreate echoed back verbatim. */
const EXTRA_FIELDS = [
  'referencedObjectType',
  'textDisplayHint',
  'numberDisplayHint',
  'showCurrencySymbol',
  'currencyPropertyName',
  'dataSensitivity',
  'calculationFormula',
  'externalOptionsReferenceType',
  'optionSortStrategy',
  'searchableInGlobalSearch',
] as const;

function options(input: readonly OptionInput[] | undefined): PropertyOption[] {
  return (input ?? []).map((o, i) => ({
    label: o.label,
    value: o.value,
    ...(o.description !== undefined ? { description: o.description } : {}),
    displayOrder: o.displayOrder ?? i,
    hidden: o.hidden,
  }));
}

function standard(
  name: string,
  label: string,
  type: string,
  fieldType: string,
  groupName: string,
  now: string,
  more: Partial<PropertyDef> = {},
): PropertyDef {
  return {
    name,
    label,
    type,
    fieldType,
    groupName,
    description: '',
    options: [],
    displayOrder: -1,
    hasUniqueValue: false,
    hidden: false,
    formField: type !== 'datetime',
    calculated: false,
    externalOptions: false,
    hubspotDefined: true,
    readOnlyValue: false,
    uniqueIdentity: false,
    extra: {},
    createdAt: now,
    updatedAt: now,
    archived: false,
    ...more,
  };
}

function enumOptions(values: readonly string[]): PropertyOption[] {
  return values.map((value, i) => ({ label: value, value, displayOrder: i, hidden: false }));
}

/** The properties a contact type starts with. */
export function contactProperties(now: string): PropertyDef[] {
  const g = 'contactinformation';
  return [
    standard('email', 'Email', 'string', 'text', g, now, { uniqueIdentity: true }),
    standard('firstname', 'First Name', 'string', 'text', g, now),
    standard('lastname', 'Last Name', 'string', 'text', g, now),
    standard('jobtitle', 'Job Title', 'string', 'text', g, now),
    standard('company', 'Company Name', 'string', 'text', g, now),
    standard('phone', 'Phone Number', 'string', 'phonenumber', g, now),
    standard('mobilephone', 'Mobile Phone Number', 'string', 'phonenumber', g, now),
    standard('city', 'City', 'string', 'text', g, now),
    standard('country', 'Country/Region', 'string', 'text', g, now),
    standard('website', 'Website URL', 'string', 'text', g, now),
    standard('lifecyclestage', 'Lifecycle Stage', 'enumeration', 'radio', g, now, {
      options: enumOptions([
        'subscriber',
        'lead',
        'marketingqualifiedlead',
        'salesqualifiedlead',
        'opportunity',
        'customer',
        'evangelist',
        'other',
      ]),
    }),
    standard('hs_object_id', 'Record ID', 'number', 'number', g, now, {
      readOnlyValue: true,
      formField: false,
    }),
    standard('createdate', 'Create Date', 'datetime', 'date', g, now),
    standard('lastmodifieddate', 'Last Modified Date', 'datetime', 'date', g, now, { readOnlyValue: true }),
  ];
}

/** The properties a deal type starts with. */
export function dealProperties(now: string): PropertyDef[] {
  const g = 'dealinformation';
  return [
    standard('dealname', 'Deal Name', 'string', 'text', g, now),
    standard('amount', 'Amount', 'number', 'number', g, now),
    standard('dealstage', 'Deal Stage', 'enumeration', 'radio', g, now, {
      options: enumOptions([
        'appointmentscheduled',
        'qualifiedtobuy',
        'presentationscheduled',
        'decisionmakerboughtin',
        'contractsent',
        'closedwon',
        'closedlost',
      ]),
    }),
    standard('pipeline', 'Pipeline', 'enumeration', 'select', g, now, { options: enumOptions(['default']) }),
    standard('closedate', 'Close Date', 'datetime', 'date', g, now),
    standard('description', 'Deal Description', 'string', 'textarea', g, now),
    standard('hs_object_id', 'Record ID', 'number', 'number', g, now, {
      readOnlyValue: true,
      formField: false,
    }),
    standard('createdate', 'Create Date', 'datetime', 'date', g, now),
    standard('hs_lastmodifieddate', 'Last Modified Date', 'datetime', 'date', g, now, {
      readOnlyValue: true,
    }),
  ];
}

/** The properties every custom object type starts with. */
export function customSystemProperties(groupName: string, now: string): PropertyDef[] {
  return [
    standard('hs_object_id', 'Record ID', 'number', 'number', groupName, now, {
      readOnlyValue: true,
      formField: false,
    }),
    standard('hs_createdate', 'Object create date/time', 'datetime', 'date', groupName, now, {
      readOnlyValue: true,
    }),
    standard('hs_lastmodifieddate', 'Object last modified date/time', 'datetime', 'date', groupName, now, {
      readOnlyValue: true,
    }),
  ];
}

/** Builds a definition from a create request; throws 400 on an invalid name or enumeration. */
export function propertyFromInput(
  input: PropertyCreateInput,
  defaultGroup: string,
  now: string,
): PropertyDef {
  if (!NAME_PATTERN.test(input.name)) {
    throw validationError(
      `Property name "${input.name}" is invalid: use lower case letters, digits and underscores`,
    );
  }
  if (
    input.type === 'enumeration' &&
    (input.options ?? []).length === 0 &&
    input.fieldType !== 'booleancheckbox'
  ) {
    throw validationError(`Property "${input.name}" of type enumeration needs options`);
  }
  const extra: Record<string, unknown> = {};
  for (const key of EXTRA_FIELDS) if (input[key] !== undefined) extra[key] = input[key];
  return {
    name: input.name,
    label: input.label,
    type: input.type,
    fieldType: input.fieldType,
    groupName: input.groupName ?? defaultGroup,
    description: input.description ?? '',
    options: options(input.options),
    displayOrder: input.displayOrder ?? -1,
    hasUniqueValue: input.hasUniqueValue ?? false,
    hidden: input.hidden ?? false,
    formField: input.formField ?? false,
    calculated: false,
    externalOptions: false,
    hubspotDefined: false,
    readOnlyValue: false,
    uniqueIdentity: false,
    extra,
    createdAt: now,
    updatedAt: now,
    archived: false,
  };
}

/** Applies an update request to a definition (hasUniqueValue cannot change, as in HubSpot). */
export function applyPropertyUpdate(def: PropertyDef, update: Record<string, unknown>, now: string): void {
  if (typeof update.label === 'string') def.label = update.label;
  if (typeof update.type === 'string') def.type = update.type;
  if (typeof update.fieldType === 'string') def.fieldType = update.fieldType;
  if (typeof update.groupName === 'string') def.groupName = update.groupName;
  if (typeof update.description === 'string') def.description = update.description;
  if (typeof update.displayOrder === 'number') def.displayOrder = update.displayOrder;
  if (typeof update.hidden === 'boolean') def.hidden = update.hidden;
  if (typeof update.formField === 'boolean') def.formField = update.formField;
  if (Array.isArray(update.options)) def.options = options(update.options as OptionInput[]);
  for (const key of EXTRA_FIELDS) if (update[key] !== undefined) def.extra[key] = update[key];
  def.updatedAt = now;
}

/** Whether values of this property identify a record (usable as `idProperty`, enforced unique). */
export function isUnique(def: PropertyDef): boolean {
  return def.hasUniqueValue || def.uniqueIdentity;
}

function valueProblem(def: PropertyDef, value: string): PropertyProblem | undefined {
  if (value === '') return undefined;
  const bad = (error: string, message: string): PropertyProblem => ({ name: def.name, error, message });
  switch (def.type) {
    case 'number':
      return /^-?\d+(\.\d+)?$/.test(value)
        ? undefined
        : bad('INVALID_INTEGER', `${value} is not a valid number`);
    case 'bool':
      return value === 'true' || value === 'false'
        ? undefined
        : bad('INVALID_BOOLEAN', `${value} is not a valid boolean`);
    case 'enumeration': {
      const allowed = new Set(def.options.map((o) => o.value));
      const picked = def.fieldType === 'checkbox' ? value.split(';') : [value];
      const wrong = picked.find((v) => !allowed.has(v));
      return wrong === undefined
        ? undefined
        : bad('INVALID_OPTION', `${wrong} was not one of the allowed options: [${[...allowed].join(', ')}]`);
    }
    case 'date':
    case 'datetime':
      return /^\d+$/.test(value) || !Number.isNaN(Date.parse(value))
        ? undefined
        : bad('INVALID_DATE', `${value} is not a valid date`);
    default:
      if (def.name === 'email' && def.uniqueIdentity && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value)) {
        return bad('INVALID_EMAIL', `Email address ${value} is invalid`);
      }
      return undefined;
  }
}

/** Normalises a value the way HubSpot stores it (emails in lower case). */
export function normaliseValue(def: PropertyDef, value: string): string {
  return def.uniqueIdentity && def.name === 'email' ? value.trim().toLowerCase() : value;
}

/** Checks property values for a write; returns them normalised or throws HubSpot's 400. */
export function checkValues(
  type: ObjectTypeDef,
  values: Readonly<Record<string, string>>,
): Map<string, string> {
  const problems: PropertyProblem[] = [];
  const out = new Map<string, string>();
  for (const [name, raw] of Object.entries(values)) {
    const def = type.properties.get(name);
    if (!def || def.archived) {
      problems.push({ name, error: 'PROPERTY_DOESNT_EXIST', message: `Property "${name}" does not exist` });
      continue;
    }
    if (def.readOnlyValue) {
      problems.push({
        name,
        error: 'READ_ONLY_VALUE',
        message: `"${name}" is a read only property; its value cannot be set.`,
      });
      continue;
    }
    const problem = valueProblem(def, raw);
    if (problem) problems.push(problem);
    else out.set(name, normaliseValue(def, raw));
  }
  if (problems.length > 0) throw propertyValuesError(problems);
  return out;
}
