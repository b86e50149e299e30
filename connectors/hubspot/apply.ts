/**
 * Carries out one entity's plan with single-record calls (a batch of one for upserts). Every
 * operation is idempotent (upsert by the GroWrk id, PATCH of the same values, PUT/DELETE of an
 * association), so a retried plan simply runs again.
 */
import type { ApplyReport } from '../../src/connector/types.ts';
import { isSyncError, SyncError } from '../../src/errors.ts';
import {
  batchError,
  CONTACTS,
  ensureContact,
  forgetContact,
  type HubSpotContext,
  rememberContact,
} from './contacts.ts';
import { targetSpec } from './mapping.ts';
import { type AssociateArgs, isCreate, isUpdate } from './model.ts';
import type { HubSpotPlan } from './plan.ts';

/** Applies one plan; returns the op types done and the target id afterwards. */
export async function applyPlan(ctx: HubSpotContext, plan: HubSpotPlan): Promise<ApplyReport> {
  const { client, config } = ctx;
  const spec = targetSpec(plan.kind, config);
  const type = await client.resolveType(spec.objectType);
  let recordId = plan.target?.id ?? null;
  const done: string[] = [];
  for (const op of plan.ops) {
    if (isCreate(op)) {
      const { args } = op;
      const result = await client.batchUpsert(type.path, args.idProperty, [
        { idValue: args.idValue, properties: args.properties },
      ]);
      const written = result.results[0];
      if (!written) throw batchError(result.errors[0], `${op.description}`);
      recordId = written.id;
      if (plan.kind === 'employee') await rememberContact(ctx, plan.entityId, written.id);
    } else if (isUpdate(op)) {
      const { args } = op;
      await client.update(type.path, args.id, args.properties);
      recordId = args.id;
      if (plan.kind === 'employee' && args.properties[config.idProperty] === plan.entityId) {
        await rememberContact(ctx, plan.entityId, args.id);
      }
    } else if (op.type === 'dissociate-contact') {
      await client.dissociate(type.path, requireId(recordId, plan), CONTACTS, op.args.contactId);
    } else {
      await associate(ctx, type.path, requireId(recordId, plan), op.args);
    }
    done.push(op.type);
  }
  return { done, skipped: [], targetId: recordId };
}

function requireId(id: string | null, plan: HubSpotPlan): string {
  if (id) return id;
  throw new SyncError(
    'INTERNAL',
    `plan for ${plan.kind} ${plan.entityId} associates a record it never wrote`,
  );
}

/** Associates with the employee's contact; a stale link is dropped and the contact found again. */
async function associate(
  ctx: HubSpotContext,
  objectType: string,
  recordId: string,
  args: AssociateArgs,
): Promise<void> {
  const contactId = args.contactId ?? (await ensureContact(ctx, args.employeeId, args.missing));
  try {
    await ctx.client.associate(objectType, recordId, CONTACTS, contactId);
  } catch (err) {
    if (!isSyncError(err, 'TARGET_NOT_FOUND')) throw err;
    await forgetContact(ctx, args.employeeId, contactId);
    const again = await ensureContact(ctx, args.employeeId);
    await ctx.client.associate(objectType, recordId, CONTACTS, again);
  }
}
