/**
 * Pure planning. A product becomes a hardware asset (created with the configured model, its
 * status from the status map, the GroWrk ids in custom fields) checked out to the assigned
 * employee's Snipe-IT user, or checked in when unassigned. An offboarded employee's outstanding
 * assets are reported (the returns list), never checked in by this service.
 */
import { emptyPlan, type FieldChange, type Plan, type PlanInput } from '../../src/connector/types.ts';
import type { EntitySnapshot } from '../../src/core/projection.ts';
import type { SnipeItConfig } from './config.ts';
import { assigneeOf, desiredAsset } from './mapping.ts';
import { type AssetFields, CONNECTOR_ID, type SnipeActual, type SnipeAsset, type SnipeOp } from './model.ts';

/** A plan of this connector. */
export type SnipePlan = Plan<SnipeOp>;

/** What an update changes: only the fields that differ (custom fields one by one). */
function fieldChanges(
  asset: SnipeAsset,
  wanted: AssetFields,
  config: SnipeItConfig,
): { fields: AssetFields; changes: FieldChange[] } {
  const fields: AssetFields = {};
  const changes: FieldChange[] = [];
  if (wanted.name !== undefined && wanted.name !== asset.name) {
    fields.name = wanted.name;
    changes.push({ field: 'name', before: asset.name, after: wanted.name });
  }
  if (wanted.serial !== undefined && asset.serial === '') {
    fields.serial = wanted.serial;
    changes.push({ field: 'serial', before: '', after: wanted.serial });
  }
  if (wanted.status !== undefined && wanted.status !== asset.status) {
    fields.status = wanted.status;
    changes.push({ field: 'status', before: asset.status, after: wanted.status });
  }
  const current: Record<string, string | null> = {
    [config.productIdField]: asset.growrkId,
    [config.orderIdField]: asset.orderId,
  };
  const custom: Record<string, string> = {};
  for (const [name, after] of Object.entries(wanted.custom ?? {})) {
    const before = current[name] ?? null;
    if (after !== (before ?? '')) {
      custom[name] = after;
      changes.push({ field: name, before, after });
    }
  }
  if (Object.keys(custom).length > 0) fields.custom = custom;
  return { fields, changes };
}

function createChanges(tag: string, fields: AssetFields): FieldChange[] {
  const changes: FieldChange[] = [{ field: 'asset_tag', before: null, after: tag }];
  for (const field of ['name', 'serial', 'status'] as const) {
    if (fields[field] !== undefined) changes.push({ field, before: null, after: fields[field] });
  }
  for (const [field, after] of Object.entries(fields.custom ?? {}))
    changes.push({ field, before: null, after });
  return changes;
}

function planProduct(input: PlanInput<SnipeItConfig, SnipeActual>, plan: SnipePlan): void {
  const { desired, config } = input;
  const actual = input.actual?.kind === 'product' ? input.actual : null;
  const wanted = desiredAsset(desired, config);
  const assignee = assigneeOf(desired.data);
  const asset = actual?.asset ?? null;
  let assetId: number | null = null;
  if (!asset) {
    if (config.modelId <= 0) {
      plan.notes.push('no asset is created: snipeit.modelId (SNIPEIT_MODEL_ID) is not set');
      return;
    }
    plan.ops.push({
      type: 'create-asset',
      destructive: false,
      description: `create asset ${wanted.tag}${wanted.serial ? ` (serial ${wanted.serial})` : ''}`,
      changes: createChanges(wanted.tag, wanted.fields),
      args: { tag: wanted.tag, modelId: config.modelId, fields: wanted.fields },
    });
  } else {
    assetId = asset.id;
    plan.target = { id: String(asset.id), label: asset.tag };
    const { fields, changes } = fieldChanges(asset, wanted.fields, config);
    if (changes.length > 0) {
      plan.ops.push({
        type: 'update-asset',
        destructive: false,
        description: `update asset ${asset.tag}: ${changes.map((c) => c.field).join(', ')}`,
        changes,
        args: { assetId: asset.id, fields },
      });
    }
  }
  const holder = asset?.assignedTo ?? null;
  const heldByAssignee = holder !== null && holder.type === 'user' && holder.email === assignee?.email;
  if (holder !== null && !heldByAssignee && asset) {
    plan.ops.push({
      type: 'checkin',
      destructive: false,
      description: `check asset ${asset.tag} in${assignee ? ' (assigned to someone else in GroWrk)' : ''}`,
      changes: [{ field: 'assigned_to', before: holder.email ?? `${holder.type} ${holder.id}`, after: null }],
      args: { assetId: asset.id },
    });
  }
  if (assignee && !heldByAssignee) {
    const lookup = actual?.assignee?.email === assignee.email ? actual.assignee : null;
    const user = lookup?.user ?? null;
    if (lookup !== null && user === null && !config.createUsers) {
      plan.notes.push(
        `not checked out: no Snipe-IT user has the e-mail of employee ${assignee.employeeId} (SNIPEIT_CREATE_USERS is off)`,
      );
      return;
    }
    plan.ops.push({
      type: 'checkout',
      destructive: false,
      description: `check asset ${asset?.tag ?? wanted.tag} out to employee ${assignee.employeeId}`,
      changes: [{ field: 'assigned_to', before: holder?.email ?? null, after: assignee.email }],
      args: { assetId, userId: user?.id ?? null, ...assignee },
    });
  }
}

/** The returns list of an offboarded employee: what is still checked out to them. */
function planEmployee(input: PlanInput<SnipeItConfig, SnipeActual>, plan: SnipePlan): void {
  const actual = input.actual?.kind === 'employee' ? input.actual : null;
  if (input.desired.data.status !== 'offboarded' || !actual) return;
  plan.target = { id: String(actual.user.id), label: `user ${actual.user.id}` };
  if (actual.assets.length === 0) return;
  const list = actual.assets.map((a) => `${a.tag}${a.serial ? ` (serial ${a.serial})` : ''}`).join(', ');
  plan.notes.push(
    `returns: employee ${input.desired.id} is offboarded and still has ${actual.assets.length} asset(s) checked out in Snipe-IT: ${list}; they are not checked in until they come back`,
  );
}

/** Pure: what to do so that Snipe-IT matches `desired`. */
export function planEntity(input: PlanInput<SnipeItConfig, SnipeActual>): SnipePlan {
  const desired: EntitySnapshot = input.desired;
  const plan: SnipePlan = emptyPlan(CONNECTOR_ID, desired);
  if (desired.kind === 'product') planProduct(input, plan);
  else if (desired.kind === 'employee') planEmployee(input, plan);
  return plan;
}
