/**
 * Loads Google's discovery document for the Admin SDK Directory API and turns it into typed data:
 * every method (flattened out of the nested resources), the standard parameters and the schemas.
 * Nothing here is hand-written per method: the contract check and the router read only this.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A query or path parameter as the discovery document declares it. */
export interface DiscoveryParameter {
  type: string;
  location: string;
  required: boolean;
  repeated: boolean;
  enum?: string[];
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
}

/** A JSON schema in the discovery dialect (`$ref`, `type: any`, `annotations.required`...). */
export interface DiscoverySchema {
  id?: string;
  $ref?: string;
  type?: string;
  format?: string;
  enum?: string[];
  readOnly: boolean;
  /** Method ids for which this property is required. */
  requiredFor: string[];
  properties?: Record<string, DiscoverySchema>;
  additionalProperties?: DiscoverySchema;
  items?: DiscoverySchema;
}

/** One REST method, e.g. `directory.users.patch`. */
export interface DiscoveryMethod {
  /** The discovery id, e.g. `directory.users.patch`. */
  id: string;
  httpMethod: string;
  /** The path template below the root URL (service path included), e.g. `admin/directory/v1/users/{userKey}`. */
  path: string;
  parameters: Record<string, DiscoveryParameter>;
  /** Name of the request body schema, if the method takes a body. */
  requestRef?: string;
  /** Name of the response schema, if the method answers with a body. */
  responseRef?: string;
  /** OAuth scopes of which any one authorises the method. */
  scopes: string[];
}

/** The parts of the discovery document the emulator uses. */
export interface DiscoveryDocument {
  /** Standard parameters accepted by every method (`fields`, `prettyPrint`, `alt`...). */
  parameters: Record<string, DiscoveryParameter>;
  methods: DiscoveryMethod[];
  schemas: Record<string, DiscoverySchema>;
}

/** Where the discovery document lives: `GOOGLE_DIRECTORY_DISCOVERY`, else the copy in `test/fakes/contracts/google/`. */
export const DEFAULT_DISCOVERY_PATH =
  process.env.GOOGLE_DIRECTORY_DISCOVERY ??
  fileURLToPath(new URL('../contracts/google/admin-directory_v1.json', import.meta.url));

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function optNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
    return Number(value);
  return undefined;
}

function toParameter(raw: unknown): DiscoveryParameter {
  const r = isRecord(raw) ? raw : {};
  const param: DiscoveryParameter = {
    type: optString(r.type) ?? 'string',
    location: optString(r.location) ?? 'query',
    required: r.required === true,
    repeated: r.repeated === true,
  };
  if (Array.isArray(r.enum)) param.enum = stringList(r.enum);
  const pattern = optString(r.pattern);
  if (pattern !== undefined) param.pattern = pattern;
  const format = optString(r.format);
  if (format !== undefined) param.format = format;
  const minimum = optNumber(r.minimum);
  if (minimum !== undefined) param.minimum = minimum;
  const maximum = optNumber(r.maximum);
  if (maximum !== undefined) param.maximum = maximum;
  return param;
}

function toParameters(raw: unknown): Record<string, DiscoveryParameter> {
  const out: Record<string, DiscoveryParameter> = {};
  if (!isRecord(raw)) return out;
  for (const [name, value] of Object.entries(raw)) out[name] = toParameter(value);
  return out;
}

function toSchema(raw: unknown): DiscoverySchema {
  const r = isRecord(raw) ? raw : {};
  const annotations = isRecord(r.annotations) ? r.annotations : {};
  const schema: DiscoverySchema = {
    readOnly: r.readOnly === true,
    requiredFor: stringList(annotations.required),
  };
  const id = optString(r.id);
  if (id !== undefined) schema.id = id;
  const ref = optString(r.$ref);
  if (ref !== undefined) schema.$ref = ref;
  const type = optString(r.type);
  if (type !== undefined) schema.type = type;
  const format = optString(r.format);
  if (format !== undefined) schema.format = format;
  if (Array.isArray(r.enum)) schema.enum = stringList(r.enum);
  if (isRecord(r.properties)) {
    schema.properties = {};
    for (const [name, value] of Object.entries(r.properties)) schema.properties[name] = toSchema(value);
  }
  if (r.additionalProperties !== undefined) schema.additionalProperties = toSchema(r.additionalProperties);
  if (r.items !== undefined) schema.items = toSchema(r.items);
  return schema;
}

function collectMethods(
  resource: Record<string, unknown>,
  servicePath: string,
  out: DiscoveryMethod[],
): void {
  if (isRecord(resource.methods)) {
    for (const raw of Object.values(resource.methods)) {
      if (!isRecord(raw)) continue;
      const id = optString(raw.id);
      const httpMethod = optString(raw.httpMethod);
      const path = optString(raw.path);
      if (!id || !httpMethod || !path) continue;
      const method: DiscoveryMethod = {
        id,
        httpMethod: httpMethod.toUpperCase(),
        path: servicePath + path,
        parameters: toParameters(raw.parameters),
        scopes: stringList(raw.scopes),
      };
      if (isRecord(raw.request)) {
        const ref = optString(raw.request.$ref);
        if (ref !== undefined) method.requestRef = ref;
      }
      if (isRecord(raw.response)) {
        const ref = optString(raw.response.$ref);
        if (ref !== undefined) method.responseRef = ref;
      }
      out.push(method);
    }
  }
  if (isRecord(resource.resources)) {
    for (const child of Object.values(resource.resources)) {
      if (isRecord(child)) collectMethods(child, servicePath, out);
    }
  }
}

/** Turns a parsed discovery document into typed data. */
export function parseDiscovery(raw: unknown): DiscoveryDocument {
  if (!isRecord(raw)) throw new Error('discovery document must be a JSON object');
  const servicePath = optString(raw.servicePath) ?? '';
  const methods: DiscoveryMethod[] = [];
  collectMethods(raw, servicePath, methods);
  const schemas: Record<string, DiscoverySchema> = {};
  if (isRecord(raw.schemas)) {
    for (const [name, value] of Object.entries(raw.schemas)) schemas[name] = toSchema(value);
  }
  return { parameters: toParameters(raw.parameters), methods, schemas };
}

/** The Data Transfer and Enterprise License Manager documents the emulator serves beside the Directory one. */
export const EXTRA_DISCOVERY_PATHS: readonly string[] = [
  fileURLToPath(new URL('../contracts/google/admin-datatransfer_v1.json', import.meta.url)),
  fileURLToPath(new URL('../contracts/google/licensing_v1.json', import.meta.url)),
];

/**
 * Several discovery documents as one: every method of each (their paths do not overlap), the
 * standard parameters and the schemas (a name already taken keeps its first definition: the only
 * shared name, `Empty`, is the same empty object in each).
 */
export function mergeDiscovery(docs: readonly DiscoveryDocument[]): DiscoveryDocument {
  const merged: DiscoveryDocument = { parameters: {}, methods: [], schemas: {} };
  for (const doc of docs) {
    merged.parameters = { ...doc.parameters, ...merged.parameters };
    merged.methods.push(...doc.methods);
    merged.schemas = { ...doc.schemas, ...merged.schemas };
  }
  return merged;
}

/** The Directory document (`path`) merged with the Data Transfer and Licensing documents. */
export function loadGoogleDiscovery(path: string = DEFAULT_DISCOVERY_PATH): DiscoveryDocument {
  return mergeDiscovery([loadDiscovery(path), ...EXTRA_DISCOVERY_PATHS.map((p) => loadDiscovery(p))]);
}

const cache = new Map<string, DiscoveryDocument>();

/** Reads (once per path) and parses the discovery document. */
export function loadDiscovery(path: string = DEFAULT_DISCOVERY_PATH): DiscoveryDocument {
  const cached = cache.get(path);
  if (cached) return cached;
  const doc = parseDiscovery(JSON.parse(readFileSync(path, 'utf8')));
  cache.set(path, doc);
  return doc;
}
