/**
 * Finding the Google user of a GroWrk employee (`read`): the stored link, else the GroWrk id in
 * `externalIds`, else the work e-mail, else the secondary e-mail. The link is stored once found.
 */

import type { ConnectorContext } from '../../src/connector/types.ts';
import type { EntitySnapshot } from '../../src/core/projection.ts';
import type { DirectoryClient } from './client.ts';
import type { GoogleConfig } from './config.ts';
import { employeeEmail, employeeSecondaryEmail, growrkIdsOf, parseUser } from './mapping.ts';
import {
  FRESH_READ_MS,
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
  const { run, done, fresh } = raw as { run?: unknown; done?: unknown; fresh?: unknown };
  if (typeof run !== 'string' || !Array.isArray(done)) return null;
  const progress: PlaybookProgress = {
    run,
    done: done.filter(
      (d): d is PlaybookProgress['done'][number] => typeof d === 'string' && isPlaybookStep(d),
    ),
  };
  if (typeof fresh === 'object' && fresh !== null) {
    const { at, user } = fresh as { at?: unknown; user?: unknown };
    if (typeof at === 'number') progress.fresh = { at, user };
  }
  return progress;
}

/**
 * The user as our suspension patch returned it, when that was less than {@link FRESH_READ_MS}
 * ago and no step has run since: the playbook job that follows the suspension needs no
 * `users.get` of its own (one Directory call fewer per offboarding).
 */
async function freshUser(ctx: GoogleContext, userId: string): Promise<GoogleUser | null> {
  const fresh = (await loadProgress(ctx, userId))?.fresh;
  if (!fresh) return null;
  const age = ctx.now() - fresh.at;
  if (age < 0 || age > FRESH_READ_MS) return null;
  const user = parseUser(fresh.user, ctx.config.customSchema);
  return user?.id === userId ? user : null;
}

async function byLink(ctx: GoogleContext, growrkId: string): Promise<GoogleUser | null> {
  const linked = await ctx.state.get<string>(stateKeys.link(growrkId));
  if (typeof linked !== 'string' || linked === '') return null;
  const fresh = await freshUser(ctx, linked);
  if (fresh) return fresh;
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
  // The link's write and the local reads go at once (the write's commit is the slow part); the
  // read answers once all of them have.
  const [, progress, offboarding] = await Promise.all([
    matchedBy !== 'link' && (ids.length === 0 || ids.includes(growrkId))
      ? ctx.state.set(stateKeys.link(growrkId), user.id)
      : undefined,
    loadProgress(ctx, user.id),
    offboardingOf(ctx, growrkId, user),
  ]);
  return { user, matchedBy, progress, ...offboarding };
}

/**
 * What the closing needs besides the user (local reads only, no vendor call): the employee's
 * newest offboarding timeline and, with closing on, the products GroWrk assigned to them. Only
 * for suspended users: nobody else has an offboarding under way.
 */
export async function offboardingOf(
  ctx: GoogleContext,
  employeeId: string,
  user: GoogleUser,
): Promise<Pick<GoogleActual, 'offboarding' | 'products' | 'readAt'>> {
  if (!user.suspended) return {};
  const offboarding = await ctx.offboardings.latest(employeeId);
  const products = ctx.config.closing ? await ctx.productsOf(employeeId) : [];
  return { offboarding, products, readAt: ctx.now() };
}
