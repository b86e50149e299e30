/**
 * The only file that touches `@googleapis/admin` and `google-auth-library`. It builds a narrow
 * {@link DirectoryClient}: every call goes through the rate limiter, asks only for the fields the
 * connector needs, and fails with a catalogue {@link SyncError} (never a vendor body or an e-mail in
 * the message). The SDK's own retries are off: the core retries whole attempts.
 */
import { readFileSync } from 'node:fs';
import { admin, type admin_directory_v1 } from '@googleapis/admin';
import { JWT, OAuth2Client } from 'google-auth-library';
import { classifyVendorError, SyncError } from '../../src/errors.ts';
import type { RateLimiter } from '../../src/sync/rate-limiter.ts';
import type { GoogleConfig } from './config.ts';
import { SCOPES, USER_FIELDS } from './model.ts';

/** The token URL google-auth-library signs into JWTs and posts to (not configurable there). */
const LIBRARY_TOKEN_URL = 'https://oauth2.googleapis.com/token';

/** A user write (`users.patch` / `users.insert` body), in the connector's words. */
export interface UserWrite {
  primaryEmail?: string;
  name?: { givenName: string; familyName: string };
  password?: string;
  changePasswordAtNextLogin?: boolean;
  suspended?: boolean;
  orgUnitPath?: string;
  externalIds?: Record<string, unknown>[];
  organizations?: Record<string, unknown>[];
  relations?: Record<string, unknown>[];
  /** Schema name -> field -> value. */
  customSchemas?: Record<string, Record<string, unknown>>;
}

/** One field of a custom schema definition. */
export interface SchemaFieldDefinition {
  fieldName: string;
  fieldType: string;
  displayName: string;
  indexed: boolean;
  multiValued: boolean;
  readAccessType: 'ADMINS_AND_SELF' | 'ALL_DOMAIN_USERS';
}

/** A custom schema as `init` writes and reads it. */
export interface SchemaDefinition {
  schemaName: string;
  displayName: string;
  fields: SchemaFieldDefinition[];
}

/** A page of users as the API returned them (narrowed later by `mapping.parseUser`). */
export interface UserPage {
  users: unknown[];
  nextPageToken: string | undefined;
}

/** What a delete found: `gone` when the thing was already not there (a 404), which is success. */
export type DeleteResult = 'deleted' | 'gone';

/** The outcome of asking the token endpoint for one scope (service-account mode only). */
export interface ScopeProbe {
  scope: string;
  ok: boolean;
  /** The OAuth error code when refused (e.g. `unauthorized_client`). */
  reason?: string;
}

/** The Directory API calls the connector makes, and nothing else. */
export interface DirectoryClient {
  /** How the client authenticates. */
  readonly authMode: 'access-token' | 'service-account';
  /** `users.get` with our field mask and custom schema; null on 404. */
  getUser(userKey: string): Promise<unknown | null>;
  /** `users.list` with a `query` (e.g. `email:a@b.c`), first page only (at most 10 users). */
  searchUsers(query: string): Promise<unknown[]>;
  /** One page of `users.list` over the whole customer. */
  listUsers(options: { pageToken?: string | undefined; maxResults: number }): Promise<UserPage>;
  /** `users.insert`; returns the new user's id. */
  insertUser(body: UserWrite): Promise<string>;
  /** `users.patch`; returns the user as written (our field mask), as the API answered it. */
  patchUser(userKey: string, body: UserWrite): Promise<unknown>;
  /** `users.signOut`. */
  signOut(userKey: string): Promise<void>;
  /** `tokens.list`: the client ids of the user's third-party tokens. */
  listTokenClientIds(userKey: string): Promise<string[]>;
  /** `tokens.delete`. */
  deleteToken(userKey: string, clientId: string): Promise<DeleteResult>;
  /** `asps.list`: the code ids of the user's app passwords. */
  listAspCodeIds(userKey: string): Promise<number[]>;
  /** `asps.delete`. */
  deleteAsp(userKey: string, codeId: number): Promise<DeleteResult>;
  /** `verificationCodes.invalidate`. */
  invalidateBackupCodes(userKey: string): Promise<void>;
  /** `groups.list?userKey=`, every page: the ids of the groups the user is a direct member of. */
  listGroupIdsOf(userKey: string): Promise<string[]>;
  /** `members.delete`. */
  removeMember(groupKey: string, memberKey: string): Promise<DeleteResult>;
  /** `schemas.get`; null on 404. */
  getSchema(schemaName: string): Promise<SchemaDefinition | null>;
  /** `schemas.insert`. */
  insertSchema(schema: SchemaDefinition): Promise<void>;
  /** `schemas.patch` with the whole field list. */
  patchSchemaFields(schemaName: string, fields: SchemaFieldDefinition[]): Promise<void>;
  /** `users.list?maxResults=1`: a cheap read with the user scope; the first user's id, if any. */
  probeUsers(): Promise<string | null>;
  /** `asps.list` for one user: a cheap read with the security scope. */
  probeSecurity(userKey: string): Promise<void>;
  /** `groups.list?maxResults=1`: a cheap read with the group scope. */
  probeGroups(): Promise<void>;
  /** Service-account mode: asks the token endpoint for each scope alone, to name refused ones. */
  probeScopes(scopes: readonly string[]): Promise<ScopeProbe[]>;
  /** `applications.list?maxResults=1` (Data Transfer): a cheap read with the data-transfer scope. */
  probeTransfers(): Promise<void>;
  /** `mobiledevices.list?maxResults=1`: a cheap read with the mobile-device scope. */
  probeDevices(): Promise<void>;
  /** `licenseAssignments.listForProductAndSku?maxResults=1`: a cheap read with the licensing scope. */
  probeLicences(productId: string, skuId: string): Promise<void>;
  /** `users.get` of someone else (a handover recipient): their id, or null when there is no such user. */
  userIdOf(userKey: string): Promise<string | null>;
  /** `transfers.insert` of Drive (private and shared) and Calendar from one user to another. */
  insertTransfer(input: { fromUserId: string; toUserId: string }): Promise<TransferStatus>;
  /** `transfers.get`. */
  getTransfer(transferId: string): Promise<TransferStatus>;
  /** `mobiledevices.list` with `query=email:<userEmail>`, every page. */
  listMobileDevices(userEmail: string): Promise<MobileDevice[]>;
  /** `mobiledevices.action` `admin_account_wipe`; `gone` when the device no longer exists. */
  wipeAccountFromDevice(resourceId: string): Promise<DeleteResult>;
  /** `licenseAssignments.delete`; `gone` when the user held no such licence. */
  releaseLicence(input: { productId: string; skuId: string; userEmail: string }): Promise<DeleteResult>;
  /** `licenseAssignments.patch` to another SKU; `gone` when the user held no licence of `skuId`. */
  switchLicence(input: {
    productId: string;
    skuId: string;
    toSkuId: string;
    userEmail: string;
  }): Promise<DeleteResult>;
}

/** A transfer as the Data Transfer API reports it. */
export interface TransferStatus {
  id: string;
  /** `inProgress`, `completed`, `failed` (Google's `overallTransferStatusCode`). */
  state: string;
}

/** A mobile device, reduced to what the wipe needs. */
export interface MobileDevice {
  resourceId: string;
  model: string | undefined;
  status: string | undefined;
}

/** Google's application ids of Drive and Calendar in the Data Transfer API. */
export const TRANSFER_APPLICATIONS = { drive: '55656082996', calendar: '435070579839' } as const;

/** The scopes the connector asks for under `config`. */
export function scopesFor(config: GoogleConfig): string[] {
  const scopes: string[] = [SCOPES.user, SCOPES.security, SCOPES.schema];
  if (config.offboardRemoveGroups) scopes.push(SCOPES.group);
  if (config.handover) scopes.push(SCOPES.datatransfer);
  if (config.wipeDevices) scopes.push(SCOPES.mobileAction);
  if (config.closing && config.licenceProductId) scopes.push(SCOPES.licensing);
  return scopes;
}

// ---- errors ---------------------------------------------------------------------------------

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function headerOf(headers: unknown, name: string): string | undefined {
  if (headers && typeof (headers as { get?: unknown }).get === 'function') {
    const value = (headers as { get(n: string): unknown }).get(name);
    return typeof value === 'string' ? value : undefined;
  }
  if (isRecord(headers)) {
    const value = headers[name] ?? headers[name.toLowerCase()];
    return typeof value === 'string' ? value : undefined;
  }
  return undefined;
}

/** The short machine reason of a Google error: `errors[0].reason`, or the OAuth `error` code. */
function reasonOf(data: unknown): { reason: string | undefined; oauth: boolean } {
  if (!isRecord(data)) return { reason: undefined, oauth: false };
  const error = data.error;
  if (typeof error === 'string') return { reason: error, oauth: true };
  if (!isRecord(error)) return { reason: undefined, oauth: false };
  const first = Array.isArray(error.errors) ? error.errors[0] : undefined;
  if (isRecord(first) && typeof first.reason === 'string') return { reason: first.reason, oauth: false };
  return { reason: typeof error.status === 'string' ? error.status : undefined, oauth: false };
}

/** The HTTP status of a failed call, if it got an answer. */
export function statusOf(err: unknown): number | undefined {
  if (err instanceof SyncError)
    return typeof err.details?.status === 'number' ? err.details.status : undefined;
  if (!isRecord(err) && !(err instanceof Error)) return undefined;
  const e = err as { status?: unknown; response?: { status?: unknown } };
  const status = e.response?.status ?? e.status;
  return typeof status === 'number' ? status : undefined;
}

/**
 * Turns whatever a call threw into a SyncError. The message names the operation, the status and
 * Google's reason code; the cause is a bare Error with the same words (the SDK's error carries the
 * request, with its bearer token, and the response body, with e-mails).
 */
export function toVendorError(err: unknown, operation: string): SyncError {
  if (err instanceof SyncError) return err;
  const e = (isRecord(err) || err instanceof Error ? err : {}) as {
    code?: unknown;
    response?: { status?: unknown; headers?: unknown; data?: unknown };
  };
  let status = statusOf(err);
  const { reason: rawReason, oauth } = reasonOf(e.response?.data);
  let reason = rawReason;
  // The token endpoint refusing a grant is a credentials problem, whatever status it used.
  if (oauth && status !== undefined && status < 500) {
    status = 401;
    reason = `token endpoint refused: ${rawReason}`;
  }
  const networkCode = typeof e.code === 'string' ? e.code : undefined;
  const summary = `${operation}: ${status === undefined ? `network error ${networkCode ?? ''}`.trim() : `HTTP ${status}`}${reason ? ` ${reason}` : ''}`;
  const classified = classifyVendorError({
    status,
    retryAfter: headerOf(e.response?.headers, 'retry-after'),
    reason,
    networkCode,
    cause: new Error(summary),
  });
  const options: ConstructorParameters<typeof SyncError>[2] = {
    cause: classified.cause,
    details: { operation, status, reason },
  };
  if (classified.retryAfterMs !== undefined) options.retryAfterMs = classified.retryAfterMs;
  return new SyncError(classified.code, `Google Directory ${operation}: ${classified.message}`, options);
}

// ---- auth -----------------------------------------------------------------------------------

interface ServiceAccountKey {
  client_email: string;
  private_key: string;
}

function readKey(path: string): ServiceAccountKey {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new SyncError(
      'CONNECTOR_MISCONFIGURED',
      'google.credentials: the key file cannot be read as JSON',
      {
        cause: err,
      },
    );
  }
  if (
    !isRecord(parsed) ||
    typeof parsed.client_email !== 'string' ||
    typeof parsed.private_key !== 'string'
  ) {
    throw new SyncError(
      'CONNECTOR_MISCONFIGURED',
      'google.credentials: not a service-account key (client_email and private_key are required)',
    );
  }
  return { client_email: parsed.client_email, private_key: parsed.private_key };
}

function serviceAccount(key: ServiceAccountKey, config: GoogleConfig, scopes: string[]): JWT {
  const jwt = new JWT({
    email: key.client_email,
    key: key.private_key,
    subject: config.adminSubject,
    scopes,
  });
  // google-auth-library posts to a fixed Google URL; a proxy or an emulator gets it rewritten here.
  if (config.tokenUrl !== LIBRARY_TOKEN_URL) {
    jwt.transporter.interceptors.request.add({
      resolved: async (options) => {
        if (String(options.url) === LIBRARY_TOKEN_URL) options.url = new URL(config.tokenUrl);
        return options;
      },
    });
  }
  return jwt;
}

// ---- the client -----------------------------------------------------------------------------

/** Builds the Directory client from the connector's configuration. */
export function createDirectoryClient(input: {
  config: GoogleConfig;
  limiter: RateLimiter;
}): DirectoryClient {
  const { config, limiter } = input;
  const key = config.accessToken ? null : config.credentials ? readKey(config.credentials) : null;
  let auth: OAuth2Client;
  if (config.accessToken) {
    auth = new OAuth2Client();
    auth.setCredentials({ access_token: config.accessToken });
  } else if (key && config.adminSubject) {
    auth = serviceAccount(key, config, scopesFor(config));
  } else {
    throw new SyncError(
      'CONNECTOR_MISCONFIGURED',
      'google: set GOOGLE_ACCESS_TOKEN, or GOOGLE_CREDENTIALS and GOOGLE_ADMIN_SUBJECT',
    );
  }
  const api = admin({ version: 'directory_v1', rootUrl: config.apiRootUrl, auth, retry: false });
  const transfers = admin({ version: 'datatransfer_v1', rootUrl: config.apiRootUrl, auth, retry: false });
  // Licensing has no client in @googleapis/admin: its REST calls go through the same auth client.
  const licensing = (path: string, method: 'DELETE' | 'PATCH', data?: unknown) =>
    auth.request({
      url: new URL(`apps/licensing/v1/product/${path}`, config.licensingRootUrl).toString(),
      method,
      retry: false,
      ...(data === undefined ? {} : { data }),
    });
  const licencePath = (productId: string, skuId: string, userEmail: string) =>
    [productId, 'sku', skuId, 'user', userEmail]
      .map((p, i) => (i % 2 === 1 ? p : encodeURIComponent(p)))
      .join('/');
  const customer = config.customer;
  const schema = config.customSchema;
  const userView = { projection: 'custom', customFieldMask: schema } as const;

  const call = async <T>(operation: string, task: () => Promise<T>): Promise<T> => {
    try {
      return await limiter.schedule(task);
    } catch (err) {
      throw toVendorError(err, operation);
    }
  };
  const orNull = async <T>(operation: string, task: () => Promise<T>): Promise<T | null> => {
    try {
      return await call(operation, task);
    } catch (err) {
      if (statusOf(err) === 404) return null;
      throw err;
    }
  };
  const deletion = async (operation: string, task: () => Promise<unknown>): Promise<DeleteResult> => {
    const result = await orNull(operation, async () => {
      await task();
      return 'deleted' as const;
    });
    return result ?? 'gone';
  };

  const toSchemaUser = (body: UserWrite): admin_directory_v1.Schema$User => ({ ...body });

  return {
    authMode: config.accessToken ? 'access-token' : 'service-account',

    getUser: (userKey) =>
      orNull(
        'users.get',
        async () => (await api.users.get({ userKey, ...userView, fields: USER_FIELDS })).data,
      ),

    searchUsers: (query) =>
      call('users.list', async () => {
        const res = await api.users.list({
          customer,
          query,
          maxResults: 10,
          ...userView,
          fields: `users(${USER_FIELDS})`,
        });
        return res.data.users ?? [];
      }),

    listUsers: ({ pageToken, maxResults }) =>
      call('users.list', async () => {
        const res = await api.users.list({
          customer,
          maxResults,
          ...(pageToken ? { pageToken } : {}),
          ...userView,
          fields: `nextPageToken,users(${USER_FIELDS})`,
        });
        return { users: res.data.users ?? [], nextPageToken: res.data.nextPageToken ?? undefined };
      }),

    insertUser: (body) =>
      call('users.insert', async () => {
        const res = await api.users.insert({ requestBody: toSchemaUser(body), fields: 'id' });
        if (!res.data.id)
          throw new SyncError('VENDOR_REJECTED', 'Google Directory users.insert: no id returned');
        return res.data.id;
      }),

    patchUser: (userKey, body) =>
      call(
        'users.patch',
        async () =>
          (await api.users.patch({ userKey, requestBody: toSchemaUser(body), fields: USER_FIELDS })).data,
      ),

    signOut: (userKey) =>
      call('users.signOut', async () => {
        await api.users.signOut({ userKey });
      }),

    listTokenClientIds: (userKey) =>
      call('tokens.list', async () => {
        const res = await api.tokens.list({ userKey, fields: 'items(clientId)' });
        return (res.data.items ?? []).flatMap((t) => (t.clientId ? [t.clientId] : []));
      }),

    deleteToken: (userKey, clientId) =>
      deletion('tokens.delete', () => api.tokens.delete({ userKey, clientId })),

    listAspCodeIds: (userKey) =>
      call('asps.list', async () => {
        const res = await api.asps.list({ userKey, fields: 'items(codeId)' });
        return (res.data.items ?? []).flatMap((a) => (typeof a.codeId === 'number' ? [a.codeId] : []));
      }),

    deleteAsp: (userKey, codeId) => deletion('asps.delete', () => api.asps.delete({ userKey, codeId })),

    invalidateBackupCodes: (userKey) =>
      call('verificationCodes.invalidate', async () => {
        await api.verificationCodes.invalidate({ userKey });
      }),

    listGroupIdsOf: async (userKey) => {
      const ids: string[] = [];
      let pageToken: string | undefined;
      do {
        const token = pageToken;
        const page = await call('groups.list', async () => {
          const res = await api.groups.list({
            userKey,
            maxResults: 200,
            ...(token ? { pageToken: token } : {}),
            fields: 'nextPageToken,groups(id)',
          });
          return res.data;
        });
        for (const g of page.groups ?? []) if (g.id) ids.push(g.id);
        pageToken = page.nextPageToken ?? undefined;
      } while (pageToken);
      return ids;
    },

    removeMember: (groupKey, memberKey) =>
      deletion('members.delete', () => api.members.delete({ groupKey, memberKey })),

    getSchema: (schemaName) =>
      orNull('schemas.get', async () => {
        const res = await api.schemas.get({
          customerId: customer,
          schemaKey: schemaName,
          fields:
            'schemaName,displayName,fields(fieldName,fieldType,displayName,indexed,multiValued,readAccessType)',
        });
        return {
          schemaName: res.data.schemaName ?? schemaName,
          displayName: res.data.displayName ?? schemaName,
          fields: (res.data.fields ?? []).map((f) => ({
            fieldName: f.fieldName ?? '',
            fieldType: f.fieldType ?? '',
            displayName: f.displayName ?? '',
            indexed: f.indexed ?? false,
            multiValued: f.multiValued ?? false,
            readAccessType: f.readAccessType === 'ALL_DOMAIN_USERS' ? 'ALL_DOMAIN_USERS' : 'ADMINS_AND_SELF',
          })),
        };
      }),

    insertSchema: (definition) =>
      call('schemas.insert', async () => {
        await api.schemas.insert({ customerId: customer, requestBody: definition, fields: 'schemaId' });
      }),

    patchSchemaFields: (schemaName, fields) =>
      call('schemas.patch', async () => {
        await api.schemas.patch({
          customerId: customer,
          schemaKey: schemaName,
          requestBody: { fields },
          fields: 'schemaId',
        });
      }),

    probeUsers: () =>
      call('users.list', async () => {
        const res = await api.users.list({ customer, maxResults: 1, fields: 'users(id)' });
        return res.data.users?.[0]?.id ?? null;
      }),

    probeSecurity: (userKey) =>
      call('asps.list', async () => {
        await api.asps.list({ userKey, fields: 'items(codeId)' });
      }),

    probeGroups: () =>
      call('groups.list', async () => {
        await api.groups.list({ customer, maxResults: 1, fields: 'groups(id)' });
      }),

    probeTransfers: () =>
      call('applications.list', async () => {
        await transfers.applications.list({
          customerId: customer,
          maxResults: 1,
          fields: 'applications(id)',
        });
      }),

    probeDevices: () =>
      call('mobiledevices.list', async () => {
        await api.mobiledevices.list({
          customerId: customer,
          maxResults: 1,
          fields: 'mobiledevices(resourceId)',
        });
      }),

    probeLicences: (productId, skuId) =>
      call('licenseAssignments.listForProductAndSku', async () => {
        const path = `${encodeURIComponent(productId)}/sku/${encodeURIComponent(skuId)}/users`;
        const url = new URL(`apps/licensing/v1/product/${path}`, config.licensingRootUrl);
        url.searchParams.set('customerId', customer);
        url.searchParams.set('maxResults', '1');
        await auth.request({ url: url.toString(), method: 'GET', retry: false });
      }),

    userIdOf: (userKey) =>
      orNull('users.get', async () => (await api.users.get({ userKey, fields: 'id' })).data.id ?? null).then(
        (id) => id ?? null,
      ),

    insertTransfer: ({ fromUserId, toUserId }) =>
      call('transfers.insert', async () => {
        const res = await transfers.transfers.insert({
          fields: 'id,overallTransferStatusCode',
          requestBody: {
            oldOwnerUserId: fromUserId,
            newOwnerUserId: toUserId,
            applicationDataTransfers: [
              {
                applicationId: TRANSFER_APPLICATIONS.drive,
                applicationTransferParams: [{ key: 'PRIVACY_LEVEL', value: ['PRIVATE', 'SHARED'] }],
              },
              {
                applicationId: TRANSFER_APPLICATIONS.calendar,
                applicationTransferParams: [{ key: 'RELEASE_RESOURCES', value: ['TRUE'] }],
              },
            ],
          },
        });
        if (!res.data.id)
          throw new SyncError('VENDOR_REJECTED', 'Google Data Transfer transfers.insert: no id returned');
        return { id: res.data.id, state: res.data.overallTransferStatusCode ?? 'inProgress' };
      }),

    getTransfer: (transferId) =>
      call('transfers.get', async () => {
        const res = await transfers.transfers.get({
          dataTransferId: transferId,
          fields: 'id,overallTransferStatusCode',
        });
        return { id: res.data.id ?? transferId, state: res.data.overallTransferStatusCode ?? 'inProgress' };
      }),

    listMobileDevices: async (userEmail) => {
      const devices: MobileDevice[] = [];
      let pageToken: string | undefined;
      do {
        const token = pageToken;
        const page = await call('mobiledevices.list', async () => {
          const res = await api.mobiledevices.list({
            customerId: customer,
            query: `email:${userEmail}`,
            maxResults: 100,
            fields: 'nextPageToken,mobiledevices(resourceId,model,status)',
            ...(token ? { pageToken: token } : {}),
          });
          return res.data;
        });
        for (const d of page.mobiledevices ?? [])
          if (d.resourceId)
            devices.push({
              resourceId: d.resourceId,
              model: d.model ?? undefined,
              status: d.status ?? undefined,
            });
        pageToken = page.nextPageToken ?? undefined;
      } while (pageToken);
      return devices;
    },

    wipeAccountFromDevice: (resourceId) =>
      deletion('mobiledevices.action', () =>
        api.mobiledevices.action({
          customerId: customer,
          resourceId,
          requestBody: { action: 'admin_account_wipe' },
        }),
      ),

    releaseLicence: ({ productId, skuId, userEmail }) =>
      deletion('licenseAssignments.delete', () =>
        licensing(licencePath(productId, skuId, userEmail), 'DELETE'),
      ),

    switchLicence: ({ productId, skuId, toSkuId, userEmail }) =>
      deletion('licenseAssignments.patch', () =>
        licensing(licencePath(productId, skuId, userEmail), 'PATCH', { skuId: toSkuId }),
      ),

    probeScopes: async (scopes) => {
      if (!key) return [];
      const results: ScopeProbe[] = [];
      for (const scope of scopes) {
        try {
          await limiter.schedule(() => serviceAccount(key, config, [scope]).authorize());
          results.push({ scope, ok: true });
        } catch (err) {
          const error = toVendorError(err, 'token');
          if (error.code !== 'VENDOR_AUTH') throw error;
          const reason = error.details?.reason;
          results.push({ scope, ok: false, ...(typeof reason === 'string' ? { reason } : {}) });
        }
      }
      return results;
    },
  };
}
