/** `directory.schemas.*` (custom user schemas) and `directory.orgunits.*`. */
import { invalid, notFound } from './errors.ts';
import {
  checkCustomer,
  type Handler,
  type HandlerContext,
  listBody,
  noContent,
  ok,
  param,
} from './handler-kit.ts';
import type { SchemaSeed } from './types.ts';

function customer(ctx: HandlerContext): void {
  checkCustomer(ctx, param(ctx, 'customerId'));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function schemaSeed(body: Record<string, unknown>): SchemaSeed {
  const fields = (Array.isArray(body.fields) ? body.fields : []).filter(isRecord).map((f) => {
    const field: SchemaSeed['fields'][number] = {
      fieldName: String(f.fieldName ?? ''),
      fieldType: String(f.fieldType ?? ''),
    };
    if (typeof f.displayName === 'string') field.displayName = f.displayName;
    if (typeof f.multiValued === 'boolean') field.multiValued = f.multiValued;
    if (typeof f.indexed === 'boolean') field.indexed = f.indexed;
    if (typeof f.readAccessType === 'string') field.readAccessType = f.readAccessType;
    return field;
  });
  const seed: SchemaSeed = { schemaName: String(body.schemaName ?? ''), fields };
  if (typeof body.displayName === 'string') seed.displayName = body.displayName;
  return seed;
}

const listSchemas: Handler = (ctx) => {
  customer(ctx);
  return ok(listBody('admin#directory#schemas', 'schemas', ctx.state.listSchemas()));
};

const getSchema: Handler = (ctx) => {
  customer(ctx);
  const schema = ctx.state.getSchema(param(ctx, 'schemaKey'));
  if (!schema) throw notFound('schemaKey');
  return ok(schema);
};

const insertSchema: Handler = (ctx) => {
  customer(ctx);
  return ok(ctx.state.addSchema(schemaSeed(ctx.body)));
};

const updateSchema: Handler = (ctx) => {
  customer(ctx);
  return ok(ctx.state.writeSchema(param(ctx, 'schemaKey'), ctx.body, true));
};

const patchSchema: Handler = (ctx) => {
  customer(ctx);
  return ok(ctx.state.writeSchema(param(ctx, 'schemaKey'), ctx.body, false));
};

const deleteSchema: Handler = (ctx) => {
  customer(ctx);
  ctx.state.deleteSchema(param(ctx, 'schemaKey'));
  return noContent();
};

const getOrgUnit: Handler = (ctx) => {
  customer(ctx);
  const unit = ctx.state.getOrgUnit(param(ctx, 'orgUnitPath'));
  if (!unit) throw notFound('orgUnitPath');
  return ok(unit);
};

const listOrgUnits: Handler = (ctx) => {
  customer(ctx);
  const units = ctx.state.listOrgUnits(
    ctx.query.get('orgUnitPath') || '/',
    ctx.query.get('type') ?? 'children',
  );
  return ok(listBody('admin#directory#orgUnits', 'organizationUnits', units));
};

const insertOrgUnit: Handler = (ctx) => {
  customer(ctx);
  const name = String(ctx.body.name ?? '');
  if (name === '' || name.includes('/')) throw invalid(`Invalid Input: name '${name}'`);
  const parentKey =
    typeof ctx.body.parentOrgUnitPath === 'string'
      ? ctx.body.parentOrgUnitPath
      : typeof ctx.body.parentOrgUnitId === 'string'
        ? ctx.body.parentOrgUnitId
        : '/';
  const parent = ctx.state.getOrgUnit(parentKey);
  if (!parent) throw invalid(`Invalid Input: parent org unit '${parentKey}' does not exist`);
  const path = parent.orgUnitPath === '/' ? `/${name}` : `${parent.orgUnitPath}/${name}`;
  const description = typeof ctx.body.description === 'string' ? ctx.body.description : undefined;
  return ok(ctx.state.addOrgUnit(path, description));
};

/** Handlers by discovery method id. */
export const schemaHandlers: Record<string, Handler> = {
  'directory.schemas.list': listSchemas,
  'directory.schemas.get': getSchema,
  'directory.schemas.insert': insertSchema,
  'directory.schemas.update': updateSchema,
  'directory.schemas.patch': patchSchema,
  'directory.schemas.delete': deleteSchema,
  'directory.orgunits.get': getOrgUnit,
  'directory.orgunits.list': listOrgUnits,
  'directory.orgunits.insert': insertOrgUnit,
};
