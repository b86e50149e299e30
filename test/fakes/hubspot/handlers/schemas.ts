/** Schemas API v3: custom object types and their association definitions. */
import { notFound, validationError } from '../errors.ts';
import type { AssociationDefinitionInput, SchemaCreateInput, SchemaPatchInput } from '../inputs.ts';
import type { ObjectTypeDef } from '../model.ts';
import type { CrmState } from '../state.ts';
import { associationDefinitionView, schemaView, typeDefinitionView } from '../views.ts';
import { bodyOf, type Handler, type HandlerContext, param, queryBool } from './types.ts';

function schemaOf(state: CrmState, ref: string, includeArchived = false): ObjectTypeDef {
  const type = state.findType(ref, includeArchived);
  if (!type) throw notFound(`Unable to find object type ${ref}`);
  return type;
}

function view(ctx: HandlerContext, type: ObjectTypeDef, include = includes(ctx)): Record<string, unknown> {
  const definitions = ctx.state.associations
    .touching(type.objectTypeId)
    .filter((d) => d.fromObjectTypeId === type.objectTypeId);
  return schemaView(type, definitions, include);
}

function includes(ctx: HandlerContext): { properties: boolean; associations: boolean; audit: boolean } {
  return {
    properties: queryBool(ctx, 'includePropertyDefinitions', true),
    associations: queryBool(ctx, 'includeAssociationDefinitions', true),
    audit: queryBool(ctx, 'includeAuditMetadata', true),
  };
}

/** GET /crm-object-schemas/v3/schemas */
export const listSchemas: Handler = (ctx) => ({
  status: 200,
  body: { results: ctx.state.customTypes(queryBool(ctx, 'archived', false)).map((t) => view(ctx, t)) },
});

/** POST /crm-object-schemas/v3/schemas */
export const createSchema: Handler = (ctx) => {
  const type = ctx.state.createSchema(bodyOf<SchemaCreateInput>(ctx));
  return { status: 201, body: view(ctx, type) };
};

/** GET /crm-object-schemas/v3/schemas/{objectType} */
export const getSchema: Handler = (ctx) => ({
  status: 200,
  body: view(ctx, schemaOf(ctx.state, param(ctx, 'objectType'))),
});

/** PATCH /crm-object-schemas/v3/schemas/{objectType} */
export const updateSchema: Handler = (ctx) => {
  const type = schemaOf(ctx.state, param(ctx, 'objectType'));
  if (!type.custom) throw validationError(`${type.name} is not a custom object type`);
  ctx.state.patchSchema(type, bodyOf<SchemaPatchInput>(ctx));
  return { status: 200, body: typeDefinitionView(type, ctx.state.portalId) };
};

/** DELETE /crm-object-schemas/v3/schemas/{objectType} (`?archived=true` purges an archived schema). */
export const archiveSchema: Handler = (ctx) => {
  const purge = queryBool(ctx, 'archived', false);
  ctx.state.archiveSchema(schemaOf(ctx.state, param(ctx, 'objectType'), purge), purge);
  return { status: 204 };
};

/** POST /crm-object-schemas/v3/schemas/batch/read */
export const batchReadSchemas: Handler = (ctx) => {
  const input = bodyOf<{
    inputs: string[];
    includeAssociationDefinitions: boolean;
    includeAuditMetadata: boolean;
    includePropertyDefinitions: boolean;
  }>(ctx);
  const include = {
    properties: input.includePropertyDefinitions,
    associations: input.includeAssociationDefinitions,
    audit: input.includeAuditMetadata,
  };
  const results = input.inputs
    .map((ref) => ctx.state.findType(ref))
    .filter((t): t is ObjectTypeDef => t !== undefined)
    .map((t) => view(ctx, t, include));
  return { status: 200, body: { results } };
};

/** POST /crm-object-schemas/v3/schemas/{objectType}/associations */
export const createAssociationDefinition: Handler = (ctx) => {
  const type = schemaOf(ctx.state, param(ctx, 'objectType'));
  const input = bodyOf<AssociationDefinitionInput>(ctx);
  const from = ctx.state.resolveType(input.fromObjectTypeId);
  const to = ctx.state.resolveType(input.toObjectTypeId);
  if (from.objectTypeId !== type.objectTypeId && to.objectTypeId !== type.objectTypeId) {
    throw validationError(`The association must start or end at ${type.objectTypeId}`);
  }
  return { status: 201, body: associationDefinitionView(ctx.state.defineAssociation(from, to, input.name)) };
};

/** DELETE /crm-object-schemas/v3/schemas/{objectType}/associations/{associationIdentifier} */
export const archiveAssociationDefinition: Handler = (ctx) => {
  const type = schemaOf(ctx.state, param(ctx, 'objectType'));
  const id = Number(param(ctx, 'associationIdentifier'));
  const def = ctx.state.associations.type(id);
  if (!def || (def.fromObjectTypeId !== type.objectTypeId && def.toObjectTypeId !== type.objectTypeId)) {
    throw notFound(`Association definition ${param(ctx, 'associationIdentifier')} not found`);
  }
  ctx.state.associations.undefine(id);
  return { status: 204 };
};
