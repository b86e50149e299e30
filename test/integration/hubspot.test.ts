/**
 * The HubSpot connector against the HubSpot emulator, with the real `@hubspot/api-client`: the
 * context is built as the service builds it (`createConnectorRuntime`), events go in through the
 * ingest path, and every sync runs the shared read -> plan -> guardrails -> apply path.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHubSpotClient } from '../../connectors/hubspot/client.ts';
import type { HubSpotActual } from '../../connectors/hubspot/model.ts';
import { type HubSpotPlan, planEntity } from '../../connectors/hubspot/plan.ts';
import type { AppConfig } from '../../src/config/types.ts';
import type { ApplyOutcome, ConnectorContext } from '../../src/connector/types.ts';
import { isSyncError } from '../../src/errors.ts';
import type { EntityKind } from '../../src/growrk/types.ts';
import type { SqliteStore } from '../../src/store/sqlite/store.ts';
import { type EngineConfig, type SyncResult, syncEntity } from '../../src/sync/engine.ts';
import { createRateLimiter } from '../../src/sync/rate-limiter.ts';
import type { LoadedConnector } from '../../src/sync/runtime.ts';
import { ALL_SCOPES, type HubSpotEmulator, startHubSpotEmulator } from '../fakes/hubspot/index.ts';
import { isWriteCall } from '../fakes/shared/recorder.ts';
import { openConnectorWorld } from '../helpers/connector-world.ts';
import { fixture } from '../helpers/fixtures.ts';

const TOKEN = 'hs-test-token';

interface Harness {
  config: AppConfig;
  store: SqliteStore;
  loaded: LoadedConnector;
  /** Puts a GroWrk event (a fixture, optionally changed) into the projection. */
  ingest(type: string, change?: (entity: Record<string, unknown>) => void, timestamp?: string): Promise<void>;
  sync(kind: EntityKind, id: string): Promise<SyncResult>;
  close(): Promise<void>;
}

async function harness(emu: HubSpotEmulator, env: Record<string, string> = {}): Promise<Harness> {
  const { config, store, loaded, ingestor } = await openConnectorWorld({
    id: 'hubspot',
    env: {
      HUBSPOT_ACCESS_TOKEN: TOKEN,
      HUBSPOT_BASE_URL: emu.url,
      HUBSPOT_CALLS_PER_10S: '1000',
      HUBSPOT_SEARCH_PER_SECOND: '100',
      LOG_LEVEL: 'silent',
      ...env,
    },
    cwd: '/nonexistent',
  });
  const engine: EngineConfig = { guardrails: config.guardrails, dryRun: false };
  return {
    config,
    store,
    loaded,
    async ingest(type, change, timestamp) {
      const body = fixture(type) as Record<string, unknown> & { timestamp: string };
      const key = Object.keys(body).find((k) => Array.isArray(body[k]));
      const entity = (body[key ?? ''] as Array<Record<string, unknown>>)[0];
      if (entity && change) change(entity);
      if (timestamp) body.timestamp = timestamp;
      const outcome = await ingestor.accept(Buffer.from(JSON.stringify(body)));
      if (!outcome.ok) throw outcome.error;
    },
    sync: (kind, id) =>
      syncEntity({ loaded, store, config: engine, kind, entityId: id, eventIds: [], now: Date.now }),
    close: () => store.close(),
  };
}

/**
 * Every successful non-GET call since `from`, by operation name: the writes, and the batch reads
 * and searches HubSpot takes as POSTs (so a test sees the whole order of a bulk path).
 */
/** The calls since `from` that changed something (batch reads are POSTs, but read). */
function writesSince(emu: HubSpotEmulator, from: number): string[] {
  return emu.recorder.calls.filter((c) => c.seq > from && isWriteCall(c)).map((c) => c.operation);
}

/** Every POST, PATCH, PUT and DELETE since `from` (batch reads included), in order. */
function postsSince(emu: HubSpotEmulator, from: number): string[] {
  return emu.recorder.calls
    .filter((c) => c.seq > from && c.method !== 'GET' && c.status >= 200 && c.status < 300)
    .map((c) => c.operation);
}

function lastSeq(emu: HubSpotEmulator): number {
  return emu.recorder.calls.at(-1)?.seq ?? 0;
}

function assetsOf(emu: HubSpotEmulator): Array<{ id: string; properties: Map<string, string> }> {
  const type = emu.state.findType('growrk_asset');
  return type ? emu.state.list(type, false) : [];
}

function contactsOf(emu: HubSpotEmulator): Array<{ id: string; properties: Map<string, string> }> {
  const type = emu.state.findType('contacts');
  return type ? emu.state.list(type, false) : [];
}

function associatedContacts(emu: HubSpotEmulator, assetId: string): string[] {
  const asset = emu.state.findType('growrk_asset');
  const contact = emu.state.findType('contacts');
  if (!asset || !contact) return [];
  return emu.state.associations
    .list(asset.objectTypeId, assetId, contact.objectTypeId)
    .map((a) => a.toObjectId);
}

describe('HubSpot connector against the emulator', () => {
  let emu: HubSpotEmulator;
  let h: Harness;

  beforeAll(async () => {
    emu = await startHubSpotEmulator({ limitPer10s: 1000, searchPerSecond: 100 });
  });
  afterAll(async () => {
    await emu.stop();
  });
  beforeEach(async () => {
    emu.reset();
    h = await harness(emu);
  });
  afterEach(async () => {
    expect(emu.recorder.violations().map((v) => `${v.operation}: ${v.violation}`)).toEqual([]);
    await h.close();
  });

  it('init creates the contact property, the asset object and its association; a second init writes nothing', async () => {
    const first = await h.loaded.definition.init(h.loaded.ctx, { dryRun: false });
    expect(first.every((f) => f.ok)).toBe(true);
    const idProperty = emu.state.findType('contacts')?.properties.get('growrk_employee_id');
    expect(idProperty?.hasUniqueValue).toBe(true);
    const asset = emu.state.findType('growrk_asset');
    expect(asset?.properties.get('growrk_product_id')?.hasUniqueValue).toBe(true);
    expect(asset?.properties.get('serial_number')).toBeDefined();
    expect(emu.state.associations.between(asset?.objectTypeId ?? '', '0-1')).not.toHaveLength(0);

    const before = lastSeq(emu);
    const second = await h.loaded.definition.init(h.loaded.ctx, { dryRun: false });
    expect(second.every((f) => f.ok)).toBe(true);
    expect(writesSince(emu, before)).toEqual([]);
  });

  it('init --dry-run reports what it would create and writes nothing', async () => {
    const findings = await h.loaded.definition.init(h.loaded.ctx, { dryRun: true });
    expect(findings.map((f) => f.message).join('\n')).toMatch(/Would create the custom object growrk_asset/);
    expect(emu.recorder.writes()).toEqual([]);
  });

  describe('after init', () => {
    beforeEach(async () => {
      await h.loaded.definition.init(h.loaded.ctx, { dryRun: false });
      emu.recorder.clear();
    });

    it('product.created then product.assigned: one asset with the serial, associated with the employee’s contact', async () => {
      await h.ingest('product.created');
      const created = await h.sync('product', 'prod-777');
      expect(created.result).toBe('succeeded');
      await h.ingest('product.assigned');
      const assigned = await h.sync('product', 'prod-777');
      expect(assigned.plan?.ops.map((o) => o.type)).toEqual(['update-asset', 'associate-contact']);

      const assets = assetsOf(emu);
      expect(assets).toHaveLength(1);
      expect(assets[0]?.properties.get('serial_number')).toBe('C02XK0AAJGH5');
      expect(assets[0]?.properties.get('status')).toBe('Deployed');
      const contacts = contactsOf(emu);
      expect(contacts).toHaveLength(1);
      expect(contacts[0]?.properties.get('email')).toBe('johndoe@example.com');
      expect(contacts[0]?.properties.get('growrk_employee_id')).toBe('emp-12345');
      expect(associatedContacts(emu, assets[0]?.id ?? '')).toEqual([contacts[0]?.id]);
    });

    it('product.shipped updates the status; repeating the sync writes nothing', async () => {
      await h.ingest('product.created');
      await h.sync('product', 'prod-777');
      await h.ingest('product.shipped');
      const shipped = await h.sync('product', 'prod-777');
      expect(shipped.plan?.ops[0]?.changes).toContainEqual({
        field: 'status',
        before: 'In inventory',
        after: 'Shipped',
      });
      expect(assetsOf(emu)[0]?.properties.get('status')).toBe('Shipped');

      const before = lastSeq(emu);
      const again = await h.sync('product', 'prod-777');
      expect(again.result).toBe('skipped');
      expect(again.plan?.ops).toEqual([]);
      expect(writesSince(emu, before)).toEqual([]);
    });

    it('an employee whose e-mail changes keeps one contact', async () => {
      await h.ingest('employee.created');
      await h.sync('employee', 'emp-12345');
      await h.ingest('employee.updated', (e) => {
        e.email = 'john.doe@newdomain.example';
      });
      const changed = await h.sync('employee', 'emp-12345');
      expect(changed.plan?.ops.map((o) => o.type)).toEqual(['update-contact']);
      const contacts = contactsOf(emu);
      expect(contacts).toHaveLength(1);
      expect(contacts[0]?.properties.get('email')).toBe('john.doe@newdomain.example');
      expect(contacts[0]?.properties.get('jobtitle')).toBe('Senior Software Engineer');
      const before = lastSeq(emu);
      expect((await h.sync('employee', 'emp-12345')).result).toBe('skipped');
      expect(writesSince(emu, before)).toEqual([]);
    });

    it('finds an existing contact by e-mail the first time and links it instead of duplicating it', async () => {
      const contacts = emu.state.findType('contacts');
      if (!contacts) throw new Error('no contact type');
      emu.state.applyCreate(
        contacts,
        emu.state.planCreate(
          contacts,
          { email: 'johndoe@example.com', firstname: 'Johnny' },
          undefined,
          new Map(),
          'seed',
        ),
      );
      await h.ingest('employee.offboarded');
      const result = await h.sync('employee', 'emp-12345');
      expect(result.plan?.target?.id).not.toBeNull();
      const all = contactsOf(emu);
      expect(all).toHaveLength(1);
      expect(all[0]?.properties.get('growrk_employee_id')).toBe('emp-12345');
      expect(all[0]?.properties.get('growrk_status')).toBe('offboarded');
      expect(await h.loaded.ctx.state.get('contact:emp-12345')).toBe(all[0]?.id);
    });

    it('reassignment removes the old association and adds the new one', async () => {
      await h.ingest('product.assigned');
      await h.sync('product', 'prod-777');
      const [asset] = assetsOf(emu);
      const first = contactsOf(emu)[0]?.id;
      expect(associatedContacts(emu, asset?.id ?? '')).toEqual([first]);

      await h.ingest(
        'product.assigned',
        (p) => {
          p.employee = { id: 'emp-2', displayName: 'Ana Ruiz', email: 'ana.ruiz@example.com' };
        },
        '2024-08-22T10:00:00Z',
      );
      const moved = await h.sync('product', 'prod-777');
      expect(moved.plan?.ops.map((o) => o.type)).toEqual(['dissociate-contact', 'associate-contact']);
      const ana = contactsOf(emu).find((c) => c.properties.get('growrk_employee_id') === 'emp-2');
      expect(ana?.properties.get('email')).toBe('ana.ruiz@example.com');
      expect(associatedContacts(emu, asset?.id ?? '')).toEqual([ana?.id]);
      expect(contactsOf(emu)).toHaveLength(2);
      const before = lastSeq(emu);
      expect((await h.sync('product', 'prod-777')).result).toBe('skipped');
      expect(writesSince(emu, before)).toEqual([]);
    });

    it('a linked contact HubSpot no longer has is forgotten, made again and associated in the same sync', async () => {
      await h.ingest('employee.created');
      await h.sync('employee', 'emp-12345');
      const contacts = emu.state.findType('contacts');
      const stale = contacts ? emu.state.list(contacts)[0] : undefined;
      if (!contacts || !stale) throw new Error('no contact');
      expect(await h.loaded.ctx.state.get('contact:emp-12345')).toBe(stale.id);
      emu.state.archive(contacts, stale);

      await h.ingest('product.assigned');
      const assigned = await h.sync('product', 'prod-777');
      expect(assigned.result).toBe('succeeded');
      const [fresh] = contactsOf(emu);
      expect(fresh?.id).toBeDefined();
      expect(fresh?.id).not.toBe(stale.id);
      expect(fresh?.properties.get('growrk_employee_id')).toBe('emp-12345');
      expect(associatedContacts(emu, assetsOf(emu)[0]?.id ?? '')).toEqual([fresh?.id]);
      expect(await h.loaded.ctx.state.get('contact:emp-12345')).toBe(fresh?.id);
      const before = lastSeq(emu);
      expect((await h.sync('product', 'prod-777')).result).toBe('skipped');
      expect(writesSince(emu, before)).toEqual([]);
    });

    it('a 429 from HubSpot becomes VENDOR_RATE_LIMITED with the advised retryAfterMs', async () => {
      await h.ingest('product.created');
      emu.faults.add({ kind: 'rate-limit', count: 1, retryAfterSeconds: 7, path: '/crm/v3/objects/' });
      const error = await h.sync('product', 'prod-777').then(
        () => null,
        (err: unknown) => err,
      );
      expect(isSyncError(error, 'VENDOR_RATE_LIMITED')).toBe(true);
      expect(isSyncError(error) ? error.retryAfterMs : undefined).toBe(7000);
    });

    it('apply upserts 250 assets in 3 batch calls', async () => {
      const ctx = h.loaded.ctx as ConnectorContext;
      const plans: HubSpotPlan[] = [];
      for (let i = 0; i < 250; i += 1) {
        const id = `prod-${1000 + i}`;
        await h.ingest('product.created', (p) => {
          p.id = id;
          p.serialNumber = `SN${1000 + i}`;
        });
        const desired = await h.store.getEntity('product', id);
        if (!desired) throw new Error('not projected');
        plans.push(planEntity({ desired, actual: null, config: h.config.hubspot }));
      }
      const before = lastSeq(emu);
      const outcomes: ApplyOutcome[] = await h.loaded.definition.apply(ctx, plans);
      expect(outcomes.filter((o) => !o.ok)).toEqual([]);
      expect(writesSince(emu, before)).toEqual([
        'crm.objects.batch.upsert',
        'crm.objects.batch.upsert',
        'crm.objects.batch.upsert',
      ]);
      expect(assetsOf(emu)).toHaveLength(250);

      let listed = 0;
      for await (const page of h.loaded.definition.list(ctx, 'product')) {
        expect(page.length).toBeLessThanOrEqual(100);
        listed += (page as HubSpotActual[]).length;
      }
      expect(listed).toBe(250);
    });

    it('apply resolves, adopts and creates contacts in batches and associates assets in one call', async () => {
      const contacts = emu.state.findType('contacts');
      if (!contacts) throw new Error('no contact type');
      // Ana exists in HubSpot by e-mail only; John has no contact yet.
      emu.state.applyCreate(
        contacts,
        emu.state.planCreate(contacts, { email: 'ana.ruiz@example.com' }, undefined, new Map(), 'seed'),
      );
      const owners = ['emp-12345', 'emp-2', 'emp-2'];
      const plans: HubSpotPlan[] = [];
      for (const [i, owner] of owners.entries()) {
        await h.ingest('product.assigned', (p) => {
          p.id = `prod-${i}`;
          p.serialNumber = `SN-${i}`;
          if (owner === 'emp-2')
            p.employee = { id: 'emp-2', displayName: 'Ana Ruiz', email: 'ana.ruiz@example.com' };
        });
        const desired = await h.store.getEntity('product', `prod-${i}`);
        if (!desired) throw new Error('not projected');
        plans.push(planEntity({ desired, actual: null, config: h.config.hubspot }));
      }
      const before = lastSeq(emu);
      const outcomes = await h.loaded.definition.apply(h.loaded.ctx, plans);
      expect(outcomes.map((o) => o.ok)).toEqual([true, true, true]);
      expect(postsSince(emu, before)).toEqual([
        'crm.objects.batch.upsert',
        'crm.objects.batch.read',
        'crm.objects.batch.read',
        'crm.objects.batch.update',
        'crm.objects.batch.upsert',
        'crm.associations.batch.createDefault',
      ]);
      const all = contactsOf(emu);
      expect(all).toHaveLength(2);
      const ana = all.find((c) => c.properties.get('email') === 'ana.ruiz@example.com');
      const john = all.find((c) => c.properties.get('email') === 'johndoe@example.com');
      expect(ana?.properties.get('growrk_employee_id')).toBe('emp-2');
      expect(john?.properties.get('growrk_employee_id')).toBe('emp-12345');
      const assets = assetsOf(emu);
      const bySerial = (sn: string) => assets.find((a) => a.properties.get('serial_number') === sn)?.id ?? '';
      expect(associatedContacts(emu, bySerial('SN-0'))).toEqual([john?.id]);
      expect(associatedContacts(emu, bySerial('SN-2'))).toEqual([ana?.id]);

      const ctx = h.loaded.ctx as ConnectorContext;
      const listed: HubSpotActual[] = [];
      for await (const page of h.loaded.definition.list(ctx, 'employee'))
        listed.push(...(page as HubSpotActual[]));
      expect(listed.map((a) => a.growrkId).sort()).toEqual(['emp-12345', 'emp-2']);
      const products: HubSpotActual[] = [];
      for await (const page of h.loaded.definition.list(ctx, 'product'))
        products.push(...(page as HubSpotActual[]));
      const listedAsset = products.find((p) => p.growrkId === 'prod-1');
      expect(listedAsset?.managedContacts).toEqual({ [ana?.id ?? '']: 'emp-2' });
      // A reconciliation plan from the listing is empty for an asset in step.
      const desired = await h.store.getEntity('product', 'prod-1');
      if (!desired || !listedAsset) throw new Error('missing');
      expect(planEntity({ desired, actual: listedAsset, config: h.config.hubspot }).ops).toEqual([]);
    });

    it('check reports the portal in order after init', async () => {
      const findings = await h.loaded.definition.check(h.loaded.ctx);
      expect(findings.filter((f) => !f.ok)).toEqual([]);
      expect(findings.map((f) => f.message).join('\n')).toMatch(/every scope needed/);
      expect(emu.recorder.writes().filter((c) => !c.operation.startsWith('oauth'))).toEqual([]);
    });
  });
});

describe('HubSpot connector: orders, limits and permissions', () => {
  const started: HubSpotEmulator[] = [];
  const harnesses: Harness[] = [];
  async function setup(
    options: Parameters<typeof startHubSpotEmulator>[0],
    env: Record<string, string> = {},
  ): Promise<{ emu: HubSpotEmulator; h: Harness }> {
    const emu = await startHubSpotEmulator(options);
    started.push(emu);
    const h = await harness(emu, env);
    harnesses.push(h);
    return { emu, h };
  }
  afterEach(async () => {
    const violations = started.flatMap((emu) =>
      emu.recorder.violations().map((v) => `${v.operation}: ${v.violation}`),
    );
    for (const h of harnesses.splice(0)) await h.close();
    for (const emu of started.splice(0)) await emu.stop();
    expect(violations).toEqual([]);
  });

  it('orders become deals in the configured pipeline and stage only when enabled', async () => {
    const off = await setup({});
    expect(off.h.loaded.definition.kinds(off.h.config.hubspot)).toEqual(['employee', 'product']);
    await off.h.ingest('order.created');
    const skipped = await off.h.sync('order', '12345');
    expect(skipped.result).toBe('skipped');
    expect(off.emu.recorder.calls).toEqual([]);

    const { emu, h } = await setup({}, { HUBSPOT_SYNC_ORDERS: 'true' });
    expect(h.loaded.definition.kinds(h.config.hubspot)).toContain('order');
    await h.loaded.definition.init(h.loaded.ctx, { dryRun: false });
    expect(emu.state.findType('deals')?.properties.get('growrk_order_id')?.hasUniqueValue).toBe(true);
    await h.ingest('order.created');
    await h.sync('order', '12345');
    await h.ingest('order.statusChange');
    await h.sync('order', '12345');
    const deals = emu.state.list(emu.state.findType('deals')!, false);
    expect(deals).toHaveLength(1);
    expect(deals[0]?.properties.get('dealstage')).toBe('contractsent');
    expect(deals[0]?.properties.get('pipeline')).toBe('default');
    expect(deals[0]?.properties.get('amount')).toBe('1102.5');
    const contact = contactsOf(emu)[0];
    expect(emu.state.associations.list('0-3', deals[0]?.id ?? '', '0-1').map((a) => a.toObjectId)).toEqual([
      contact?.id,
    ]);
    const before = lastSeq(emu);
    expect((await h.sync('order', '12345')).result).toBe('skipped');
    expect(writesSince(emu, before)).toEqual([]);
  });

  it('the portal’s ten-second limit: 429 TEN_SECONDLY_ROLLING -> VENDOR_RATE_LIMITED with retryAfterMs', async () => {
    const now = Date.UTC(2024, 7, 20, 12);
    // Our limiter off (0 = unlimited): it would otherwise believe the emulator's Remaining: 0 and
    // wait out the window instead of sending the call that gets the 429 (other apps on the portal).
    const { emu, h } = await setup({ limitPer10s: 2, clock: () => now }, { HUBSPOT_CALLS_PER_10S: '0' });
    const error = await h.loaded.definition.init(h.loaded.ctx, { dryRun: false }).then(
      () => null,
      (err: unknown) => err,
    );
    expect(isSyncError(error, 'VENDOR_RATE_LIMITED')).toBe(true);
    expect(isSyncError(error) ? error.retryAfterMs : undefined).toBe(10_000);
    expect(emu.stats().rateLimited).toBe(1);
    expect(emu.recorder.calls.map((c) => c.status)).toEqual([200, 200, 429]);
  });

  it('feeds X-HubSpot-RateLimit-Remaining to the limiter, which waits out the window before the next call', async () => {
    const now = Date.UTC(2024, 7, 20, 12);
    const { h } = await setup({ limitPer10s: 2, clock: () => now });
    let t = now;
    const waits: number[] = [];
    const limiter = createRateLimiter({
      limit: 100,
      intervalMs: 10_000,
      now: () => t,
      sleep: async (ms) => {
        waits.push(ms);
        t += ms;
      },
    });
    const client = createHubSpotClient({ config: h.config.hubspot, limiter });
    await client.listProperties('contacts');
    await client.listProperties('contacts');
    expect(waits).toEqual([]);
    // HubSpot said 0 remaining: the third call waits for the window (the emulator's clock stands
    // still, so it answers 429 all the same).
    const third = await client.listProperties('contacts').then(
      () => null,
      (err: unknown) => err,
    );
    expect(waits).toEqual([10_000]);
    expect(isSyncError(third, 'VENDOR_RATE_LIMITED')).toBe(true);
  });

  it('the daily limit: 429 DAILY -> VENDOR_QUOTA_EXHAUSTED until midnight UTC', async () => {
    const { h } = await setup({ dailyLimit: 1 });
    const before = Date.now();
    const error = await h.loaded.definition.init(h.loaded.ctx, { dryRun: false }).then(
      () => null,
      (err: unknown) => err,
    );
    expect(isSyncError(error, 'VENDOR_QUOTA_EXHAUSTED')).toBe(true);
    const wait = isSyncError(error) ? (error.retryAfterMs ?? -1) : -1;
    const midnight = (Math.floor(before / 86_400_000) + 1) * 86_400_000;
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(midnight - before);
  });

  it('check names a missing scope and a missing object in plain words, without writing', async () => {
    const scopes = ALL_SCOPES.filter((s) => s !== 'crm.schemas.custom.write');
    const { emu, h } = await setup({ scopes });
    const findings = await h.loaded.definition.check(h.loaded.ctx);
    const problems = findings.filter((f) => !f.ok).map((f) => f.message);
    expect(problems).toContainEqual(expect.stringMatching(/lacks the crm\.schemas\.custom\.write scope/));
    expect(problems).toContainEqual(expect.stringMatching(/custom object growrk_asset does not exist/));
    expect(problems).toContainEqual(expect.stringMatching(/growrk_status, growrk_employee_id are missing/));
    expect(emu.recorder.writes().filter((c) => !c.operation.startsWith('oauth'))).toEqual([]);
  });

  it('check says so when the token is refused', async () => {
    const { h } = await setup({ accessTokens: ['another-token'] });
    const findings = await h.loaded.definition.check(h.loaded.ctx);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      ok: false,
      message: expect.stringMatching(/refused the access token/),
    });
  });
});
