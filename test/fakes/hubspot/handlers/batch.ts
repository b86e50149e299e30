/**
 * Batch object operations. Property, required-value and unique-value checks cover the whole batch
 * before anything is written (one bad input fails the call); inputs that name records which do
 * not exist are reported per input in a 207 answer, as HubSpot does.
 */
import { validationError } from '../errors.ts';
import type { BatchOf, ObjectBatchReadInput, ObjectBatchWriteInput, ObjectCreateInput } from '../inputs.ts';
import type { CrmRecord, ObjectTypeDef } from '../model.ts';
import { normaliseValue } from '../properties.ts';
import type { Claims, PlannedWrite } from '../state.ts';
import { batchView, recordView } from '../views.ts';
import { typeOf } from './objects.ts';
import { bodyOf, type Handler, queryBool } from './types.ts';

/** HubSpot's `StandardError` for ids that match no record. */
function missingError(type: ObjectTypeDef, ids: readonly string[]): Record<string, unknown> {
  return {
    status: 'error',
    category: 'OBJECT_NOT_FOUND',
    message: `Could not get some ${type.singular.toUpperCase()} objects, they may be deleted or not exist. Check that ids are valid.`,
    context: { ids: [...ids] },
    errors: [],
    links: {},
  };
}

function rejectDuplicates(inputs: readonly ObjectBatchWriteInput[]): void {
  const seen = new Set<string>();
  const dupes = new Set<string>();
  for (const input of inputs) {
    const key = `${input.idProperty ?? ''}|${input.id}`;
    if (seen.has(key)) dupes.add(input.id);
    seen.add(key);
  }
  if (dupes.size > 0)
    throw validationError(
      `Duplicate IDs found in batch input: [${[...dupes].join(', ')}]. IDs must be unique`,
    );
}

/** POST /crm/v3/objects/{objectType}/batch/create */
export const batchCreate: Handler = (ctx) => {
  const type = typeOf(ctx);
  const startedAt = ctx.state.now();
  const { inputs } = bodyOf<BatchOf<ObjectCreateInput>>(ctx);
  const claims: Claims = new Map();
  const plans = inputs.map((input, i) =>
    ctx.state.planCreate(type, input.properties, input.associations, claims, `new#${i}`),
  );
  const results = plans.map((plan, i) =>
    recordView(type, ctx.state.applyCreate(type, plan), Object.keys(inputs[i]?.properties ?? {})),
  );
  return { status: 201, body: batchView(results, [], startedAt, ctx.state.now()).body };
};

/** POST /crm/v3/objects/{objectType}/batch/read */
export const batchRead: Handler = (ctx) => {
  const type = typeOf(ctx);
  const startedAt = ctx.state.now();
  const input = bodyOf<ObjectBatchReadInput>(ctx);
  const archived = queryBool(ctx, 'archived', false);
  const results: unknown[] = [];
  const missing: string[] = [];
  for (const { id } of input.inputs) {
    const record = ctx.state.find(type, id, input.idProperty, archived);
    if (record) results.push(recordView(type, record, input.properties, input.propertiesWithHistory));
    else missing.push(id);
  }
  const answer = batchView(
    results,
    missing.length > 0 ? [missingError(type, missing)] : [],
    startedAt,
    ctx.state.now(),
  );
  return answer;
};

/** POST /crm/v3/objects/{objectType}/batch/update */
export const batchUpdate: Handler = (ctx) => {
  const type = typeOf(ctx);
  const startedAt = ctx.state.now();
  const { inputs } = bodyOf<BatchOf<ObjectBatchWriteInput>>(ctx);
  rejectDuplicates(inputs);
  const claims: Claims = new Map();
  const planned: Array<{ record: CrmRecord; plan: PlannedWrite; input: ObjectBatchWriteInput }> = [];
  const missing: string[] = [];
  for (const input of inputs) {
    const record = ctx.state.find(type, input.id, input.idProperty);
    if (!record) missing.push(input.id);
    else planned.push({ record, input, plan: ctx.state.planUpdate(type, record, input.properties, claims) });
  }
  const results = planned.map(({ record, plan, input }) =>
    recordView(type, ctx.state.applyUpdate(type, record, plan), Object.keys(input.properties)),
  );
  return batchView(
    results,
    missing.length > 0 ? [missingError(type, missing)] : [],
    startedAt,
    ctx.state.now(),
  );
};

/**
 * POST /crm/v3/objects/{objectType}/batch/upsert: with `idProperty` (a unique property) a record
 * holding that value is updated, else one is created with it; without, `id` is a record id.
 */
export const batchUpsert: Handler = (ctx) => {
  const type = typeOf(ctx);
  const startedAt = ctx.state.now();
  const { inputs } = bodyOf<BatchOf<ObjectBatchWriteInput>>(ctx);
  rejectDuplicates(inputs);
  const claims: Claims = new Map();
  const planned: Array<{ record?: CrmRecord; plan: PlannedWrite; input: ObjectBatchWriteInput }> = [];
  const missing: string[] = [];
  inputs.forEach((input, i) => {
    if (input.idProperty !== undefined && input.idProperty !== 'hs_object_id') {
      const def = ctx.state.idProperty(type, input.idProperty);
      const record = ctx.state.find(type, input.id, input.idProperty);
      if (record)
        planned.push({ record, input, plan: ctx.state.planUpdate(type, record, input.properties, claims) });
      else {
        const values = { ...input.properties, [def.name]: normaliseValue(def, input.id) };
        planned.push({ input, plan: ctx.state.planCreate(type, values, undefined, claims, `new#${i}`) });
      }
      return;
    }
    const record = ctx.state.find(type, input.id);
    if (!record) missing.push(input.id);
    else planned.push({ record, input, plan: ctx.state.planUpdate(type, record, input.properties, claims) });
  });
  const results = planned.map(({ record, plan, input }) => {
    const written = record ? ctx.state.applyUpdate(type, record, plan) : ctx.state.applyCreate(type, plan);
    const names = [...Object.keys(input.properties), ...(input.idProperty ? [input.idProperty] : [])];
    return { ...recordView(type, written, names), new: record === undefined };
  });
  return batchView(
    results,
    missing.length > 0 ? [missingError(type, missing)] : [],
    startedAt,
    ctx.state.now(),
  );
};

/** POST /crm/v3/objects/{objectType}/batch/archive (unknown ids are ignored, as in HubSpot). */
export const batchArchive: Handler = (ctx) => {
  const type = typeOf(ctx);
  const { inputs } = bodyOf<BatchOf<{ id: string }>>(ctx);
  for (const { id } of inputs) {
    const record = ctx.state.find(type, id);
    if (record) ctx.state.archive(type, record);
  }
  return { status: 204 };
};
