/**
 * The HubSpot connector: employees become contacts, products become IT-asset records (a custom
 * object by default) associated with the assigned employee's contact, and orders become deals
 * when `hubspot.syncOrders` is on. See DESIGN.md section 7.
 *
 * Besides the standard definition, it offers the optional bulk pair the worker and reconciliation
 * use: `readMany` (batch reads, see `read-many.ts`) and `applyMany` (batch writes, see `bulk.ts`).
 */

import { defineConnector } from '../../src/connector/types.ts';
import type { EntitySnapshot } from '../../src/core/projection.ts';
import type { EntityKind } from '../../src/growrk/types.ts';
import type { RateLimiter } from '../../src/sync/rate-limiter.ts';
import { applyPlan } from './apply.ts';
import { applyMany } from './bulk.ts';
import { createHubSpotClient, type HubSpotClient } from './client.ts';
import type { HubSpotConfig } from './config.ts';
import { emailOf } from './contacts.ts';
import type { HubSpotActual, HubSpotOp } from './model.ts';
import { CONNECTOR_ID, planEntity } from './plan.ts';
import { listEntities, readEntity } from './read.ts';
import { readMany } from './read-many.ts';
import { checkPortal, initPortal } from './setup.ts';

export type { BulkOutcome } from './bulk.ts';
export { applyMany } from './bulk.ts';

const hubspot = {
  id: CONNECTOR_ID,
  kinds(config: HubSpotConfig): readonly EntityKind[] {
    return config.syncOrders ? ['employee', 'product', 'order'] : ['employee', 'product'];
  },
  connect: ({ config, limiter }: { config: HubSpotConfig; limiter: RateLimiter }): HubSpotClient =>
    createHubSpotClient({ config, limiter }),
  read: readEntity,
  readMany,
  plan: planEntity,
  apply: applyPlan,
  list: listEntities,
  keysOfActual(actual: HubSpotActual): string[] {
    const keys = [`hs:${actual.record.id}`];
    if (actual.growrkId) keys.unshift(`ext:${actual.growrkId}`);
    const email = actual.kind === 'employee' ? emailOf(actual.record.properties) : null;
    if (email) keys.push(`email:${email}`);
    return keys;
  },
  keysOfDesired(desired: EntitySnapshot): string[] {
    const keys = [`ext:${desired.id}`];
    const email = desired.kind === 'employee' ? emailOf(desired.data) : null;
    if (email) keys.push(`email:${email}`);
    return keys;
  },
  check: checkPortal,
  init: initPortal,
  /** Batch apply (worker batches and reconciliation); see {@link applyMany}. */
  applyMany,
};

export default defineConnector<HubSpotConfig, HubSpotClient, HubSpotActual, HubSpotOp>(hubspot);
