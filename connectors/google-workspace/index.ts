/**
 * The Google Workspace connector: keeps Directory users in step with GroWrk employees, suspends
 * offboarded ones and runs the offboarding playbook (DESIGN section 7).
 */

import { applyEach, readEach } from '../../src/connector/each.ts';
import { defineConnector, type ListPosition } from '../../src/connector/types.ts';
import type { EntitySnapshot } from '../../src/core/projection.ts';
import type { EntityKind } from '../../src/growrk/types.ts';
import { createDirectoryClient, type DirectoryClient } from './client.ts';
import type { GoogleConfig } from './config.ts';
import { growrkIdsOf, keysOfEmployee, keysOfUser, parseUser, text } from './mapping.ts';
import { findUser, type GoogleContext, loadProgress, offboardingOf } from './matching.ts';
import type { GoogleActual, GoogleOp } from './model.ts';
import { planEmployee } from './plan.ts';
import { applyPlan } from './playbook.ts';
import { checkConnector, initConnector } from './setup.ts';

/** Users per `users.list` page (Google's maximum). */
const PAGE_SIZE = 500;

async function* listUsers(ctx: GoogleContext, position?: ListPosition): AsyncIterable<GoogleActual[]> {
  let pageToken: string | undefined = position?.after ?? undefined;
  do {
    const page = await ctx.client.listUsers({ pageToken, maxResults: PAGE_SIZE });
    const actuals: GoogleActual[] = [];
    for (const raw of page.users) {
      const user = parseUser(raw, ctx.config.customSchema);
      if (!user) continue;
      // Progress matters only for suspended users (a playbook under way); it is local, not an API call.
      const progress = user.suspended ? await loadProgress(ctx, user.id) : null;
      const employeeId = growrkIdsOf(user)[0];
      const extra = employeeId ? await offboardingOf(ctx, employeeId, user) : {};
      actuals.push({ user, matchedBy: 'list', progress, ...extra });
    }
    pageToken = page.nextPageToken;
    if (position) position.next = pageToken ?? null;
    yield actuals;
  } while (pageToken);
}

/** Connector-state key of the employee a product was last seen assigned to. */
const ownerKey = (productId: string): string => `owner:${productId}`;

/**
 * A product event re-checks the closing of the employee it is assigned to, and of the one it was
 * assigned to before (a product reassigned or unassigned is back for them): their employee jobs
 * are queued when their offboarding is open. Costs no vendor call.
 */
async function employeesOfProduct(
  ctx: GoogleContext,
  product: EntitySnapshot,
): Promise<Array<{ kind: EntityKind; id: string }>> {
  const employee = product.data.employee as { id?: unknown } | null | undefined;
  const current = employee ? (text(employee.id) ?? null) : null;
  const previous = await ctx.state.get<string>(ownerKey(product.id));
  if (current !== previous) await ctx.state.set(ownerKey(product.id), current);
  const related: Array<{ kind: EntityKind; id: string }> = [];
  for (const id of new Set([current, previous])) {
    if (!id) continue;
    const offboarding = await ctx.offboardings.latest(id);
    if (offboarding?.status === 'open') related.push({ kind: 'employee', id });
  }
  return related;
}

export default defineConnector<GoogleConfig, DirectoryClient, GoogleActual, GoogleOp>({
  kinds: (config) => (config.closing ? ['employee', 'product'] : ['employee']),
  relatedEntities: (ctx, desired) =>
    desired.kind === 'product' ? employeesOfProduct(ctx, desired) : Promise.resolve(null),
  // The Directory API has no batch endpoints: one user read and one plan applied at a time.
  batchSize: 1,
  connect: ({ config, limiter }) => createDirectoryClient({ config, limiter }),
  read: readEach(findUser),
  plan: planEmployee,
  apply: applyEach(applyPlan),
  list: (ctx, kind, position) => (kind === 'employee' ? listUsers(ctx, position) : (async function* () {})()),
  keysOfActual: (actual) => keysOfUser(actual.user),
  keysOfDesired: keysOfEmployee,
  check: checkConnector,
  init: initConnector,
});
