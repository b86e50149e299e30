import { afterEach, describe, expect, it } from 'vitest';
import { signBody } from '../../src/growrk/signature.ts';
import { testApp } from '../helpers/app.ts';
import { fixtureBodies } from '../helpers/fixtures.ts';

let close: (() => Promise<void>) | null = null;
afterEach(async () => {
  await close?.();
  close = null;
});

const TOKEN = 'admin-token-123';
const auth = { authorization: `Bearer ${TOKEN}` };

async function app(env: Record<string, string> = { ADMIN_TOKEN: TOKEN }) {
  const t = await testApp(env);
  close = t.close;
  return t;
}

describe('admin page and API', () => {
  it('does not exist without ADMIN_TOKEN', async () => {
    const { app: server } = await app({});
    expect((await server.inject({ method: 'GET', url: '/admin' })).statusCode).toBe(404);
    expect((await server.inject({ method: 'GET', url: '/api/events', headers: auth })).statusCode).toBe(404);
  });

  it('refuses the API without the right bearer token', async () => {
    const { app: server } = await app();
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: TOKEN }]) {
      const res = await server.inject({ method: 'GET', url: '/api/events', headers });
      expect(res.statusCode).toBe(401);
      expect((res.json() as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
    }
    const page = await server.inject({ method: 'GET', url: '/admin' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<title>growrk-sync admin</title>');
    expect(page.body).not.toContain(TOKEN);
  });

  it('shows events as stored, their jobs and outcomes, without sensitive fields', async () => {
    const { app: server } = await app();
    const body = fixtureBodies().get('employee.offboarded')!;
    const posted = await server.inject({
      method: 'POST',
      url: '/webhooks/growrk',
      headers: { 'x-growrk-signature': signBody(body, 'test-secret'), 'content-type': 'application/json' },
      payload: body,
    });
    const { id } = posted.json() as { id: string };
    const list = (
      await server.inject({ method: 'GET', url: '/api/events?status=accepted', headers: auth })
    ).json() as { events: Array<{ id: string }> };
    expect(list.events.map((e) => e.id)).toEqual([id]);
    const detail = await server.inject({ method: 'GET', url: `/api/events/${id}`, headers: auth });
    expect(detail.statusCode).toBe(200);
    expect(detail.body).toContain('Software Engineer');
    expect(detail.body).not.toContain('TAX-000-11-2222');
    expect(
      (await server.inject({ method: 'GET', url: '/api/events/evt_nope', headers: auth })).statusCode,
    ).toBe(404);
    expect(
      (await server.inject({ method: 'GET', url: '/api/events?limit=0', headers: auth })).statusCode,
    ).toBe(400);
  });

  it('approves and rejects held changes, once each', async () => {
    const { app: server, store } = await app();
    const base = {
      connector: 'google-workspace',
      kind: 'employee' as const,
      reason: 'budget',
      plan: { ops: [{ type: 'suspend' }] },
      eventIds: [],
      createdAt: 1,
    };
    await store.addHeld({ ...base, id: 'held_a', entityId: 'emp-a' });
    await store.addHeld({ ...base, id: 'held_b', entityId: 'emp-b' });
    const held = (await server.inject({ method: 'GET', url: '/api/held', headers: auth })).json() as {
      held: Array<{ id: string }>;
    };
    expect(held.held.map((h) => h.id)).toEqual(['held_a', 'held_b']);

    const approved = await server.inject({ method: 'POST', url: '/api/held/held_a/approve', headers: auth });
    expect(approved.statusCode).toBe(200);
    expect(approved.json()).toMatchObject({ ok: true, status: 'approved', queued: 1 });
    expect((await store.listJobs({ state: 'pending' })).map((j) => j.entityId)).toEqual(['emp-a']);
    expect(
      (await server.inject({ method: 'POST', url: '/api/held/held_a/reject', headers: auth })).statusCode,
    ).toBe(409);
    expect(
      (await server.inject({ method: 'POST', url: '/api/held/held_b/reject', headers: auth })).statusCode,
    ).toBe(200);
    expect((await store.getHeld('held_b'))?.status).toBe('rejected');
    expect(
      (await server.inject({ method: 'POST', url: '/api/held/nope/approve', headers: auth })).statusCode,
    ).toBe(404);
  });
});
