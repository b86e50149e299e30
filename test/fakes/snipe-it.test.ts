/**
 * The Snipe-IT emulator itself, over plain HTTP: the contract check against the OpenAPI file
 * (and the code differences it forgives), Snipe-IT's answer shapes (HTTP 200 error envelopes,
 * bare objects, `{total, rows}`), auth, the per-user throttle, faults and the call log.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CODE_DIFFERENCES, type SnipeItEmulator, startSnipeItEmulator } from './snipe-it/index.ts';

const TOKEN = 'snipe-test-token';

async function api(
  emu: SnipeItEmulator,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(`${emu.url}/api/v1${path}`, {
    method,
    redirect: 'manual',
    headers: {
      Authorization: `Bearer ${TOKEN}`,
      Accept: 'application/json',
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return {
    status: res.status,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    headers: res.headers,
  };
}

describe('Snipe-IT emulator', () => {
  let emu: SnipeItEmulator;
  beforeAll(async () => {
    emu = await startSnipeItEmulator();
  });
  afterAll(() => emu.stop());
  beforeEach(() => emu.reset());

  it('creates an asset and answers with the envelope; reads it back transformed', async () => {
    const created = await api(emu, 'POST', '/hardware', {
      asset_tag: 'A-1',
      model_id: 1,
      status_id: 1,
      serial: 'S1',
    });
    expect(created.status).toBe(200);
    expect(created.body.status).toBe('success');
    const id = (created.body.payload as { id: number }).id;
    const read = await api(emu, 'GET', `/hardware/${id}`);
    expect(read.body).toMatchObject({
      id,
      asset_tag: 'A-1',
      serial: 'S1',
      status_label: { name: 'Ready to Deploy' },
    });
    const bySerial = await api(emu, 'GET', '/hardware/byserial/S1');
    expect(bySerial.body).toMatchObject({ total: 1 });
    const byTag = await api(emu, 'GET', '/hardware/bytag/A-1');
    expect(byTag.body.id).toBe(id);
  });

  it('answers failures with HTTP 200 and "status": "error"', async () => {
    const missing = await api(emu, 'GET', '/hardware/bytag/NOPE');
    expect(missing).toMatchObject({ status: 200, body: { status: 'error', payload: null } });
    const invalid = await api(emu, 'POST', '/hardware', { asset_tag: 'A-1', model_id: 99, status_id: 1 });
    expect(invalid.status).toBe(200);
    expect(invalid.body.messages).toEqual({ model_id: ['The selected model id is invalid.'] });
    await api(emu, 'POST', '/hardware', { asset_tag: 'A-2', model_id: 1, status_id: 1 });
    const checkin = await api(emu, 'POST', '/hardware/1/checkin', {});
    expect(checkin.body).toMatchObject({ status: 'error', messages: 'That asset is already checked in.' });
    const legalHold = emu.state.labels.find((l) => l.name === 'Legal Hold')!;
    emu.state.assets[0]!.statusId = legalHold.id;
    const refused = await api(emu, 'POST', '/hardware/1/checkout', {
      checkout_to_type: 'user',
      assigned_user: 1,
    });
    expect(refused.body.status).toBe('error');
    expect(JSON.stringify(refused.body.messages)).toContain('not deployable');
  });

  it('checks requests against the OpenAPI file and records violations', async () => {
    const bad = await api(emu, 'POST', '/hardware', {
      asset_tag: 'A-1',
      model_id: 1,
      status_id: 1,
      colour: 'red',
    });
    expect(bad.body.status).toBe('error');
    const [call] = emu.recorder.violations();
    expect(call?.violation).toBe('colour: unrecognized field');
    const query = await api(emu, 'GET', '/hardware?limitt=5');
    expect(query.body.status).toBe('error');
    expect(emu.recorder.violations().map((c) => c.violation)).toContain(
      'query.limitt: unknown query parameter',
    );
  });

  it('forgives what the code accepts although the file refuses it (documented differences)', async () => {
    expect(CODE_DIFFERENCES.length).toBeGreaterThan(0);
    // status_id is required on checkout by the file, optional in the code.
    await api(emu, 'POST', '/hardware', { asset_tag: 'A-1', model_id: 1, status_id: 1 });
    const out = await api(emu, 'POST', '/hardware/1/checkout', {
      checkout_to_type: 'user',
      assigned_user: 1,
    });
    expect(out.body.status).toBe('success');
    // Custom field columns are not in the file; the code takes those of the model's fieldset.
    const field = emu.state.addField('GroWrk product id', 'text', '');
    const set = emu.state.addFieldset('GroWrk');
    set.fieldIds.push(field.id);
    emu.state.models[0]!.fieldsetId = set.id;
    const patched = await api(emu, 'PATCH', '/hardware/1', { [field.dbColumn]: 'prod-1' });
    expect(patched.body.status).toBe('success');
    const foreign = await api(emu, 'PATCH', '/hardware/1', { _snipeit_other_9: 'x' });
    expect(foreign.body.status).toBe('error');
    expect(emu.recorder.violations()).toEqual([]);
  });

  it('pages listings with limit (at most 500) and offset', async () => {
    for (let i = 0; i < 620; i += 1) emu.state.addAsset({ tag: `T-${i}` });
    const first = await api(emu, 'GET', '/hardware?limit=1000&offset=0&sort=id&order=asc');
    expect(first.body.total).toBe(620);
    expect((first.body.rows as unknown[]).length).toBe(500);
    const second = await api(emu, 'GET', '/hardware?limit=500&offset=500&sort=id&order=asc');
    expect((second.body.rows as Array<{ asset_tag: string }>)[0]?.asset_tag).toBe('T-500');
  });

  it('refuses bad tokens with 401, and redirects without Accept: application/json', async () => {
    const denied = await api(emu, 'GET', '/users/me', undefined, { Authorization: 'Bearer wrong' });
    expect(denied).toMatchObject({ status: 401, body: { error: 'Unauthorized or unauthenticated.' } });
    const redirected = await api(emu, 'GET', '/users/me', undefined, {
      Authorization: 'Bearer wrong',
      Accept: 'text/html',
    });
    expect(redirected.status).toBe(302);
  });

  it('throttles per user with X-RateLimit headers and answers 429 with Retry-After', async () => {
    let now = 0;
    const small = await startSnipeItEmulator({ perMinute: 2, clock: () => now });
    try {
      const first = await api(small, 'GET', '/users/me');
      expect(first.headers.get('x-ratelimit-limit')).toBe('2');
      expect(first.headers.get('x-ratelimit-remaining')).toBe('1');
      await api(small, 'GET', '/users/me');
      const refused = await api(small, 'GET', '/users/me');
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('60');
      expect(refused.body).toEqual({ status: 'error', messages: 'Too many requests', payload: null });
      now = 60_000;
      expect((await api(small, 'GET', '/users/me')).status).toBe(200);
    } finally {
      await small.stop();
    }
  });

  it('injects faults and records every call, with the control API', async () => {
    const add = await fetch(`${emu.url}/__emulator/faults`, {
      method: 'POST',
      body: JSON.stringify({ kind: 'unavailable', count: 1, path: '/users/me' }),
    });
    expect(add.status).toBe(201);
    expect((await api(emu, 'GET', '/users/me')).status).toBe(503);
    expect((await api(emu, 'GET', '/users/me')).status).toBe(200);
    const log = (await (await fetch(`${emu.url}/__emulator/calls`)).json()) as {
      calls: Array<Record<string, unknown>>;
    };
    expect(log.calls.map((c) => [c.operation, c.status, c.fault ?? null])).toEqual([
      ['users.me.get', 503, 'unavailable'],
      ['users.me.get', 200, null],
    ]);
  });
});
