/**
 * Finding the Google user of a GroWrk employee (`read`): the stored link, else the GroWrk id in
 * `externalIds`, else the work e-mail, else the secondary e-mail. The link is stored once found.
 */
import type { GoogleConfig } from '../../src/config/types.ts';
import type { ConnectorContext } from '../../src/connector/types.ts';
import type { EntitySnapshot } from '../../src/core/projection.ts';
import type { DirectoryClient } from './client.ts';
import { employeeEmail, employeeSecondaryEmail, growrkIdsOf, parseUser } from './mapping.ts';
import {
  type GoogleActual,
  type GoogleUser,
  isPlaybookStep,
  type MatchedBy,
  type PlaybookProgress,
  stateKeys,
} from './model.ts';

/** The connector's context. */
export type GoogleContext = ConnectorContext<GoogleConfig, DirectoryClient>;

/** Quotes a search value when it needs it (spaces or quotes). */
export function searchValue(value: string): string {
  return /[\s'"]/.test(value) ? `'${value.replace(/'/g, '')}'` : value;
}

/** Reads playbook progress from the connector state (null when none or unreadable). */
export async function loadProgress(
  ctx: GoogleContext,
  googleUserId: string,
): Promise<PlaybookProgress | null> {
  const raw = await ctx.state.get<unknown>(stateKeys.playbook(googleUserId));
  if (typeof raw !== 'object' || raw === null) return null;
  const { run, done } = raw as { run?: unknown; done?: unknown };
  if (typeof run !== 'string' || !Array.isArray(done)) return null;
  return {
    run,
    done: done.filter(
      (d): d is PlaybookProgress['done'][number] => typeof d === 'string' && isPlaybookStep(d),
    ),
  };
}

async function byLink(ctx: GoogleContext, growrkId: string): Promise<GoogleUser | null> {
  const linked = await ctx.state.get<string>(stateKeys.link(growrkId));
  if (typeof linked !== 'string' || linked === '') return null;
  const user = parseUser(await ctx.client.getUser(linked), ctx.config.customSchema);
  if (!user) await ctx.state.delete(stateKeys.link(growrkId));
  return user;
}

async function bySearch(
  ctx: GoogleContext,
  query: string,
  accept: (u: GoogleUser) => boolean,
): Promise<GoogleUser | null> {
  const found = await ctx.client.searchUsers(query);
  for (const raw of found) {
    const user = parseUser(raw, ctx.config.customSchema);
    if (user && accept(user)) return user;
  }
  return null;
}

/**
 * Finds the user for an employee, or null. Stores the link when the user carries no other
 * employee's GroWrk id (a user linked to someone else is returned for plan to report, unlinked).
 */
export async function findUser(ctx: GoogleContext, desired: EntitySnapshot): Promise<GoogleActual | null> {
  const growrkId = desired.id;
  let user: GoogleUser | null = await byLink(ctx, growrkId);
  let matchedBy: MatchedBy = 'link';
  if (!user) {
    matchedBy = 'externalId';
    user = await bySearch(ctx, `externalId:${searchValue(growrkId)}`, (u) =>
      growrkIdsOf(u).includes(growrkId),
    );
  }
  const email = employeeEmail(desired);
  if (!user && email) {
    matchedBy = 'email';
    user = await bySearch(
      ctx,
      `email:${searchValue(email)}`,
      (u) => u.primaryEmail === email || u.aliases.includes(email),
    );
  }
  const secondary = employeeSecondaryEmail(desired);
  if (!user && secondary) {
    matchedBy = 'secondaryEmail';
    user = await bySearch(
      ctx,
      `email:${searchValue(secondary)}`,
      (u) => u.primaryEmail === secondary || u.aliases.includes(secondary),
    );
  }
  if (!user) return null;
  const ids = growrkIdsOf(user);
  if (matchedBy !== 'link' && (ids.length === 0 || ids.includes(growrkId))) {
    await ctx.state.set(stateKeys.link(growrkId), user.id);
  }
  return { user, matchedBy, progress: await loadProgress(ctx, user.id) };
}
