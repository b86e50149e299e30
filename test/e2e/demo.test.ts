/**
 * `npm run demo` runs as a newcomer would run it: a child process that starts the emulators and
 * the service, plays the story and exits by itself. Its output must tell, in plain words, that the
 * leaver's Google account was suspended and which HubSpot asset record was made.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('npm run demo', () => {
  it('plays the story and names the suspended account and the asset record it made', async () => {
    const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as {
      scripts: Record<string, string>;
    };
    const script = pkg.scripts.demo!.replace(/^node /, '');
    const child = spawn(process.execPath, [script], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toContain('SUSPENDED the account johndoe@example.com');
    expect(stdout).toContain('signed johndoe@example.com out of every session');
    expect(stdout).toContain('created the asset record C02XK0AAJGH5 (MacBook Pro 14)');
    expect(stdout).toContain(
      'associated the asset record C02XK0AAJGH5 (MacBook Pro 14) with the contact John Doe',
    );
    expect(stdout).toContain('updated the asset record C02XK0AAJGH5 (MacBook Pro 14): status "Shipped"');
    expect(stdout).toContain('Google account johndoe@example.com: SUSPENDED by growrk-sync');
    expect(stdout).toContain("Every call fitted the vendors' published contracts.");
  });
});
