/**
 * Pure planning: what to change in HubSpot so that it matches the projection for one entity.
 * Property by property (only values that differ are written), plus association add/remove ops
 * for the contact of the assigned employee. Nothing here is destructive: records are never
 * archived, and removing a stale association keeps both records.
 */

import type { FieldChange, Plan, PlanInput, TargetRef } from '../../src/connector/types.ts';
import type { EntityKind } from '../../src/growrk/types.ts';
import type { HubSpotConfig } from './config.ts';
import { assigneeIdOf, labelOf, mapEntity, plainValues, sameValue, targetSpec } from './mapping.ts';
import type {
  AssociateArgs,
  CreateArgs,
  DissociateArgs,
  HubSpotActual,
  HubSpotNoun,
  HubSpotOp,
  UpdateArgs,
} from './model.ts';

/** A plan of this connector. */
export type HubSpotPlan = Plan<HubSpotOp>;

/** The connector id plans carry. */
export const CONNECTOR_ID = 'hubspot';

/** The record noun of a kind, as used in op types (`create-asset`, `update-contact`...). */
export function nounOf(kind: EntityKind): HubSpotNoun {
  return kind === 'employee' ? 'contact' : kind === 'product' ? 'asset' : 'deal';
}

/** Plans one entity. Identical state yields no ops, so a redelivered event changes nothing. */
export function planEntity(input: PlanInput<HubSpotConfig, HubSpotActual>): HubSpotPlan {
  const { desired, actual, config } = input;
  const kind = desired.kind;
  const noun = nounOf(kind);
  const label = labelOf(kind, desired);
  const email =
    kind === 'employee' && typeof desired.data.email === 'string' ? desired.data.email : undefined;
  const target: TargetRef = { id: actual?.record.id ?? null, label, ...(email ? { email } : {}) };
  const plan: HubSpotPlan = {
    connector: CONNECTOR_ID,
    kind,
    entityId: desired.id,
    target,
    ops: [],
    notes: [],
  };
  if (kind === 'order' && !config.syncOrders) {
    plan.notes.push('orders are not synced to deals (hubspot.syncOrders is off)');
    return plan;
  }
  const spec = targetSpec(kind, config);
  const mapped = mapEntity(kind, desired, config);
  plan.notes.push(...mapped.notes);

  if (!actual) {
    const args: CreateArgs = {
      idProperty: spec.idProperty,
      idValue: desired.id,
      properties: plainValues(mapped.properties),
    };
    plan.ops.push({
      type: `create-${noun}`,
      destructive: false,
      description: `create ${noun} ${label}`,
      changes: Object.entries(args.properties).map(([field, after]) => ({ field, before: null, after })),
      args,
    });
  } else {
    const owner = actual.record.properties[spec.idProperty];
    if (owner && owner !== desired.id) {
      plan.notes.push(
        `${noun} ${actual.record.id} already carries GroWrk id ${owner}, not ${desired.id}; it is left alone`,
      );
      return plan;
    }
    const changes: FieldChange[] = [];
    const properties: Record<string, string> = {};
    for (const [field, want] of Object.entries(mapped.properties)) {
      const have = actual.record.properties[field];
      if (sameValue(want.type, want.value, have)) continue;
      changes.push({ field, before: have ?? null, after: want.value });
      properties[field] = want.value;
    }
    if (changes.length > 0) {
      const args: UpdateArgs = { id: actual.record.id, properties };
      plan.ops.push({
        type: `update-${noun}`,
        destructive: false,
        description: `update ${noun} ${label}: ${changes.map((c) => c.field).join(', ')}`,
        changes,
        args,
      });
    }
  }
  if (spec.associatesContact) plan.ops.push(...associationOps(kind, input, plan.notes));
  return plan;
}

/** Adds the assigned employee's contact and removes other GroWrk employees' contacts. */
function associationOps(
  kind: EntityKind,
  input: PlanInput<HubSpotConfig, HubSpotActual>,
  notes: string[],
): HubSpotOp[] {
  const { desired, actual } = input;
  const noun = nounOf(kind);
  const wantedEmployee = assigneeIdOf(kind, desired);
  const contactIds = actual?.record.contactIds ?? [];
  const managed = actual?.managedContacts ?? {};
  let wantedContact: string | null = null;
  if (wantedEmployee) {
    wantedContact =
      contactIds.find((id) => managed[id] === wantedEmployee) ??
      (actual?.assignee?.employeeId === wantedEmployee ? actual.assignee.contactId : null);
  }
  const ops: HubSpotOp[] = [];
  for (const contactId of contactIds) {
    if (contactId === wantedContact) continue;
    const employeeId = managed[contactId];
    if (employeeId === undefined) {
      notes.push(`contact ${contactId} is associated but is no GroWrk employee's contact; it is left alone`);
      continue;
    }
    const args: DissociateArgs = { contactId, employeeId };
    ops.push({
      type: 'dissociate-contact',
      destructive: false,
      description: `remove the association of ${noun} ${labelOf(kind, desired)} with the contact of employee ${employeeId}`,
      changes: [{ field: 'contact', before: contactId, after: null }],
      args,
    });
  }
  if (wantedEmployee && !(wantedContact !== null && contactIds.includes(wantedContact))) {
    const missing =
      wantedContact === null &&
      actual?.assignee?.employeeId === wantedEmployee &&
      actual.assignee.contactId === null;
    const args: AssociateArgs = { employeeId: wantedEmployee, contactId: wantedContact, missing };
    ops.push({
      type: 'associate-contact',
      destructive: false,
      description: `associate ${noun} ${labelOf(kind, desired)} with the contact of employee ${wantedEmployee}${
        wantedContact === null ? ' (found or created when applied)' : ''
      }`,
      changes: [{ field: 'contact', before: null, after: wantedContact ?? `employee ${wantedEmployee}` }],
      args,
    });
  }
  return ops;
}
