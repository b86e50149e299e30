/**
 * The Snipe-IT connector: GroWrk products become hardware assets (matched by serial, then asset
 * tag), checked out to the assigned employee's Snipe-IT user and checked in when unassigned; an
 * offboarded employee's outstanding assets are reported as returns, never checked in by us.
 */
import { applyEach, readEach } from '../../src/connector/each.ts';
import { defineConnector } from '../../src/connector/types.ts';
import type { EntitySnapshot } from '../../src/core/projection.ts';
import { applyPlan } from './apply.ts';
import { createSnipeItClient, type SnipeItClient } from './client.ts';
import type { SnipeItConfig } from './config.ts';
import { employeeEmail, productKeys } from './mapping.ts';
import type { SnipeActual, SnipeOp } from './model.ts';
import { planEntity } from './plan.ts';
import { keysOfActual, listEntities, readEntity } from './read.ts';
import { checkSnipeIt, initSnipeIt } from './setup.ts';

function keysOfDesired(desired: EntitySnapshot): string[] {
  if (desired.kind === 'product') return productKeys(desired);
  const email = desired.kind === 'employee' ? employeeEmail(desired) : null;
  return email ? [`email:${email}`] : [];
}

export default defineConnector<SnipeItConfig, SnipeItClient, SnipeActual, SnipeOp>({
  kinds: () => ['product', 'employee'],
  // Snipe-IT has no batch endpoints: one entity read and one plan applied at a time.
  batchSize: 1,
  connect: ({ config, limiter }) => createSnipeItClient({ config, limiter }),
  read: readEach(readEntity),
  plan: planEntity,
  apply: applyEach(applyPlan),
  list: listEntities,
  keysOfActual,
  keysOfDesired,
  check: checkSnipeIt,
  init: initSnipeIt,
});
