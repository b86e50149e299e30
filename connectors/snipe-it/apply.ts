/**
 * Carries out a Snipe-IT plan, op by op. Status label names and custom field names are resolved to
 * ids and columns here (cached by the client); a checkout whose user `read` did not know finds the
 * user by e-mail, or creates one when `snipeit.createUsers` is on. A checkin of an asset already
 * checked in counts as done (a resumed plan).
 */
import { randomBytes } from 'node:crypto';
import type { ApplyReport } from '../../src/connector/types.ts';
import { SyncError } from '../../src/errors.ts';
import type { AssetFields, SnipeOp } from './model.ts';
import type { SnipePlan } from './plan.ts';
import { type SnipeContext, userByEmail } from './read.ts';

type Json = Record<string, unknown>;

async function statusId(ctx: SnipeContext, name: string): Promise<number> {
  const find = (labels: Array<{ id: number; name: string }>) =>
    labels.find((l) => l.name.toLowerCase() === name.toLowerCase());
  const label = find(await ctx.client.statusLabels()) ?? find(await ctx.client.statusLabels(true));
  if (!label) {
    throw new SyncError(
      'CONNECTOR_MISCONFIGURED',
      `Snipe-IT has no status label "${name}" (snipeit.statusMap)`,
    );
  }
  return label.id;
}

async function column(ctx: SnipeContext, name: string): Promise<string> {
  const find = (fields: Array<{ name: string; dbColumn: string }>) => fields.find((f) => f.name === name);
  const field = find(await ctx.client.fields()) ?? find(await ctx.client.fields(true));
  if (!field)
    throw new SyncError('CONNECTOR_MISCONFIGURED', `Snipe-IT has no custom field "${name}": run init`);
  return field.dbColumn;
}

/** The request body for asset fields: names resolved to ids and columns. */
async function assetBody(ctx: SnipeContext, fields: AssetFields): Promise<Json> {
  const body: Json = {};
  if (fields.name !== undefined) body.name = fields.name;
  if (fields.serial !== undefined) body.serial = fields.serial;
  if (fields.status !== undefined) body.status_id = await statusId(ctx, fields.status);
  for (const [name, value] of Object.entries(fields.custom ?? {})) body[await column(ctx, name)] = value;
  return body;
}

async function ensureUser(
  ctx: SnipeContext,
  args: Extract<SnipeOp, { type: 'checkout' }>['args'],
): Promise<number> {
  if (args.userId !== null) return args.userId;
  const found = await userByEmail(ctx, args.email);
  if (found) return found.id;
  if (!ctx.config.createUsers) {
    throw new SyncError(
      'TARGET_NOT_FOUND',
      `no Snipe-IT user has the e-mail of employee ${args.employeeId} (SNIPEIT_CREATE_USERS is off)`,
    );
  }
  const [first, ...rest] = args.displayName.split(/\s+/);
  // Never used to log in: the account exists to hold assets; a password reset gives access.
  const password = randomBytes(24).toString('base64url');
  return ctx.client.createUser({
    first_name: first || args.email,
    ...(rest.length > 0 ? { last_name: rest.join(' ') } : {}),
    username: args.email,
    email: args.email,
    password,
    password_confirmation: password,
    activated: false,
    employee_num: args.employeeId,
    notes: 'Created by growrk-sync for a GroWrk assignment.',
  });
}

/** Carries out a plan (a retried plan is planned again first, so it resumes). */
export async function applyPlan(ctx: SnipeContext, plan: SnipePlan): Promise<ApplyReport> {
  const done: string[] = [];
  const skipped: string[] = [];
  let assetId: number | null = plan.target?.id ? Number(plan.target.id) : null;
  for (const op of plan.ops) {
    switch (op.type) {
      case 'create-asset': {
        const body = await assetBody(ctx, op.args.fields);
        assetId = await ctx.client.createHardware({
          ...body,
          asset_tag: op.args.tag,
          model_id: op.args.modelId,
        });
        break;
      }
      case 'update-asset':
        await ctx.client.updateHardware(op.args.assetId, await assetBody(ctx, op.args.fields));
        assetId = op.args.assetId;
        break;
      case 'checkin':
        try {
          await ctx.client.checkin(op.args.assetId, {
            note: 'Checked in by growrk-sync: unassigned in GroWrk.',
          });
        } catch (err) {
          if (err instanceof SyncError && /already checked in|not checked out/i.test(err.message)) {
            skipped.push(op.type);
            continue;
          }
          throw err;
        }
        break;
      case 'checkout': {
        const target = op.args.assetId ?? assetId;
        if (target === null) throw new SyncError('INTERNAL', 'Snipe-IT checkout planned without an asset');
        const userId = await ensureUser(ctx, op.args);
        await ctx.client.checkout(target, {
          checkout_to_type: 'user',
          assigned_user: userId,
          note: `Checked out by growrk-sync: assigned to employee ${op.args.employeeId} in GroWrk.`,
        });
        break;
      }
    }
    done.push(op.type);
  }
  return { done, skipped, targetId: assetId === null ? null : String(assetId) };
}
