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

import {
  emptyPlan,
  type FieldChange,
  type Plan,
  type PlanInput,
  type TargetRef,
} from '../../src/connector/types.ts';
import type { EntitySnapshot } from '../../src/core/projection.ts';
import { decideClosing } from './closing.ts';
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
  type ClosingArgs,
  type CreateArgs,
  type GoogleActual,
  type GoogleOp,
  type GoogleUser,
  type IdentityOp,
  PLAYBOOK_STEPS,
  type PlaybookProgress,
  type PlaybookRun,
  type PlaybookStep,
  type ReactivateArgs,
  SUSPENDED_BY,
  type SuspendArgs,
  type SuspendOp,
  type SuspensionRecord,
  type UpdateArgs,
} from './model.ts';

/** A plan of this connector. */
export type GooglePlan = Plan<GoogleOp>;

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
  handover: (l) => `transfer the Drive and Calendar of ${l}`,
  'wipe-devices': (l) => `remove the work account of ${l} from their mobile devices`,
};

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
export function planEmployee(input: PlanInput<GoogleConfig, GoogleActual>): GooglePlan {
  const { desired, actual, config } = input;
  // Products are followed (their events re-check an employee's closing), never planned themselves.
  if (desired.kind !== 'employee') return emptyPlan(CONNECTOR_ID, desired);
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
    const recheck = graceRecheck(desired, actual, config, lifecycle);
    const [first, ...rest] = lifecycle;
    // A suspension carries the identity changes in its own patch: one users.patch, not three.
    if (first?.type === 'suspend')
      return { ...base, target, ops: [withIdentity(first, identity), ...rest], notes };
    return { ...base, target, ops: [...lifecycle, ...identity], notes, ...recheck };
  }
  const lifecycle = state === 'active' ? rehireOps(user, config, notes) : [];
  return { ...base, target, ops: [...identity, ...lifecycle], notes };
}

/** While the closing waits for the grace period: look again when it runs out. */
function graceRecheck(
  desired: EntitySnapshot,
  actual: GoogleActual,
  config: GoogleConfig,
  lifecycle: readonly GoogleOp[],
): { recheckAfterMs?: number } {
  if (!config.closing || config.closingGrace <= 0 || lifecycle.some((op) => op.type === 'close-offboarding'))
    return {};
  const suspendedAt = actual.offboarding?.timeline.suspendedAt ?? actual.user.record?.suspendedAt;
  if (!suspendedAt || actual.offboarding?.status === 'closed') return {};
  const decision = decideClosing({
    products: actual.products ?? [],
    employeeId: desired.id,
    config,
    suspendedAt: Date.parse(suspendedAt),
    now: actual.readAt ?? 0,
  });
  return decision.kind === 'blocked' && decision.recheckAfterMs !== undefined
    ? { recheckAfterMs: decision.recheckAfterMs }
    : {};
}

/** The suspension op with the identity op's changes and arrays folded into the same patch. */
function withIdentity(suspend: SuspendOp, identity: readonly IdentityOp[]): SuspendOp {
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
  base: Pick<GooglePlan, 'connector' | 'kind' | 'entityId'>,
): GooglePlan {
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
        args,
      },
    ],
    notes: [],
  };
}

/**
 * The identity op: the GroWrk id recorded in `externalIds` and the fields GroWrk sets, as ONE
 * `users.patch` (`link-external-id` when only the link is missing, else `update`), or none.
 */
function identityOps(desired: EntitySnapshot, user: GoogleUser): IdentityOp[] {
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
      args,
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
): GoogleOp[] {
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
    const suspend: SuspendOp = {
      type: 'suspend',
      destructive: true,
      description: `suspend ${label}`,
      changes,
      args,
    };
    // A new suspension starts a new playbook run: earlier progress does not count.
    return [suspend, ...playbookOps(desired, label, null, null, config, true)];
  }
  // The account is suspended already: what is left of the playbook only removes access the
  // suspension already cut, so it is not budgeted again (a retry must not be held for approval).
  let run: PlaybookRun;
  if (suspendedByUs(user)) run = user.record?.suspendedAt ?? '';
  else {
    notes.push(
      `${label} was already suspended by someone else (reason ${user.suspensionReason ?? 'unknown'}); ` +
        'not claimed, so this service will never reactivate it; the offboarding playbook still runs',
    );
    run = externalRun(desired, actual);
  }
  const steps = playbookOps(desired, label, run, actual.progress, config, false);
  if (steps.length > 0 || !config.closing) return steps;
  return closingOps(desired, actual, config, run, notes);
}

/**
 * The run of a suspension someone else made: the one our progress already follows (so a later
 * event about the same person does not restart the playbook), else one named after this event.
 */
function externalRun(desired: EntitySnapshot, actual: GoogleActual): PlaybookRun {
  const current = actual.progress?.run;
  return current?.startsWith('external:') ? current : `external:${desired.eventId}`;
}

/**
 * Once the playbook is done: the closing, gated on equipment (`closing.ts`). Closes at most once
 * per run; while blocked, records what blocks it when that changed (no vendor call).
 */
function closingOps(
  desired: EntitySnapshot,
  actual: GoogleActual,
  config: GoogleConfig,
  run: PlaybookRun,
  notes: string[],
): GoogleOp[] {
  const record = actual.offboarding ?? null;
  const sameRun = record !== null && record.timeline.run === run;
  if (sameRun && record.status !== 'open') return [];
  const suspendedAt = record?.timeline.suspendedAt ?? actual.user.record?.suspendedAt;
  const decision = decideClosing({
    products: actual.products ?? [],
    employeeId: desired.id,
    config,
    suspendedAt: suspendedAt ? Date.parse(suspendedAt) : null,
    now: actual.readAt ?? 0,
  });
  const label = actual.user.primaryEmail;
  if (decision.kind === 'close') {
    const args: ClosingArgs = { run, reason: decision.reason, equipment: decision.equipment };
    return [
      {
        type: 'close-offboarding',
        destructive: false,
        description: `close the offboarding of ${label}: ${closingDescription(config)} (${decision.reason})`,
        args,
      },
    ];
  }
  notes.push(`offboarding of ${label} stays open: ${decision.blockedBy}`);
  const unchanged =
    sameRun &&
    record.timeline.blockedBy === decision.blockedBy &&
    JSON.stringify(record.timeline.equipment) === JSON.stringify(decision.equipment);
  if (unchanged) return [];
  const args: ClosingArgs = { run, reason: decision.blockedBy, equipment: decision.equipment };
  return [
    {
      type: 'record-equipment',
      destructive: false,
      description: `record why the offboarding of ${label} stays open`,
      args,
    },
  ];
}

function closingDescription(config: GoogleConfig): string {
  const parts: string[] = [];
  if (config.licenceProductId)
    parts.push(
      config.licenceArchiveSkuId ? `switch to SKU ${config.licenceArchiveSkuId}` : 'release the licence',
    );
  if (config.closingOrgUnit) parts.push(`move to ${orgUnitPathOf(config.closingOrgUnit)}`);
  return parts.join(', ') || 'record it';
}

function playbookOps(
  desired: EntitySnapshot,
  label: string,
  run: PlaybookRun | null,
  progress: PlaybookProgress | null,
  config: GoogleConfig,
  destructive: boolean,
): GoogleOp[] {
  const done = new Set<PlaybookStep>(run !== null && progress?.run === run ? progress.done : []);
  const recipient = handoverRecipient(desired, config);
  return enabledSteps(config, recipient !== null)
    .filter((step) => !done.has(step))
    .flatMap((step): GoogleOp[] => {
      const description = STEP_DESCRIPTIONS[step](label);
      // Handing data over cuts no access the suspension left.
      if (step === 'handover')
        return recipient
          ? [{ type: step, destructive: false, description, args: { run, ...recipient } }]
          : [];
      return [{ type: step, destructive, description, args: { run } }];
    });
}

/** The playbook steps `config` turns on (the handover only with someone to hand over to). */
function enabledSteps(config: GoogleConfig, hasRecipient: boolean): PlaybookStep[] {
  return PLAYBOOK_STEPS.filter((step) => {
    if (step === 'remove-groups') return config.offboardRemoveGroups;
    if (step === 'handover') return config.handover && hasRecipient;
    if (step === 'wipe-devices') return config.wipeDevices;
    return true;
  });
}

/** Who receives the person's data: their manager (projection), else the configured fallback. */
export function handoverRecipient(
  desired: EntitySnapshot,
  config: GoogleConfig,
): { to: string; source: 'manager' | 'fallback' } | null {
  const manager = desiredFields(desired).managerEmail;
  if (manager) return { to: manager, source: 'manager' };
  const fallback = config.handoverFallback.trim().toLowerCase();
  return fallback ? { to: fallback, source: 'fallback' } : null;
}

function rehireOps(user: GoogleUser, config: GoogleConfig, notes: string[]): GoogleOp[] {
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
        args,
        ...(config.rehireApproval
          ? { requiresApproval: `rehire: reactivating ${label} needs approval (GOOGLE_REHIRE_APPROVAL)` }
          : {}),
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
