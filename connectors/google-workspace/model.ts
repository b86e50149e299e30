/**
 * The Google Workspace connector's own vocabulary: the user as plan needs it, the suspension record
 * kept in the custom schema, playbook progress, and the constants every other file shares.
 * No SDK types here: `client.ts` hands over plain JSON that `mapping.ts` narrows into these.
 */
import type { OpOf } from '../../src/connector/types.ts';
import type { EquipmentItem, OffboardingRecord } from '../../src/core/offboarding.ts';
import type { EntitySnapshot } from '../../src/core/projection.ts';

/** The `externalIds` entry that links a Google user to a GroWrk employee. */
export const GROWRK_EXTERNAL_ID = { type: 'custom', customType: 'growrk' } as const;

/** What the custom schema's `suspendedBy` says when this service suspended the user. */
export const SUSPENDED_BY = 'growrk-sync';

/** The offboarding playbook steps, in the order they run. */
export const PLAYBOOK_STEPS = [
  'sign-out',
  'revoke-tokens',
  'delete-app-passwords',
  'invalidate-backup-codes',
  'remove-groups',
  'handover',
  'wipe-devices',
] as const;

/** One offboarding playbook step. */
export type PlaybookStep = (typeof PLAYBOOK_STEPS)[number];

/** True for the name of a playbook step. */
export function isPlaybookStep(value: string): value is PlaybookStep {
  return (PLAYBOOK_STEPS as readonly string[]).includes(value);
}

/** One `externalIds` / `relations` / `organizations` entry, as Google keeps them (loosely typed). */
export type DirectoryEntry = Record<string, unknown>;

/**
 * The suspension record this service writes into the custom schema (`config.customSchema`).
 * All values are strings; timestamps are ISO 8601 UTC so they compare as text.
 */
export interface SuspensionRecord {
  /** When this service suspended the user. */
  suspendedAt?: string | undefined;
  /** `growrk-sync` when this service did it. */
  suspendedBy?: string | undefined;
  /** The GroWrk event behind the suspension. */
  growrkEventId?: string | undefined;
  /** GroWrk's timestamp of the offboarding. */
  growrkOffboardedAt?: string | undefined;
  /** The organisational unit the user was moved out of (when `offboardOrgUnit` is set). */
  orgUnitBefore?: string | undefined;
  /** When this service reactivated the user (a rehire); a record older than this is closed. */
  reactivatedAt?: string | undefined;
}

/** The fields of {@link SuspensionRecord}, as created in the custom schema by `init`. */
export const RECORD_FIELDS: ReadonlyArray<{ fieldName: keyof SuspensionRecord; displayName: string }> = [
  { fieldName: 'suspendedAt', displayName: 'Suspended at (by growrk-sync)' },
  { fieldName: 'suspendedBy', displayName: 'Suspended by' },
  { fieldName: 'growrkEventId', displayName: 'GroWrk event id' },
  { fieldName: 'growrkOffboardedAt', displayName: 'Offboarded in GroWrk at' },
  { fieldName: 'orgUnitBefore', displayName: 'Organisational unit before offboarding' },
  { fieldName: 'reactivatedAt', displayName: 'Reactivated at (by growrk-sync)' },
];

/** A Directory user, reduced to what plan needs. */
export interface GoogleUser {
  id: string;
  primaryEmail: string;
  aliases: string[];
  suspended: boolean;
  /** Only for suspended users: `ADMIN` (an administrator or the API) or Google's own, e.g. `ABUSE`. */
  suspensionReason: string | undefined;
  isAdmin: boolean;
  isDelegatedAdmin: boolean;
  orgUnitPath: string;
  externalIds: DirectoryEntry[];
  organizations: DirectoryEntry[];
  relations: DirectoryEntry[];
  /** This service's record in the custom schema, or null when there is none. */
  record: SuspensionRecord | null;
}

/**
 * Which offboarding a playbook progress belongs to: the `suspendedAt` of our suspension, or
 * `external:<GroWrk event id>` for a user someone else had already suspended.
 */
export type PlaybookRun = string;

/** Playbook progress kept in the connector state under `playbook:<google user id>`. */
export interface PlaybookProgress {
  run: PlaybookRun;
  done: PlaybookStep[];
  /**
   * The user as the suspension's own `users.patch` answered it, and when (epoch ms): the playbook
   * job that follows at once reads this instead of calling `users.get` again (see
   * {@link FRESH_READ_MS}). Dropped by the first step recorded.
   */
  fresh?: { at: number; user: unknown } | undefined;
}

/** How long the user returned by the suspension patch stands in for a `users.get`. */
export const FRESH_READ_MS = 30_000;

/** How `read` found the user. */
export type MatchedBy = 'link' | 'externalId' | 'email' | 'secondaryEmail' | 'list';

/** The connector's `Actual`: the user found for an employee, with our progress for it. */
export interface GoogleActual {
  user: GoogleUser;
  matchedBy: MatchedBy;
  progress: PlaybookProgress | null;
  /** The employee's newest offboarding timeline (read only for suspended users). */
  offboarding?: OffboardingRecord | null | undefined;
  /** The products GroWrk assigned to the employee (read only when closing is on and the user is suspended). */
  products?: EntitySnapshot[] | undefined;
  /** When this was read (epoch ms): the closing grace period is measured against it. */
  readAt?: number | undefined;
}

/** Arguments of `handover`: who receives the data. */
export interface HandoverArgs extends StepArgs {
  to: string;
  source: 'manager' | 'fallback';
}

/** Arguments of `close-offboarding` and `record-equipment`. */
export interface ClosingArgs {
  run: PlaybookRun | null;
  /** Why it closes (`close-offboarding`), or why it cannot (`record-equipment`). */
  reason: string;
  equipment: EquipmentItem[];
}

/** Arguments of a playbook step: which offboarding it belongs to (null: the one this plan starts). */
export interface StepArgs {
  run: PlaybookRun | null;
}

/**
 * Arguments of `suspend`; the identity arrays of {@link UpdateArgs} may ride along, so that link,
 * field updates and the suspension are one `users.patch`.
 */
export interface SuspendArgs extends UpdateArgs {
  /** The record to write (apply adds `suspendedAt`). */
  record: SuspensionRecord;
  /** Move to this organisational unit in the same patch. */
  orgUnitPath?: string;
}

/** Arguments of `reactivate`. */
export interface ReactivateArgs {
  /** Move back to this organisational unit in the same patch. */
  orgUnitPath?: string;
}

/** Arguments of `update` and `link-external-id`: whole arrays to write (Google replaces arrays whole). */
export interface UpdateArgs {
  externalIds?: Record<string, unknown>[];
  organizations?: Record<string, unknown>[];
  relations?: Record<string, unknown>[];
}

/** Arguments of `create`. */
export interface CreateArgs {
  primaryEmail: string;
  givenName: string;
  familyName: string;
  externalIds: Record<string, unknown>[];
  organizations?: Record<string, unknown>[];
  relations?: Record<string, unknown>[];
}

/** The identity op: one `users.patch` of the link and the fields GroWrk sets. */
export type IdentityOp = OpOf<'update' | 'link-external-id', UpdateArgs>;

/** The suspension (one `users.patch`, which may carry the identity changes too). */
export type SuspendOp = OpOf<'suspend', SuspendArgs>;

/** The Google Workspace connector's ops: a typed union, so `switch (op.type)` types the arguments. */
export type GoogleOp =
  | OpOf<'create', CreateArgs>
  | IdentityOp
  | SuspendOp
  | OpOf<'reactivate', ReactivateArgs>
  | OpOf<'close-suspension-record', Record<string, never>>
  | OpOf<Exclude<PlaybookStep, 'handover'>, StepArgs>
  | OpOf<'handover', HandoverArgs>
  | OpOf<'record-equipment' | 'close-offboarding', ClosingArgs>;

/** Every op kind, for the manifest. */
export type GoogleOpType = GoogleOp['type'];

/** The user fields plan needs (the `fields` selection of get and list). */
export const USER_FIELDS = [
  'id',
  'primaryEmail',
  'aliases',
  'suspended',
  'suspensionReason',
  'isAdmin',
  'isDelegatedAdmin',
  'orgUnitPath',
  'externalIds',
  'organizations',
  'relations',
  'customSchemas',
].join(',');

/** Connector-state keys. */
export const stateKeys = {
  link: (growrkId: string): string => `link:${growrkId}`,
  playbook: (googleUserId: string): string => `playbook:${googleUserId}`,
};

/** OAuth scopes, by what needs them. */
export const SCOPES = {
  user: 'https://www.googleapis.com/auth/admin.directory.user',
  security: 'https://www.googleapis.com/auth/admin.directory.user.security',
  schema: 'https://www.googleapis.com/auth/admin.directory.userschema',
  group: 'https://www.googleapis.com/auth/admin.directory.group',
  datatransfer: 'https://www.googleapis.com/auth/admin.datatransfer',
  mobileAction: 'https://www.googleapis.com/auth/admin.directory.device.mobile.action',
  licensing: 'https://www.googleapis.com/auth/apps.licensing',
} as const;
