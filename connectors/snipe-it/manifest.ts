/** The Snipe-IT connector's manifest: what the core knows of it before loading its code. */
import { defineManifest, type OpEffect } from '../../src/connector/manifest.ts';
import { budgetKey } from '../../src/sync/shared-limiter.ts';
import { snipeItConfig } from './config.ts';
import { snipeItCost } from './cost.ts';
import type { SnipeOpType } from './model.ts';

const ops: Record<SnipeOpType, OpEffect> = {
  'create-asset': 'create',
  'update-asset': 'update',
  checkout: 'update',
  checkin: 'update',
};

export default defineManifest({
  id: 'snipe-it',
  title: 'Snipe-IT',
  configKey: 'snipeit',
  config: snipeItConfig,
  reads: {
    product: [
      'status',
      'legalHoldStatus',
      'assigned',
      'employee.id',
      'employee.email',
      'employee.displayName',
      'orderId',
      'title',
      'serialNumber',
    ],
    employee: ['email', 'status'],
  },
  crossCheck(s) {
    const problems: string[] = [];
    if (!/^https?:\/\/[^/]/.test(s.url))
      problems.push('snipeit.url: set SNIPEIT_URL (http or https) to enable snipe-it');
    if (!s.apiToken) problems.push('snipeit.apiToken: set SNIPEIT_API_TOKEN to enable snipe-it');
    if (s.modelId <= 0)
      problems.push('snipeit.modelId: set SNIPEIT_MODEL_ID (the model of created assets) to enable snipe-it');
    return problems;
  },
  // Snipe-IT throttles per API user (the token's): one budget per instance and token, shared by
  // every growrk-sync instance on PostgreSQL.
  rateLimit: (s) => ({
    limit: s.callsPerMinute,
    intervalMs: 60_000,
    key: budgetKey('snipe-it', s.url, s.apiToken),
  }),
  cost: snipeItCost,
  ops,
  load: async () => (await import('./index.ts')).default,
});
