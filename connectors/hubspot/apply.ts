/**
 * Carries out one entity's plan with single-record calls (a batch of one for upserts). Every
 * operation is idempotent (upsert by the GroWrk id, PATCH of the same values, PUT/DELETE of an
 * association), so a retried plan simply runs again.
 */
import type { ApplyReport, Plan, PlannedOp } from '../../src/connector/types.ts';
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
import type { AssociateArgs, CreateArgs, DissociateArgs, UpdateArgs } from './model.ts';

/** Reads an op's arguments as the type the planner wrote them with. */
export function argsOf<T>(op: PlannedOp): T {
  if (!op.args) throw new SyncError('INTERNAL', `planned op ${op.type} has no arguments`);
  return op.args as T;
}

/** Applies one plan; returns the op types done and the target id afterwards. */
export async function applyPlan(ctx: HubSpotContext, plan: Plan): Promise<ApplyReport> {
  const { client, config } = ctx;
  const spec = targetSpec(plan.kind, config);
  const type = await client.resolveType(spec.objectType);
  let recordId = plan.target?.id ?? null;
  const done: string[] = [];
  for (const op of plan.ops) {
    if (op.type.startsWith('create-')) {
      const args = argsOf<CreateArgs>(op);
      const result = await client.batchUpsert(type.path, args.idProperty, [
        { idValue: args.idValue, properties: args.properties },
      ]);
      const written = result.results[0];
      if (!written) throw batchError(result.errors[0], `${op.description}`);
      recordId = written.id;
      if (plan.kind === 'employee') await rememberContact(ctx, plan.entityId, written.id);
    } else if (op.type.startsWith('update-')) {
      const args = argsOf<UpdateArgs>(op);
      await client.update(type.path, args.id, args.properties);
      recordId = args.id;
      if (plan.kind === 'employee' && args.properties[config.idProperty] === plan.entityId) {
        await rememberContact(ctx, plan.entityId, args.id);
      }
    } else if (op.type === 'dissociate-contact') {
      const args = argsOf<DissociateArgs>(op);
      await client.dissociate(type.path, requireId(recordId, plan), CONTACTS, args.contactId);
    } else if (op.type === 'associate-contact') {
      const args = argsOf<AssociateArgs>(op);
      await associate(ctx, type.path, requireId(recordId, plan), args);
    } else {
      throw new SyncError('INTERNAL', `unknown HubSpot op ${op.type}`);
    }
    done.push(op.type);
  }
  return { done, skipped: [], targetId: recordId };
}

function requireId(id: string | null, plan: Plan): string {
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
