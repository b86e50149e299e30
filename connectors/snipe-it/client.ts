/**
 * The only file that talks to Snipe-IT (node's fetch). Every call goes through the connector's
 * rate limiter and honours Snipe-IT's own signals: `X-RateLimit-Remaining` tightens the limiter,
 * a 429's `Retry-After` pauses it. Snipe-IT answers most failures with HTTP 200 and
 * `"status": "error"` (validation, not found, refused checkouts): those become catalogue errors
 * with Snipe-IT's messages, like HTTP failures do.
 */
import { classifyVendorError, SyncError } from '../../src/errors.ts';
import type { RateLimiter } from '../../src/sync/rate-limiter.ts';
import type { SnipeItConfig } from './config.ts';

type Json = Record<string, unknown>;

/** A `{total, rows}` listing page. */
export interface Page {
  total: number;
  rows: unknown[];
}

/** The fields Snipe-IT knows (`GET /fields` row, reduced). */
export interface CustomField {
  id: number;
  name: string;
  dbColumn: string;
}

/** A status label (`GET /statuslabels` row, reduced). */
export interface StatusLabel {
  id: number;
  name: string;
  type: string;
}

/** The window Snipe-IT's API throttle counts in. */
const THROTTLE_WINDOW_MS = 60_000;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Snipe-IT's `messages`: a string, or field -> [messages]. */
export function messagesText(messages: unknown): string {
  if (typeof messages === 'string') return messages;
  if (isObject(messages)) {
    return Object.entries(messages)
      .map(([field, list]) => `${field}: ${Array.isArray(list) ? list.join(' ') : String(list)}`)
      .join('; ');
  }
  return 'error';
}

/** An error envelope (HTTP 200, `"status": "error"`) as a catalogue error. */
export function envelopeError(operation: string, messages: unknown): SyncError {
  const text = messagesText(messages);
  const code = /not found|does not exist/i.test(text) ? 'TARGET_NOT_FOUND' : 'VENDOR_REJECTED';
  return new SyncError(code, `Snipe-IT ${operation}: ${text}`, { details: { operation, messages: text } });
}

function asPage(body: unknown): Page {
  if (!isObject(body) || !Array.isArray(body.rows)) return { total: 0, rows: [] };
  return { total: typeof body.total === 'number' ? body.total : body.rows.length, rows: body.rows };
}

/** The Snipe-IT API client. */
export class SnipeItClient {
  private readonly base: string;
  private labels: StatusLabel[] | null = null;
  private fieldList: CustomField[] | null = null;
  private readonly config: SnipeItConfig;
  private readonly limiter: RateLimiter;

  constructor(config: SnipeItConfig, limiter: RateLimiter) {
    this.config = config;
    this.limiter = limiter;
    this.base = `${config.url.replace(/\/+$/, '')}/api/v1`;
  }

  /** One call: limiter, fetch, rate-limit headers, HTTP and envelope errors. */
  private async call(operation: string, method: string, path: string, body?: Json): Promise<unknown> {
    return this.limiter.schedule(async () => {
      let res: Response;
      try {
        res = await fetch(`${this.base}${path}`, {
          method,
          headers: {
            Authorization: `Bearer ${this.config.apiToken}`,
            Accept: 'application/json',
            ...(body ? { 'Content-Type': 'application/json' } : {}),
          },
          ...(body ? { body: JSON.stringify(body) } : {}),
          signal: AbortSignal.timeout(30_000),
        });
      } catch (cause) {
        const code = isObject(cause) && isObject(cause.cause) ? String(cause.cause.code ?? '') : '';
        throw classifyVendorError({
          networkCode: code || 'fetch failed',
          reason: `Snipe-IT ${operation}`,
          cause,
        });
      }
      const remaining = Number(res.headers.get('x-ratelimit-remaining') ?? Number.NaN);
      if (Number.isFinite(remaining)) this.limiter.observe(remaining, THROTTLE_WINDOW_MS);
      const raw = await res.text();
      let parsed: unknown = null;
      try {
        parsed = raw === '' ? null : JSON.parse(raw);
      } catch {
        parsed = null;
      }
      if (!res.ok) {
        const retryAfter = res.headers.get('retry-after');
        const error = classifyVendorError({
          status: res.status,
          retryAfter,
          reason: `Snipe-IT ${operation}${isObject(parsed) && 'messages' in parsed ? `: ${messagesText(parsed.messages)}` : ''}`,
        });
        if (error.retryAfterMs !== undefined) this.limiter.pauseUntil(Date.now() + error.retryAfterMs);
        throw error;
      }
      if (isObject(parsed) && parsed.status === 'error') throw envelopeError(operation, parsed.messages);
      return parsed;
    });
  }

  /** The token's user, with its permissions (`GET /users/me`). */
  async me(): Promise<Json> {
    const body = await this.call('users.me', 'GET', '/users/me');
    return isObject(body) ? body : {};
  }

  /** One page of hardware, oldest first (stable under offset paging). */
  async listHardware(offset: number, limit: number): Promise<Page> {
    return asPage(
      await this.call('hardware.list', 'GET', `/hardware?limit=${limit}&offset=${offset}&sort=id&order=asc`),
    );
  }

  /** Assets with this serial (serials may repeat); none is an empty list. */
  async hardwareBySerial(serial: string): Promise<unknown[]> {
    try {
      return asPage(
        await this.call('hardware.byserial', 'GET', `/hardware/byserial/${encodeURIComponent(serial)}`),
      ).rows;
    } catch (err) {
      if (err instanceof SyncError && err.code === 'TARGET_NOT_FOUND') return [];
      throw err;
    }
  }

  /** Assets with this tag (one bare object, or a listing when several match); none is an empty list. */
  async hardwareByTag(tag: string): Promise<unknown[]> {
    try {
      const body = await this.call('hardware.bytag', 'GET', `/hardware/bytag/${encodeURIComponent(tag)}`);
      return isObject(body) && Array.isArray(body.rows) ? body.rows : [body];
    } catch (err) {
      if (err instanceof SyncError && err.code === 'TARGET_NOT_FOUND') return [];
      throw err;
    }
  }

  /** Creates an asset; returns its id. */
  async createHardware(body: Json): Promise<number> {
    const answer = await this.call('hardware.create', 'POST', '/hardware', body);
    const payload = isObject(answer) && isObject(answer.payload) ? answer.payload : {};
    if (typeof payload.id !== 'number')
      throw new SyncError('VENDOR_REJECTED', 'Snipe-IT hardware.create: no id in the answer');
    return payload.id;
  }

  async updateHardware(id: number, body: Json): Promise<void> {
    await this.call('hardware.update', 'PATCH', `/hardware/${id}`, body);
  }

  async checkout(id: number, body: Json): Promise<void> {
    await this.call('hardware.checkout', 'POST', `/hardware/${id}/checkout`, body);
  }

  async checkin(id: number, body: Json): Promise<void> {
    await this.call('hardware.checkin', 'POST', `/hardware/${id}/checkin`, body);
  }

  /** Users whose e-mail is exactly this (Snipe-IT's `email` filter). */
  async usersByEmail(email: string): Promise<unknown[]> {
    return asPage(await this.call('users.list', 'GET', `/users?email=${encodeURIComponent(email)}&limit=5`))
      .rows;
  }

  /** Creates a user; returns its id. */
  async createUser(body: Json): Promise<number> {
    const answer = await this.call('users.create', 'POST', '/users', body);
    const payload = isObject(answer) && isObject(answer.payload) ? answer.payload : {};
    if (typeof payload.id !== 'number')
      throw new SyncError('VENDOR_REJECTED', 'Snipe-IT users.create: no id in the answer');
    return payload.id;
  }

  /** Assets checked out to a user. */
  async userAssets(userId: number): Promise<unknown[]> {
    return asPage(await this.call('users.assets', 'GET', `/users/${userId}/assets`)).rows;
  }

  /** Status labels (cached; `fresh` reads them again). */
  async statusLabels(fresh = false): Promise<StatusLabel[]> {
    if (this.labels && !fresh) return this.labels;
    const rows = asPage(await this.call('statuslabels.list', 'GET', '/statuslabels?limit=500')).rows;
    this.labels = rows
      .filter(isObject)
      .map((r) => ({ id: Number(r.id), name: String(r.name ?? ''), type: String(r.type ?? '') }));
    return this.labels;
  }

  /** Custom fields (cached; `fresh` reads them again). */
  async fields(fresh = false): Promise<CustomField[]> {
    if (this.fieldList && !fresh) return this.fieldList;
    const rows = asPage(await this.call('fields.list', 'GET', '/fields')).rows;
    this.fieldList = rows.filter(isObject).map((r) => ({
      id: Number(r.id),
      name: String(r.name ?? ''),
      dbColumn: String(r.db_column_name ?? ''),
    }));
    return this.fieldList;
  }

  async createField(name: string, helpText: string): Promise<number> {
    const answer = await this.call('fields.create', 'POST', '/fields', {
      name,
      element: 'text',
      help_text: helpText,
    });
    this.fieldList = null;
    const payload = isObject(answer) && isObject(answer.payload) ? answer.payload : {};
    return Number(payload.id);
  }

  async fieldsets(): Promise<Array<{ id: number; name: string; fieldIds: number[] }>> {
    const rows = asPage(await this.call('fieldsets.list', 'GET', '/fieldsets')).rows;
    return rows.filter(isObject).map((r) => {
      const fields = isObject(r.fields) && Array.isArray(r.fields.rows) ? r.fields.rows : [];
      return {
        id: Number(r.id),
        name: String(r.name ?? ''),
        fieldIds: fields.filter(isObject).map((f) => Number(f.id)),
      };
    });
  }

  async createFieldset(name: string): Promise<number> {
    const answer = await this.call('fieldsets.create', 'POST', '/fieldsets', { name });
    const payload = isObject(answer) && isObject(answer.payload) ? answer.payload : {};
    return Number(payload.id);
  }

  async associateField(fieldId: number, fieldsetId: number): Promise<void> {
    await this.call('fields.associate', 'POST', `/fields/${fieldId}/associate`, { fieldset_id: fieldsetId });
  }

  /** A model, or null when there is none with this id. */
  async model(id: number): Promise<{ id: number; name: string; fieldsetId: number | null } | null> {
    try {
      const body = await this.call('models.get', 'GET', `/models/${id}`);
      if (!isObject(body)) return null;
      const fieldset = isObject(body.fieldset) ? Number(body.fieldset.id) : null;
      return { id: Number(body.id), name: String(body.name ?? ''), fieldsetId: fieldset };
    } catch (err) {
      if (err instanceof SyncError && err.code === 'TARGET_NOT_FOUND') return null;
      throw err;
    }
  }

  async setModelFieldset(modelId: number, fieldsetId: number): Promise<void> {
    await this.call('models.update', 'PATCH', `/models/${modelId}`, { fieldset_id: fieldsetId });
  }
}

/** Builds the client (the connector's `connect`). */
export function createSnipeItClient(input: { config: SnipeItConfig; limiter: RateLimiter }): SnipeItClient {
  return new SnipeItClient(input.config, input.limiter);
}
