/** The HubSpot connector's manifest: what the core knows of it before loading its code. */
import { defineManifest } from '../../src/connector/manifest.ts';
import { hubspotConfig } from './config.ts';
import { hubspotCost } from './cost.ts';

export default defineManifest({
  id: 'hubspot',
  title: 'HubSpot',
  configKey: 'hubspot',
  config: hubspotConfig,
  crossCheck: (h) =>
    h.accessToken ? [] : ['hubspot.accessToken: set HUBSPOT_ACCESS_TOKEN to enable hubspot'],
  rateLimit: (h) => ({ limit: h.callsPer10s, intervalMs: 10_000 }),
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
