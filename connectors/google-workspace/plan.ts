/**
 * The pure plan: what to do so that one Google user matches one GroWrk employee.
 *
 * Decisions:
 * - Offboarded: suspend first (one patch: `suspended`, our record in the custom schema, and the
 *   offboarding organisational unit when configured), then each playbook step as its own op, minus
 *   the steps recorded done for the same suspension. Identity and field updates come after, so a
 *   metadata problem can never hold up a suspension.
 * - Already suspended, not by us (no open record of ours, or Google's own reason such as `ABUSE`):
 *   the suspension is not claimed (no record is written, so this service will never reactivate the
 *   user) but the playbook still runs: GroWrk says the person left, and signing out, revoking tokens
 *   and app passwords only take access away. Its progress is keyed `external:<GroWrk event id>`.
 * - Active again (a rehire): `reactivate` only when the user is suspended by us; a user suspended by
 *   anyone else is never reactivated (a note says so). If the user was already reactivated outside
 *   this service, our record is closed (`close-suspension-record`), so that a later suspension by an
 *   administrator can never be taken for ours.
 * - Active in GroWrk but no account: `create` only with `createAccounts` (off by default).
 * - A user that carries another employee's GroWrk id is not touched (an e-mail reused by a new hire).
 */

import type { FieldChange, Plan, PlanInput, PlannedOp, TargetRef } from '../../src/connector/types.ts';
import type { EntitySnapshot } from '../../src/core/projection.ts';
import type { GoogleConfig } from './config.ts';
import {
  adminRoleOf,
  desiredFields,
  employeeState,
  growrkIdsOf,
  managerOf,
  newAccountFor,
  orgUnitPathOf,
  primaryOrganization,
  recordIsOpen,
  suspendedByUs,
  text,
  withGrowrkId,
  withManager,
  withOrganization,
} from './mapping.ts';
import {
  type GoogleActual,
  type GoogleUser,
  PLAYBOOK_STEPS,
  type PlaybookProgress,
  type PlaybookRun,
  type PlaybookStep,
  SUSPENDED_BY,
  type SuspensionRecord,
} from './model.ts';

/** The connector id, as the registry knows it. */
export const CONNECTOR_ID = 'google-workspace';

/** The note of a plan for an employee without a directory account. */
export const NO_ACCOUNT_NOTE = 'no directory account for this employee';

const STEP_DESCRIPTIONS: Record<PlaybookStep, (label: string) => string> = {
  'sign-out': (l) => `sign ${l} out of all sessions`,
  'revoke-tokens': (l) => `revoke the third-party OAuth tokens of ${l}`,
  'delete-app-passwords': (l) => `delete the app passwords of ${l}`,
  'invalidate-backup-codes': (l) => `invalidate the 2-step backup codes of ${l}`,
  'remove-groups': (l) => `remove ${l} from all groups`,
};

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

function targetOf(user: GoogleUser): TargetRef {
  return {
    id: user.id,
    label: user.primaryEmail,
    email: user.primaryEmail,
    orgUnitPath: user.orgUnitPath,
    adminRole: adminRoleOf(user),
  };
}

/** Plans one employee against the user `read` or `list` found (or null). Pure. */
export function planEmployee(input: PlanInput<GoogleConfig, GoogleActual>): Plan {
  const { desired, actual, config } = input;
  const base = { connector: CONNECTOR_ID, kind: 'employee' as const, entityId: desired.id };
  if (!actual) return planWithoutAccount(desired, config, base);

  const { user } = actual;
  const label = user.primaryEmail;
  const target = targetOf(user);
  const notes: string[] = [];
  const ids = growrkIdsOf(user);
  if (ids.length > 0 && !ids.includes(desired.id)) {
    return {
      ...base,
      target,
      ops: [],
      notes: [`${label} is linked to another GroWrk employee (${ids.join(', ')}); not changed`],
    };
  }

  const identity = identityOps(desired, user);
  const state = employeeState(desired);
  if (state === 'offboarded') {
    const lifecycle = offboardOps(desired, actual, config, notes);
    const [first, ...rest] = lifecycle;
    // A suspension carries the identity changes in its own patch: one users.patch, not three.
    if (first?.type === 'suspend')
      return { ...base, target, ops: [withIdentity(first, identity), ...rest], notes };
    return { ...base, target, ops: [...lifecycle, ...identity], notes };
  }
  const lifecycle = state === 'active' ? rehireOps(user, config, notes) : [];
  return { ...base, target, ops: [...identity, ...lifecycle], notes };
}

/** The suspension op with the identity op's changes and arrays folded into the same patch. */
function withIdentity(suspend: PlannedOp, identity: readonly PlannedOp[]): PlannedOp {
  const [op] = identity;
  if (!op) return suspend;
  return {
    ...suspend,
    changes: [...(suspend.changes ?? []), ...(op.changes ?? [])],
    args: { ...suspend.args, ...op.args },
  };
}

function planWithoutAccount(
  desired: EntitySnapshot,
  config: GoogleConfig,
  base: Pick<Plan, 'connector' | 'kind' | 'entityId'>,
): Plan {
  if (!config.createAccounts || employeeState(desired) !== 'active') {
    return { ...base, target: null, ops: [], notes: [NO_ACCOUNT_NOTE] };
  }
  const account = newAccountFor(desired, config.accountDomain);
  if (!account) {
    return { ...base, target: null, ops: [], notes: [`${NO_ACCOUNT_NOTE}, and no e-mail to create one`] };
  }
  const fields = desiredFields(desired);
  const args: CreateArgs = { ...account, externalIds: withGrowrkId([], desired.id) };
  const changes: FieldChange[] = [
    { field: 'primaryEmail', before: null, after: account.primaryEmail },
    { field: 'externalIds.growrk', before: null, after: desired.id },
  ];
  if (fields.title !== undefined || fields.department !== undefined) {
    args.organizations = withOrganization([], fields);
    if (fields.title !== undefined) changes.push({ field: 'title', before: null, after: fields.title });
    if (fields.department !== undefined)
      changes.push({ field: 'department', before: null, after: fields.department });
  }
  if (fields.managerEmail !== undefined) {
    args.relations = withManager([], fields.managerEmail);
    changes.push({ field: 'manager', before: null, after: fields.managerEmail });
  }
  return {
    ...base,
    target: { id: null, label: account.primaryEmail, email: account.primaryEmail, adminRole: null },
    ops: [
      {
        type: 'create',
        destructive: false,
        description: `create the account ${account.primaryEmail}`,
        changes,
        args: { ...args },
      },
    ],
    notes: [],
  };
}

/**
 * The identity op: the GroWrk id recorded in `externalIds` and the fields GroWrk sets, as ONE
 * `users.patch` (`link-external-id` when only the link is missing, else `update`), or none.
 */
function identityOps(desired: EntitySnapshot, user: GoogleUser): PlannedOp[] {
  const link = !growrkIdsOf(user).includes(desired.id);
  const { changes, args } = fieldChanges(desired, user);
  if (link) {
    changes.unshift({ field: 'externalIds.growrk', before: null, after: desired.id });
    args.externalIds = withGrowrkId(user.externalIds, desired.id);
  }
  if (changes.length === 0) return [];
  const onlyLink = link && changes.length === 1;
  return [
    {
      type: onlyLink ? 'link-external-id' : 'update',
      destructive: false,
      description: onlyLink
        ? `record GroWrk id ${desired.id} on ${user.primaryEmail}`
        : `update ${changes.map((c) => c.field).join(', ')} of ${user.primaryEmail}`,
      changes,
      args: { ...args },
    },
  ];
}

function fieldChanges(
  desired: EntitySnapshot,
  user: GoogleUser,
): { changes: FieldChange[]; args: UpdateArgs } {
  const wanted = desiredFields(desired);
  const changes: FieldChange[] = [];
  const args: UpdateArgs = {};
  const org = primaryOrganization(user.organizations);
  const title = text(org?.title);
  const department = text(org?.department);
  const orgChange: { title?: string; department?: string } = {};
  if (wanted.title !== undefined && wanted.title !== title) {
    changes.push({ field: 'title', before: title ?? null, after: wanted.title });
    orgChange.title = wanted.title;
  }
  if (wanted.department !== undefined && wanted.department !== department) {
    changes.push({ field: 'department', before: department ?? null, after: wanted.department });
    orgChange.department = wanted.department;
  }
  if (Object.keys(orgChange).length > 0) args.organizations = withOrganization(user.organizations, orgChange);
  const manager = managerOf(user.relations);
  if (wanted.managerEmail !== undefined && wanted.managerEmail !== manager) {
    changes.push({ field: 'manager', before: manager ?? null, after: wanted.managerEmail });
    args.relations = withManager(user.relations, wanted.managerEmail);
  }
  return { changes, args };
}

function offboardOps(
  desired: EntitySnapshot,
  actual: GoogleActual,
  config: GoogleConfig,
  notes: string[],
): PlannedOp[] {
  const { user } = actual;
  const label = user.primaryEmail;
  if (!user.suspended) {
    const record: SuspensionRecord = { suspendedBy: SUSPENDED_BY, growrkEventId: desired.eventId };
    if (desired.ts !== null) record.growrkOffboardedAt = new Date(desired.ts).toISOString();
    const args: SuspendArgs = { record };
    const changes: FieldChange[] = [{ field: 'suspended', before: false, after: true }];
    const ou = orgUnitPathOf(config.offboardOrgUnit);
    if (ou !== '' && ou !== user.orgUnitPath) {
      args.orgUnitPath = ou;
      record.orgUnitBefore = user.orgUnitPath;
      changes.push({ field: 'orgUnitPath', before: user.orgUnitPath, after: ou });
    }
    const suspend: PlannedOp = {
      type: 'suspend',
      destructive: true,
      description: `suspend ${label}`,
      changes,
      args: { ...args },
    };
    // A new suspension starts a new playbook run: earlier progress does not count.
    return [suspend, ...playbookOps(label, null, null, config, true)];
  }
  // The account is suspended already: what is left of the playbook only removes access the
  // suspension already cut, so it is not budgeted again (a retry must not be held for approval).
  if (suspendedByUs(user)) {
    return playbookOps(label, user.record?.suspendedAt ?? null, actual.progress, config, false);
  }
  notes.push(
    `${label} was already suspended by someone else (reason ${user.suspensionReason ?? 'unknown'}); ` +
      'not claimed, so this service will never reactivate it; the offboarding playbook still runs',
  );
  return playbookOps(label, `external:${desired.eventId}`, actual.progress, config, false);
}

function playbookOps(
  label: string,
  run: PlaybookRun | null,
  progress: PlaybookProgress | null,
  config: GoogleConfig,
  destructive: boolean,
): PlannedOp[] {
  const done = new Set<PlaybookStep>(run !== null && progress?.run === run ? progress.done : []);
  return PLAYBOOK_STEPS.filter((step) => step !== 'remove-groups' || config.offboardRemoveGroups)
    .filter((step) => !done.has(step))
    .map((step) => {
      const args: StepArgs = { run };
      return {
        type: step,
        destructive,
        description: STEP_DESCRIPTIONS[step](label),
        args: { ...args },
      };
    });
}

function rehireOps(user: GoogleUser, config: GoogleConfig, notes: string[]): PlannedOp[] {
  const label = user.primaryEmail;
  if (user.suspended) {
    if (!suspendedByUs(user)) {
      notes.push(
        `${label} is suspended by someone else (reason ${user.suspensionReason ?? 'unknown'}); ` +
          'this service does not reactivate accounts it did not suspend',
      );
      return [];
    }
    const args: ReactivateArgs = {};
    const changes: FieldChange[] = [{ field: 'suspended', before: true, after: false }];
    const before = user.record?.orgUnitBefore;
    const ou = orgUnitPathOf(config.offboardOrgUnit);
    if (before && ou !== '' && user.orgUnitPath === ou) {
      args.orgUnitPath = before;
      changes.push({ field: 'orgUnitPath', before: user.orgUnitPath, after: before });
    }
    return [
      {
        type: 'reactivate',
        destructive: true,
        description: `reactivate ${label} (suspended by this service; active again in GroWrk)`,
        changes,
        args: { ...args },
      },
    ];
  }
  if (recordIsOpen(user.record)) {
    return [
      {
        type: 'close-suspension-record',
        destructive: false,
        description: `close the suspension record of ${label} (reactivated outside this service)`,
        changes: [{ field: 'suspensionRecord', before: 'open', after: 'closed' }],
        args: {},
      },
    ];
  }
  return [];
}
