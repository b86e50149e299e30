/**
 * The Snipe-IT emulator's operations, each as the code behaves (see the contract summary):
 * listings as `{total, rows}`, writes and failures in the `{status, messages, payload}` envelope,
 * and most failures (validation, not found, refused checkouts and checkins) as HTTP 200 with
 * `"status": "error"`.
 */
import type { EmuAsset, EmuUser, SnipeState } from './state.ts';

type Json = Record<string, unknown>;

/** What a handler is given. */
export interface HandlerInput {
  state: SnipeState;
  /** The token's user. */
  user: EmuUser;
  params: Record<string, string>;
  query: URLSearchParams;
  body: Json;
}

/** A handler's answer. */
export interface HandlerAnswer {
  status: number;
  body: unknown;
}

export type Handler = (input: HandlerInput) => HandlerAnswer;

/** Snipe-IT's MAX_RESULTS. */
const MAX_RESULTS = 500;

const ok = (body: unknown): HandlerAnswer => ({ status: 200, body });
const success = (messages: string, payload: unknown): HandlerAnswer =>
  ok({ status: 'success', messages, payload });
/** The HTTP 200 error envelope. */
export const failure = (messages: string | Record<string, string[]>): HandlerAnswer =>
  ok({ status: 'error', messages, payload: null });

/** `limit`/`offset` as SettingsServiceProvider and the controllers treat them. */
function paginate<T>(rows: readonly T[], query: URLSearchParams): { total: number; rows: T[] } {
  const raw = Number(query.get('limit'));
  const limit = Number.isInteger(raw) && raw > 0 && raw <= MAX_RESULTS ? raw : MAX_RESULTS;
  const offset = Math.min(Math.max(0, Math.trunc(Number(query.get('offset') ?? 0)) || 0), rows.length);
  return { total: rows.length, rows: rows.slice(offset, offset + limit) };
}

function sorted(assets: readonly EmuAsset[], query: URLSearchParams): EmuAsset[] {
  const sort = query.get('sort') ?? 'created_at';
  const desc = (query.get('order') ?? 'desc') === 'desc';
  const copy = [...assets].sort((a, b) => (sort === 'asset_tag' ? a.tag.localeCompare(b.tag) : a.id - b.id));
  return desc ? copy.reverse() : copy;
}

function assetOr404(state: SnipeState, id: string): EmuAsset | HandlerAnswer {
  const asset = state.asset(Number(id));
  return asset ?? failure('Asset not found');
}

/** Custom field columns in a body: each must be in the model's fieldset (MayContainCustomFields). */
function customColumns(
  state: SnipeState,
  modelId: number,
  body: Json,
): { values: Record<string, string>; bad: string[] } {
  const allowed = state.columnsOf(modelId);
  const values: Record<string, string> = {};
  const bad: string[] = [];
  for (const [key, value] of Object.entries(body)) {
    if (!key.startsWith('_snipeit_')) continue;
    if (!allowed.has(key)) bad.push(key);
    else values[key] = String(value ?? '');
  }
  return { values, bad };
}

function deployable(state: SnipeState, statusId: number): boolean {
  return state.label(statusId)?.type === 'deployable';
}

const listHardware: Handler = ({ state, query }) => {
  let rows = state.assets;
  const status = query.get('status_id');
  if (status) rows = rows.filter((a) => a.statusId === Number(status));
  const page = paginate(sorted(rows, query), query);
  return ok({ total: page.total, rows: page.rows.map((a) => state.viewAsset(a)) });
};

const getHardware: Handler = ({ state, params }) => {
  const found = assetOr404(state, params.id ?? '');
  return 'tag' in found ? ok(state.viewAsset(found)) : found;
};

const bySerial: Handler = ({ state, params }) => {
  const rows = state.assets.filter((a) => a.serial === params.serial);
  if (rows.length === 0) return failure('Asset does not exist.');
  return ok({ total: rows.length, rows: rows.map((a) => state.viewAsset(a)) });
};

const byTag: Handler = ({ state, params }) => {
  const rows = state.assets.filter((a) => a.tag === params.asset_tag);
  if (rows.length === 0) return failure('Asset not found');
  if (rows.length === 1) return ok(state.viewAsset(rows[0]!));
  return ok({ total: rows.length, rows: rows.map((a) => state.viewAsset(a)) });
};

const createHardware: Handler = ({ state, body }) => {
  const errors: Record<string, string[]> = {};
  const tag = typeof body.asset_tag === 'string' ? body.asset_tag : '';
  if (tag === '') errors.asset_tag = ['The asset tag field is required.'];
  else if (state.assets.some((a) => a.tag === tag)) errors.asset_tag = ['The asset tag must be unique.'];
  const modelId = Number(body.model_id);
  if (!state.model(modelId)) errors.model_id = ['The selected model id is invalid.'];
  const statusId = Number(body.status_id);
  if (!state.label(statusId)) errors.status_id = ['The selected status id is invalid.'];
  const custom = customColumns(state, modelId, body);
  for (const column of custom.bad) errors[column] = ['This field is not in the fieldset of the asset model.'];
  if (Object.keys(errors).length > 0) return failure(errors);
  const asset = state.addAsset({
    tag,
    modelId,
    statusId,
    serial: typeof body.serial === 'string' ? body.serial : '',
    name: typeof body.name === 'string' ? body.name : '',
    notes: typeof body.notes === 'string' ? body.notes : '',
    custom: custom.values,
  });
  // The payload is the saved model, not the transformer output.
  return success('Asset created successfully. :)', {
    id: asset.id,
    asset_tag: asset.tag,
    serial: asset.serial,
    name: asset.name,
    model_id: asset.modelId,
    status_id: asset.statusId,
    ...asset.custom,
  });
};

const updateHardware: Handler = ({ state, params, body }) => {
  const found = assetOr404(state, params.id ?? '');
  if (!('tag' in found)) return found;
  const asset = found;
  const errors: Record<string, string[]> = {};
  if (body.status_id !== undefined && !state.label(Number(body.status_id)))
    errors.status_id = ['The selected status id is invalid.'];
  if (typeof body.asset_tag === 'string' && state.assets.some((a) => a.tag === body.asset_tag && a !== asset))
    errors.asset_tag = ['The asset tag must be unique.'];
  const custom = customColumns(state, asset.modelId, body);
  for (const column of custom.bad) errors[column] = ['This field is not in the fieldset of the asset model.'];
  if (Object.keys(errors).length > 0) return failure(errors);
  if (typeof body.name === 'string') asset.name = body.name;
  if (typeof body.serial === 'string') asset.serial = body.serial;
  if (typeof body.asset_tag === 'string') asset.tag = body.asset_tag;
  if (body.status_id !== undefined) asset.statusId = Number(body.status_id);
  if (typeof body.notes === 'string') asset.notes = body.notes;
  Object.assign(asset.custom, custom.values);
  return success('Asset updated successfully.', state.viewAsset(asset));
};

const checkout: Handler = ({ state, params, body }) => {
  const found = assetOr404(state, params.id ?? '');
  if (!('tag' in found)) return found;
  const asset = found;
  if (body.checkout_to_type !== 'user')
    return failure({ checkout_to_type: ['Only user checkouts are emulated.'] });
  const user = state.user(Number(body.assigned_user));
  if (!user) return failure({ assigned_user: ['The selected assigned user is invalid.'] });
  if (asset.assignedUser !== null) return failure('That asset is not available for checkout!');
  const statusId = body.status_id === undefined ? asset.statusId : Number(body.status_id);
  if (!deployable(state, statusId))
    return failure({ status_id: ['That asset status is not deployable. This asset cannot be checked out.'] });
  asset.statusId = statusId;
  asset.assignedUser = user.id;
  asset.checkoutCounter += 1;
  return success('Asset checked out successfully.', { asset: asset.tag });
};

const checkin: Handler = ({ state, params, body }) => {
  const found = assetOr404(state, params.id ?? '');
  if (!('tag' in found)) return found;
  const asset = found;
  if (asset.assignedUser === null) return failure('That asset is already checked in.');
  if (body.status_id !== undefined) {
    if (!state.label(Number(body.status_id)))
      return failure({ status_id: ['The selected status id is invalid.'] });
    asset.statusId = Number(body.status_id);
  }
  asset.assignedUser = null;
  asset.checkinCounter += 1;
  return success('Asset checked in successfully.', { asset: asset.tag });
};

const me: Handler = ({ state, user }) => ok(state.viewUser(user));

const listUsers: Handler = ({ state, query }) => {
  let rows = state.users;
  const email = query.get('email');
  if (email !== null) rows = rows.filter((u) => u.email === email);
  const username = query.get('username');
  if (username !== null) rows = rows.filter((u) => u.username === username);
  const page = paginate(rows, query);
  return ok({ total: page.total, rows: page.rows.map((u) => state.viewUser(u)) });
};

const createUser: Handler = ({ state, body }) => {
  const errors: Record<string, string[]> = {};
  const str = (k: string) => (typeof body[k] === 'string' ? (body[k] as string) : '');
  if (str('first_name') === '') errors.first_name = ['The first name field is required.'];
  if (str('username') === '') errors.username = ['The username field is required.'];
  else if (state.users.some((u) => u.username === str('username')))
    errors.username = ['The username has already been taken.'];
  if (str('password').length < 8) errors.password = ['The password must be at least 8 characters.'];
  else if (str('password') !== str('password_confirmation'))
    errors.password = ['The password confirmation does not match.'];
  if (str('email') !== '' && !/^[^@\s]+@[^@\s]+$/.test(str('email')))
    errors.email = ['The email must be a valid email address.'];
  if (Object.keys(errors).length > 0) return failure(errors);
  const user = state.addUser({
    username: str('username'),
    email: str('email') || null,
    firstName: str('first_name'),
    lastName: str('last_name') || null,
    employeeNum: str('employee_num') || null,
    activated: body.activated !== false,
  });
  return success('User created successfully.', state.viewUser(user));
};

const userAssets: Handler = ({ state, params }) => {
  const user = state.user(Number(params.id));
  if (!user) return failure('User not found');
  const rows = state.assets.filter((a) => a.assignedUser === user.id);
  return ok({ total: rows.length, rows: rows.map((a) => state.viewAsset(a)) });
};

const listLabels: Handler = ({ state, query }) => {
  const page = paginate(state.labels, query);
  return ok({
    total: page.total,
    rows: page.rows.map((l) => ({ id: l.id, name: l.name, type: l.type })),
  });
};

const listFields: Handler = ({ state }) =>
  ok({
    total: state.fields.length,
    rows: state.fields.map((f) => ({
      id: f.id,
      name: f.name,
      db_column_name: f.dbColumn,
      element: f.element,
      help_text: f.helpText,
    })),
  });

const createField: Handler = ({ state, body }) => {
  const name = typeof body.name === 'string' ? body.name : '';
  if (name === '') return failure({ name: ['The name field is required.'] });
  if (state.fields.some((f) => f.name === name))
    return failure({ name: ['The name has already been taken.'] });
  const field = state.addField(name, String(body.element ?? 'text'), String(body.help_text ?? ''));
  return success('Field created successfully.', {
    id: field.id,
    name: field.name,
    db_column: field.dbColumn,
  });
};

const associateField: Handler = ({ state, params, body }) => {
  const field = state.fields.find((f) => f.id === Number(params.id));
  const set = state.fieldsets.find((s) => s.id === Number(body.fieldset_id));
  if (!field) return failure('Field not found');
  if (!set) return failure('Fieldset not found');
  if (!set.fieldIds.includes(field.id)) set.fieldIds.push(field.id);
  return success('Fieldset updated.', { id: set.id });
};

const listFieldsets: Handler = ({ state }) =>
  ok({
    total: state.fieldsets.length,
    rows: state.fieldsets.map((s) => ({
      id: s.id,
      name: s.name,
      fields: {
        total: s.fieldIds.length,
        rows: s.fieldIds.map((id) => {
          const f = state.fields.find((x) => x.id === id);
          return { id, name: f?.name ?? '', db_column_name: f?.dbColumn ?? '' };
        }),
      },
    })),
  });

const createFieldset: Handler = ({ state, body }) => {
  const name = typeof body.name === 'string' ? body.name : '';
  if (name === '') return failure({ name: ['The name field is required.'] });
  const set = state.addFieldset(name);
  return success('Fieldset created successfully.', { id: set.id, name: set.name });
};

const getModel: Handler = ({ state, params }) => {
  const model = state.model(Number(params.id));
  if (!model) return failure('Model not found');
  const set = state.fieldsets.find((s) => s.id === model.fieldsetId);
  return ok({ id: model.id, name: model.name, fieldset: set ? { id: set.id, name: set.name } : null });
};

const updateModel: Handler = ({ state, params, body }) => {
  const model = state.model(Number(params.id));
  if (!model) return failure('Model not found');
  if (body.fieldset_id !== undefined) {
    if (!state.fieldsets.some((s) => s.id === Number(body.fieldset_id)))
      return failure({ fieldset_id: ['The selected fieldset id is invalid.'] });
    model.fieldsetId = Number(body.fieldset_id);
  }
  if (typeof body.name === 'string') model.name = body.name;
  return success('Model updated.', { id: model.id, name: model.name, fieldset_id: model.fieldsetId });
};

/**
 * The operations served, by `METHOD template` (templates as the OpenAPI file writes them), with
 * the operation name the call log records and the permission the token's user needs.
 */
export const ROUTES: Record<string, { operation: string; permission: string; handle: Handler }> = {
  'GET /hardware': { operation: 'hardware.list', permission: 'assets.view', handle: listHardware },
  'GET /hardware/{id}': { operation: 'hardware.get', permission: 'assets.view', handle: getHardware },
  'GET /hardware/byserial/{serial}': {
    operation: 'hardware.byserial.get',
    permission: 'assets.view',
    handle: bySerial,
  },
  'GET /hardware/bytag/{asset_tag}': {
    operation: 'hardware.bytag.get',
    permission: 'assets.view',
    handle: byTag,
  },
  'POST /hardware': { operation: 'hardware.create', permission: 'assets.create', handle: createHardware },
  'PATCH /hardware/{id}': { operation: 'hardware.update', permission: 'assets.edit', handle: updateHardware },
  'PUT /hardware/{id}': { operation: 'hardware.update', permission: 'assets.edit', handle: updateHardware },
  'POST /hardware/{id}/checkout': {
    operation: 'hardware.checkout',
    permission: 'assets.checkout',
    handle: checkout,
  },
  'POST /hardware/{id}/checkin': {
    operation: 'hardware.checkin',
    permission: 'assets.checkin',
    handle: checkin,
  },
  'GET /users/me': { operation: 'users.me.get', permission: '', handle: me },
  'GET /users': { operation: 'users.list', permission: 'users.view', handle: listUsers },
  'POST /users': { operation: 'users.create', permission: 'users.create', handle: createUser },
  'GET /users/{id}/assets': { operation: 'users.assets.list', permission: 'users.view', handle: userAssets },
  'GET /statuslabels': {
    operation: 'statuslabels.list',
    permission: 'statuslabels.view',
    handle: listLabels,
  },
  'GET /fields': { operation: 'fields.list', permission: 'customfields.view', handle: listFields },
  'POST /fields': { operation: 'fields.create', permission: 'customfields.create', handle: createField },
  'POST /fields/{id}/associate': {
    operation: 'fields.associate',
    permission: 'customfields.edit',
    handle: associateField,
  },
  'GET /fieldsets': { operation: 'fieldsets.list', permission: 'customfields.view', handle: listFieldsets },
  'POST /fieldsets': {
    operation: 'fieldsets.create',
    permission: 'customfields.create',
    handle: createFieldset,
  },
  'GET /models/{id}': { operation: 'models.get', permission: 'models.view', handle: getModel },
  'PATCH /models/{id}': { operation: 'models.update', permission: 'models.edit', handle: updateModel },
};
