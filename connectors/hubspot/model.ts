/**
 * The HubSpot connector's own data shapes: what `read`/`list` return (Actual), and the arguments
 * its planned operations carry. Pure types, no SDK.
 */
import type { OpOf } from '../../src/connector/types.ts';
import type { EntityKind } from '../../src/growrk/types.ts';

/** One CRM record as the connector sees it (properties as HubSpot returns them: strings or null). */
export interface HubSpotRecord {
  /** HubSpot's record id. */
  id: string;
  properties: Record<string, string | null>;
  /** Ids of associated contacts; empty for contacts themselves. */
  contactIds: string[];
}

/** How a record was found. */
export type FoundBy = 'link' | 'idProperty' | 'email' | 'list';

/** The assigned employee of a product (or the employee of an order) and that employee's contact. */
export interface Assignee {
  employeeId: string;
  /** The employee's contact id, or null when none exists yet (apply creates it). */
  contactId: string | null;
}

/** What `read` and `list` return for one entity: the record and what plan needs to judge it. */
export interface HubSpotActual {
  kind: EntityKind;
  record: HubSpotRecord;
  foundBy: FoundBy;
  /** The GroWrk id the record carries in its unique id property (null: not yet linked). */
  growrkId: string | null;
  /**
   * Associated contacts that are GroWrk employees (contact id -> employee id), from the links kept
   * in connector state. Only these associations are ever removed; others are left alone.
   */
  managedContacts: Record<string, string>;
  /** Resolved by `read` for products and orders; absent from `list` results. */
  assignee?: Assignee | null;
}

/** Arguments of `create-*` ops: an upsert by the unique GroWrk id property. */
export interface CreateArgs {
  idProperty: string;
  idValue: string;
  properties: Record<string, string>;
}

/** Arguments of `update-*` ops: a partial update of a known record. */
export interface UpdateArgs {
  id: string;
  properties: Record<string, string>;
}

/** Arguments of `associate-contact`. */
export interface AssociateArgs {
  employeeId: string;
  /** Null when the contact is not known yet: apply finds it, or creates it from the employee snapshot. */
  contactId: string | null;
  /** True when `read` just looked for the contact and found none, so apply creates it at once. */
  missing: boolean;
}

/** Arguments of `dissociate-contact`. */
export interface DissociateArgs {
  contactId: string;
  employeeId: string;
}

/** The record noun of a kind, as op types use it (`create-asset`, `update-contact`...). */
export type HubSpotNoun = 'contact' | 'asset' | 'deal';

/** A `create-*` op: an upsert by the unique GroWrk id property. */
export type CreateOp = OpOf<`create-${HubSpotNoun}`, CreateArgs>;

/** An `update-*` op: a partial update of a known record. */
export type UpdateOp = OpOf<`update-${HubSpotNoun}`, UpdateArgs>;

/** The HubSpot connector's ops: a typed union, so `switch (op.type)` types the arguments. */
export type HubSpotOp =
  | CreateOp
  | UpdateOp
  | OpOf<'associate-contact', AssociateArgs>
  | OpOf<'dissociate-contact', DissociateArgs>;

/** Every op kind, for the manifest. */
export type HubSpotOpType = HubSpotOp['type'];

/** True for a `create-*` op. */
export function isCreate(op: HubSpotOp): op is CreateOp {
  return op.type.startsWith('create-');
}

/** True for an `update-*` op. */
export function isUpdate(op: HubSpotOp): op is UpdateOp {
  return op.type.startsWith('update-');
}

/** State keys of the connector (kept in `ctx.state`). */
export const stateKeys = {
  /** employee id -> contact id. */
  contactOf: (employeeId: string) => `contact:${employeeId}`,
  /** contact id -> employee id (to recognise our contacts among an asset's associations). */
  employeeOf: (contactId: string) => `employee-of:${contactId}`,
} as const;
