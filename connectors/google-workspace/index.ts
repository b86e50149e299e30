/**
 * The Google Workspace connector: keeps Directory users in step with GroWrk employees, suspends
 * offboarded ones and runs the offboarding playbook (DESIGN section 7).
 */

import { defineConnector } from '../../src/connector/types.ts';
import { createDirectoryClient, type DirectoryClient } from './client.ts';
import type { GoogleConfig } from './config.ts';
import { keysOfEmployee, keysOfUser, parseUser } from './mapping.ts';
import { findUser, type GoogleContext, loadProgress } from './matching.ts';
import type { GoogleActual } from './model.ts';
import { CONNECTOR_ID, planEmployee } from './plan.ts';
import { applyPlan } from './playbook.ts';
import { checkConnector, initConnector } from './setup.ts';

/** Users per `users.list` page (Google's maximum). */
const PAGE_SIZE = 500;

async function* listUsers(ctx: GoogleContext): AsyncIterable<GoogleActual[]> {
  let pageToken: string | undefined;
  do {
    const page = await ctx.client.listUsers({ pageToken, maxResults: PAGE_SIZE });
    const actuals: GoogleActual[] = [];
    for (const raw of page.users) {
      const user = parseUser(raw, ctx.config.customSchema);
      if (!user) continue;
      // Progress matters only for suspended users (a playbook under way); it is local, not an API call.
      const progress = user.suspended ? await loadProgress(ctx, user.id) : null;
      actuals.push({ user, matchedBy: 'list', progress });
    }
    yield actuals;
    pageToken = page.nextPageToken;
  } while (pageToken);
}

export default defineConnector<GoogleConfig, DirectoryClient, GoogleActual>({
  id: CONNECTOR_ID,
  kinds: () => ['employee'],
  connect: ({ config, limiter }) => createDirectoryClient({ config, limiter }),
  read: (ctx, desired) => findUser(ctx, desired),
  plan: planEmployee,
  apply: applyPlan,
  list: (ctx, kind) => (kind === 'employee' ? listUsers(ctx) : (async function* () {})()),
  keysOfActual: (actual) => keysOfUser(actual.user),
  keysOfDesired: keysOfEmployee,
  check: checkConnector,
  init: initConnector,
});
