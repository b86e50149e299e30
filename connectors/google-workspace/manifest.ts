/** The Google Workspace connector's manifest: what the core knows of it before loading its code. */
import { existsSync } from 'node:fs';
import { defineManifest } from '../../src/connector/manifest.ts';
import { budgetKey } from '../../src/sync/shared-limiter.ts';
import { googleWorkspaceConfig } from './config.ts';
import { googleCost } from './cost.ts';

export default defineManifest({
  id: 'google-workspace',
  title: 'Google Workspace',
  configKey: 'google',
  config: googleWorkspaceConfig,
  reads: {
    employee: ['email', 'secondaryEmail', 'displayName', 'status', 'jobTitle', 'department', 'manager.email'],
    // The equipment-gated closing (closing.ts).
    product: ['status', 'assigned', 'employee.id', 'wiped', 'legalHoldStatus', 'serialNumber'],
  },
  crossCheck(g) {
    const problems: string[] = [];
    if (!g.accessToken && !(g.credentials && g.adminSubject)) {
      problems.push(
        'google: set GOOGLE_ACCESS_TOKEN, or GOOGLE_CREDENTIALS and GOOGLE_ADMIN_SUBJECT, to enable google-workspace',
      );
    }
    if (g.credentials && !existsSync(g.credentials)) {
      problems.push(`google.credentials: file ${g.credentials} does not exist`);
    }
    return problems;
  },
  // Google's Directory quota is per admin: the delegation subject, or whoever the token is for.
  rateLimit: (g) => ({
    limit: g.callsPerMinute,
    intervalMs: 60_000,
    key: budgetKey('google-workspace', g.customer, g.adminSubject || g.accessToken),
  }),
  cost: googleCost,
  ops: {
    create: 'create',
    update: 'update',
    'link-external-id': 'update',
    suspend: 'suspend',
    reactivate: 'reactivate',
    'close-suspension-record': 'update',
    'sign-out': 'remove',
    'revoke-tokens': 'remove',
    'delete-app-passwords': 'remove',
    'invalidate-backup-codes': 'remove',
    'remove-groups': 'remove',
    handover: 'update',
    'wipe-devices': 'remove',
    'record-equipment': 'update',
    'close-offboarding': 'update',
  },
  load: async () => (await import('./index.ts')).default,
});
