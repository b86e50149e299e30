/**
 * Acceptance of the HubSpot connector through the whole service: the service started in-process
 * (`startService`, port 0, SQLite in a file), signed GroWrk webhooks over HTTP, the worker's
 * single and batch paths, and effects read back from the HubSpot emulator.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { signBody } from '../../src/growrk/signature.ts';
import { createLogger } from '../../src/log.ts';
import { type RunningService, startService } from '../../src/service.ts';
import {
  type HubSpotEmulator,
  type HubSpotEmulatorOptions,
  startHubSpotEmulator,
} from '../fakes/hubspot/index.ts';
import type { RecordedCall } from '../fakes/shared/recorder.ts';
import { runCliCaptured } from '../helpers/cli.ts';
import { fixture } from '../helpers/fixtures.ts';

const SECRET = 'e2e-hubspot-secret';
const TOKEN = 'hs-test-token';

const emulators: HubSpotEmulator[] = [];
const services: RunningService[] = [];
const dirs: string[] = [];
/** 400s a test provokes on purpose (the emulator records every 400 as a violation). */
const expectedRefusals: RegExp[] = [];

afterEach(async () => {
  for (const service of services.splice(0)) await service.close();
  const violations = emulators.flatMap((emu) =>
    emu.recorder
      .violations()
      .map((v) => `${v.operation}: ${v.violation}`)
      .filter((v) => !expectedRefusals.some((re) => re.test(v))),
  );
  expectedRefusals.length = 0;
  for (const emu of emulators.splice(0)) await emu.stop();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  expect(violations).toEqual([]);
});

async function emulator(options: HubSpotEmulatorOptions = {}): Promise<HubSpotEmulator> {
  const emu = await startHubSpotEmulator(options);
  emulators.push(emu);
  return emu;
}

function envFor(emu: HubSpotEmulator, extra: Record<string, string> = {}): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'gs-hubspot-'));
  dirs.push(dir);
  return {
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    GROWRK_WEBHOOK_SECRET: SECRET,
    DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`,
    CONNECTORS: 'hubspot',
    HUBSPOT_ACCESS_TOKEN: TOKEN,
    HUBSPOT_BASE_URL: emu.url,
    HUBSPOT_SEARCH_PER_SECOND: '4',
    RECONCILE_SCHEDULE: 'off',
    LOG_LEVEL: 'silent',
    ...extra,
  };
}

/** Starts the service in-process and runs the connector's `init` (as `growrk-sync init` does). */
async function service(emu: HubSpotEmulator, extra: Record<string, string> = {}): Promise<RunningService> {
  const config = loadConfig({ env: envFor(emu, extra), cwd: '/nonexistent' });
  const running = await startService({ config, logger: createLogger('silent') });
  services.push(running);
  const hubspot = running.runtime.connectors.get('hubspot');
  if (!hubspot) throw new Error('hubspot not loaded');
  const findings = await hubspot.definition.init(hubspot.ctx, { dryRun: false });
  expect(findings.filter((f) => !f.ok)).toEqual([]);
  return running;
}

/** Posts a body signed as GroWrk signs it; answers the status and the JSON answer. */
async function post(
  running: RunningService,
  body: string,
): Promise<{ status: number; id: string; duplicate: boolean }> {
  const res = await fetch(`${running.url}/webhooks/growrk`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-growrk-signature': signBody(body, SECRET) },
    body,
  });
  const answer = (await res.json()) as { id?: string; duplicate?: boolean };
  return { status: res.status, id: answer.id ?? '', duplicate: answer.duplicate === true };
}

/** A fixture body with its single entity changed. */
function body(type: string, change: Record<string, unknown> = {}, timestamp?: string): string {
  const event = fixture(type);
  const key = Object.keys(event).find((k) => Array.isArray(event[k])) ?? '';
  const entity = (event[key] as Array<Record<string, unknown>>)[0] ?? {};
  return JSON.stringify({
    ...event,
    ...(timestamp ? { timestamp } : {}),
    [key]: [{ ...entity, ...change }],
  });
}

/**
 * Waits until no sync job is left pending or running: the worker's own idle signal, and, for jobs
 * rescheduled with backoff, a bounded poll of the job counts.
 */
async function settled(running: RunningService, timeoutMs = 100_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await running.worker.idle();
    const jobs = await running.store.countJobs();
    if (jobs.pending === 0 && jobs.running === 0) return;
    if (Date.now() > deadline) throw new Error(`jobs still open: ${JSON.stringify(jobs)}`);
    await delay(100);
  }
}

/** Calls that change HubSpot (batch reads and searches are POSTs too, but no writes). */
function writes(emu: HubSpotEmulator, afterSeq = 0): RecordedCall[] {
  return emu.recorder
    .writes()
    .filter(
      (c) => c.seq > afterSeq && !/\.(read|search)$/.test(c.operation) && !c.operation.startsWith('oauth'),
    );
}

function lastSeq(emu: HubSpotEmulator): number {
  return emu.recorder.calls.at(-1)?.seq ?? 0;
}

interface Crm {
  assets: Array<{ id: string; properties: Map<string, string> }>;
  contacts: Array<{ id: string; properties: Map<string, string> }>;
  contactsOf(assetId: string): string[];
}

function crm(emu: HubSpotEmulator): Crm {
  const asset = emu.state.findType('growrk_asset');
  const contact = emu.state.findType('contacts');
  if (!asset || !contact) throw new Error('init did not run');
  return {
    assets: emu.state.list(asset, false),
    contacts: emu.state.list(contact, false),
    contactsOf: (assetId) =>
      emu.state.associations.list(asset.objectTypeId, assetId, contact.objectTypeId).map((a) => a.toObjectId),
  };
}

async function outcomeResults(running: RunningService): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const o of await running.store.listOutcomes({ connector: 'hubspot', limit: 1_000_000 }))
    counts[o.result] = (counts[o.result] ?? 0) + 1;
  return counts;
}

describe('HubSpot sync through the service', () => {
  it('product.created then product.assigned make one asset associated with the contact; shipped updates it; a redelivery and a re-sync write nothing', async () => {
    const emu = await emulator();
    const running = await service(emu);

    expect((await post(running, body('product.created'))).status).toBe(200);
    await settled(running);
    expect((await post(running, body('product.assigned'))).status).toBe(200);
    await settled(running);

    let state = crm(emu);
    expect(state.assets).toHaveLength(1);
    const asset = state.assets[0];
    expect(asset?.properties.get('serial_number')).toBe('C02XK0AAJGH5');
    expect(asset?.properties.get('status')).toBe('Deployed');
    expect(state.contacts).toHaveLength(1);
    const contact = state.contacts[0];
    expect(contact?.properties.get('growrk_employee_id')).toBe('emp-12345');
    expect(state.contactsOf(asset?.id ?? '')).toEqual([contact?.id]);

    // GroWrk sends the shipment later than the assignment.
    const shipped = body('product.shipped', {}, '2024-08-21T08:00:00Z');
    const first = await post(running, shipped);
    expect(first).toMatchObject({ status: 200, duplicate: false });
    await settled(running);
    state = crm(emu);
    expect(state.assets).toHaveLength(1);
    expect(state.assets[0]?.properties.get('status')).toBe('Shipped');
    expect(state.contactsOf(asset?.id ?? '')).toEqual([contact?.id]);

    const mark = lastSeq(emu);
    const again = await post(running, shipped);
    expect(again).toMatchObject({ status: 200, duplicate: true, id: first.id });
    await settled(running);
    const earlier = (await running.store.listOutcomes({ eventId: first.id })).length;
    const requeued = await running.store.replay({ eventId: first.id, connectors: ['hubspot'] }, Date.now());
    expect(requeued).toBeGreaterThan(0);
    await settled(running);
    expect(writes(emu, mark)).toEqual([]);
    const resynced = (await running.store.listOutcomes({ eventId: first.id })).slice(earlier);
    expect(resynced.length).toBe(requeued);
    expect(resynced.every((o) => o.result === 'skipped')).toBe(true);
    expect(crm(emu).assets).toHaveLength(1);
    expect(await outcomeResults(running)).not.toHaveProperty('failed');
  });

  it('an employee whose e-mail changes keeps one contact (no duplicate, no 409)', async () => {
    const emu = await emulator();
    const running = await service(emu);
    expect((await post(running, body('employee.created'))).status).toBe(200);
    await settled(running);
    const john = () =>
      crm(emu).contacts.filter((c) => c.properties.get('growrk_employee_id') === 'emp-12345');
    expect(john()).toHaveLength(1);
    const id = john()[0]?.id;
    const total = crm(emu).contacts.length;

    expect((await post(running, body('employee.updated', { email: 'john.doe@new.example' }))).status).toBe(
      200,
    );
    await settled(running);
    expect(crm(emu).contacts).toHaveLength(total);
    const contacts = john();
    expect(contacts).toHaveLength(1);
    expect(contacts[0]?.id).toBe(id);
    expect(contacts[0]?.properties.get('email')).toBe('john.doe@new.example');
    expect(contacts[0]?.properties.get('growrk_employee_id')).toBe('emp-12345');
    expect(emu.recorder.calls.filter((c) => c.status === 409)).toEqual([]);
    expect(await outcomeResults(running)).not.toHaveProperty('failed');
  });

  /**
   * Posts `n` products created, then the same `n` assigned to `n / 10` employees, 16 at a time;
   * with `settle`, the creates are synced before the assignments arrive.
   */
  async function burst(running: RunningService, n: number, settle = false): Promise<string[]> {
    const ids: string[] = [];
    const send = async (bodies: readonly string[]) => {
      let next = 0;
      const lane = async () => {
        while (next < bodies.length) {
          const answer = await post(running, bodies[next++] ?? '');
          expect(answer.status).toBe(200);
          ids.push(answer.id);
        }
      };
      await Promise.all(Array.from({ length: 16 }, lane));
    };
    const created = Array.from({ length: n }, (_, i) =>
      body('product.created', { id: `p-${i}`, serialNumber: `SN-${i}` }),
    );
    const assigned = Array.from({ length: n }, (_, i) => {
      const e = i % (n / 10);
      const employee = { id: `e-${e}`, displayName: `Person ${e}`, email: `person${e}@example.com` };
      return body('product.assigned', { id: `p-${i}`, serialNumber: `SN-${i}`, employee });
    });
    await send(created);
    if (settle) await settled(running);
    await send(assigned);
    return ids;
  }

  /** Every product is one asset with its serial and status, associated with its employee's contact. */
  function expectLanded(emu: HubSpotEmulator, n: number): void {
    const state = crm(emu);
    expect(state.assets).toHaveLength(n);
    expect(state.contacts).toHaveLength(n / 10);
    const contactOf = new Map(state.contacts.map((c) => [c.properties.get('growrk_employee_id'), c.id]));
    const wrong: string[] = [];
    for (const asset of state.assets) {
      const i = Number((asset.properties.get('growrk_product_id') ?? '').replace('p-', ''));
      const want = contactOf.get(`e-${i % (n / 10)}`);
      const ok =
        asset.properties.get('serial_number') === `SN-${i}` &&
        asset.properties.get('status') === 'Deployed' &&
        JSON.stringify(state.contactsOf(asset.id)) === JSON.stringify([want]);
      if (!ok) wrong.push(`p-${i}`);
    }
    expect(wrong).toEqual([]);
  }

  it('2,000 asset events under a 100-per-10-s limit all land, in batches, without a single 429', async () => {
    const emu = await emulator({ limitPer10s: 100 });
    const running = await service(emu, { HUBSPOT_CALLS_PER_10S: '100' });
    // Another app on the portal has used half of the window: the limiter learns it from the
    // X-HubSpot-RateLimit-Remaining header of its first answer.
    for (let i = 0; i < 50; i += 1) {
      const res = await fetch(`${emu.url}/crm/v3/objects/contacts?limit=1`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(res.status).toBe(200);
    }
    const before = emu.stats().calls;
    const ids = await burst(running, 1000, true);
    await settled(running);

    expect(new Set(ids).size).toBe(2000);
    for (const id of ids) expect((await running.store.getEvent(id))?.status).toBe('accepted');
    expectLanded(emu, 1000);
    expect(emu.stats().rateLimited).toBe(0);
    const results = await outcomeResults(running);
    expect(results).not.toHaveProperty('dead');
    expect(results).not.toHaveProperty('failed');
    expect(await running.store.countJobs()).toMatchObject({ pending: 0, running: 0, dead: 0 });
    // With the other app's calls, more than one window allows: without the limiter holding calls
    // back, the emulator would have answered 429s. Batches: far fewer calls than one per event.
    expect(emu.stats().calls).toBeGreaterThan(100);
    expect(emu.stats().calls - before).toBeLessThan(300);
    expect(emu.recorder.byOperation('crm.objects.batch.upsert').length).toBeGreaterThan(0);
  });

  it('injected 429s are waited out and retried: everything still lands', async () => {
    const emu = await emulator();
    const running = await service(emu, { JOB_BACKOFF_BASE: '200ms' });
    emu.faults.add({
      kind: 'rate-limit',
      path: '/crm/v3/objects/',
      probability: 0.3,
      count: 6,
      retryAfterSeconds: 1,
    });
    await burst(running, 200);
    await settled(running);
    expect(emu.faults.fired['rate-limit']).toBeGreaterThan(0);
    expectLanded(emu, 200);
    expect(await running.store.countJobs()).toMatchObject({ pending: 0, running: 0, dead: 0 });
    expect(await outcomeResults(running)).not.toHaveProperty('dead');
  });

  it('one bad record in a batch fails alone: the rest of its batch lands', async () => {
    const emu = await emulator();
    const running = await service(emu);
    expectedRefusals.push(/is not a valid date/);
    // Queue every event before the worker runs, so that the bad record shares a batch of 100.
    await running.worker.stop();
    for (let i = 0; i < 150; i += 1) {
      const change = { id: `p-${i}`, serialNumber: `SN-${i}`, ...(i === 7 ? { arrivalDate: 'soon' } : {}) };
      expect((await post(running, body('product.created', change))).status).toBe(200);
    }
    running.worker.start();
    await settled(running);

    const assets = crm(emu).assets;
    expect(assets).toHaveLength(149);
    expect(assets.some((a) => a.properties.get('growrk_product_id') === 'p-7')).toBe(false);
    const dead = await running.store.listJobs({ state: 'dead' });
    expect(dead.map((j) => [j.entityId, j.lastError?.code])).toEqual([['p-7', 'VENDOR_REJECTED']]);
    expect(await outcomeResults(running)).toEqual({ succeeded: 149, dead: 1 });
    // HubSpot refused the whole batch of 100 once; bisection found the bad record.
    const refused = emu.recorder
      .byOperation('crm.objects.batch.upsert')
      .filter((c) => c.status === 400)
      .map((c) => (c.body as { inputs: unknown[] }).inputs.length);
    expect(refused[0]).toBe(100);
    expect(refused.at(-1)).toBe(1);
    expect(emu.stats().calls).toBeLessThan(60);
  });

  it('a batch read answers what a batch of one answers, entity by entity', async () => {
    const emu = await emulator();
    const running = await service(emu);
    const hubspot = running.runtime.connectors.get('hubspot');
    if (!hubspot) throw new Error('hubspot is not loaded');
    // An asset in step with its contact; then Ana's contact appears, known by e-mail only.
    expect((await post(running, body('product.assigned'))).status).toBe(200);
    await settled(running);
    const contactType = emu.state.findType('contacts');
    if (!contactType) throw new Error('no contacts');
    emu.state.applyCreate(
      contactType,
      emu.state.planCreate(contactType, { email: 'ana.ruiz@example.com' }, undefined, new Map(), 'seed'),
    );
    await running.worker.stop();
    const ana = { id: 'emp-2', displayName: 'Ana Ruiz', email: 'ana.ruiz@example.com' };
    // p-new is not in HubSpot; prod-777 moves to Ana, whose contact is neither associated nor linked.
    expect(
      (await post(running, body('product.assigned', { id: 'p-new', serialNumber: 'SN-new' }))).status,
    ).toBe(200);
    const moved = body('product.assigned', { employee: ana }, '2024-08-22T10:00:00Z');
    expect((await post(running, moved)).status).toBe(200);
    const snapshots = [];
    for (const [kind, id] of [
      ['product', 'prod-777'],
      ['product', 'p-new'],
      ['employee', 'emp-12345'],
      ['employee', 'emp-2'],
      ['employee', 'emp-none'],
    ] as const) {
      const snapshot = (await running.store.getEntity(kind, id)) ?? {
        ...((await running.store.getEntity('employee', 'emp-12345')) as NonNullable<
          Awaited<ReturnType<RunningService['store']['getEntity']>>
        >),
        id,
        data: { id, email: 'nobody@example.com' },
      };
      snapshots.push(snapshot);
    }
    const many = await hubspot.definition.read(hubspot.ctx, snapshots);
    for (const snapshot of snapshots) {
      const one = (await hubspot.definition.read(hubspot.ctx, [snapshot])).get(
        `${snapshot.kind}:${snapshot.id}`,
      );
      const strip = (a: unknown) => (a && typeof a === 'object' ? { ...a, foundBy: undefined } : a);
      expect(strip(many.get(`${snapshot.kind}:${snapshot.id}`)), `${snapshot.kind} ${snapshot.id}`).toEqual(
        strip(one),
      );
    }
    expect(many.get('product:p-new')).toBeNull();
    expect(many.get('employee:emp-none')).toBeNull();
    expect(many.get('employee:emp-2')).not.toBeNull();
    const asset = many.get('product:prod-777') as {
      assignee?: { employeeId: string; contactId: string | null };
    };
    expect(asset.assignee?.employeeId).toBe('emp-2');
    expect(asset.assignee?.contactId).toBe(
      crm(emu).contacts.find((c) => c.properties.get('email') === 'ana.ruiz@example.com')?.id,
    );
  });

  it('init twice: the second run writes nothing (connector and `growrk-sync init`)', async () => {
    const emu = await emulator();
    const running = await service(emu);
    const hubspot = running.runtime.connectors.get('hubspot');
    if (!hubspot) throw new Error('hubspot not loaded');
    const mark = lastSeq(emu);
    const second = await hubspot.definition.init(hubspot.ctx, { dryRun: false });
    expect(second.filter((f) => !f.ok)).toEqual([]);
    expect(writes(emu, mark)).toEqual([]);

    const cliEmu = await emulator();
    const env = envFor(cliEmu);
    const cli = () => runCliCaptured(['init', '--json'], env);
    const firstRun = await cli();
    expect(firstRun.code, firstRun.stderr).toBe(0);
    expect(writes(cliEmu).length).toBeGreaterThan(0);
    expect(cliEmu.state.findType('growrk_asset')).toBeDefined();
    const cliMark = lastSeq(cliEmu);
    const secondRun = await cli();
    expect(secondRun.code, secondRun.stderr).toBe(0);
    expect(writes(cliEmu, cliMark)).toEqual([]);
  });
});
