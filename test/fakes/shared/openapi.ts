/**
 * A generic OpenAPI 3 request validator: finds the operation for a method and path, then checks
 * path and query parameters and the JSON request body against the documents. Vendor-specific
 * leniency comes in as `SchemaRelaxation`s; everything else is the document as written, with one
 * tightening: an object schema that lists `properties` and says nothing about
 * `additionalProperties` rejects unknown fields.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

/** A parsed JSON object. */
export type JsonObject = Record<string, unknown>;

/** One OpenAPI document, named (the name shows up in violations and operation ids). */
export interface OpenApiSource {
  name: string;
  document: JsonObject;
}

/** Fields that a vendor's generated schema marks as required but the live API treats as optional. */
export interface SchemaRelaxation {
  /** Names under `#/components/schemas` the relaxation applies to (in every document that has them). */
  schemas: readonly string[];
  /** Property names removed from those schemas' `required` lists. */
  unrequire: readonly string[];
  /** Why: kept beside the rule so that every relaxation explains itself. */
  reason: string;
}

/**
 * Fields the vendor sends as `null` in answers although the documents do not mark them nullable.
 * A field is a property name, or `name.*` for the values of a map-typed property.
 */
export interface NullableInAnswers {
  schemas: readonly string[];
  fields: readonly string[];
  reason: string;
}

/** What the validator is built with besides the documents. */
export interface ValidatorOptions {
  relaxations?: readonly SchemaRelaxation[];
  nullableInAnswers?: readonly NullableInAnswers[];
}

/** A query parameter value after coercion to its schema type. */
export type QueryValue = string | number | boolean | string[];

/** One way a request breaks the contract. */
export interface ContractViolation {
  /** The offending field, e.g. `inputs[0].properties.foo`, `query.limit` or `(body)`. */
  field: string;
  message: string;
}

interface ParameterSpec {
  name: string;
  in: string;
  required: boolean;
  schema: JsonObject;
}

/** An operation of the contract. */
export interface OpenApiOperation {
  /** The document it comes from. */
  source: string;
  method: string;
  /** The path template, e.g. `/crm/v3/objects/{objectType}`. */
  template: string;
  operationId: string;
  /** The operation object as the document has it (security, responses, ...). */
  raw: JsonObject;
  readonly segments: readonly string[];
  readonly parameters: readonly ParameterSpec[];
  readonly body?: { required: boolean; validate: ValidateFunction };
  /** JSON answer schemas by status code, with refs into `answersId`. */
  readonly answers: ReadonlyMap<string, JsonObject>;
  readonly answersId: string;
}

/** The result of looking a request up. */
export type OperationLookup =
  | { kind: 'match'; operation: OpenApiOperation; params: Record<string, string> }
  | { kind: 'no-path' }
  | { kind: 'no-method'; allowed: string[] };

/** The request parts the validator checks. */
export interface RequestParts {
  /** Query parameters, each with every value it was given. */
  query: ReadonlyMap<string, readonly string[]>;
  /** Whether the request carried a non-empty body. */
  hasBody: boolean;
  contentType?: string;
  /** The parsed JSON body. */
  body: unknown;
}

/** What validation yields: coerced query values and the violations found. */
export interface ValidationResult {
  query: Record<string, QueryValue>;
  violations: ContractViolation[];
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** Resolves a local `#/...` JSON pointer inside a document. */
function resolvePointer(document: JsonObject, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = document;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (!isObject(node)) return undefined;
    node = node[key];
  }
  return node;
}

function deref(document: JsonObject, value: unknown): unknown {
  if (isObject(value) && typeof value.$ref === 'string') return resolvePointer(document, value.$ref);
  return value;
}

/** Rewrites local `$ref`s so that they point into the schema registered under `baseId`. */
function absolutizeRefs(node: unknown, baseId: string): unknown {
  if (Array.isArray(node)) return node.map((item) => absolutizeRefs(item, baseId));
  if (!isObject(node)) return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    out[key] =
      key === '$ref' && typeof value === 'string' && value.startsWith('#')
        ? baseId + value
        : absolutizeRefs(value, baseId);
  }
  return out;
}

/** Closes object schemas that list properties without saying anything about extra ones. */
function closeObjects(node: unknown, formats: Set<string>): void {
  if (Array.isArray(node)) {
    for (const item of node) closeObjects(item, formats);
    return;
  }
  if (!isObject(node)) return;
  if (typeof node.format === 'string') formats.add(node.format);
  if (isObject(node.properties) && node.additionalProperties === undefined) node.additionalProperties = false;
  for (const value of Object.values(node)) closeObjects(value, formats);
}

function compareSpecificity(a: OpenApiOperation, b: OpenApiOperation): number {
  for (let i = 0; i < a.segments.length; i += 1) {
    const aParam = a.segments[i]?.startsWith('{') ?? false;
    const bParam = b.segments[i]?.startsWith('{') ?? false;
    if (aParam !== bParam) return aParam ? 1 : -1;
  }
  return 0;
}

/** `/inputs/0/properties` -> `inputs[0].properties`. */
function fieldPath(instancePath: string, child?: string): string {
  let out = '';
  for (const part of instancePath.split('/').slice(1)) {
    const key = part.replaceAll('~1', '/').replaceAll('~0', '~');
    out += /^\d+$/.test(key) ? `[${key}]` : out === '' ? key : `.${key}`;
  }
  if (child !== undefined) out += out === '' ? child : `.${child}`;
  return out === '' ? '(body)' : out;
}

function describe(error: ErrorObject): ContractViolation {
  const params: Record<string, unknown> = error.params;
  switch (error.keyword) {
    case 'additionalProperties':
      return {
        field: fieldPath(error.instancePath, String(params.additionalProperty)),
        message: 'unrecognized field',
      };
    case 'required':
      return {
        field: fieldPath(error.instancePath, String(params.missingProperty)),
        message: 'required field is missing',
      };
    case 'enum':
      return {
        field: fieldPath(error.instancePath),
        message: `must be one of ${stringList(params.allowedValues).join(', ')}`,
      };
    default:
      return { field: fieldPath(error.instancePath), message: error.message ?? `fails ${error.keyword}` };
  }
}

function coerceQuery(
  param: ParameterSpec,
  values: readonly string[],
): { value?: QueryValue; problem?: string } {
  const type = param.schema.type;
  const enumValues = Array.isArray(param.schema.enum) ? param.schema.enum : undefined;
  if (type === 'array') {
    // Both exploded (`?p=a&p=b`) and comma-joined (`?p=a,b`) forms are accepted.
    const items = values.flatMap((v) => v.split(',')).filter((v) => v !== '');
    return { value: items };
  }
  if (values.length > 1) return { problem: 'must not be repeated' };
  const raw = values[0] ?? '';
  if (type === 'boolean') {
    if (raw !== 'true' && raw !== 'false') return { problem: 'must be true or false' };
    return { value: raw === 'true' };
  }
  if (type === 'integer' || type === 'number') {
    const ok = type === 'integer' ? /^-?\d+$/.test(raw) : raw !== '' && Number.isFinite(Number(raw));
    if (!ok) return { problem: `must be ${type === 'integer' ? 'an integer' : 'a number'}` };
    const value = Number(raw);
    if (param.schema.format === 'int32' && (value < -(2 ** 31) || value >= 2 ** 31))
      return { problem: 'out of int32 range' };
    return { value };
  }
  if (enumValues && !enumValues.includes(raw))
    return { problem: `must be one of ${stringList(enumValues).join(', ')}` };
  if (typeof param.schema.pattern === 'string' && !new RegExp(param.schema.pattern, 'u').test(raw)) {
    return { problem: `must match ${param.schema.pattern}` };
  }
  return { value: raw };
}

/** Validates requests against a set of OpenAPI 3 documents. */
export class OpenApiValidator {
  private readonly operations: OpenApiOperation[] = [];
  private readonly ajv: Ajv;
  private readonly answerValidators = new Map<string, ValidateFunction>();

  constructor(sources: readonly OpenApiSource[], options: ValidatorOptions = {}) {
    this.ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
    this.ajv.addFormat('int32', {
      type: 'number',
      validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31,
    });
    this.ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
    this.ajv.addFormat('date-time', {
      type: 'string',
      validate: (s: string) => /^\d{4}-\d{2}-\d{2}T/.test(s) && !Number.isNaN(Date.parse(s)),
    });
    this.ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
    const known = new Set(['int32', 'int64', 'date-time', 'uuid']);
    for (const source of sources) this.load(source, options, known);
  }

  private load(source: OpenApiSource, options: ValidatorOptions, knownFormats: Set<string>): void {
    const relaxations = options.relaxations ?? [];
    const { document } = source;
    const components = isObject(document.components) ? document.components : {};
    const schemas: JsonObject = isObject(components.schemas) ? structuredClone(components.schemas) : {};
    for (const relaxation of relaxations) {
      for (const name of relaxation.schemas) {
        const schema = schemas[name];
        if (!isObject(schema) || !Array.isArray(schema.required)) continue;
        schema.required = schema.required.filter((field) => !relaxation.unrequire.includes(String(field)));
      }
    }
    const formats = new Set<string>();
    closeObjects(schemas, formats);
    this.tolerateFormats(formats, knownFormats);
    const baseId = `https://contract.invalid/${encodeURIComponent(source.name)}`;
    this.ajv.addSchema({ $id: baseId, components: { schemas } });

    // Answers are checked against their own copy: closed objects, plus the vendor's nulls.
    const answerSchemas: JsonObject = isObject(components.schemas) ? structuredClone(components.schemas) : {};
    for (const allowance of options.nullableInAnswers ?? []) {
      for (const name of allowance.schemas) {
        const schema = answerSchemas[name];
        if (!isObject(schema) || !isObject(schema.properties)) continue;
        for (const field of allowance.fields) {
          const target = schema.properties[field.replace(/\.\*$/, '')];
          if (!isObject(target)) continue;
          const holder = field.endsWith('.*') ? target.additionalProperties : target;
          if (isObject(holder)) holder.nullable = true;
        }
      }
    }
    closeObjects(answerSchemas, formats);
    this.tolerateFormats(formats, knownFormats);
    const answersId = `${baseId}/answers`;
    this.ajv.addSchema({ $id: answersId, components: { schemas: answerSchemas } });

    const paths = isObject(document.paths) ? document.paths : {};
    for (const [template, item] of Object.entries(paths)) {
      if (!isObject(item)) continue;
      const shared = Array.isArray(item.parameters) ? item.parameters : [];
      for (const method of METHODS) {
        const op = item[method];
        if (!isObject(op)) continue;
        const parameters = new Map<string, ParameterSpec>();
        for (const p of [...shared, ...(Array.isArray(op.parameters) ? op.parameters : [])]) {
          const param = deref(document, p);
          if (!isObject(param) || typeof param.name !== 'string' || typeof param.in !== 'string') continue;
          parameters.set(`${param.in}:${param.name}`, {
            name: param.name,
            in: param.in,
            required: param.required === true || param.in === 'path',
            schema: isObject(param.schema) ? param.schema : {},
          });
        }
        let body: OpenApiOperation['body'];
        const requestBody = deref(document, op.requestBody);
        if (isObject(requestBody) && isObject(requestBody.content)) {
          const media = requestBody.content['application/json'] ?? Object.values(requestBody.content)[0];
          const schema = isObject(media) && isObject(media.schema) ? media.schema : {};
          const closed = structuredClone(schema);
          closeObjects(closed, formats);
          this.tolerateFormats(formats, knownFormats);
          const validate = this.ajv.compile(
            absolutizeRefs(
              { $id: `${baseId}/op/${method}${encodeURI(template)}`, ...closed },
              baseId,
            ) as JsonObject,
          );
          body = { required: requestBody.required === true, validate };
        }
        const answers = new Map<string, JsonObject>();
        for (const [status, response] of Object.entries(isObject(op.responses) ? op.responses : {})) {
          const resolved = deref(document, response);
          const content = isObject(resolved) && isObject(resolved.content) ? resolved.content : {};
          const media = content['application/json'] ?? content['*/*'];
          if (isObject(media) && isObject(media.schema)) answers.set(status, media.schema);
        }
        this.operations.push({
          source: source.name,
          method: method.toUpperCase(),
          template,
          operationId: typeof op.operationId === 'string' ? op.operationId : `${method} ${template}`,
          raw: op,
          segments: template.split('/').slice(1),
          parameters: [...parameters.values()],
          body,
          answers,
          answersId,
        });
      }
    }
  }

  /** Formats the validator has no check for are accepted as they come. */
  private tolerateFormats(formats: ReadonlySet<string>, known: Set<string>): void {
    for (const format of formats) {
      if (known.has(format)) continue;
      this.ajv.addFormat(format, true);
      known.add(format);
    }
  }

  /** Checks a 2xx answer against the operation's schema for that status (other statuses: nothing to check). */
  validateAnswer(operation: OpenApiOperation, status: number, body: unknown): ContractViolation[] {
    const schema = operation.answers.get(String(status));
    if (status < 200 || status > 299 || !schema) return [];
    const key = `${operation.answersId} ${operation.method} ${operation.template} ${status}`;
    let validate = this.answerValidators.get(key);
    if (!validate) {
      const closed = structuredClone(schema);
      closeObjects(closed, new Set());
      validate = this.ajv.compile(
        absolutizeRefs(
          {
            $id: `${operation.answersId}/${operation.method}${encodeURI(operation.template)}/${status}`,
            ...closed,
          },
          operation.answersId,
        ) as JsonObject,
      );
      this.answerValidators.set(key, validate);
    }
    if (validate(body)) return [];
    return (validate.errors ?? []).map(describe);
  }

  /** Every operation of every document. */
  all(): readonly OpenApiOperation[] {
    return this.operations;
  }

  /** Finds the operation a request addresses; literal path segments win over templated ones. */
  lookup(method: string, path: string): OperationLookup {
    const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
    const segments = trimmed.split('/').slice(1);
    const matches: Array<{ operation: OpenApiOperation; params: Record<string, string> }> = [];
    for (const operation of this.operations) {
      if (operation.segments.length !== segments.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < segments.length && ok; i += 1) {
        const want = operation.segments[i] ?? '';
        const got = segments[i] ?? '';
        if (want.startsWith('{') && want.endsWith('}')) {
          try {
            const value = decodeURIComponent(got);
            if (value === '') ok = false;
            else params[want.slice(1, -1)] = value;
          } catch {
            ok = false;
          }
        } else if (want !== got) ok = false;
      }
      if (ok) matches.push({ operation, params });
    }
    if (matches.length === 0) return { kind: 'no-path' };
    const forMethod = matches.filter((m) => m.operation.method === method);
    if (forMethod.length === 0) {
      return { kind: 'no-method', allowed: [...new Set(matches.map((m) => m.operation.method))] };
    }
    forMethod.sort((a, b) => compareSpecificity(a.operation, b.operation));
    const best = forMethod[0]!;
    return { kind: 'match', operation: best.operation, params: best.params };
  }

  /** Checks parameters and body of a request to `operation`. */
  validate(
    operation: OpenApiOperation,
    params: Readonly<Record<string, string>>,
    request: RequestParts,
  ): ValidationResult {
    const violations: ContractViolation[] = [];
    const query: Record<string, QueryValue> = {};
    for (const param of operation.parameters) {
      if (param.in === 'path') {
        const value = params[param.name];
        if (value === undefined)
          violations.push({ field: `path.${param.name}`, message: 'required path parameter is missing' });
        else {
          const checked = coerceQuery(param, [value]);
          if (checked.problem) violations.push({ field: `path.${param.name}`, message: checked.problem });
        }
      } else if (param.in === 'query') {
        const values = request.query.get(param.name);
        if (values === undefined) {
          if (param.required)
            violations.push({ field: `query.${param.name}`, message: 'required query parameter is missing' });
          continue;
        }
        const checked = coerceQuery(param, values);
        if (checked.problem) violations.push({ field: `query.${param.name}`, message: checked.problem });
        else if (checked.value !== undefined) query[param.name] = checked.value;
      }
    }
    const declared = new Set(operation.parameters.filter((p) => p.in === 'query').map((p) => p.name));
    for (const name of request.query.keys()) {
      if (!declared.has(name))
        violations.push({ field: `query.${name}`, message: 'unknown query parameter' });
    }
    if (!operation.body) {
      if (request.hasBody)
        violations.push({ field: '(body)', message: 'this operation takes no request body' });
    } else if (!request.hasBody) {
      if (operation.body.required) violations.push({ field: '(body)', message: 'request body is required' });
    } else if (!(request.contentType ?? '').toLowerCase().includes('application/json')) {
      violations.push({ field: '(body)', message: 'Content-Type must be application/json' });
    } else if (!operation.body.validate(request.body)) {
      const seen = new Set<string>();
      for (const error of operation.body.validate.errors ?? []) {
        const violation = describe(error);
        const key = `${violation.field}|${violation.message}`;
        if (seen.has(key)) continue;
        seen.add(key);
        violations.push(violation);
      }
    }
    return { query, violations };
  }
}
