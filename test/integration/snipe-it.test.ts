/**
 * The Snipe-IT connector against the Snipe-IT emulator, with the connector's own fetch client:
 * the context is built as the service builds it, events go in through the ingest path, and every
 * sync runs the shared read -> plan -> guardrails -> apply path.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSnipeItClient } from '../../connectors/snipe-it/client.ts';
import { loadConfig } from '../../src/config/load.ts';
import { isSyncError } from '../../src/errors.ts';
import type { EntityKind } from '../../src/growrk/types.ts';
import type { SqliteStore } from '../../src/store/sqlite/store.ts';
import { type SyncResult, syncEntity } from '../../src/sync/engine.ts';
import { createRateLimiter } from '../../src/sync/rate-limiter.ts';
import type { LoadedConnector } from '../../src/sync/runtime.ts';
import { type SnipeItEmulator, startSnipeItEmulator } from '../fakes/snipe-it/index.ts';
import { openConnectorWorld } from '../helpers/connector-world.ts';
import { fixture } from '../helpers/fixtures.ts';

interface Harness {
  store: SqliteStore;
  loaded: LoadedConnector;
  ingest(type: string, change?: (entity: Record<string, unknown>) => void, timestamp?: string): Promise<void>;
  sync(kind: EntityKind, id: string): Promise<SyncResult>;
  close(): Promise<void>;
}

async function harness(emu: SnipeItEmulator, env: Record<string, string> = {}): Promise<Harness> {
  const { config, store, loaded, ingestor } = await openConnectorWorld({
    id: 'snipe-it',
    env: {
      SNIPEIT_URL: emu.url,
      SNIPEIT_API_TOKEN: 'snipe-test-token',
      SNIPEIT_MODEL_ID: '1',
      LOG_LEVEL: 'silent',
      ...env,
    },
    cwd: '/nonexistent',
  });
  return {
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
      syncEntity({
        loaded,
        store,
        config: { guardrails: config.guardrails, dryRun: false },
        kind,
        entityId: id,
        eventIds: [],
        now: Date.now,
      }),
    close: () => store.close(),
  };
}

const SERIAL = 'C02XK0AAJGH5';

describe('Snipe-IT connector against the emulator', () => {
  let emu: SnipeItEmulator;
  let h: Harness;

  beforeAll(async () => {
    emu = await startSnipeItEmulator();
  });
  afterAll(() => emu.stop());
  beforeEach(async () => {
    emu.reset();
    h = await harness(emu, { SNIPEIT_CREATE_USERS: 'true' });
    await h.loaded.definition.init(h.loaded.ctx, { dryRun: false });
  });
  afterEach(async () => {
    expect(emu.recorder.violations().map((c) => `${c.operation}: ${c.violation}`)).toEqual([]);
    await h.close();
  });

  it('init creates the two fields and their fieldset on the model; check then passes', async () => {
    const [set] = emu.state.fieldsets;
    expect(set?.name).toBe('GroWrk');
    expect(emu.state.fields.map((f) => f.name)).toEqual(['GroWrk product id', 'GroWrk order id']);
    expect(set?.fieldIds).toEqual(emu.state.fields.map((f) => f.id));
    expect(emu.state.model(1)?.fieldsetId).toBe(set?.id);
    const findings = await h.loaded.definition.check(h.loaded.ctx);
    expect(findings.filter((f) => !f.ok)).toEqual([]);
  });

  it('a product becomes an asset with model, status and GroWrk ids; assigned checks it out to a created user', async () => {
    await h.ingest('product.created');
    expect((await h.sync('product', 'prod-777')).result).toBe('succeeded');
    const asset = emu.state.assetBySerial(SERIAL)!;
    expect(asset.tag).toBe('prod-777');
    expect(asset.modelId).toBe(1);
    expect(emu.state.label(asset.statusId)?.name).toBe('Ready to Deploy');
    const [productField, orderField] = emu.state.fields;
    expect(asset.custom).toEqual({ [productField!.dbColumn]: 'prod-777', [orderField!.dbColumn]: '12345' });
    expect(asset.assignedUser).toBeNull();

    await h.ingest('product.assigned');
    const assigned = await h.sync('product', 'prod-777');
    expect(assigned.plan?.ops.map((op) => op.type)).toEqual(['checkout']);
    const user = emu.state.userByEmail('johndoe@example.com')!;
    expect(user.activated).toBe(false);
    expect(user.employeeNum).toBe('emp-12345');
    expect(emu.state.assetBySerial(SERIAL)?.assignedUser).toBe(user.id);
    expect((await h.sync('product', 'prod-777')).result).toBe('skipped');
  });

  it('matches an existing asset by serial, then by asset tag, instead of creating one', async () => {
    emu.state.addAsset({ tag: 'IT-0001', serial: SERIAL, name: 'old name' });
    await h.ingest('product.created');
    const bySerial = await h.sync('product', 'prod-777');
    expect(bySerial.plan?.ops.map((op) => op.type)).toEqual(['update-asset']);
    expect(emu.state.assets).toHaveLength(1);
    expect(emu.state.assets[0]?.name).toBe('MacBook Pro 14');
    expect(emu.state.assets[0]?.tag).toBe('IT-0001');

    emu.state.addAsset({ tag: 'prod-778', name: 'by tag' });
    await h.ingest('product.created', (p) => {
      p.id = 'prod-778';
      p.serialNumber = 'NEW-SERIAL';
    });
    expect((await h.sync('product', 'prod-778')).plan?.ops.map((op) => op.type)).toEqual(['update-asset']);
    expect(emu.state.assets).toHaveLength(2);
    expect(emu.state.assets[1]?.serial).toBe('NEW-SERIAL');
  });

  it('unassigned checks the asset in; a legal hold maps to its status label', async () => {
    await h.ingest('product.assigned');
    await h.sync('product', 'prod-777');
    await h.ingest(
      'product.statusChange',
      (p) => {
        p.assigned = false;
        p.employee = null;
        p.status = 'In inventory';
        p.legalHoldStatus = 'active';
      },
      '2024-09-01T00:00:00Z',
    );
    const result = await h.sync('product', 'prod-777');
    expect(result.plan?.ops.map((op) => op.type)).toEqual(['update-asset', 'checkin']);
    const asset = emu.state.assetBySerial(SERIAL)!;
    expect(asset.assignedUser).toBeNull();
    expect(emu.state.label(asset.statusId)?.name).toBe('Legal Hold');
  });

  it('offboarded: assets still checked out are reported as returns and never checked in', async () => {
    await h.ingest('product.assigned');
    await h.sync('product', 'prod-777');
    await h.ingest('employee.offboarded');
    const before = emu.recorder.writes().length;
    const result = await h.sync('employee', 'emp-12345');
    expect(result.result).toBe('skipped');
    expect(result.summary).toMatch(
      /^returns: employee emp-12345 .* 1 asset\(s\) checked out .*prod-777 \(serial C02XK0AAJGH5\)/,
    );
    expect(result.summary).not.toContain('johndoe@example.com');
    expect(emu.recorder.writes().length).toBe(before);
    expect(emu.state.assetBySerial(SERIAL)?.assignedUser).not.toBeNull();
  });

  it('without SNIPEIT_CREATE_USERS an unknown assignee is noted, not checked out', async () => {
    const plain = await harness(emu);
    try {
      await plain.ingest('product.assigned');
      const result = await plain.sync('product', 'prod-777');
      expect(result.plan?.ops.map((op) => op.type)).toEqual(['create-asset']);
      expect(result.plan?.notes.join(' ')).toMatch(/no Snipe-IT user has the e-mail of employee emp-12345/);
      expect(emu.state.userByEmail('johndoe@example.com')).toBeUndefined();
    } finally {
      await plain.close();
    }
  });

  it('HTTP 200 with "status": "error" is a failure with its messages, classified', async () => {
    await h.ingest('product.created');
    emu.state.addAsset({ tag: 'prod-777', serial: 'OTHER' });
    emu.state.assets[0]!.serial = 'OTHER';
    // The tag is taken by an asset of another serial that carries another product id: create refused.
    const [productField] = emu.state.fields;
    emu.state.assets[0]!.custom[productField!.dbColumn] = 'prod-999';
    let caught: unknown;
    try {
      await h.sync('product', 'prod-777');
    } catch (err) {
      caught = err;
    }
    expect(isSyncError(caught, 'VENDOR_REJECTED')).toBe(true);
    expect((caught as Error).message).toMatch(/asset_tag: The asset tag must be unique/);
    const client = h.loaded.ctx.client as { checkin(id: number, body: object): Promise<void> };
    let missing: unknown;
    try {
      await client.checkin(999, {});
    } catch (err) {
      missing = err;
    }
    expect(isSyncError(missing, 'TARGET_NOT_FOUND')).toBe(true);
  });

  it('reconcile lists hardware in pages of 500 and finds every asset', async () => {
    for (let i = 0; i < 1001; i += 1) emu.state.addAsset({ tag: `T-${i}`, serial: `S-${i}` });
    const from = emu.recorder.calls.length;
    let listed = 0;
    for await (const page of h.loaded.definition.list(h.loaded.ctx, 'product')) listed += page.length;
    expect(listed).toBe(1001);
    const lists = emu.recorder.calls.slice(from).filter((c) => c.operation === 'hardware.list');
    expect(lists.map((c) => [c.query.limit, c.query.offset])).toEqual([
      ['500', '0'],
      ['500', '500'],
      ['500', '1000'],
    ]);
  });

  it('check reports a token without the permissions it needs', async () => {
    const clerk = emu.state.addUser({
      username: 'clerk',
      firstName: 'Clerk',
      permissions: { 'assets.view': '1' },
    });
    emu.state.addToken('clerk-token', clerk.id);
    const limited = await harness(emu, { SNIPEIT_API_TOKEN: 'clerk-token' });
    try {
      const findings = await limited.loaded.definition.check(limited.loaded.ctx);
      const failed = findings.filter((f) => !f.ok).map((f) => f.message);
      expect(failed[0]).toMatch(/lacks the permissions: assets\.create, assets\.edit, assets\.checkout/);
    } finally {
      await limited.close();
    }
    const wrong = await harness(emu, { SNIPEIT_API_TOKEN: 'nope' });
    try {
      let caught: unknown;
      try {
        await wrong.loaded.definition.check(wrong.loaded.ctx);
      } catch (err) {
        caught = err;
      }
      expect(isSyncError(caught, 'VENDOR_AUTH')).toBe(true);
    } finally {
      await wrong.close();
    }
  });
});

describe('Snipe-IT rate limits', () => {
  it('honours X-RateLimit-Remaining: the limiter waits out the window instead of drawing a 429', async () => {
    let now = 1_000_000;
    const slept: number[] = [];
    const emu = await startSnipeItEmulator({ perMinute: 3, clock: () => now });
    const limiter = createRateLimiter({
      limit: 120,
      intervalMs: 60_000,
      now: () => now,
      sleep: async (ms) => {
        slept.push(ms);
        now += ms;
      },
    });
    const config = loadConfig({
      env: { SNIPEIT_URL: emu.url, SNIPEIT_API_TOKEN: 'snipe-test-token', SNIPEIT_MODEL_ID: '1' },
      cwd: '/nonexistent',
    });
    const client = createSnipeItClient({ config: config.snipeit, limiter });
    try {
      for (let i = 0; i < 4; i += 1) await client.me();
      expect(emu.recorder.calls.map((c) => c.status)).toEqual([200, 200, 200, 200]);
      expect(slept.length).toBeGreaterThan(0);
    } finally {
      await emu.stop();
    }
  });

  it('a 429 is a rate-limit error carrying the Retry-After wait', async () => {
    const emu = await startSnipeItEmulator();
    const h = await harness(emu);
    try {
      emu.faults.add({ kind: 'rate-limit', count: 1, retryAfterSeconds: 7 });
      let caught: unknown;
      try {
        await (h.loaded.ctx.client as { me(): Promise<unknown> }).me();
      } catch (err) {
        caught = err;
      }
      expect(isSyncError(caught, 'VENDOR_RATE_LIMITED')).toBe(true);
      expect(isSyncError(caught) && caught.retryAfterMs).toBe(7000);
    } finally {
      await h.close();
      await emu.stop();
    }
  });
});
