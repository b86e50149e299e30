/** Associations v4 (record links, single and batch) and association labels. */
import { notFound, validationError } from '../errors.ts';
import type {
  AssociationArchiveInput,
  AssociationFetchInput,
  AssociationPostInput,
  AssociationSpecInput,
  BatchOf,
  DefaultAssociationInput,
} from '../inputs.ts';
import type { AssociationTypeDef, ObjectTypeDef } from '../model.ts';
import type { CrmState } from '../state.ts';
import { associationTypeView, batchView } from '../views.ts';
import { bodyOf, type Handler, type HandlerContext, param, queryNumber, queryString } from './types.ts';

function types(ctx: HandlerContext, from: string, to: string): [ObjectTypeDef, ObjectTypeDef] {
  return [ctx.state.resolveType(param(ctx, from)), ctx.state.resolveType(param(ctx, to))];
}

function exists(state: CrmState, type: ObjectTypeDef, id: string): boolean {
  return state.find(type, id) !== undefined;
}

function specTypes(
  state: CrmState,
  from: ObjectTypeDef,
  to: ObjectTypeDef,
  specs: readonly AssociationSpecInput[],
): number[] {
  return specs.map((spec) => {
    const def = state.associations.type(spec.associationTypeId);
    if (
      !def ||
      def.fromObjectTypeId !== from.objectTypeId ||
      def.toObjectTypeId !== to.objectTypeId ||
      def.category !== spec.associationCategory
    ) {
      throw validationError(
        `${spec.associationCategory} ${spec.associationTypeId} is not a valid association type from ${from.singular} to ${to.singular}`,
      );
    }
    return def.typeId;
  });
}

function defaultTypeOf(state: CrmState, from: ObjectTypeDef, to: ObjectTypeDef): AssociationTypeDef {
  const def = state.associations.defaultType(from.objectTypeId, to.objectTypeId);
  if (!def) throw validationError(`No default association type between ${from.singular} and ${to.singular}`);
  return def;
}

function labelsBetween(
  state: CrmState,
  from: ObjectTypeDef,
  fromId: string,
  to: ObjectTypeDef,
  toId: string,
): string[] {
  const link = state.associations
    .list(from.objectTypeId, fromId, to.objectTypeId)
    .find((a) => a.toObjectId === toId);
  return (link?.typeIds ?? [])
    .map((id) => state.associations.type(id)?.label)
    .filter((label): label is string => typeof label === 'string');
}

function pairView(
  state: CrmState,
  from: ObjectTypeDef,
  fromId: string,
  to: ObjectTypeDef,
  toId: string,
): Record<string, unknown> {
  return {
    fromObjectTypeId: from.objectTypeId,
    fromObjectId: fromId,
    toObjectTypeId: to.objectTypeId,
    toObjectId: toId,
    labels: labelsBetween(state, from, fromId, to, toId),
  };
}

function defaultResults(
  def: AssociationTypeDef,
  inverse: AssociationTypeDef | undefined,
  fromId: string,
  toId: string,
): unknown[] {
  const out: unknown[] = [
    {
      from: { id: fromId },
      to: { id: toId },
      associationSpec: { associationCategory: def.category, associationTypeId: def.typeId },
    },
  ];
  if (inverse) {
    out.push({
      from: { id: toId },
      to: { id: fromId },
      associationSpec: { associationCategory: inverse.category, associationTypeId: inverse.typeId },
    });
  }
  return out;
}

function missingRecords(from: ObjectTypeDef, ids: readonly string[]): Record<string, unknown> {
  return {
    status: 'error',
    category: 'OBJECT_NOT_FOUND',
    message: `One or more ${from.singular} records do not exist`,
    context: { ids: [...ids] },
    errors: [],
    links: {},
  };
}

/** PUT /crm/v4/objects/{fromObjectType}/{fromObjectId}/associations/default/{toObjectType}/{toObjectId} */
export const createDefaultAssociation: Handler = (ctx) => {
  const [from, to] = types(ctx, 'fromObjectType', 'toObjectType');
  const fromId = param(ctx, 'fromObjectId');
  const toId = param(ctx, 'toObjectId');
  if (!exists(ctx.state, from, fromId)) throw notFound(`${from.singular} ${fromId} does not exist`);
  if (!exists(ctx.state, to, toId)) throw notFound(`${to.singular} ${toId} does not exist`);
  const startedAt = ctx.state.now();
  const def = defaultTypeOf(ctx.state, from, to);
  ctx.state.associations.link(from.objectTypeId, fromId, to.objectTypeId, toId, [def.typeId]);
  const inverse = ctx.state.associations.type(def.inverseTypeId);
  return batchView(defaultResults(def, inverse, fromId, toId), [], startedAt, ctx.state.now());
};

/** PUT /crm/v4/objects/{objectType}/{objectId}/associations/{toObjectType}/{toObjectId} (labelled) */
export const createAssociation: Handler = (ctx) => {
  const [from, to] = types(ctx, 'objectType', 'toObjectType');
  const fromId = param(ctx, 'objectId');
  const toId = param(ctx, 'toObjectId');
  if (!exists(ctx.state, from, fromId)) throw notFound(`${from.singular} ${fromId} does not exist`);
  if (!exists(ctx.state, to, toId)) throw notFound(`${to.singular} ${toId} does not exist`);
  const typeIds = specTypes(ctx.state, from, to, bodyOf<AssociationSpecInput[]>(ctx));
  ctx.state.associations.link(from.objectTypeId, fromId, to.objectTypeId, toId, typeIds);
  return { status: 201, body: pairView(ctx.state, from, fromId, to, toId) };
};

/** GET /crm/v4/objects/{objectType}/{objectId}/associations/{toObjectType}; `after` is an offset. */
export const listAssociations: Handler = (ctx) => {
  const [from, to] = types(ctx, 'objectType', 'toObjectType');
  const all = ctx.state.associations.list(from.objectTypeId, param(ctx, 'objectId'), to.objectTypeId);
  const offset = Number(queryString(ctx, 'after') ?? '0') || 0;
  const limit = queryNumber(ctx, 'limit', 500);
  const results = all.slice(offset, offset + limit).map((a) => ({
    toObjectId: a.toObjectId,
    associationTypes: a.typeIds
      .map((id) => ctx.state.associations.type(id))
      .filter((d) => d !== undefined)
      .map(associationTypeView),
  }));
  const body: Record<string, unknown> = { results };
  if (offset + limit < all.length)
    body.paging = { next: { after: String(offset + limit), link: `?after=${offset + limit}` } };
  return { status: 200, body };
};

/** DELETE /crm/v4/objects/{objectType}/{objectId}/associations/{toObjectType}/{toObjectId}: every type between the two. */
export const archiveAssociation: Handler = (ctx) => {
  const [from, to] = types(ctx, 'objectType', 'toObjectType');
  ctx.state.associations.unlink(
    from.objectTypeId,
    param(ctx, 'objectId'),
    to.objectTypeId,
    param(ctx, 'toObjectId'),
  );
  return { status: 204 };
};

/** POST /crm/v4/associations/{fromObjectType}/{toObjectType}/batch/create */
export const batchCreateAssociations: Handler = (ctx) => {
  const [from, to] = types(ctx, 'fromObjectType', 'toObjectType');
  const startedAt = ctx.state.now();
  const { inputs } = bodyOf<BatchOf<AssociationPostInput>>(ctx);
  const planned = inputs.map((input) => ({ input, typeIds: specTypes(ctx.state, from, to, input.types) }));
  const missing = new Set<string>();
  const results: unknown[] = [];
  for (const { input, typeIds } of planned) {
    if (!exists(ctx.state, from, input.from.id)) missing.add(input.from.id);
    else if (!exists(ctx.state, to, input.to.id)) missing.add(input.to.id);
    else {
      ctx.state.associations.link(from.objectTypeId, input.from.id, to.objectTypeId, input.to.id, typeIds);
      results.push(pairView(ctx.state, from, input.from.id, to, input.to.id));
    }
  }
  const answer = batchView(
    results,
    missing.size > 0 ? [missingRecords(from, [...missing])] : [],
    startedAt,
    ctx.state.now(),
  );
  return { status: answer.status === 200 ? 201 : 207, body: answer.body };
};

/** POST /crm/v4/associations/{fromObjectType}/{toObjectType}/batch/associate/default */
export const batchCreateDefaultAssociations: Handler = (ctx) => {
  const [from, to] = types(ctx, 'fromObjectType', 'toObjectType');
  const startedAt = ctx.state.now();
  const def = defaultTypeOf(ctx.state, from, to);
  const inverse = ctx.state.associations.type(def.inverseTypeId);
  const results: unknown[] = [];
  const missing = new Set<string>();
  for (const input of bodyOf<BatchOf<DefaultAssociationInput>>(ctx).inputs) {
    if (!exists(ctx.state, from, input.from.id)) missing.add(input.from.id);
    else if (!exists(ctx.state, to, input.to.id)) missing.add(input.to.id);
    else {
      ctx.state.associations.link(from.objectTypeId, input.from.id, to.objectTypeId, input.to.id, [
        def.typeId,
      ]);
      results.push(...defaultResults(def, inverse, input.from.id, input.to.id));
    }
  }
  const body = batchView(results, [], startedAt, ctx.state.now()).body;
  if (missing.size > 0)
    return { status: 200, body: { ...body, numErrors: 1, errors: [missingRecords(from, [...missing])] } };
  return { status: 200, body };
};

/** POST /crm/v4/associations/{fromObjectType}/{toObjectType}/batch/read */
export const batchReadAssociations: Handler = (ctx) => {
  const [from, to] = types(ctx, 'fromObjectType', 'toObjectType');
  const startedAt = ctx.state.now();
  const results: unknown[] = [];
  const errors: unknown[] = [];
  for (const input of bodyOf<BatchOf<AssociationFetchInput>>(ctx).inputs) {
    const linked = ctx.state.associations.list(from.objectTypeId, input.id, to.objectTypeId);
    if (linked.length === 0) {
      errors.push({
        status: 'error',
        category: 'OBJECT_NOT_FOUND',
        message: `No ${to.singular} is associated with ${from.singular} ${input.id}.`,
        // HubSpot adds subCategory crm.associations.NO_ASSOCIATIONS_FOUND, a string the file types as an object.
        context: { fromObjectId: [input.id] },
        errors: [],
        links: {},
      });
      continue;
    }
    results.push({
      from: { id: input.id },
      to: linked.map((a) => ({
        toObjectId: a.toObjectId,
        associationTypes: a.typeIds
          .map((id) => ctx.state.associations.type(id))
          .filter((d) => d !== undefined)
          .map(associationTypeView),
      })),
    });
  }
  return batchView(results, errors, startedAt, ctx.state.now());
};

/** POST /crm/v4/associations/{fromObjectType}/{toObjectType}/batch/archive: every type between the pairs. */
export const batchArchiveAssociations: Handler = (ctx) => {
  const [from, to] = types(ctx, 'fromObjectType', 'toObjectType');
  for (const input of bodyOf<BatchOf<AssociationArchiveInput>>(ctx).inputs) {
    for (const target of input.to) {
      ctx.state.associations.unlink(from.objectTypeId, input.from.id, to.objectTypeId, target.id);
    }
  }
  return { status: 204 };
};

/** POST /crm/v4/associations/{fromObjectType}/{toObjectType}/batch/labels/archive: only the named types. */
export const batchArchiveAssociationLabels: Handler = (ctx) => {
  const [from, to] = types(ctx, 'fromObjectType', 'toObjectType');
  for (const input of bodyOf<BatchOf<AssociationPostInput>>(ctx).inputs) {
    const typeIds = specTypes(ctx.state, from, to, input.types);
    ctx.state.associations.unlink(from.objectTypeId, input.from.id, to.objectTypeId, input.to.id, typeIds);
  }
  return { status: 204 };
};

/** GET /crm/associations/v4/{fromObjectType}/{toObjectType}/labels */
export const listLabels: Handler = (ctx) => {
  const [from, to] = types(ctx, 'fromObjectType', 'toObjectType');
  return {
    status: 200,
    body: {
      results: ctx.state.associations.between(from.objectTypeId, to.objectTypeId).map(associationTypeView),
    },
  };
};

/** POST /crm/associations/v4/{fromObjectType}/{toObjectType}/labels */
export const createLabel: Handler = (ctx) => {
  const [from, to] = types(ctx, 'fromObjectType', 'toObjectType');
  const input = bodyOf<{ label: string; name: string; inverseLabel?: string }>(ctx);
  if (ctx.state.associations.between(from.objectTypeId, to.objectTypeId).some((d) => d.name === input.name)) {
    throw validationError(`An association label named ${input.name} already exists`);
  }
  const def = ctx.state.defineLabel(from, to, input.label, input.name, input.inverseLabel);
  const inverse = ctx.state.associations.type(def.inverseTypeId);
  return { status: 200, body: { results: [def, ...(inverse ? [inverse] : [])].map(associationTypeView) } };
};

/** PUT /crm/associations/v4/{fromObjectType}/{toObjectType}/labels */
export const updateLabel: Handler = (ctx) => {
  const [from, to] = types(ctx, 'fromObjectType', 'toObjectType');
  const input = bodyOf<{ associationTypeId: number; label: string; inverseLabel?: string }>(ctx);
  const def = ctx.state.associations.type(input.associationTypeId);
  if (
    !def ||
    def.fromObjectTypeId !== from.objectTypeId ||
    def.toObjectTypeId !== to.objectTypeId ||
    def.label === null
  ) {
    throw notFound(`Association label ${input.associationTypeId} not found`);
  }
  def.label = input.label;
  const inverse = ctx.state.associations.type(def.inverseTypeId);
  if (inverse && input.inverseLabel !== undefined) inverse.label = input.inverseLabel;
  return { status: 204 };
};

/** DELETE /crm/associations/v4/{fromObjectType}/{toObjectType}/labels/{associationTypeId} */
export const archiveLabel: Handler = (ctx) => {
  const [from, to] = types(ctx, 'fromObjectType', 'toObjectType');
  const id = Number(param(ctx, 'associationTypeId'));
  const def = ctx.state.associations.type(id);
  if (
    !def ||
    def.fromObjectTypeId !== from.objectTypeId ||
    def.toObjectTypeId !== to.objectTypeId ||
    def.label === null
  ) {
    throw notFound(`Association label ${id} not found`);
  }
  ctx.state.associations.undefine(id);
  return { status: 204 };
};
