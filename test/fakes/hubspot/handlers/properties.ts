/** Properties API v3: property definitions and groups of one object type. */
import { HubSpotError, validationError } from '../errors.ts';
import type { BatchOf, PropertyCreateInput, PropertyGroupInput } from '../inputs.ts';
import { batchView, groupView, propertyView } from '../views.ts';
import { typeOf } from './objects.ts';
import { bodyOf, type Handler, param, queryBool, queryString } from './types.ts';

function errorEntry(error: HubSpotError, name: string): Record<string, unknown> {
  return {
    status: 'error',
    category: error.category,
    message: error.message,
    context: { propertyName: [name] },
    errors: [],
    links: {},
  };
}

/** GET /crm/v3/properties/{objectType} */
export const listProperties: Handler = (ctx) => {
  const type = typeOf(ctx);
  const archived = queryBool(ctx, 'archived', false);
  const only = queryString(ctx, 'properties')
    ?.split(',')
    .filter((n) => n !== '');
  const results = [...type.properties.values()]
    .filter((p) => p.archived === archived && (!only || only.includes(p.name)))
    .map(propertyView);
  return { status: 200, body: { results } };
};

/** POST /crm/v3/properties/{objectType} */
export const createProperty: Handler = (ctx) => {
  const type = typeOf(ctx);
  return {
    status: 201,
    body: propertyView(ctx.state.createProperty(type, bodyOf<PropertyCreateInput>(ctx))),
  };
};

/** GET /crm/v3/properties/{objectType}/{propertyName} */
export const getProperty: Handler = (ctx) => {
  const type = typeOf(ctx);
  return {
    status: 200,
    body: propertyView(
      ctx.state.property(type, param(ctx, 'propertyName'), queryBool(ctx, 'archived', false)),
    ),
  };
};

/** PATCH /crm/v3/properties/{objectType}/{propertyName} */
export const updateProperty: Handler = (ctx) => {
  const type = typeOf(ctx);
  const update = bodyOf<Record<string, unknown>>(ctx);
  return {
    status: 200,
    body: propertyView(ctx.state.updateProperty(type, param(ctx, 'propertyName'), update)),
  };
};

/** DELETE /crm/v3/properties/{objectType}/{propertyName} */
export const archiveProperty: Handler = (ctx) => {
  ctx.state.archiveProperty(typeOf(ctx), param(ctx, 'propertyName'));
  return { status: 204 };
};

/** POST /crm/v3/properties/{objectType}/batch/create: existing names are reported per input (207). */
export const batchCreateProperties: Handler = (ctx) => {
  const type = typeOf(ctx);
  const startedAt = ctx.state.now();
  const { inputs } = bodyOf<BatchOf<PropertyCreateInput>>(ctx);
  const results: unknown[] = [];
  const errors: unknown[] = [];
  for (const input of inputs) {
    try {
      results.push(propertyView(ctx.state.createProperty(type, input)));
    } catch (error) {
      if (!(error instanceof HubSpotError) || error.status !== 409) throw error;
      errors.push(errorEntry(error, input.name));
    }
  }
  const answer = batchView(results, errors, startedAt, ctx.state.now());
  return { status: answer.status === 200 ? 201 : 207, body: answer.body };
};

/** POST /crm/v3/properties/{objectType}/batch/read */
export const batchReadProperties: Handler = (ctx) => {
  const type = typeOf(ctx);
  const startedAt = ctx.state.now();
  const input = bodyOf<{ archived: boolean; inputs: Array<{ name: string }> }>(ctx);
  const results: unknown[] = [];
  const errors: unknown[] = [];
  for (const { name } of input.inputs) {
    try {
      results.push(propertyView(ctx.state.property(type, name, input.archived)));
    } catch (error) {
      if (!(error instanceof HubSpotError)) throw error;
      errors.push(errorEntry(error, name));
    }
  }
  return batchView(results, errors, startedAt, ctx.state.now());
};

/** POST /crm/v3/properties/{objectType}/batch/archive */
export const batchArchiveProperties: Handler = (ctx) => {
  const type = typeOf(ctx);
  for (const { name } of bodyOf<BatchOf<{ name: string }>>(ctx).inputs) {
    if (type.properties.get(name)?.archived === false) ctx.state.archiveProperty(type, name);
  }
  return { status: 204 };
};

/** GET /crm/v3/properties/{objectType}/groups */
export const listGroups: Handler = (ctx) => {
  const type = typeOf(ctx);
  return {
    status: 200,
    body: { results: [...type.groups.values()].filter((g) => !g.archived).map(groupView) },
  };
};

/** POST /crm/v3/properties/{objectType}/groups */
export const createGroup: Handler = (ctx) => {
  const type = typeOf(ctx);
  const input = bodyOf<PropertyGroupInput>(ctx);
  if (!input.name || !/^[a-z][a-z0-9_]*$/.test(input.name))
    throw validationError(`Group name "${input.name}" is invalid`);
  return { status: 201, body: groupView(ctx.state.saveGroup(type, input.name, input, true)) };
};

/** GET /crm/v3/properties/{objectType}/groups/{groupName} */
export const getGroup: Handler = (ctx) => ({
  status: 200,
  body: groupView(ctx.state.group(typeOf(ctx), param(ctx, 'groupName'))),
});

/** PATCH /crm/v3/properties/{objectType}/groups/{groupName} */
export const updateGroup: Handler = (ctx) => {
  const type = typeOf(ctx);
  return {
    status: 200,
    body: groupView(
      ctx.state.saveGroup(type, param(ctx, 'groupName'), bodyOf<PropertyGroupInput>(ctx), false),
    ),
  };
};

/** DELETE /crm/v3/properties/{objectType}/groups/{groupName} */
export const archiveGroup: Handler = (ctx) => {
  const type = typeOf(ctx);
  const name = param(ctx, 'groupName');
  const group = ctx.state.group(type, name);
  if ([...type.properties.values()].some((p) => !p.archived && p.groupName === name)) {
    throw validationError(`Property group ${name} still has properties`);
  }
  group.archived = true;
  return { status: 204 };
};
