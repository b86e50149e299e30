import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { isSyncError } from '../../src/errors.ts';

function lines(env: Record<string, string>): string[] {
  try {
    loadConfig({ env, cwd: '/nonexistent' });
  } catch (err) {
    if (isSyncError(err, 'CONFIG_INVALID')) return err.message.split('\n');
    throw err;
  }
  return [];
}

describe('configuration errors an operator can act on', () => {
  it('names the environment variable and the value, one line per problem', () => {
    const out = lines({ PORT: 'abc', WORKER_CONCURRENCY: '-1', LOG_LEVEL: 'loud' });
    expect(out).toHaveLength(3);
    expect(out[0]).toBe(
      'invalid configuration: PORT (port): ports must be within range 0 - 65535: value was "abc"',
    );
    expect(out[1]).toMatch(/^invalid configuration: WORKER_CONCURRENCY \(worker\.concurrency\): .*-1/);
    expect(out[2]).toMatch(/^invalid configuration: LOG_LEVEL \(log\.level\): .*"loud"/);
  });

  it('never repeats a secret value', () => {
    const out = lines({ DATABASE_URL: 'mysql://user:hunter2@db/x', ADMIN_TOKEN: 'short-hunter2' });
    expect(out.some((l) => l.startsWith('invalid configuration: DATABASE_URL (database.url):'))).toBe(true);
    expect(out.join('\n')).not.toContain('hunter2');
  });

  it('stops the start when ADMIN_TOKEN is shorter than 32 characters', () => {
    expect(lines({ ADMIN_TOKEN: 'x'.repeat(31) })).toEqual([
      'invalid configuration: ADMIN_TOKEN: must be at least 32 characters, or unset to turn the admin routes off (e.g. openssl rand -hex 32)',
    ]);
    expect(lines({ ADMIN_TOKEN: 'x'.repeat(32) })).toEqual([]);
  });

  it('refuses a scheduled-reconciliation thread heap too small to start the thread', () => {
    expect(lines({ RECONCILE_THREAD_HEAP_MB: '16' })).toEqual([
      'invalid configuration: RECONCILE_THREAD_HEAP_MB: must be 0 (the service thread) or at least 64 MiB, not 16',
    ]);
    expect(lines({ RECONCILE_THREAD_HEAP_MB: '64' })).toEqual([]);
    expect(lines({ RECONCILE_THREAD_HEAP_MB: '0' })).toEqual([]);
    expect(loadConfig({ env: {}, cwd: '/nonexistent' }).reconcile.threadHeapMb).toBe(128);
  });

  it('checks the HTTP and payload limits against each other', () => {
    expect(lines({ HTTP_HEADERS_TIMEOUT: '20s', HTTP_BODY_TIMEOUT: '10s' })[0]).toMatch(
      /^invalid configuration: HTTP_HEADERS_TIMEOUT: 20000 ms is longer than HTTP_BODY_TIMEOUT/,
    );
    expect(lines({ WEBHOOK_MAX_DEPTH: '5000' })[0]).toMatch(
      /^invalid configuration: WEBHOOK_MAX_DEPTH: must be 4 to 1000/,
    );
  });
});
