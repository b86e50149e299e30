import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configEnvNames } from '../../src/config/docs.ts';
import { README, renderReadme } from '../tools/update-readme.ts';

const readme = readFileSync(README, 'utf8');

describe('README matches the code', () => {
  it('has the generated configuration and error tables up to date (npm run docs)', () => {
    expect(renderReadme(readme)).toBe(readme);
  });

  it('names every environment variable of DESIGN section 6', () => {
    const contract = [
      'PORT',
      'HOST',
      'GROWRK_WEBHOOK_SECRET',
      'DATABASE_URL',
      'CONNECTORS',
      'GOOGLE_CREDENTIALS',
      'GOOGLE_ADMIN_SUBJECT',
      'GOOGLE_ACCESS_TOKEN',
      'GOOGLE_CUSTOMER',
      'GOOGLE_API_ROOT_URL',
      'HUBSPOT_ACCESS_TOKEN',
      'HUBSPOT_BASE_URL',
      'RECONCILE_SCHEDULE',
      'ADMIN_TOKEN',
      'LOG_LEVEL',
    ];
    const declared = configEnvNames();
    for (const env of contract) {
      expect(declared).toContain(env);
      expect(readme).toContain(`\`${env}\``);
    }
  });

  it('gives the two set-up commands and the test command CI runs', () => {
    expect(readme).toContain('npm install');
    expect(readme).toContain('npm test');
    expect(readme).toContain('npm start');
    expect(readFileSync(new URL('../../.ci/run', import.meta.url), 'utf8')).toMatch(/^npm test$/m);
  });
});
