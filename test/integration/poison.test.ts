/**
 * No poison messages (issue 9, item 4): a signed body that breaks a structural limit is answered
 * 400 PAYLOAD_LIMIT_EXCEEDED and kept as rejected (digest and size only), on every store the
 * service runs on, and the service keeps taking webhooks. 503 stays for real store outages.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { signBody } from '../../src/growrk/signature.ts';
import { testApp } from '../helpers/app.ts';
import { fixture, fixtureBodies } from '../helpers/fixtures.ts';
import { postgresHarness, type StoreHarness, sqliteHarness } from '../helpers/stores.ts';

const SECRET = 'test-secret';

function signed(body: string) {
  return {
    method: 'POST' as const,
    url: '/webhooks/growrk',
    headers: { 'content-type': 'application/json', 'x-growrk-signature': signBody(body, SECRET) },
    payload: body,
  };
}

/** An employee.updated whose first employee carries `value` in a field of its own. */
function employeeWith(value: string): string {
  const base = fixture('employee.updated');
  const employees = base.employees as Array<Record<string, unknown>>;
  const json = JSON.stringify({ ...base, employees: [{ ...employees[0], extra: '__VALUE__' }] });
  return json.replace('"__VALUE__"', value);
}

const nested = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`;

const harnesses: StoreHarness[] = [sqliteHarness({ threaded: true }), sqliteHarness(), postgresHarness()];
afterEach(async () => {
  for (const h of harnesses) await h.closeAll();
});
afterAll(async () => {
  for (const h of harnesses) await h.cleanup();
});

describe.each(harnesses)('poison payloads on $name', (harness) => {
  async function app(env: Record<string, string> = {}) {
    const store = await harness.fresh();
    const t = await testApp(env, { store });
    return t;
  }

  it('answers a body nested 10,000 deep with 400, keeps it as rejected without its content, and stays up', async () => {
    const { app: server, store, close } = await app();
    try {
      const body = employeeWith(nested(10_000));
      const res = await server.inject(signed(body));
      expect(res.statusCode).toBe(400);
      const answer = res.json() as { error: { code: string; message: string } };
      expect(answer.error.code).toBe('PAYLOAD_LIMIT_EXCEEDED');
      expect(answer.error.message).toMatch(/64 levels/);

      const [event] = await store.listEvents({ status: 'rejected' });
      expect(event?.error?.code).toBe('PAYLOAD_LIMIT_EXCEEDED');
      expect(event?.type).toBe('employee.updated');
      const kept = JSON.parse(event!.body) as Record<string, unknown>;
      expect(kept).toEqual({
        withheld: true,
        code: 'PAYLOAD_LIMIT_EXCEEDED',
        bytes: Buffer.byteLength(body),
        sha256: event!.bodyHash,
      });
      // The same poison again is a duplicate of the rejected one, still 400, never 503.
      expect((await server.inject(signed(body))).statusCode).toBe(400);
      // Still up: a real event right after is stored.
      const ok = await server.inject(signed(fixtureBodies().get('employee.offboarded')!));
      expect(ok.statusCode).toBe(200);
    } finally {
      await close();
    }
  });

  it('refuses an array over WEBHOOK_MAX_ARRAY_LENGTH and accepts one at the limit', async () => {
    const { app: server, close } = await app({ WEBHOOK_MAX_ARRAY_LENGTH: '100' });
    try {
      const over = await server.inject(signed(employeeWith(`[${Array(101).fill(0).join(',')}]`)));
      expect(over.statusCode).toBe(400);
      expect((over.json() as { error: { code: string } }).error.code).toBe('PAYLOAD_LIMIT_EXCEEDED');
      const at = await server.inject(signed(employeeWith(`[${Array(100).fill(0).join(',')}]`)));
      expect(at.statusCode).toBe(200);
    } finally {
      await close();
    }
  });

  it('accepts nesting up to WEBHOOK_MAX_DEPTH and refuses one level more', async () => {
    const { app: server, close } = await app({ WEBHOOK_MAX_DEPTH: '10' });
    try {
      // body (1) > employees (2) > employee (3) > extra: 7 more levels reach 10.
      expect((await server.inject(signed(employeeWith(nested(7))))).statusCode).toBe(200);
      const deeper = await server.inject(signed(employeeWith(nested(8))));
      expect(deeper.statusCode).toBe(400);
      expect((deeper.json() as { error: { code: string } }).error.code).toBe('PAYLOAD_LIMIT_EXCEEDED');
    } finally {
      await close();
    }
  });
});
