import { afterEach, describe, expect, it } from 'vitest';
import { signBody } from '../../src/growrk/signature.ts';
import { testApp } from '../helpers/app.ts';
import { fixtureBodies } from '../helpers/fixtures.ts';

let close: (() => Promise<void>) | null = null;
afterEach(async () => {
  await close?.();
  close = null;
});

const TOKEN = 'admin-token-123-0123456789abcdef-xyz';
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

describe('console API', () => {
  it('replays one dead job, and refuses a job that is not dead', async () => {
    const { app: server, store } = await app();
    const now = Date.now();
    await store.enqueueJobs([
      { connector: 'hubspot', kind: 'employee', entityId: 'emp-1', eventId: null, runAt: now },
      { connector: 'hubspot', kind: 'employee', entityId: 'emp-2', eventId: null, runAt: now },
    ]);
    const claimed = await store.claimJobs({ owner: 't', limit: 2, now, leaseMs: 1000 });
    for (const job of claimed) {
      await store.finishJob(job.id, 't', { state: 'dead', error: { code: 'INTERNAL', message: 'x' } }, now);
    }
    const jobs = (await server.inject({ method: 'GET', url: '/api/jobs', headers: auth })).json() as {
      dead: Array<{ id: string; entityId: string; subject: { id: string } }>;
    };
    expect(jobs.dead.map((j) => j.subject.id).sort()).toEqual(['emp-1', 'emp-2']);
    const one = jobs.dead.find((j) => j.entityId === 'emp-1')!;
    const replayed = await server.inject({
      method: 'POST',
      url: `/api/jobs/${one.id}/replay`,
      headers: auth,
    });
    expect(replayed.json()).toEqual({ queued: 1 });
    expect((await store.listJobs({ state: 'dead' })).map((j) => j.entityId)).toEqual(['emp-2']);
    const again = await server.inject({ method: 'POST', url: `/api/jobs/${one.id}/replay`, headers: auth });
    expect(again.statusCode).toBe(409);
    expect(
      (await server.inject({ method: 'POST', url: '/api/jobs/job_nope/replay', headers: auth })).statusCode,
    ).toBe(404);
    const all = await server.inject({ method: 'POST', url: '/api/jobs/replay-dead', headers: auth });
    expect(all.json()).toEqual({ queued: 1 });
  });

  it('sorts events into views, and searches by e-mail and serial', async () => {
    const { app: server, store } = await app();
    const post = (body: string) =>
      server.inject({
        method: 'POST',
        url: '/webhooks/growrk',
        headers: { 'x-growrk-signature': signBody(body, 'test-secret'), 'content-type': 'application/json' },
        payload: body,
      });
    const offboarded = (await post(fixtureBodies().get('employee.offboarded')!)).json() as { id: string };
    const assigned = (await post(fixtureBodies().get('product.assigned')!)).json() as { id: string };
    await store.recordOutcomes([
      {
        eventId: assigned.id,
        connector: 'hubspot',
        kind: 'product',
        entityId: 'prod-777',
        result: 'failed',
        summary: 'x',
        at: 1,
      },
    ]);
    const view = async (v: string) =>
      (
        (await server.inject({ method: 'GET', url: `/api/events?view=${v}`, headers: auth })).json() as {
          events: Array<{ id: string; state: string }>;
        }
      ).events.map((e) => e.id);
    expect(await view('failed')).toEqual([assigned.id]);
    expect(await view('succeeded')).toEqual([offboarded.id]);
    expect(await view('all')).toEqual([assigned.id, offboarded.id]);
    expect(await view('held')).toEqual([]);
    expect(
      (await server.inject({ method: 'GET', url: '/api/events?view=nope', headers: auth })).statusCode,
    ).toBe(400);
    const find = async (q: string) =>
      (
        (
          await server.inject({ method: 'GET', url: `/api/search?q=${encodeURIComponent(q)}`, headers: auth })
        ).json() as {
          hits: Array<{
            subject: { kind: string; id: string; name: string | null };
            events: Array<{ id: string }>;
          }>;
        }
      ).hits.map((h) => `${h.subject.kind}:${h.subject.id}:${h.subject.name}:${h.events.length}`);
    // The employee by work e-mail, and the asset assigned to that e-mail.
    expect(await find('JOHNDOE@example.com')).toEqual([
      'employee:emp-12345:John Doe:1',
      'product:prod-777:MacBook Pro 14:1',
    ]);
    expect(await find('C02XK0AAJGH5')).toEqual(['product:prod-777:MacBook Pro 14:1']);
    expect(await find('nobody@example.com')).toEqual([]);
    expect((await server.inject({ method: 'GET', url: '/api/search?q=', headers: auth })).statusCode).toBe(
      400,
    );
  });
});
