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

  // Prints, at exit, the pid and the V8 flags the process ended up running with.
  const FLAGS_HOOK =
    'data:text/javascript,process.on("exit",()=>process.stderr.write("\\nFLAGS="+JSON.stringify({pid:process.pid,argv:process.execArgv})+"\\n"))';
  function flagsOf(
    args: string[],
    nodeArgs: string[] = [],
  ): { status: number | null; spawned: number; pid: number; argv: string[] } {
    const result = spawnSync(process.execPath, [...nodeArgs, '--import', FLAGS_HOOK, BIN, ...args], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '' },
    });
    const line = /FLAGS=(.*)/.exec(result.stderr);
    expect(line, result.stderr).not.toBeNull();
    const seen = JSON.parse(line![1]!) as { pid: number; argv: string[] };
    return { status: result.status, spawned: result.pid ?? -1, pid: seen.pid, argv: seen.argv };
  }

  it('runs reconcile in its own process with a small young generation and an eager old one', () => {
    // `reconcile extra` stops at the usage check, after the process has been started again.
    const run = flagsOf(['reconcile', 'extra']);
    expect(run.status).toBe(2);
    expect(run.argv).toEqual(
      expect.arrayContaining(['--max-semi-space-size=16', '--heap-growing-percent=50']),
    );
    // Started again in place (execve), not as a child: the pid that exits is the one spawned.
    expect(run.pid).toBe(run.spawned);
  });

  it('keeps a semi-space size the user gave, and gives other commands no flags', () => {
    const own = flagsOf(['reconcile', 'extra'], ['--max-semi-space-size=32']);
    expect(own.argv.filter((a) => a.startsWith('--max-semi-space-size'))).toEqual([
      '--max-semi-space-size=32',
    ]);
    expect(own.argv).toContain('--heap-growing-percent=50');
    const other = flagsOf(['frobnicate']);
    expect(other.argv.some((a) => a.startsWith('--max-semi-space-size'))).toBe(false);
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
