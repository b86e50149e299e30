/**
 * The HubSpot connector: employees become contacts, products become IT-asset records (a custom
 * object by default) associated with the assigned employee's contact, and orders become deals
 * when `hubspot.syncOrders` is on. See DESIGN.md section 7.
 *
 * One path for one entity and many: `read` (`read.ts`) and `apply` (`apply.ts`) use HubSpot's
 * batch endpoints, 100 inputs a call; a single entity is a batch of one.
 */

import { defineConnector } from '../../src/connector/types.ts';
import type { EntitySnapshot } from '../../src/core/projection.ts';
import type { EntityKind } from '../../src/growrk/types.ts';
import type { RateLimiter } from '../../src/sync/rate-limiter.ts';
import { applyPlans, BATCH_SIZE } from './apply.ts';
import { createHubSpotClient, type HubSpotClient, searchPolicy } from './client.ts';
import type { HubSpotConfig } from './config.ts';
import { emailOf } from './contacts.ts';
import { listEntities } from './list.ts';
import type { HubSpotActual, HubSpotOp } from './model.ts';
import { planEntity } from './plan.ts';
import { readEntities } from './read.ts';
import { checkPortal, initPortal } from './setup.ts';

const hubspot = {
  kinds(config: HubSpotConfig): readonly EntityKind[] {
    return config.syncOrders ? ['employee', 'product', 'order'] : ['employee', 'product'];
  },
  connect: ({
    config,
    limiter,
    extraLimiter,
  }: {
    config: HubSpotConfig;
    limiter: RateLimiter;
    extraLimiter: (name: string, policy: { limit: number; intervalMs: number }) => RateLimiter;
  }): HubSpotClient =>
    createHubSpotClient({
      config,
      limiter,
      searchLimiter: extraLimiter('search', searchPolicy(config)),
    }),
  batchSize: BATCH_SIZE,
  read: readEntities,
  plan: planEntity,
  apply: applyPlans,
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
};

export default defineConnector<HubSpotConfig, HubSpotClient, HubSpotActual, HubSpotOp>(hubspot);
