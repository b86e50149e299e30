/**
 * Finding an employee's contact, and the links kept in connector state: employee id -> contact
 * id, and back (to tell our contacts from others among an asset's associations). The first time
 * a contact is found by e-mail; after that by the link or by the unique GroWrk id property.
 */

import type { ConnectorContext } from '../../src/connector/types.ts';
import { SyncError } from '../../src/errors.ts';
import type { HubSpotClient } from './client.ts';
import type { HubSpotConfig } from './config.ts';
import { contactValues } from './mapping.ts';
import type { FoundBy, HubSpotRecord } from './model.ts';
import { stateKeys } from './model.ts';

/** The context the connector's functions get. */
export type HubSpotContext = ConnectorContext<HubSpotConfig, HubSpotClient>;

/** The contacts object type path. */
export const CONTACTS = 'contacts';

/** Stores employee -> contact (and back), writing only what changed. */
export async function rememberContact(
  ctx: HubSpotContext,
  employeeId: string,
  contactId: string,
): Promise<void> {
  const current = await ctx.state.get<string>(stateKeys.contactOf(employeeId));
  if (current === contactId) return;
  if (current) await ctx.state.delete(stateKeys.employeeOf(current));
  await ctx.state.set(stateKeys.contactOf(employeeId), contactId);
  await ctx.state.set(stateKeys.employeeOf(contactId), employeeId);
}

/** Drops a link that points at a contact HubSpot no longer has. */
export async function forgetContact(
  ctx: HubSpotContext,
  employeeId: string,
  contactId: string,
): Promise<void> {
  await ctx.state.delete(stateKeys.contactOf(employeeId));
  await ctx.state.delete(stateKeys.employeeOf(contactId));
}

/** Which of the given contacts are GroWrk employees' (contact id -> employee id), from state. */
export async function managedContacts(
  ctx: HubSpotContext,
  contactIds: readonly string[],
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const id of contactIds) {
    const employeeId = await ctx.state.get<string>(stateKeys.employeeOf(id));
    if (employeeId) out[id] = employeeId;
  }
  return out;
}

/**
 * Finds an employee's contact: by the stored link, then by the GroWrk id property, then by e-mail.
 * At most three calls (one when linked). Stores the link when found another way.
 */
export async function findContact(
  ctx: HubSpotContext,
  employeeId: string,
  email: string | null,
  properties: readonly string[],
): Promise<{ record: HubSpotRecord; foundBy: FoundBy } | null> {
  const { client, config } = ctx;
  const linked = await ctx.state.get<string>(stateKeys.contactOf(employeeId));
  if (linked) {
    const record = await client.getObject(CONTACTS, linked, { properties });
    if (record) {
      // A merged contact answers under its surviving id.
      if (record.id !== linked) await rememberContact(ctx, employeeId, record.id);
      return { record, foundBy: 'link' };
    }
    await forgetContact(ctx, employeeId, linked);
  }
  const byId = await client.getObject(CONTACTS, employeeId, { idProperty: config.idProperty, properties });
  if (byId) {
    await rememberContact(ctx, employeeId, byId.id);
    return { record: byId, foundBy: 'idProperty' };
  }
  if (email) {
    const byEmail = await client.getObject(CONTACTS, email, { idProperty: 'email', properties });
    if (byEmail) {
      const owner = byEmail.properties[config.idProperty];
      // Only link a contact that is not another employee's.
      if (!owner || owner === employeeId) await rememberContact(ctx, employeeId, byEmail.id);
      return { record: byEmail, foundBy: 'email' };
    }
  }
  return null;
}

/** The e-mail of an employee snapshot's data, if any. */
export function emailOf(data: Readonly<Record<string, unknown>> | undefined): string | null {
  const email = data?.email;
  return typeof email === 'string' && email.trim() !== '' ? email.trim().toLowerCase() : null;
}

/** The id of an employee's contact, or null when HubSpot has none (zero calls when linked). */
export async function findContactId(ctx: HubSpotContext, employeeId: string): Promise<string | null> {
  const linked = await ctx.state.get<string>(stateKeys.contactOf(employeeId));
  if (linked) return linked;
  const snapshot = await ctx.entity('employee', employeeId);
  const found = await findContact(ctx, employeeId, emailOf(snapshot?.data), [ctx.config.idProperty]);
  if (!found) return null;
  const owner = found.record.properties[ctx.config.idProperty];
  return !owner || owner === employeeId ? found.record.id : null;
}

/**
 * The id of an employee's contact, created (upserted by the GroWrk id, from the employee's
 * snapshot) when there is none. `lookedUp` skips the lookups when the caller just did them.
 */
export async function ensureContact(
  ctx: HubSpotContext,
  employeeId: string,
  lookedUp = false,
): Promise<string> {
  if (!lookedUp) {
    const existing = await findContactId(ctx, employeeId);
    if (existing) return existing;
  }
  const snapshot = await ctx.entity('employee', employeeId);
  const properties = snapshot ? contactValues(snapshot, ctx.config) : { [ctx.config.idProperty]: employeeId };
  const result = await ctx.client.batchUpsert(CONTACTS, ctx.config.idProperty, [
    { idValue: employeeId, properties },
  ]);
  const written = result.results[0];
  if (!written) throw batchError(result.errors[0], `the contact of employee ${employeeId}`);
  await rememberContact(ctx, employeeId, written.id);
  return written.id;
}

/** The error a refused batch input becomes (a conflict is retried: the next read finds the record). */
export function batchError(
  error: { message: string; category: string } | undefined,
  what: string,
): SyncError {
  const message = `HubSpot refused ${what}: ${error?.message ?? 'no result'}`;
  return error?.category === 'CONFLICT' || /conflict|already exists/i.test(error?.message ?? '')
    ? new SyncError('VENDOR_CONFLICT', message)
    : new SyncError('VENDOR_REJECTED', message);
}
