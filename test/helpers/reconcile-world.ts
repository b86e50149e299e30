/**
 * A world for reconciliation tests and benchmarks: both vendor emulators, a SQLite store in a file,
 * a projection fed through the real ingest path, and the CLI run in-process against all of it
 * (configuration from env, as `npx growrk-sync` gets it).
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import type { AppConfig } from '../../src/config/types.ts';
import { Ingestor } from '../../src/core/ingest.ts';
import { keepFieldsFor } from '../../src/core/privacy-policy.ts';
import { createLogger } from '../../src/log.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { createConnectorRuntime } from '../../src/sync/runtime.ts';
import { type GoogleEmulator, startGoogleEmulator } from '../fakes/google-directory/index.ts';
import { type HubSpotEmulator, startHubSpotEmulator } from '../fakes/hubspot/index.ts';
import { type CliRun, runCliCaptured } from './cli.ts';

export type { CliRun };

/** The custom schema the Google connector writes its suspension record into. */
export const SCHEMA = 'GrowrkSync';
const SCHEMA_FIELDS = [
  'suspendedAt',
  'suspendedBy',
  'growrkEventId',
  'growrkOffboardedAt',
  'orgUnitBefore',
  'reactivatedAt',
];

/** The emulators, the store and a way to run the CLI. */
export interface World {
  google: GoogleEmulator;
  hubspot: HubSpotEmulator;
  store: SqliteStore;
  dir: string;
  env: Record<string, string>;
  config(extra?: Record<string, string>): AppConfig;
  /** Runs `growrk-sync ARGS` in-process with the world's env (plus `extra`). */
  cli(args: string[], extra?: Record<string, string>): Promise<CliRun>;
  /** Stores GroWrk bodies through the ingest path (no sync jobs), projected once it resolves. */
  ingest(bodies: readonly object[]): Promise<void>;
  /** Runs both connectors' `init` (HubSpot properties and object; Google custom schema). */
  init(): Promise<void>;
  /** Empties the emulators' call records. */
  clearCalls(): void;
  /** Fresh emulator state and a new, empty store (emulators keep running). */
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** Emulator limits; the defaults are the vendors' (Google 2,400/min, HubSpot 190/10 s, search 4/s). */
export interface WorldOptions {
  googlePerMinute?: number;
  hubspotPer10s?: number;
  hubspotSearchPerSecond?: number;
  env?: Record<string, string>;
}

/** Starts a world. */
export async function startWorld(options: WorldOptions = {}): Promise<World> {
  const google = await startGoogleEmulator({ quotaPerMinute: options.googlePerMinute ?? 2400 });
  const hubspot = await startHubSpotEmulator({
    limitPer10s: options.hubspotPer10s ?? 190,
    searchPerSecond: options.hubspotSearchPerSecond ?? 4,
  });
  const dir = mkdtempSync(join(tmpdir(), 'gs-reconcile-'));
  let generation = 1;
  const dbPath = () => join(dir, `store-${generation}.db`);
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATABASE_URL: `sqlite:${dbPath()}`,
    CONNECTORS: 'google-workspace,hubspot',
    GOOGLE_ACCESS_TOKEN: 'test-token',
    GOOGLE_API_ROOT_URL: google.url,
    GOOGLE_CUSTOM_SCHEMA: SCHEMA,
    GOOGLE_CALLS_PER_MINUTE: String(options.googlePerMinute ?? 2400),
    HUBSPOT_ACCESS_TOKEN: 'hs-test-token',
    HUBSPOT_BASE_URL: hubspot.url,
    HUBSPOT_CALLS_PER_10S: String(options.hubspotPer10s ?? 190),
    HUBSPOT_SEARCH_PER_SECOND: String(options.hubspotSearchPerSecond ?? 4),
    RECONCILE_SCHEDULE: 'off',
    RECONCILE_MAX_DESTRUCTIVE: '100000',
    RECONCILE_MAX_DESTRUCTIVE_SHARE: '1',
    ...options.env,
  };
  const config = (extra: Record<string, string> = {}) => loadConfig({ env: { ...env, ...extra }, cwd: dir });
  const open = async () => {
    const store = new SqliteStore({ path: dbPath() });
    await store.migrate();
    const ingestor = new Ingestor({
      store,
      secrets: () => [],
      dropFields: config().privacy.dropFields,
      keepFields: keepFieldsFor(config()),
      jobConnectors: {},
    });
    return { store, ingestor };
  };
  let { store, ingestor } = await open();
  return {
    google,
    hubspot,
    get store() {
      return store;
    },
    dir,
    env,
    config,
    cli: (args, extra = {}) => runCliCaptured(args, { ...env, ...extra }, dir),
    async ingest(bodies) {
      await Promise.all(
        bodies.map(async (body) => {
          const outcome = await ingestor.accept(Buffer.from(JSON.stringify(body)));
          if (!outcome.ok) throw outcome.error;
        }),
      );
      // The SQLite store projects behind the acknowledgement. A read of the projection catches up
      // with everything acknowledged (read-your-writes), so that a CLI run in another process reads
      // a complete projection instead of contending for the lock while this one projects.
      await store.listEntities('employee', { limit: 1 });
    },
    async init() {
      google.state.addSchema({
        schemaName: SCHEMA,
        fields: SCHEMA_FIELDS.map((fieldName) => ({ fieldName, fieldType: 'STRING' })),
      });
      const runtime = await createConnectorRuntime({
        config: config(),
        store,
        logger: createLogger('silent'),
        only: ['hubspot'],
      });
      const hs = runtime.connectors.get('hubspot');
      if (!hs) throw new Error('hubspot not loaded');
      const findings = await hs.definition.init(hs.ctx, { dryRun: false });
      const failed = findings.filter((f) => !f.ok);
      if (failed.length > 0) throw new Error(`hubspot init: ${failed.map((f) => f.message).join('; ')}`);
    },
    clearCalls() {
      google.recorder.clear();
      hubspot.recorder.clear();
    },
    async reset() {
      google.reset();
      hubspot.reset();
      await store.close();
      generation += 1;
      env.DATABASE_URL = `sqlite:${dbPath()}`;
      ({ store, ingestor } = await open());
    },
    async close() {
      await store.close();
      await google.stop();
      await hubspot.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---- GroWrk data ----------------------------------------------------------------------------

/** An employee as GroWrk sends it (the fields the connectors map). */
export function employee(n: number, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: `emp-${n}`,
    email: `user${n}@example.com`,
    displayName: `User ${n}`,
    status: 'active',
    jobTitle: 'Engineer',
    department: 'Engineering',
    ...over,
  };
}

/** A product (IT asset) assigned to employee `owner`. */
export function product(
  n: number,
  owner: number,
  over: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id: `prod-${n}`,
    status: 'Deployed',
    assigned: true,
    serialNumber: `SN${String(n).padStart(8, '0')}`,
    title: 'MacBook Pro 14',
    model: 'MacBook Pro 14 (M3, 2023)',
    manufacturer: 'Apple',
    employee: { id: `emp-${owner}`, email: `user${owner}@example.com`, displayName: `User ${owner}` },
    ...over,
  };
}

/** A GroWrk envelope carrying `entities` of one family. */
export function envelope(
  event: string,
  entities: readonly Record<string, unknown>[],
  timestamp = '2024-09-01T12:00:00Z',
): Record<string, unknown> {
  const key = event.startsWith('employee')
    ? 'employees'
    : event.startsWith('product')
      ? 'products'
      : 'orders';
  return { event, timestamp, companyId: '123', [key]: entities };
}

/** Envelopes of at most `size` entities each (bulk seeding). */
export function envelopes(
  event: string,
  entities: readonly Record<string, unknown>[],
  size = 500,
  timestamp?: string,
): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < entities.length; i += size)
    out.push(envelope(event, entities.slice(i, i + size), timestamp));
  return out;
}

/** The directory user of employee `n`, linked by GroWrk id and in step with {@link employee}. */
export function directoryUser(n: number, over: Record<string, unknown> = {}) {
  return {
    primaryEmail: `user${n}@example.com`,
    externalIds: [{ type: 'custom', customType: 'growrk', value: `emp-${n}` }],
    organizations: [{ primary: true, title: 'Engineer', department: 'Engineering' }],
    orgUnitPath: '/',
    ...over,
  };
}
