/** The HubSpot connector's manifest: what the core knows of it before loading its code. */
import { defineManifest } from '../../src/connector/manifest.ts';
import { budgetKey } from '../../src/sync/shared-limiter.ts';
import { hubspotConfig } from './config.ts';
import { hubspotCost } from './cost.ts';

export default defineManifest({
  id: 'hubspot',
  title: 'HubSpot',
  configKey: 'hubspot',
  config: hubspotConfig,
  reads: {
    employee: ['email', 'displayName'],
    product: ['assigned', 'employee.id', 'serialNumber'],
    order: ['status', 'employee.id'],
  },
  crossCheck: (h) =>
    h.accessToken ? [] : ['hubspot.accessToken: set HUBSPOT_ACCESS_TOKEN to enable hubspot'],
  // One budget per portal (the token names it), shared by every instance on PostgreSQL.
  rateLimit: (h) => ({
    limit: h.callsPer10s,
    intervalMs: h.rateWindow,
    key: budgetKey('hubspot', h.baseUrl, h.accessToken),
  }),
  // Two batches in flight: the portal limiter lets calls through one after the other anyway, and
  // more batches would only split the queue into smaller batches costing the same calls each.
  lane: { concurrency: 2 },
  cost: hubspotCost,
  ops: {
    'create-contact': 'create',
    'create-asset': 'create',
    'create-deal': 'create',
    'update-contact': 'update',
    'update-asset': 'update',
    'update-deal': 'update',
    'associate-contact': 'update',
    'dissociate-contact': 'remove',
  },
  load: async () => (await import('./index.ts')).default,
});
