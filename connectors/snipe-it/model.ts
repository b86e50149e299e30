/** The Snipe-IT connector's view of its target: assets and users as it reads them, and its ops. */
import type { OpOf } from '../../src/connector/types.ts';

/** The connector's id (the registry key). */
export const CONNECTOR_ID = 'snipe-it';

/** Hardware per listing page (Snipe-IT's MAX_RESULTS, the most one call returns). */
export const PAGE_SIZE = 500;

/** A Snipe-IT user, as far as matching needs one. */
export type SnipeUser = {
  id: number;
  email: string | null;
  username: string;
};

/** A hardware asset as read back (the API's transformed asset, reduced). */
export type SnipeAsset = {
  id: number;
  tag: string;
  serial: string;
  name: string;
  modelId: number | null;
  /** Its status label's name. */
  status: string | null;
  /** Whom it is checked out to (null: checked in). */
  assignedTo: { id: number; type: string; email: string | null } | null;
  /** The GroWrk product id custom field, when the asset has it. */
  growrkId: string | null;
  /** The GroWrk order id custom field. */
  orderId: string | null;
};

/** What `read` and `list` give the planner: a product's asset, or an employee's outstanding assets. */
export type SnipeActual =
  | {
      kind: 'product';
      asset: SnipeAsset | null;
      /** A user lookup by e-mail (the assigned employee's, or the holder's when listed); null: none made. */
      assignee: { email: string; user: SnipeUser | null } | null;
    }
  | { kind: 'employee'; user: SnipeUser; assets: SnipeAsset[] };

/** Asset attributes the connector manages, by name (custom fields by their field names). */
export type AssetFields = {
  name?: string;
  serial?: string;
  /** A status label name (resolved to its id when applied). */
  status?: string;
  /** Custom field name -> value. */
  custom?: Record<string, string>;
};

/** The Snipe-IT connector's ops: a typed union, so `apply` needs no casts. */
export type SnipeOp =
  | OpOf<'create-asset', { tag: string; modelId: number; fields: AssetFields }>
  | OpOf<'update-asset', { assetId: number; fields: AssetFields }>
  | OpOf<'checkin', { assetId: number }>
  | OpOf<
      'checkout',
      {
        /** Null when the asset is created by an earlier op of the same plan. */
        assetId: number | null;
        /** The user, when `read` found them; else found (or created) by e-mail when applied. */
        userId: number | null;
        email: string;
        displayName: string;
        employeeId: string;
      }
    >;

/** Every op kind, for the manifest. */
export type SnipeOpType = SnipeOp['type'];
