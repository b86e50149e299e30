/**
 * The links kept in connector state between employees and their contacts: employee id -> contact
 * id, and back (to tell our contacts from others among an asset's associations). The first time
 * a contact is found by e-mail (`read.ts`); after that by the link or by the GroWrk id property.
 */

import type { ConnectorContext } from '../../src/connector/types.ts';
import type { HubSpotClient } from './client.ts';
import type { HubSpotConfig } from './config.ts';
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

/** The e-mail of an employee snapshot's data, if any. */
export function emailOf(data: Readonly<Record<string, unknown>> | undefined): string | null {
  const email = data?.email;
  return typeof email === 'string' && email.trim() !== '' ? email.trim().toLowerCase() : null;
}
