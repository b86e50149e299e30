import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../src/cli/bin.js', import.meta.url));

function versionOf(node: string): [number, number] {
  const out = spawnSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim();
  const [major, minor] = out.split('.').map(Number);
  return [major ?? 0, minor ?? 0];
}

describe('the growrk-sync command', () => {
  it('runs on the pinned Node and prints its help', () => {
    const result = spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('usage: growrk-sync <command>');
  });

  it('exits 2 on an unknown command, naming it', () => {
    const result = spawnSync(process.execPath, [BIN, 'frobnicate'], { encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('unknown command "frobnicate"');
  });

  // The machine's own Node (20 here, as on CI): the command must refuse it in one line.
  const systemNode = ['/usr/bin/node', '/usr/local/bin/node'].find((p) => existsSync(p)) ?? process.execPath;
  it(`refuses a Node older than 22.13 with one line (system Node at ${systemNode})`, () => {
    const [major, minor] = versionOf(systemNode);
    const result = spawnSync(systemNode, [BIN, '--help'], { encoding: 'utf8' });
    if (major < 22 || (major === 22 && minor < 13)) {
      expect(result.status).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(/needs Node\.js 22\.13 or newer/);
    } else {
      expect(result.status).toBe(0);
    }
  });
});
