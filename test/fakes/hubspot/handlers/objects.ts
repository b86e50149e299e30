/** Single-record CRM object operations: create, read, update, archive, list. */
import { notFound } from '../errors.ts';
import type { ObjectCreateInput, ObjectUpdateInput } from '../inputs.ts';
import type { CrmRecord, ObjectTypeDef } from '../model.ts';
import type { CrmState } from '../state.ts';
import { recordView } from '../views.ts';
import {
  bodyOf,
  type Handler,
  type HandlerContext,
  param,
  queryBool,
  queryList,
  queryNumber,
  queryString,
} from './types.ts';

/** The key HubSpot uses for a type in a v3 `associations` map. */
function associationKey(type: ObjectTypeDef): string {
  return type.custom ? type.fullyQualifiedName : type.name;
}

/** Adds the v3 `associations` map that `?associations=` asks for. */
export function withAssociations(
  state: CrmState,
  type: ObjectTypeDef,
  record: CrmRecord,
  view: Record<string, unknown>,
  names: readonly string[] | undefined,
): Record<string, unknown> {
  if (!names || names.length === 0) return view;
  const out: Record<string, unknown> = {};
  for (const name of names) {
    const target = state.findType(name);
    if (!target) continue;
    const results = state.associations.list(type.objectTypeId, record.id, target.objectTypeId).flatMap((a) =>
      a.typeIds.map((typeId) => ({
        id: a.toObjectId,
        type: state.associations.type(typeId)?.name ?? String(typeId),
      })),
    );
    if (results.length > 0) out[associationKey(target)] = { results };
  }
  return Object.keys(out).length > 0 ? { ...view, associations: out } : view;
}

/** Reads the `objectType` path parameter. */
export function typeOf(ctx: HandlerContext): ObjectTypeDef {
  return ctx.state.resolveType(param(ctx, 'objectType'));
}

function findOr404(ctx: HandlerContext, type: ObjectTypeDef, archived = false): CrmRecord {
  const id = param(ctx, 'objectId');
  const record = ctx.state.find(type, id, queryString(ctx, 'idProperty'), archived);
  if (!record) throw notFound(`Object not found.  objectId are usually numeric.`);
  return record;
}

/** POST /crm/v3/objects/{objectType} */
export const createObject: Handler = (ctx) => {
  const type = typeOf(ctx);
  const input = bodyOf<ObjectCreateInput>(ctx);
  const plan = ctx.state.planCreate(type, input.properties, input.associations, new Map(), 'new');
  const record = ctx.state.applyCreate(type, plan);
  return { status: 201, body: recordView(type, record, Object.keys(input.properties)) };
};

/** GET /crm/v3/objects/{objectType}/{objectId} */
export const getObject: Handler = (ctx) => {
  const type = typeOf(ctx);
  const record = findOr404(ctx, type, queryBool(ctx, 'archived', false));
  const view = recordView(
    type,
    record,
    queryList(ctx, 'properties'),
    queryList(ctx, 'propertiesWithHistory'),
  );
  return {
    status: 200,
    body: withAssociations(ctx.state, type, record, view, queryList(ctx, 'associations')),
  };
};

/** PATCH /crm/v3/objects/{objectType}/{objectId} */
export const updateObject: Handler = (ctx) => {
  const type = typeOf(ctx);
  const record = findOr404(ctx, type);
  const input = bodyOf<ObjectUpdateInput>(ctx);
  const plan = ctx.state.planUpdate(type, record, input.properties, new Map());
  ctx.state.applyUpdate(type, record, plan);
  return { status: 200, body: recordView(type, record, Object.keys(input.properties)) };
};

/** DELETE /crm/v3/objects/{objectType}/{objectId} (HubSpot answers 204 for unknown ids too). */
export const archiveObject: Handler = (ctx) => {
  const type = typeOf(ctx);
  const record = ctx.state.find(type, param(ctx, 'objectId'));
  if (record) ctx.state.archive(type, record);
  return { status: 204 };
};

/** GET /crm/v3/objects/{objectType}: pages by record id; `after` is the id of the next record. */
export const listObjects: Handler = (ctx) => {
  const type = typeOf(ctx);
  const limit = queryNumber(ctx, 'limit', 10);
  const after = queryString(ctx, 'after');
  const start = after !== undefined && /^\d+$/.test(after) ? Number(after) : 0;
  const all = ctx.state.list(type, queryBool(ctx, 'archived', false)).filter((r) => Number(r.id) >= start);
  const page = all.slice(0, limit);
  const properties = queryList(ctx, 'properties');
  const history = queryList(ctx, 'propertiesWithHistory');
  const associations = queryList(ctx, 'associations');
  const results = page.map((r) =>
    withAssociations(ctx.state, type, r, recordView(type, r, properties, history), associations),
  );
  const next = all[limit];
  const body: Record<string, unknown> = { results };
  if (next) body.paging = { next: { after: next.id, link: `?after=${next.id}` } };
  return { status: 200, body };
};
