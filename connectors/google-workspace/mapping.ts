/**
 * Pure functions between the projection (a GroWrk employee) and the Directory API's shapes.
 * Nothing here calls anything; everything is unit-tested on the GroWrk fixtures.
 */
import type { EntitySnapshot } from '../../src/core/projection.ts';
import {
  type DirectoryEntry,
  type GoogleUser,
  GROWRK_EXTERNAL_ID,
  RECORD_FIELDS,
  SUSPENDED_BY,
  type SuspensionRecord,
} from './model.ts';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A non-empty trimmed string, or undefined. */
export function text(value: unknown): string | undefined {
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

function entries(value: unknown): DirectoryEntry[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

// ---- the employee (desired) -----------------------------------------------------------------

/** Where an employee stands, as far as their account is concerned. */
export type EmployeeState = 'offboarded' | 'active' | 'other';

/**
 * `offboarded` when GroWrk says so (status or the event type), `active` only on an explicit
 * `status: active`; anything else (missing, pending, a reference-only snapshot) is `other`.
 */
export function employeeState(desired: EntitySnapshot): EmployeeState {
  const status = text(desired.data.status)?.toLowerCase();
  if (status === 'offboarded' || desired.eventType === 'employee.offboarded') return 'offboarded';
  return status === 'active' ? 'active' : 'other';
}

/** The work e-mail, lower-cased. */
export function employeeEmail(desired: EntitySnapshot): string | undefined {
  return text(desired.data.email)?.toLowerCase();
}

/** The secondary e-mail, lower-cased, when it differs from the work e-mail. */
export function employeeSecondaryEmail(desired: EntitySnapshot): string | undefined {
  const secondary = text(desired.data.secondaryEmail)?.toLowerCase();
  return secondary && secondary !== employeeEmail(desired) ? secondary : undefined;
}

/** The directory fields GroWrk sets; undefined means "GroWrk says nothing": leave it as it is. */
export interface DesiredFields {
  title: string | undefined;
  department: string | undefined;
  managerEmail: string | undefined;
}

/** Job title, department and the manager's e-mail of an employee. */
export function desiredFields(desired: EntitySnapshot): DesiredFields {
  const manager = desired.data.manager;
  return {
    title: text(desired.data.jobTitle),
    department: text(desired.data.department),
    managerEmail: isRecord(manager) ? text(manager.email)?.toLowerCase() : undefined,
  };
}

/** Lookup keys of an employee, most specific first: `ext:<growrk id>`, then e-mails. */
export function keysOfEmployee(desired: EntitySnapshot): string[] {
  const keys = [`ext:${desired.id}`];
  const email = employeeEmail(desired);
  if (email) keys.push(`email:${email}`);
  const secondary = employeeSecondaryEmail(desired);
  if (secondary) keys.push(`email:${secondary}`);
  return keys;
}

// ---- the user (actual) ----------------------------------------------------------------------

/** Reads the suspension record from a user's `customSchemas`; null when there is none. */
export function parseRecord(customSchemas: unknown, schemaName: string): SuspensionRecord | null {
  if (!isRecord(customSchemas)) return null;
  const values = customSchemas[schemaName];
  if (!isRecord(values)) return null;
  const record: SuspensionRecord = {};
  let found = false;
  for (const { fieldName } of RECORD_FIELDS) {
    const value = text(values[fieldName]);
    if (value !== undefined) {
      record[fieldName] = value;
      found = true;
    }
  }
  return found ? record : null;
}

/** Narrows a user as the Directory API returned it; null when it has no id or e-mail. */
export function parseUser(raw: unknown, schemaName: string): GoogleUser | null {
  if (!isRecord(raw)) return null;
  const id = text(raw.id);
  const primaryEmail = text(raw.primaryEmail)?.toLowerCase();
  if (!id || !primaryEmail) return null;
  const suspended = raw.suspended === true;
  return {
    id,
    primaryEmail,
    aliases: Array.isArray(raw.aliases)
      ? raw.aliases.filter((a): a is string => typeof a === 'string').map((a) => a.toLowerCase())
      : [],
    suspended,
    suspensionReason: suspended ? text(raw.suspensionReason) : undefined,
    isAdmin: raw.isAdmin === true,
    isDelegatedAdmin: raw.isDelegatedAdmin === true,
    orgUnitPath: text(raw.orgUnitPath) ?? '/',
    externalIds: entries(raw.externalIds),
    organizations: entries(raw.organizations),
    relations: entries(raw.relations),
    record: parseRecord(raw.customSchemas, schemaName),
  };
}

function isGrowrkId(entry: DirectoryEntry): boolean {
  return entry.type === GROWRK_EXTERNAL_ID.type && entry.customType === GROWRK_EXTERNAL_ID.customType;
}

/** The GroWrk ids a user carries in `externalIds`. */
export function growrkIdsOf(user: GoogleUser): string[] {
  return user.externalIds.filter(isGrowrkId).flatMap((e) => {
    const value = text(e.value);
    return value === undefined ? [] : [value];
  });
}

/** `externalIds` with exactly one GroWrk entry, `growrkId`; other entries kept as they are. */
export function withGrowrkId(externalIds: DirectoryEntry[], growrkId: string): DirectoryEntry[] {
  return [...externalIds.filter((e) => !isGrowrkId(e)), { ...GROWRK_EXTERNAL_ID, value: growrkId }];
}

/** The primary organisation entry (or the first), where title and department live. */
export function primaryOrganization(organizations: DirectoryEntry[]): DirectoryEntry | undefined {
  return organizations.find((o) => o.primary === true) ?? organizations[0];
}

/** `organizations` with title and department set on the primary entry (created when missing). */
export function withOrganization(
  organizations: DirectoryEntry[],
  set: { title?: string | undefined; department?: string | undefined },
): DirectoryEntry[] {
  const values: DirectoryEntry = {};
  if (set.title !== undefined) values.title = set.title;
  if (set.department !== undefined) values.department = set.department;
  const primary = primaryOrganization(organizations);
  if (!primary) return [{ type: 'work', primary: true, ...values }];
  return organizations.map((o) => (o === primary ? { ...o, ...values, primary: true } : o));
}

/** The manager's e-mail from `relations`, lower-cased. */
export function managerOf(relations: DirectoryEntry[]): string | undefined {
  return text(relations.find((r) => r.type === 'manager')?.value)?.toLowerCase();
}

/** `relations` with one manager relation, `email`; other relations kept. */
export function withManager(relations: DirectoryEntry[], email: string): DirectoryEntry[] {
  return [...relations.filter((r) => r.type !== 'manager'), { type: 'manager', value: email }];
}

/**
 * True when the record says this service suspended the user and has not reactivated them since.
 * A reactivation stamps `reactivatedAt` rather than erasing the record, so its history stays.
 */
export function recordIsOpen(record: SuspensionRecord | null): boolean {
  if (!record || record.suspendedBy !== SUSPENDED_BY || !record.suspendedAt) return false;
  return record.reactivatedAt === undefined || record.reactivatedAt < record.suspendedAt;
}

/**
 * True when the user is suspended and the suspension is ours: our open record, and Google's
 * reason is an administrator's (`ADMIN`, which is how API suspensions show). A suspension Google
 * made itself (e.g. `ABUSE`) is never ours, whatever the record says.
 */
export function suspendedByUs(user: GoogleUser): boolean {
  if (!user.suspended || !recordIsOpen(user.record)) return false;
  return user.suspensionReason === undefined || user.suspensionReason === 'ADMIN';
}

/** An organisational unit path as Google writes it (`/A/B`); '' stays '' (no unit configured). */
export function orgUnitPathOf(value: string): string {
  const trimmed = value.trim().replace(/\/+$/, '');
  if (trimmed === '') return value.trim() === '' ? '' : '/';
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

/** How the guardrails see the user's administrator status. */
export function adminRoleOf(user: GoogleUser): 'super' | 'delegated' | null {
  if (user.isAdmin) return 'super';
  return user.isDelegatedAdmin ? 'delegated' : null;
}

/** Lookup keys of a listed user: its GroWrk ids, its primary e-mail and aliases. */
export function keysOfUser(user: GoogleUser): string[] {
  return [
    ...growrkIdsOf(user).map((id) => `ext:${id}`),
    `email:${user.primaryEmail}`,
    ...user.aliases.map((a) => `email:${a}`),
  ];
}

// ---- new accounts ---------------------------------------------------------------------------

/** What a created account looks like (the password is made at apply time, never planned). */
export interface NewAccount {
  primaryEmail: string;
  givenName: string;
  familyName: string;
}

/**
 * The account to create for an employee: the GroWrk e-mail, or its local part at `accountDomain`
 * when that is set and the e-mail is elsewhere. Null without a usable e-mail.
 */
export function newAccountFor(desired: EntitySnapshot, accountDomain: string): NewAccount | null {
  const email = employeeEmail(desired);
  if (!email?.includes('@')) return null;
  const [local = '', domain = ''] = email.split('@');
  const wanted = accountDomain.trim().toLowerCase();
  const primaryEmail = wanted && domain !== wanted ? `${local}@${wanted}` : email;
  const words = (text(desired.data.displayName) ?? local).split(/\s+/);
  const givenName = words[0] ?? local;
  const familyName = words.slice(1).join(' ') || givenName;
  return { primaryEmail, givenName, familyName };
}
