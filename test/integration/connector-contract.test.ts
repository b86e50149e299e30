/**
 * One contract every connector must keep, run against each registered connector with its vendor
 * emulator and the real SDK client: init is idempotent and check passes after it; a sync converges
 * (the second plan is empty and writes nothing); planning is pure; listing finds what was synced
 * under the keys planning looks for; failures reach the core as catalogue errors; and every
 * request fits the vendor's published contract.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONNECTOR_IDS, type ConnectorId, effectOf, manifestOf } from '../../src/connector/registry.ts';
import { entityKey } from '../../src/connector/types.ts';
import type { EntitySnapshot } from '../../src/core/projection.ts';
import { isSyncError } from '../../src/errors.ts';
import { ENTITY_KINDS } from '../../src/growrk/types.ts';
import type { SqliteStore } from '../../src/store/sqlite/store.ts';
import { syncEntity } from '../../src/sync/engine.ts';
import type { LoadedConnector } from '../../src/sync/runtime.ts';
import { startGoogleEmulator } from '../fakes/google-directory/index.ts';
import { startHubSpotEmulator } from '../fakes/hubspot/index.ts';
import type { FaultInjector } from '../fakes/shared/faults.ts';
import type { RecordedCall } from '../fakes/shared/recorder.ts';
import { startSnipeItEmulator } from '../fakes/snipe-it/index.ts';
import { openConnectorWorld } from '../helpers/connector-world.ts';
import { fixtureBodies } from '../helpers/fixtures.ts';

/** How the suite drives one connector's emulator. */
interface Target {
  env: Record<string, string>;
  calls(): RecordedCall[];
  /** Calls that changed state (the recorder never clears here, so `seq` = position). */
  writes(): RecordedCall[];
  faults: FaultInjector;
  /** Events (fixture names) whose entities the connector syncs, in order. */
  events: string[];
  stop(): Promise<void>;
}

const TARGETS: Record<ConnectorId, () => Promise<Target>> = {
  'google-workspace': async () => {
    const emu = await startGoogleEmulator();
    emu.state.addUser({
      primaryEmail: 'johndoe@example.com',
      name: { givenName: 'John', familyName: 'Doe' },
    });
    return {
      env: { GOOGLE_ACCESS_TOKEN: 'test-token', GOOGLE_API_ROOT_URL: emu.url },
      calls: () => emu.recorder.calls,
      writes: () => emu.recorder.writes(),
      faults: emu.faults,
      events: ['employee.created', 'employee.updated', 'employee.offboarded'],
      stop: () => emu.stop(),
    };
  },
  hubspot: async () => {
    const emu = await startHubSpotEmulator();
    return {
      env: { HUBSPOT_ACCESS_TOKEN: 'hs-test-token', HUBSPOT_BASE_URL: emu.url, HUBSPOT_SYNC_ORDERS: 'true' },
      calls: () => emu.recorder.calls,
      writes: () => emu.recorder.writes(),
      faults: emu.faults,
      events: ['employee.created', 'product.created', 'product.assigned', 'product.shipped', 'order.created'],
      stop: () => emu.stop(),
    };
  },
  'snipe-it': async () => {
    const emu = await startSnipeItEmulator();
    return {
      env: {
        SNIPEIT_URL: emu.url,
        SNIPEIT_API_TOKEN: 'snipe-test-token',
        SNIPEIT_MODEL_ID: '1',
        SNIPEIT_CREATE_USERS: 'true',
      },
      calls: () => emu.recorder.calls,
      writes: () => emu.recorder.writes(),
      faults: emu.faults,
      events: [
        'employee.created',
        'product.created',
        'product.assigned',
        'product.shipped',
        'employee.offboarded',
      ],
      stop: () => emu.stop(),
    };
  },
};

describe.each(CONNECTOR_IDS)('connector contract: %s', (id) => {
  let target: Target;
  let store: SqliteStore;
  let loaded: LoadedConnector;
  const dir = mkdtempSync(join(tmpdir(), 'gs-contract-'));
  const writesSince = (n: number) => target.writes().filter((c) => c.seq > n);
  /** One entity read as a batch of one. */
  const readOne = async (desired: EntitySnapshot) =>
    (await loaded.definition.read(loaded.ctx, [desired])).get(entityKey(desired.kind, desired.id)) ?? null;
  /** Every op kind a plan made in this suite (the sync of the fixtures, and plans from scratch). */
  const planned = new Set<string>();

  beforeAll(async () => {
    target = await TARGETS[id]();
    const world = await openConnectorWorld({ id, env: target.env, cwd: dir });
    ({ store, loaded } = world);
    const { ingestor } = world;
    for (const event of target.events) await ingestor.accept(Buffer.from(fixtureBodies().get(event)!));
  });
  afterAll(async () => {
    await store.close();
    await target.stop();
  });

  it('is registered under its own id and syncs known entity kinds', async () => {
    expect(await manifestOf(id).load()).toBe(loaded.definition);
    const kinds = loaded.definition.kinds(loaded.ctx.config);
    expect(kinds.length).toBeGreaterThan(0);
    for (const kind of kinds) expect(ENTITY_KINDS).toContain(kind);
  });

  it('init is idempotent, and check passes after it', async () => {
    await loaded.definition.init(loaded.ctx, { dryRun: false });
    const before = target.calls().length;
    const second = await loaded.definition.init(loaded.ctx, { dryRun: false });
    expect(second.every((f) => f.ok)).toBe(true);
    expect(writesSince(before)).toEqual([]);
    const findings = await loaded.definition.check(loaded.ctx);
    expect(findings.filter((f) => !f.ok)).toEqual([]);
  });

  it('converges: after a sync, the plan is empty and a second sync writes nothing', async () => {
    const engine = {
      guardrails: {
        protectedEmails: [],
        protectedOrgUnits: [],
        destructiveLimit: 100,
        destructiveWindow: 3_600_000,
      },
      dryRun: false,
    };
    for (const kind of loaded.definition.kinds(loaded.ctx.config)) {
      for (const entity of await store.listEntities(kind, { limit: 100 })) {
        const first = await syncEntity({
          loaded,
          store,
          config: engine,
          kind,
          entityId: entity.id,
          eventIds: [],
          now: Date.now,
        });
        expect(['succeeded', 'skipped']).toContain(first.result);
        for (const op of first.plan?.ops ?? []) planned.add(op.type);
        const before = target.calls().length;
        const second = await syncEntity({
          loaded,
          store,
          config: engine,
          kind,
          entityId: entity.id,
          eventIds: [],
          now: Date.now,
        });
        expect(second.result, `${kind}:${entity.id}: ${second.summary}`).toBe('skipped');
        expect(second.plan?.ops ?? []).toEqual([]);
        expect(writesSince(before)).toEqual([]);
      }
    }
  });

  it('plans purely: the same input gives the same plan and is not modified', async () => {
    for (const kind of loaded.definition.kinds(loaded.ctx.config)) {
      for (const desired of await store.listEntities(kind, { limit: 100 })) {
        const actual = await readOne(desired);
        const frozen = structuredClone({ desired, actual });
        const a = loaded.definition.plan({ desired, actual, config: loaded.ctx.config });
        const b = loaded.definition.plan({ desired, actual, config: loaded.ctx.config });
        expect(a).toEqual(b);
        expect({ desired, actual }).toEqual(frozen);
        expect(a.connector).toBe(id);
        expect(a.entityId).toBe(desired.id);
      }
    }
  });

  it('declares every op kind its plan makes, with its effect, in its manifest', async () => {
    for (const kind of loaded.definition.kinds(loaded.ctx.config)) {
      for (const desired of await store.listEntities(kind, { limit: 100 })) {
        // With no target record yet: the plan that creates it.
        const plan = loaded.definition.plan({ desired, actual: null, config: loaded.ctx.config });
        for (const op of plan.ops) planned.add(op.type);
      }
    }
    expect(planned.size).toBeGreaterThan(0);
    const declared = Object.keys(manifestOf(id).ops);
    expect([...planned].filter((type) => !declared.includes(type))).toEqual([]);
    for (const type of planned) expect(() => effectOf(id, type)).not.toThrow();
  });

  it('reads many entities at once as it reads each alone: the same plans (one entity is a batch of one)', async () => {
    const desired: EntitySnapshot[] = [];
    for (const kind of loaded.definition.kinds(loaded.ctx.config))
      desired.push(...(await store.listEntities(kind, { limit: 100 })));
    expect(desired.length).toBeGreaterThan(1);
    const before = target.calls().length;
    const many = await loaded.definition.read(loaded.ctx, desired);
    expect(writesSince(before)).toEqual([]);
    expect([...many.keys()].sort()).toEqual(desired.map((d) => entityKey(d.kind, d.id)).sort());
    const config = loaded.ctx.config;
    for (const one of desired) {
      const together = loaded.definition.plan({
        desired: one,
        actual: many.get(entityKey(one.kind, one.id)) ?? null,
        config,
      });
      const alone = loaded.definition.plan({ desired: one, actual: await readOne(one), config });
      expect(together, `${one.kind}:${one.id}`).toEqual(alone);
    }
  });

  it('lists what it synced under the keys planning looks for', async () => {
    for (const kind of loaded.definition.kinds(loaded.ctx.config)) {
      const keys = new Set<string>();
      for await (const page of loaded.definition.list(loaded.ctx, kind)) {
        for (const actual of page) for (const key of loaded.definition.keysOfActual(actual)) keys.add(key);
      }
      for (const desired of await store.listEntities(kind, { limit: 100 })) {
        if (desired.ts === null) continue; // known only from references: nothing to find
        const wanted = loaded.definition.keysOfDesired(desired);
        expect(
          wanted.some((k) => keys.has(k)),
          `${kind}:${desired.id} listed under ${wanted.join(' | ')}`,
        ).toBe(true);
      }
    }
  });

  it('reports vendor failures as retryable catalogue errors', async () => {
    const remove = target.faults.add({ kind: 'unavailable' });
    try {
      const kind = loaded.definition.kinds(loaded.ctx.config)[0]!;
      const [desired] = await store.listEntities(kind, { limit: 1 });
      let caught: unknown;
      try {
        await readOne(desired!);
      } catch (err) {
        caught = err;
      }
      expect(isSyncError(caught, 'VENDOR_UNAVAILABLE')).toBe(true);
      expect(isSyncError(caught) && caught.retryable).toBe(true);
    } finally {
      remove();
    }
  });

  it('sent only requests that fit the vendor contract', () => {
    expect(target.calls().filter((c) => c.violation !== undefined)).toEqual([]);
  });
});
