import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { isSyncError } from '../../src/errors.ts';

const CONFIG_DIR = fileURLToPath(new URL('../../config/', import.meta.url));

function problems(env: Record<string, string>, cwd = '/nonexistent'): string {
  try {
    loadConfig({ env, cwd });
  } catch (err) {
    if (isSyncError(err, 'CONFIG_INVALID')) return err.message;
    throw err;
  }
  return '';
}

describe('configuration', () => {
  it('has working defaults (the DESIGN contract)', () => {
    const config = loadConfig({ env: {}, cwd: '/nonexistent' });
    expect(config.port).toBe(3000);
    expect(config.host).toBe('0.0.0.0');
    expect(config.database.url).toBe('sqlite:./data/growrk-sync.db');
    expect(config.webhook.secrets).toEqual([]);
    expect(config.google.customer).toBe('my_customer');
    expect(config.google.apiRootUrl).toBe('https://admin.googleapis.com/');
    expect(config.hubspot.baseUrl).toBe('https://api.hubapi.com');
    expect(config.reconcile.schedule).toBe('0 */6 * * *');
    expect(config.log.level).toBe('info');
    expect(config.privacy.dropFields).toContain('taxId');
  });

  it('reads defaults, then the file, then the environment', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gs-config-'));
    const file = join(dir, 'custom.json');
    writeFileSync(file, JSON.stringify({ port: 4000, log: { level: 'debug' }, worker: { lease: '45s' } }));
    const config = loadConfig({
      env: { GROWRK_SYNC_CONFIG: file, LOG_LEVEL: 'warn', GROWRK_WEBHOOK_SECRET: 'a, b' },
      cwd: dir,
    });
    expect(config.port).toBe(4000);
    expect(config.log.level).toBe('warn');
    expect(config.worker.lease).toBe(45_000);
    expect(config.webhook.secrets).toEqual(['a', 'b']);
  });

  it('picks config/<NODE_ENV>.json', () => {
    const config = loadConfig({ env: { NODE_ENV: 'test' }, cwd: join(CONFIG_DIR, '..') });
    expect(config.reconcile.schedule).toBe('off');
  });

  it('accepts the production example (with its key file provided)', () => {
    const config = loadConfig({
      env: {
        GROWRK_SYNC_CONFIG: join(CONFIG_DIR, 'production.example.json'),
        GOOGLE_CREDENTIALS: fileURLToPath(import.meta.url),
        HUBSPOT_ACCESS_TOKEN: 'pat',
      },
      cwd: CONFIG_DIR,
    });
    expect(config.connectors).toEqual(['google-workspace', 'hubspot']);
    expect(config.guardrails.destructiveWindow).toBe(3_600_000);
  });

  it('names every bad key in one message, without printing secrets', () => {
    const message = problems({
      PORT: '99999',
      WORKER_CONCURRENCY: '-1',
      JOB_LEASE: 'soon',
      CONNECTORS: 'google-workspace,salesforce',
      HUBSPOT_BASE_URL: 'not a url',
      RECONCILE_MAX_DESTRUCTIVE_SHARE: '2',
      LOG_LEVEL: 'loud',
      GOOGLE_ACCESS_TOKEN: 'ya29.very-secret',
      DATABASE_URL: 'mysql://u:p@h/db',
    });
    for (const key of [
      'port',
      'worker.concurrency',
      'worker.lease',
      'salesforce',
      'hubspot.baseUrl',
      'reconcile.maxDestructiveShare',
      'log.level',
      'database.url',
    ]) {
      expect(message).toContain(key);
    }
    expect(message).not.toContain('ya29.very-secret');
    expect(message).not.toContain('u:p@h');
  });

  it('reads per-connector lanes, and names a bad one by its variable', () => {
    const lanes = loadConfig({
      env: { WORKER_LANES: '{"hubspot":{"concurrency":3,"inFlight":400}}' },
      cwd: '/nonexistent',
    }).worker.lanes;
    expect(lanes).toEqual({ hubspot: { concurrency: 3, inFlight: 400 } });
    for (const [value, why] of [
      ['{"salesforce":{"concurrency":2}}', '"salesforce" is not a known connector'],
      ['{"hubspot":{"slots":2}}', '"hubspot.slots" is not a lane setting'],
      ['{"hubspot":{"concurrency":0}}', '"hubspot.concurrency" must be a positive integer'],
      ['[1]', 'must be a JSON object'],
    ] as const) {
      const message = problems({ WORKER_LANES: value });
      expect(message).toContain('WORKER_LANES');
      expect(message).toContain(why);
    }
  });

  it('requires credentials for enabled connectors', () => {
    const message = problems({ CONNECTORS: 'google-workspace,hubspot' });
    expect(message).toMatch(/GOOGLE_ACCESS_TOKEN, or GOOGLE_CREDENTIALS and GOOGLE_ADMIN_SUBJECT/);
    expect(message).toMatch(/HUBSPOT_ACCESS_TOKEN/);
  });

  it('refuses a missing config file and an unknown key', () => {
    expect(problems({ GROWRK_SYNC_CONFIG: '/nonexistent/x.json' })).toMatch(/does not exist/);
    const dir = mkdtempSync(join(tmpdir(), 'gs-config-'));
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ prot: 1 }));
    expect(problems({ GROWRK_SYNC_CONFIG: join(dir, 'bad.json') })).toMatch(/prot/);
  });
});
