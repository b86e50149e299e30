/**
 * The only file that touches `@hubspot/api-client`. It turns the SDK into a small, typed surface
 * (`HubSpotClient`) of the calls the connector makes, and puts every call through our limiters.
 *
 * Headers: every call uses the SDK's `...WithHttpInfo` variant, which returns the answer's headers
 * with the data (and `ApiException.headers` on failures), so each answer's
 * `X-HubSpot-RateLimit-Remaining` / `-Interval-Milliseconds` reaches `limiter.observe` for exactly
 * that call. (A custom `middleware` would see headers too, but not which call they belong to, and
 * could not turn a 429 into our error.)
 *
 * Retries: `numberOfApiCallRetries: 0` and no `limiterOptions`, so the SDK neither retries (its retry
 * ignores Retry-After) nor throttles; the worker retries, our limiters throttle. The SDK keeps its
 * decorators in a process-wide singleton that every `new Client()` overwrites and that is applied
 * when an API object is first built, so the API objects are built right after our constructor.
 */
import { Client } from '@hubspot/api-client';
import { FilterOperatorEnum } from '@hubspot/api-client/lib/codegen/crm/objects/index.js';
import {
  PropertyCreateFieldTypeEnum,
  PropertyCreateTypeEnum,
} from '@hubspot/api-client/lib/codegen/crm/properties/index.js';
import { ObjectTypePropertyCreateTypeEnum } from '@hubspot/api-client/lib/codegen/crm/schemas/index.js';
import { classifyVendorError, isSyncError, SyncError } from '../../src/errors.ts';
import { createRateLimiter, type RateLimiter } from '../../src/sync/rate-limiter.ts';
import type { HubSpotConfig } from './config.ts';
import type { PropertySpec, ValueType } from './mapping.ts';
import type { HubSpotRecord } from './model.ts';
import { observeHeaders, pauseFor, rateLimitError, rateLimitSignal } from './rate-limit.ts';

/** One page of records and the cursor of the next page (null at the end). */
export interface RecordPage {
  records: HubSpotRecord[];
  after: string | null;
}

/** A search filter (the subset of HubSpot's operators the connector uses). */
export interface SearchFilter {
  propertyName: string;
  operator: 'EQ' | 'GT' | 'IN' | 'HAS_PROPERTY';
  value?: string;
  values?: string[];
}

/** A CRM search. */
export interface SearchInput {
  filters: SearchFilter[];
  properties: readonly string[];
  /** 1 to 200. */
  limit: number;
  /** Property names, ascending. */
  sorts?: string[];
  after?: string;
}

/** The result of a batch write: what was written and the inputs HubSpot refused. */
export interface BatchWriteResult {
  /** HubSpot id and the value of the id property (upserts) or the record id (updates). */
  results: Array<{ id: string; key: string | null; created: boolean }>;
  /** Refused inputs, with the key (id property value or record id) when HubSpot names it. */
  errors: Array<{ message: string; category: string; keys: string[] }>;
}

/** A custom object schema, as far as the connector needs it. */
export interface SchemaInfo {
  objectTypeId: string;
  name: string;
  fullyQualifiedName: string;
  properties: PropertyInfo[];
  /** Object type ids this type has association definitions with (either direction). */
  associatedTypeIds: string[];
}

/** A property definition, as far as the connector needs it. */
export interface PropertyInfo {
  name: string;
  type: string;
  hasUniqueValue: boolean;
}

/** A schema to create. */
export interface SchemaInput {
  name: string;
  labels: { singular: string; plural: string };
  primaryDisplayProperty: string;
  secondaryDisplayProperties: string[];
  searchableProperties: string[];
  properties: PropertySpec[];
  /** Object types to define associations with, e.g. `CONTACT`. */
  associatedObjects: string[];
}

/** An object type resolved to the id HubSpot addresses it by. */
export interface ResolvedType {
  /** What to put in paths: a standard name (`contacts`, `deals`) or a custom type's id (`2-123`). */
  path: string;
  objectTypeId: string;
  custom: boolean;
}

/** What the token may do, from HubSpot's token introspection. */
export interface TokenInfo {
  scopes: string[];
  hubId: number | null;
}

/** The HubSpot calls the connector makes. Every method is one HTTP call unless it says otherwise. */
export interface HubSpotClient {
  /** GET one page of records (limit 1 to 100). */
  listPage(
    objectType: string,
    options: {
      limit: number;
      after?: string;
      properties: readonly string[];
      associations?: readonly string[];
    },
  ): Promise<RecordPage>;
  /** POST a search (through the search limiter as well). */
  search(objectType: string, input: SearchInput): Promise<RecordPage>;
  /** POST batch/read of up to 100 records by id or by a unique property. Missing ones are left out. */
  batchRead(
    objectType: string,
    options: { idProperty?: string; ids: readonly string[]; properties: readonly string[] },
  ): Promise<HubSpotRecord[]>;
  /** POST batch/update of up to 100 records by id. */
  batchUpdate(
    objectType: string,
    inputs: ReadonlyArray<{ id: string; properties: Readonly<Record<string, string>> }>,
  ): Promise<BatchWriteResult>;
  /** POST batch/upsert of up to 100 records by a unique property. */
  batchUpsert(
    objectType: string,
    idProperty: string,
    inputs: ReadonlyArray<{ idValue: string; properties: Readonly<Record<string, string>> }>,
  ): Promise<BatchWriteResult>;
  /**
   * POST batch/associate/default for up to 100 pairs. HubSpot answers 200 even when some records
   * do not exist: their ids are returned (the other pairs are associated).
   */
  batchAssociate(
    fromType: string,
    toType: string,
    pairs: ReadonlyArray<{ fromId: string; toId: string }>,
  ): Promise<{ missing: string[] }>;
  /** POST batch/archive for up to 100 pairs. */
  batchDissociate(
    fromType: string,
    toType: string,
    pairs: ReadonlyArray<{ fromId: string; toId: string }>,
  ): Promise<void>;
  /** POST v4 batch/read: associated record ids of up to 100 records. */
  batchReadAssociations(
    fromType: string,
    toType: string,
    ids: readonly string[],
  ): Promise<Map<string, string[]>>;
  /** GET every custom object schema. */
  listSchemas(): Promise<SchemaInfo[]>;
  /** POST a custom object schema. */
  createSchema(input: SchemaInput): Promise<SchemaInfo>;
  /** POST an association definition between a custom type and another type. */
  createSchemaAssociation(objectTypeId: string, toObjectTypeId: string, name: string): Promise<void>;
  /** GET the property definitions of a type. */
  listProperties(objectType: string): Promise<PropertyInfo[]>;
  /** POST batch/create of property definitions. */
  createProperties(objectType: string, groupName: string, specs: readonly PropertySpec[]): Promise<void>;
  /** GET the property group names of a type. */
  listPropertyGroups(objectType: string): Promise<string[]>;
  /** POST a property group. */
  createPropertyGroup(objectType: string, name: string, label: string): Promise<void>;
  /** The token's scopes, from the private-app introspection endpoint; null when it is not offered. */
  tokenInfo(): Promise<TokenInfo | null>;
  /**
   * The path and id of an object type: standard names as they are; a custom object by its name,
   * fully qualified name or id (one schema listing per process, then cached). Throws
   * CONNECTOR_MISCONFIGURED when the custom type does not exist (run `init`).
   */
  resolveType(objectType: string): Promise<ResolvedType>;
  /** The CRM search limiter (`searchPerSecond`). */
  readonly searchLimiter: RateLimiter;
}

/** What `createHubSpotClient` needs. */
export interface HubSpotClientOptions {
  config: HubSpotConfig;
  /** The portal limiter (`callsPer10s` per 10 s), shared by every call. */
  limiter: RateLimiter;
  /** For tests; defaults to a limiter of `searchPerSecond` per second. */
  searchLimiter?: RateLimiter;
  now?: () => number;
}

/** Standard object types and their ids. */
const STANDARD_TYPES: Readonly<Record<string, string>> = {
  contacts: '0-1',
  companies: '0-2',
  deals: '0-3',
  tickets: '0-5',
  products: '0-7',
  line_items: '0-8',
  quotes: '0-14',
};

const OPERATORS: Readonly<Record<SearchFilter['operator'], FilterOperatorEnum>> = {
  EQ: FilterOperatorEnum.Eq,
  GT: FilterOperatorEnum.Gt,
  IN: FilterOperatorEnum.In,
  HAS_PROPERTY: FilterOperatorEnum.HasProperty,
};

const PROPERTY_TYPES: Readonly<Record<ValueType, PropertyCreateTypeEnum>> = {
  string: PropertyCreateTypeEnum.String,
  email: PropertyCreateTypeEnum.String,
  number: PropertyCreateTypeEnum.Number,
  bool: PropertyCreateTypeEnum.Bool,
  date: PropertyCreateTypeEnum.Date,
  datetime: PropertyCreateTypeEnum.Datetime,
};

const SCHEMA_PROPERTY_TYPES: Readonly<Record<ValueType, ObjectTypePropertyCreateTypeEnum>> = {
  string: ObjectTypePropertyCreateTypeEnum.String,
  email: ObjectTypePropertyCreateTypeEnum.String,
  number: ObjectTypePropertyCreateTypeEnum.Number,
  bool: ObjectTypePropertyCreateTypeEnum.Bool,
  date: ObjectTypePropertyCreateTypeEnum.Date,
  datetime: ObjectTypePropertyCreateTypeEnum.Datetime,
};

const FIELD_TYPES: Readonly<Record<ValueType, PropertyCreateFieldTypeEnum>> = {
  string: PropertyCreateFieldTypeEnum.Text,
  email: PropertyCreateFieldTypeEnum.Text,
  number: PropertyCreateFieldTypeEnum.Number,
  bool: PropertyCreateFieldTypeEnum.Booleancheckbox,
  date: PropertyCreateFieldTypeEnum.Date,
  datetime: PropertyCreateFieldTypeEnum.Date,
};

const BOOL_OPTIONS = [
  { label: 'Yes', value: 'true', displayOrder: 0, hidden: false },
  { label: 'No', value: 'false', displayOrder: 1, hidden: false },
];

/** An SDK answer with its headers (`...WithHttpInfo`). */
interface WithInfo<T> {
  headers: Record<string, string>;
  data: T;
}

/** The parts of the SDK's `ApiException` we read (each codegen module has its own class). */
interface ApiFailure {
  code: number;
  body: unknown;
  headers: Record<string, string>;
}

function isApiFailure(err: unknown): err is ApiFailure {
  return (
    err instanceof Error &&
    typeof (err as unknown as Record<string, unknown>).code === 'number' &&
    typeof (err as unknown as Record<string, unknown>).headers === 'object'
  );
}

/** A short reason for an operator: HubSpot's category and message, without e-mail addresses. */
function reasonOf(body: unknown): string | undefined {
  let record: Record<string, unknown> | null = null;
  if (body && typeof body === 'object' && !Buffer.isBuffer(body)) record = body as Record<string, unknown>;
  else if (typeof body === 'string' || Buffer.isBuffer(body)) {
    try {
      const parsed: unknown = JSON.parse(String(body));
      if (parsed && typeof parsed === 'object') record = parsed as Record<string, unknown>;
    } catch {
      return undefined;
    }
  }
  if (!record) return undefined;
  const category = typeof record.category === 'string' ? record.category : '';
  const message = typeof record.message === 'string' ? record.message : '';
  const text = [category, message]
    .filter(Boolean)
    .join(': ')
    .replace(/[^\s@"']+@[^\s@"']+/g, '<e-mail>');
  return text.length > 300 ? `${text.slice(0, 297)}...` : text || undefined;
}

function networkCodeOf(err: unknown): string | undefined {
  const cause = err instanceof Error ? (err.cause as { code?: unknown } | undefined) : undefined;
  if (cause && typeof cause.code === 'string') return cause.code;
  const own = err as { code?: unknown } | null;
  return own && typeof own.code === 'string' ? own.code : undefined;
}

interface SdkRecord {
  id: string;
  properties: Record<string, string | null>;
  associations?: Record<string, { results: Array<{ id: string }> }>;
}

function toRecord(obj: SdkRecord): HubSpotRecord {
  const contactIds = [...new Set((obj.associations?.contacts?.results ?? []).map((a) => String(a.id)))];
  return { id: String(obj.id), properties: { ...obj.properties }, contactIds };
}

interface SdkBatch {
  results: Array<{ id: string; properties: Record<string, string | null>; _new?: boolean }>;
  errors?: Array<{ message: string; category: string; context?: Record<string, string[]> }>;
}

function toBatchResult(
  data: SdkBatch,
  key: (r: { id: string; properties: Record<string, string | null> }) => string | null,
): BatchWriteResult {
  return {
    results: data.results.map((r) => ({ id: String(r.id), key: key(r), created: r._new === true })),
    errors: (data.errors ?? []).map((e) => ({
      message: reasonOf(e) ?? 'refused',
      category: e.category,
      keys: Object.values(e.context ?? {}).flat(),
    })),
  };
}

function schemaInfo(schema: {
  objectTypeId?: string;
  name: string;
  fullyQualifiedName?: string;
  properties: Array<{ name: string; type: string; hasUniqueValue?: boolean }>;
  associations: Array<{ fromObjectTypeId: string; toObjectTypeId: string }>;
}): SchemaInfo {
  const id = schema.objectTypeId ?? '';
  return {
    objectTypeId: id,
    name: schema.name,
    fullyQualifiedName: schema.fullyQualifiedName ?? schema.name,
    properties: schema.properties.map((p) => ({
      name: p.name,
      type: p.type,
      hasUniqueValue: p.hasUniqueValue === true,
    })),
    associatedTypeIds: [
      ...new Set(
        schema.associations.map((a) => (a.fromObjectTypeId === id ? a.toObjectTypeId : a.fromObjectTypeId)),
      ),
    ],
  };
}

/**
 * The CRM search limit as a limiter policy: `searchPerSecond` a second, with a tenth of a second of
 * margin (HubSpot counts searches by arrival, and arrivals jitter).
 */
export function searchPolicy(config: Pick<HubSpotConfig, 'searchPerSecond'>): {
  limit: number;
  intervalMs: number;
} {
  return { limit: config.searchPerSecond, intervalMs: 1100 };
}

/** Builds the client: the SDK with our limiters and error mapping around every call. */
export function createHubSpotClient(options: HubSpotClientOptions): HubSpotClient {
  const { config } = options;
  const now = options.now ?? Date.now;
  const portal = options.limiter;
  const searchLimiter = options.searchLimiter ?? createRateLimiter(searchPolicy(config));
  const sdk = new Client({
    accessToken: config.accessToken,
    basePath: config.baseUrl.replace(/\/+$/, ''),
    numberOfApiCallRetries: 0,
  });
  // Build the API objects now, while the SDK's decorator singleton holds our (empty) decorators.
  const objects = sdk.crm.objects;
  const associations = sdk.crm.associations.v4;
  const schemas = sdk.crm.schemas;
  const properties = sdk.crm.properties;
  const types = new Map<string, ResolvedType>();

  const fail = (err: unknown, search: boolean): SyncError => {
    if (isSyncError(err)) return err;
    if (isApiFailure(err)) {
      observeHeaders(err.headers, portal);
      if (err.code === 429) {
        const signal = rateLimitSignal({ body: err.body, headers: err.headers, now: now(), search });
        pauseFor(signal, { portal, search: searchLimiter });
        return rateLimitError(signal, err);
      }
      return classifyVendorError({
        status: err.code,
        retryAfter: err.headers['retry-after'],
        reason: reasonOf(err.body),
        cause: err,
      });
    }
    return classifyVendorError({
      networkCode: networkCodeOf(err),
      reason: (err as Error)?.message,
      cause: err,
    });
  };

  const call = async <T>(run: () => Promise<WithInfo<T>>, search = false): Promise<T> => {
    // The search slot is taken last, right before the call, so a wait for a portal slot cannot
    // bunch searches together past the per-second limit.
    const once = () => portal.schedule(search ? () => searchLimiter.schedule(run) : run);
    try {
      const info = await once();
      observeHeaders(info.headers, portal);
      return info.data;
    } catch (err) {
      throw fail(err, search);
    }
  };

  // A lookup by a unique property that the portal lacks is refused with a 400: that is setup, not data.
  const misconfigured = async <T>(
    idProperty: string | undefined,
    objectType: string,
    run: () => Promise<WithInfo<T>>,
  ): Promise<T> => {
    try {
      return await call(run);
    } catch (err) {
      if (idProperty && isSyncError(err, 'VENDOR_REJECTED') && /propert/i.test(err.message)) {
        throw new SyncError(
          'CONNECTOR_MISCONFIGURED',
          `HubSpot cannot look ${objectType} up by ${idProperty} (${err.message}); run \`growrk-sync init\``,
          { cause: err },
        );
      }
      throw err;
    }
  };

  const mutable = (list: readonly string[] | undefined): string[] | undefined =>
    list && list.length > 0 ? [...list] : undefined;

  const client: HubSpotClient = {
    searchLimiter,

    async listPage(objectType, opts) {
      const page = await call(() =>
        objects.basicApi.getPageWithHttpInfo(
          objectType,
          opts.limit,
          opts.after,
          mutable(opts.properties),
          undefined,
          mutable(opts.associations),
        ),
      );
      return {
        records: page.results.map((r) => toRecord(r as SdkRecord)),
        after: page.paging?.next?.after ?? null,
      };
    },

    async search(objectType, input) {
      const page = await call(
        () =>
          objects.searchApi.doSearchWithHttpInfo(objectType, {
            filterGroups: [
              {
                filters: input.filters.map((f) => ({
                  propertyName: f.propertyName,
                  operator: OPERATORS[f.operator],
                  ...(f.value !== undefined ? { value: f.value } : {}),
                  ...(f.values !== undefined ? { values: f.values } : {}),
                })),
              },
            ],
            properties: [...input.properties],
            limit: input.limit,
            ...(input.sorts ? { sorts: input.sorts } : {}),
            ...(input.after ? { after: input.after } : {}),
          }),
        true,
      );
      return {
        records: page.results.map((r) => toRecord(r as SdkRecord)),
        after: page.paging?.next?.after ?? null,
      };
    },

    async batchRead(objectType, opts) {
      if (opts.ids.length === 0) return [];
      const data = await misconfigured(opts.idProperty, objectType, () =>
        objects.batchApi.readWithHttpInfo(objectType, {
          inputs: opts.ids.map((id) => ({ id })),
          properties: [...opts.properties],
          propertiesWithHistory: [],
          ...(opts.idProperty ? { idProperty: opts.idProperty } : {}),
        }),
      );
      return data.results.map((r) => toRecord(r as SdkRecord));
    },

    async batchUpdate(objectType, inputs) {
      if (inputs.length === 0) return { results: [], errors: [] };
      const data = await call(() =>
        objects.batchApi.updateWithHttpInfo(objectType, {
          inputs: inputs.map((i) => ({ id: i.id, properties: { ...i.properties } })),
        }),
      );
      return toBatchResult(data as SdkBatch, (r) => r.id);
    },

    async batchUpsert(objectType, idProperty, inputs) {
      if (inputs.length === 0) return { results: [], errors: [] };
      const data = await call(() =>
        objects.batchApi.upsertWithHttpInfo(objectType, {
          inputs: inputs.map((i) => ({ id: i.idValue, idProperty, properties: { ...i.properties } })),
        }),
      );
      const batch = data as SdkBatch;
      const result = toBatchResult(batch, (r) => r.properties[idProperty] ?? null);
      // HubSpot answers in input order; fill keys it did not echo from the inputs.
      if (batch.errors === undefined || batch.errors.length === 0) {
        result.results.forEach((r, i) => {
          if (r.key === null) r.key = inputs[i]?.idValue ?? null;
        });
      }
      return result;
    },

    async batchAssociate(fromType, toType, pairs) {
      if (pairs.length === 0) return { missing: [] };
      const data = await call(() =>
        associations.batchApi.createDefaultWithHttpInfo(fromType, toType, {
          inputs: pairs.map((p) => ({ _from: { id: p.fromId }, to: { id: p.toId } })),
        }),
      );
      const errors: SdkBatch['errors'] = 'errors' in data ? data.errors : [];
      const missing = (errors ?? [])
        .filter((e) => e.category === 'OBJECT_NOT_FOUND')
        .flatMap((e) => e.context?.ids ?? []);
      return { missing };
    },

    async batchDissociate(fromType, toType, pairs) {
      if (pairs.length === 0) return;
      const byFrom = new Map<string, string[]>();
      for (const p of pairs) byFrom.set(p.fromId, [...(byFrom.get(p.fromId) ?? []), p.toId]);
      await call(() =>
        associations.batchApi.archiveWithHttpInfo(fromType, toType, {
          inputs: [...byFrom].map(([fromId, to]) => ({
            _from: { id: fromId },
            to: to.map((id) => ({ id })),
          })),
        }),
      );
    },

    async batchReadAssociations(fromType, toType, ids) {
      const out = new Map<string, string[]>();
      if (ids.length === 0) return out;
      const data = await call(() =>
        associations.batchApi.getPageWithHttpInfo(fromType, toType, { inputs: ids.map((id) => ({ id })) }),
      );
      for (const r of data.results) {
        out.set(String(r._from.id), [...new Set(r.to.map((t) => String(t.toObjectId)))]);
      }
      return out;
    },

    async listSchemas() {
      const data = await call(() => schemas.coreApi.getAllWithHttpInfo());
      return data.results.map((s) => schemaInfo(s));
    },

    async createSchema(input) {
      const data = await call(() =>
        schemas.coreApi.createWithHttpInfo({
          name: input.name,
          labels: input.labels,
          primaryDisplayProperty: input.primaryDisplayProperty,
          secondaryDisplayProperties: input.secondaryDisplayProperties,
          searchableProperties: input.searchableProperties,
          requiredProperties: [],
          associatedObjects: input.associatedObjects,
          properties: input.properties.map((p) => ({
            name: p.name,
            label: p.label,
            type: SCHEMA_PROPERTY_TYPES[p.type],
            fieldType: FIELD_TYPES[p.type],
            ...(p.unique ? { hasUniqueValue: true } : {}),
            ...(p.type === 'bool' ? { options: BOOL_OPTIONS } : {}),
          })),
        }),
      );
      const info = schemaInfo(data);
      types.set(input.name.toLowerCase(), {
        path: info.objectTypeId,
        objectTypeId: info.objectTypeId,
        custom: true,
      });
      return info;
    },

    async createSchemaAssociation(objectTypeId, toObjectTypeId, name) {
      await call(() =>
        schemas.coreApi.createAssociationWithHttpInfo(objectTypeId, {
          fromObjectTypeId: objectTypeId,
          toObjectTypeId,
          name,
        }),
      );
    },

    async listProperties(objectType) {
      const data = await call(() => properties.coreApi.getAllWithHttpInfo(objectType));
      return data.results.map((p) => ({
        name: p.name,
        type: p.type,
        hasUniqueValue: p.hasUniqueValue === true,
      }));
    },

    async createProperties(objectType, groupName, specs) {
      if (specs.length === 0) return;
      const data = await call(() =>
        properties.batchApi.createWithHttpInfo(objectType, {
          inputs: specs.map((p) => ({
            name: p.name,
            label: p.label,
            groupName,
            type: PROPERTY_TYPES[p.type],
            fieldType: FIELD_TYPES[p.type],
            ...(p.unique ? { hasUniqueValue: true } : {}),
            ...(p.type === 'bool' ? { options: BOOL_OPTIONS } : {}),
          })),
        }),
      );
      const errors = (data as { errors?: unknown[] }).errors ?? [];
      if (errors.length > 0) {
        throw new SyncError(
          'VENDOR_REJECTED',
          `HubSpot refused ${errors.length} property definition(s): ${reasonOf(errors[0]) ?? ''}`,
        );
      }
    },

    async listPropertyGroups(objectType) {
      const data = await call(() => properties.groupsApi.getAllWithHttpInfo(objectType));
      return data.results.map((g) => g.name);
    },

    async createPropertyGroup(objectType, name, label) {
      await call(() => properties.groupsApi.createWithHttpInfo(objectType, { name, label }));
    },

    async tokenInfo() {
      const response = await call(async () => {
        const res = await sdk.apiRequest({
          method: 'POST',
          path: '/oauth/v2/private-apps/get/access-token-info',
          body: { tokenKey: config.accessToken },
        });
        const headers: Record<string, string> = {};
        res.headers.forEach((value, name) => {
          headers[name] = value;
        });
        const text = await res.text();
        return { headers, data: { status: res.status, text } };
      });
      if (response.status === 404) return null;
      if (response.status === 401 || response.status === 403) {
        throw classifyVendorError({ status: response.status, reason: reasonOf(response.text) });
      }
      if (response.status < 200 || response.status >= 300) return null;
      const body = JSON.parse(response.text) as { scopes?: unknown; hubId?: unknown };
      return {
        scopes: Array.isArray(body.scopes) ? body.scopes.map(String) : [],
        hubId: typeof body.hubId === 'number' ? body.hubId : null,
      };
    },

    async resolveType(objectType) {
      const key = objectType.toLowerCase();
      const standard = STANDARD_TYPES[key];
      if (standard) return { path: key, objectTypeId: standard, custom: false };
      if (/^0-\d+$/.test(key)) return { path: key, objectTypeId: key, custom: false };
      const cached = types.get(key);
      if (cached) return cached;
      const all = await client.listSchemas();
      for (const s of all) {
        const resolved = { path: s.objectTypeId, objectTypeId: s.objectTypeId, custom: true };
        for (const alias of [s.name, s.fullyQualifiedName, s.objectTypeId])
          types.set(alias.toLowerCase(), resolved);
      }
      const found = types.get(key);
      if (found) return found;
      throw new SyncError(
        'CONNECTOR_MISCONFIGURED',
        `HubSpot has no object type "${objectType}"; run \`growrk-sync init\` to create it, or set hubspot.assetObjectType`,
      );
    },
  };
  return client;
}
