/**
 * The admin API against guessing and odd queries (issue 10, item 4): wrong tokens are throttled
 * per client address (429 with Retry-After, logged at warn), repeated or malformed query
 * parameters are 400, never a 500.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { testApp } from '../helpers/app.ts';
import { until } from '../helpers/wait.ts';

const TOKEN = 'a-long-enough-admin-token-0123456789';
let close: (() => Promise<void>) | null = null;
afterEach(async () => {
  await close?.();
  close = null;
});

async function app(env: Record<string, string> = {}) {
  const t = await testApp({ ADMIN_TOKEN: TOKEN, ...env });
  close = t.close;
  return t;
}

const get = (token: string, remoteAddress = '10.0.0.1', url = '/api/jobs') => ({
  method: 'GET' as const,
  url,
  remoteAddress,
  headers: { authorization: `Bearer ${token}` },
});

describe('admin API guard', () => {
  it('answers 429 after ADMIN_MAX_FAILED_ATTEMPTS wrong tokens from one address, right token or not, and logs at warn', async () => {
    const { app: server, logs } = await app({ ADMIN_MAX_FAILED_ATTEMPTS: '5' });
    for (let i = 0; i < 5; i += 1) {
      expect((await server.inject(get(`wrong-${i}`))).statusCode).toBe(401);
    }
    const throttled = await server.inject(get('wrong-again'));
    expect(throttled.statusCode).toBe(429);
    expect((throttled.json() as { error: { code: string } }).error.code).toBe('TOO_MANY_ATTEMPTS');
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
    // Guessing cannot go on: the right token from that address is refused too, for now.
    expect((await server.inject(get(TOKEN))).statusCode).toBe(429);
    // Another address is not affected.
    expect((await server.inject(get(TOKEN, '10.0.0.2'))).statusCode).toBe(200);

    const warnings = logs.lines
      .map((l) => JSON.parse(l) as { level: number; msg: string; ip?: string; failures?: number })
      .filter((l) => l.msg === 'admin token refused');
    expect(warnings).toHaveLength(5);
    expect(warnings.every((w) => w.level === 40 && w.ip === '10.0.0.1')).toBe(true);
    expect(warnings.map((w) => w.failures)).toEqual([1, 2, 3, 4, 5]);
    expect(logs.text()).not.toContain('wrong-');
    expect(logs.text()).not.toContain(TOKEN);
  });

  it('lets the address try again once ADMIN_FAILED_ATTEMPTS_WINDOW has passed', async () => {
    const { app: server } = await app({
      ADMIN_MAX_FAILED_ATTEMPTS: '1',
      ADMIN_FAILED_ATTEMPTS_WINDOW: '200ms',
    });
    expect((await server.inject(get('wrong'))).statusCode).toBe(401);
    expect((await server.inject(get(TOKEN))).statusCode).toBe(429);
    await until('the window to pass', async () => (await server.inject(get(TOKEN))).statusCode === 200);
  });

  it('answers 400 for a repeated or malformed query parameter', async () => {
    const { app: server } = await app();
    for (const url of [
      '/api/events?type=a&type=b',
      '/api/events?limit=1&limit=2',
      '/api/held?status=held&status=applied',
      '/api/events?type=%00x',
      `/api/events?type=${'x'.repeat(600)}`,
    ]) {
      const res = await server.inject(get(TOKEN, '10.0.0.3', url));
      expect(res.statusCode, url).toBe(400);
      expect((res.json() as { error: { code: string } }).error.code).toBe('BAD_REQUEST');
    }
    expect(
      (await server.inject(get(TOKEN, '10.0.0.3', '/api/events?type=employee.updated'))).statusCode,
    ).toBe(200);
  });
});
