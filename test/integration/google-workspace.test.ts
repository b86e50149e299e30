/**
 * The Google Workspace connector against the Directory API emulator over loopback, with the real
 * `@googleapis/admin` client, a context built by the core's runtime, and the projection fed by
 * the real ingest path.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ApplyReport, entityKey, type Plan } from '../../src/connector/types.ts';
import { isSyncError } from '../../src/errors.ts';
import type { SqliteStore } from '../../src/store/sqlite/store.ts';
import { syncEntity } from '../../src/sync/engine.ts';
import type { LoadedConnector } from '../../src/sync/runtime.ts';
import { type GoogleEmulator, startGoogleEmulator } from '../fakes/google-directory/index.ts';
import { openConnectorWorld } from '../helpers/connector-world.ts';
import { fixtureBodies } from '../helpers/fixtures.ts';

const EMPLOYEE = 'emp-12345';
const EMAIL = 'johndoe@example.com';
const SCHEMA = 'GrowrkSync';
const SCOPE = (s: string) => `https://www.googleapis.com/auth/admin.directory.${s}`;

let emu: GoogleEmulator;
const dir = mkdtempSync(join(tmpdir(), 'gs-google-'));
const stores: SqliteStore[] = [];

beforeAll(async () => {
  emu = await startGoogleEmulator();
});
afterAll(async () => {
  await emu.stop();
});
beforeEach(() => {
  emu.reset();
});
afterEach(async () => {
  // Every request any test made must fit the discovery document.
  expect(emu.recorder.violations()).toEqual([]);
  for (const store of stores.splice(0)) await store.close();
});

/** A GroWrk body from a fixture, optionally edited (e.g. a later timestamp, another status). */
function body(
  type: string,
  edit: (envelope: Record<string, unknown>, employee: Record<string, unknown>) => void = () => {},
) {
  const envelope = JSON.parse(fixtureBodies().get(type) ?? '{}') as Record<string, unknown>;
  const [employee] = envelope.employees as Record<string, unknown>[];
  if (employee) edit(envelope, employee);
  return Buffer.from(JSON.stringify(envelope));
}

interface Harness {
  loaded: LoadedConnector;
  store: SqliteStore;
  ingest(raw: Buffer): Promise<void>;
  /** read -> plan, as the engine does it. */
  plan(entityId?: string): Promise<Plan>;
  apply(plan: Plan): Promise<ApplyReport>;
  state<T>(key: string): Promise<T | null>;
}

/** Builds the connector the way the service does: config from env, runtime, SQLite store, ingest. */
async function harness(env: Record<string, string> = {}): Promise<Harness> {
  const { store, loaded, ingestor } = await openConnectorWorld({
    id: 'google-workspace',
    env: {
      NODE_ENV: 'test',
      GOOGLE_ACCESS_TOKEN: 'test-token',
      GOOGLE_API_ROOT_URL: emu.url,
      ...env,
    },
    cwd: dir,
  });
  stores.push(store);
  const { definition, ctx } = loaded;
  return {
    loaded,
    store,
    async ingest(raw) {
      const outcome = await ingestor.accept(raw);
      if (!outcome.ok) throw outcome.error;
    },
    async plan(entityId = EMPLOYEE) {
      const desired = await store.getEntity('employee', entityId);
      if (!desired) throw new Error(`no snapshot for ${entityId}`);
      const actual = (await definition.read(ctx, [desired])).get(entityKey('employee', entityId)) ?? null;
      return definition.plan({ desired, actual, config: ctx.config });
    },
    // One plan is a batch of one; its failure is thrown, as the engine would see it.
    async apply(plan) {
      const [outcome] = await definition.apply(ctx, [plan]);
      if (!outcome) throw new Error('apply gave no outcome');
      if (!outcome.ok) throw outcome.error;
      return outcome.report;
    },
    state: (key) => ctx.state.get(key),
  };
}

/** Seeds the schema (as init would), the employee's account and what the playbook removes. */
function seedOffboardee(over: Record<string, unknown> = {}) {
  emu.state.addSchema({
    schemaName: SCHEMA,
    fields: [
      'suspendedAt',
      'suspendedBy',
      'growrkEventId',
      'growrkOffboardedAt',
      'orgUnitBefore',
      'reactivatedAt',
    ].map((fieldName) => ({ fieldName, fieldType: 'STRING' })),
  });
  const user = emu.state.addUser({ primaryEmail: EMAIL, orgUnitPath: '/Engineering', ...over });
  emu.state.addToken(user.id, 'client-a.apps.googleusercontent.com');
  emu.state.addToken(user.id, 'client-b.apps.googleusercontent.com');
  emu.state.addAsp(user.id);
  emu.state.generateVerificationCodes(user.id);
  for (const email of ['eng@example.com', 'all@example.com']) {
    emu.state.addGroup({ email });
    emu.state.addMember(email, { id: user.id });
  }
  return user;
}

const IN_STEP = {
  externalIds: [{ type: 'custom', customType: 'growrk', value: EMPLOYEE }],
  organizations: [{ primary: true, title: 'Software Engineer', department: 'Engineering' }],
  relations: [{ type: 'manager', value: 'maria.nunez@example.com' }],
};

const OFFBOARD_ENV = { GOOGLE_OFFBOARD_REMOVE_GROUPS: 'true', GOOGLE_OFFBOARD_ORG_UNIT: '/Former employees' };

describe('google-workspace connector against the Directory emulator', () => {
  it('finds the user by e-mail, suspends them with our record, runs the playbook, and then is in step', async () => {
    const user = seedOffboardee();
    const h = await harness(OFFBOARD_ENV);
    await h.ingest(body('employee.offboarded'));

    const plan = await h.plan();
    expect(plan.ops.map((op) => op.type)).toEqual([
      'suspend',
      'sign-out',
      'revoke-tokens',
      'delete-app-passwords',
      'invalidate-backup-codes',
      'remove-groups',
    ]);
    // Link and field updates ride in the suspension's own patch.
    expect(plan.ops[0]?.changes?.map((c) => c.field)).toContain('externalIds.growrk');
    expect(plan.target).toMatchObject({ id: user.id, adminRole: null, orgUnitPath: '/Engineering' });
    const report = await h.apply(plan);
    expect(report.done).toEqual(plan.ops.map((op) => op.type));

    const after = emu.state.getUser(user.id);
    expect(after).toMatchObject({
      suspended: true,
      suspensionReason: 'ADMIN',
      orgUnitPath: '/Former employees',
    });
    expect(after?.customSchemas?.[SCHEMA]).toMatchObject({
      suspendedBy: 'growrk-sync',
      growrkOffboardedAt: '2024-09-30T17:00:00.000Z',
      orgUnitBefore: '/Engineering',
    });
    expect(after?.externalIds).toEqual([{ type: 'custom', customType: 'growrk', value: EMPLOYEE }]);
    expect(after?.relations).toEqual([{ type: 'manager', value: 'maria.nunez@example.com' }]);
    expect(emu.state.signOutCount(user.id)).toBe(1);
    expect(emu.state.listTokens(user.id)).toEqual([]);
    expect(emu.state.listAsps(user.id)).toEqual([]);
    expect(emu.state.listVerificationCodes(user.id)).toEqual([]);
    expect(emu.state.groupsOf(user.id)).toEqual([]);
    expect(await h.state(`link:${EMPLOYEE}`)).toBe(user.id);
    // Measured cost of a first offboarding found by e-mail: 2 searches (externalId, e-mail), then
    // suspend, sign-out, tokens.list + 2 deletes, asps.list + 1 delete, invalidate, groups.list +
    // 2 member deletes; the link and the field updates ride in the suspension's patch.
    expect(emu.recorder.calls.length).toBe(2 + 1 + 1 + 3 + 2 + 1 + 3);
    expect(emu.recorder.byOperation('directory.users.patch')).toHaveLength(1);

    // A fresh read and plan: found through the stored link, nothing left to do, nothing written.
    const writes = emu.recorder.writes().length;
    const calls = emu.recorder.calls.length;
    const again = await h.plan();
    expect(again.ops).toEqual([]);
    expect(await h.apply(again)).toEqual({ done: [], skipped: [], targetId: user.id });
    expect(emu.recorder.writes().length).toBe(writes);
    expect(emu.recorder.calls.slice(calls).map((c) => c.operation)).toEqual(['directory.users.get']);
  });

  it('falls back from a stale link to the secondary e-mail, and re-links', async () => {
    const user = emu.state.addUser({
      primaryEmail: 'jd@example.com',
      aliases: ['john.doe.personal@example.net'],
    });
    const h = await harness();
    await h.ingest(body('employee.updated'));
    await h.loaded.ctx.state.set(`link:${EMPLOYEE}`, 'deleted-user-id');
    const plan = await h.plan();
    expect(plan.target?.id).toBe(user.id);
    expect(plan.ops.map((op) => op.type)).toEqual(['update']);
    expect(plan.ops[0]?.changes?.[0]).toMatchObject({ field: 'externalIds.growrk', after: EMPLOYEE });
    expect(await h.state(`link:${EMPLOYEE}`)).toBe(user.id);
    expect(emu.recorder.calls.map((c) => [c.operation, c.status])).toEqual([
      ['directory.users.get', 404],
      ['directory.users.list', 200],
      ['directory.users.list', 200],
      ['directory.users.list', 200],
    ]);
    expect(emu.recorder.calls.at(-1)?.query.query).toBe('email:john.doe.personal@example.net');
  });

  it('costs 6 + tokens + app passwords + groups calls for a linked user (measured)', async () => {
    const user = seedOffboardee(IN_STEP);
    const h = await harness(OFFBOARD_ENV);
    await h.ingest(body('employee.offboarded'));
    emu.recorder.clear();
    await h.apply(await h.plan());
    const ops = emu.recorder.calls.map((c) => c.operation);
    // read (1: found by externalId) + suspend + sign-out + tokens.list + asps.list + invalidate = 6,
    // + groups.list (remove-groups on) + 2 token deletes + 1 app-password delete + 2 member deletes.
    expect(ops.length).toBe(6 + 1 + 2 + 1 + 2);
    expect(ops.filter((o) => o === 'directory.users.patch')).toHaveLength(1);
    expect(emu.state.getUser(user.id)?.suspended).toBe(true);
  });

  it('resumes a failed playbook with only the steps that did not run', async () => {
    const user = seedOffboardee(IN_STEP);
    const h = await harness();
    await h.ingest(body('employee.offboarded'));
    emu.faults.add({ kind: 'server-error', method: 'GET', path: /\/tokens$/, count: 1 });

    const first = await h.plan();
    const error = await h.apply(first).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isSyncError(error, 'VENDOR_UNAVAILABLE')).toBe(true);
    expect(isSyncError(error) && error.retryable).toBe(true);
    expect(isSyncError(error) && error.message).not.toContain(EMAIL);
    // Steps after the failure were not attempted.
    expect(emu.recorder.byOperation('directory.asps.list')).toHaveLength(0);
    const record = emu.state.getUser(user.id)?.customSchemas?.[SCHEMA];
    expect(await h.state(`playbook:${user.id}`)).toEqual({ run: record?.suspendedAt, done: ['sign-out'] });

    const retry = await h.plan();
    expect(retry.ops.map((op) => op.type)).toEqual([
      'revoke-tokens',
      'delete-app-passwords',
      'invalidate-backup-codes',
    ]);
    const report = await h.apply(retry);
    expect(report.done).toEqual(['revoke-tokens', 'delete-app-passwords', 'invalidate-backup-codes']);
    expect(emu.state.signOutCount(user.id)).toBe(1);
    expect(emu.recorder.byOperation('directory.users.patch')).toHaveLength(1);
    expect(emu.state.listTokens(user.id)).toEqual([]);
    expect((await h.plan()).ops).toEqual([]);

    // A stale copy of the plan (e.g. applied again after approval) finds every step done.
    const calls = emu.recorder.calls.length;
    expect(await h.apply(retry)).toEqual({
      done: [],
      skipped: retry.ops.map((op) => op.type),
      targetId: user.id,
    });
    expect(emu.recorder.calls.length).toBe(calls);
  });

  it('passes on a 429 as a retryable rate limit with the advised wait', async () => {
    seedOffboardee(IN_STEP);
    const h = await harness();
    await h.ingest(body('employee.offboarded'));
    emu.faults.add({ kind: 'rate-limit', path: /\/users$/, count: 1, retryAfterSeconds: 3 });
    const error = await h.plan().then(
      () => null,
      (e: unknown) => e,
    );
    expect(isSyncError(error, 'VENDOR_RATE_LIMITED')).toBe(true);
    expect(isSyncError(error) && error.retryAfterMs).toBe(3000);
  });

  it('treats a token already revoked as done', async () => {
    const user = seedOffboardee(IN_STEP);
    const h = await harness();
    await h.ingest(body('employee.offboarded'));
    const plan = await h.plan();
    // The first token is revoked by someone else just as our delete arrives: the delete answers 404.
    const revokeFirst = emu.state.listTokens(user.id)[0];
    const realDelete = emu.state.deleteToken.bind(emu.state);
    let raced = false;
    emu.state.deleteToken = (userKey: string, clientId: string) => {
      if (!raced && revokeFirst && clientId === revokeFirst.clientId) {
        raced = true;
        realDelete(userKey, clientId);
      }
      realDelete(userKey, clientId);
    };
    try {
      const report = await h.apply(plan);
      expect(report.done).toContain('revoke-tokens');
    } finally {
      emu.state.deleteToken = realDelete;
    }
    expect(raced).toBe(true);
    expect(emu.recorder.byOperation('directory.tokens.delete').map((c) => c.status)).toEqual([404, 204]);
    expect(emu.state.listTokens(user.id)).toEqual([]);
  });

  it('does not claim a suspension by someone else, still runs the playbook, and never reactivates', async () => {
    const user = seedOffboardee({ ...IN_STEP, suspended: true, suspensionReason: 'ABUSE' });
    const h = await harness();
    await h.ingest(body('employee.offboarded'));
    const plan = await h.plan();
    expect(plan.ops.map((op) => op.type)).toEqual([
      'sign-out',
      'revoke-tokens',
      'delete-app-passwords',
      'invalidate-backup-codes',
    ]);
    expect(plan.notes[0]).toMatch(/already suspended by someone else/);
    await h.apply(plan);
    expect(emu.recorder.byOperation('directory.users.patch')).toHaveLength(0);
    expect(emu.state.getUser(user.id)?.customSchemas).toBeUndefined();
    expect((await h.plan()).ops).toEqual([]);

    // Rehired in GroWrk: the account stays suspended.
    await h.ingest(body('employee.updated', (env) => (env.timestamp = '2024-12-01T09:00:00Z')));
    const rehire = await h.plan();
    // The new job title is kept in step; the suspension is left alone.
    expect(rehire.ops.map((op) => op.type)).toEqual(['update']);
    expect(rehire.notes[0]).toMatch(/does not reactivate accounts it did not suspend/);
    await h.apply(rehire);
    expect(emu.state.getUser(user.id)).toMatchObject({ suspended: true, suspensionReason: 'ABUSE' });
  });

  it('reactivates a rehire it suspended (back to the old unit), and not after an admin suspends again', async () => {
    const user = seedOffboardee(IN_STEP);
    const h = await harness(OFFBOARD_ENV);
    await h.ingest(body('employee.offboarded'));
    await h.apply(await h.plan());
    expect(emu.state.getUser(user.id)?.suspended).toBe(true);

    await h.ingest(body('employee.updated', (env) => (env.timestamp = '2024-12-01T09:00:00Z')));
    const rehire = await h.plan();
    expect(rehire.ops.map((op) => op.type)).toEqual(['update', 'reactivate']);
    await h.apply(rehire);
    const after = emu.state.getUser(user.id);
    expect(after).toMatchObject({ suspended: false, orgUnitPath: '/Engineering' });
    expect(after?.customSchemas?.[SCHEMA]?.reactivatedAt).toEqual(expect.any(String));
    expect(await h.state(`playbook:${user.id}`)).toBeNull();
    expect((await h.plan()).ops).toEqual([]);

    // An administrator suspends the account later: not ours, so a rehire plan leaves it.
    emu.state.updateUser(user.id, { suspended: true });
    const later = await h.plan();
    expect(later.ops).toEqual([]);
    expect(later.notes[0]).toMatch(/suspended by someone else/);
  });

  it('lets the engine guardrails protect an administrator', async () => {
    const user = seedOffboardee({ ...IN_STEP, isAdmin: true });
    const h = await harness();
    await h.ingest(body('employee.offboarded'));
    emu.recorder.clear();
    const result = await syncEntity({
      loaded: h.loaded,
      store: h.store,
      config: {
        guardrails: {
          protectedEmails: [],
          protectedOrgUnits: [],
          destructiveLimit: 10,
          destructiveWindow: 60_000,
        },
        dryRun: false,
      },
      kind: 'employee',
      entityId: EMPLOYEE,
      eventIds: [],
      now: Date.now,
    });
    expect(result.result).toBe('protected');
    expect(result.summary).toContain('super admin');
    expect(emu.recorder.writes()).toEqual([]);
    expect(emu.state.getUser(user.id)?.suspended).toBe(false);
  });

  it('creates an account for a new employee only when createAccounts is on', async () => {
    const off = await harness();
    await off.ingest(body('employee.created'));
    expect((await off.plan()).notes).toEqual(['no directory account for this employee']);

    const h = await harness({ GOOGLE_CREATE_ACCOUNTS: 'true' });
    await h.ingest(body('employee.created'));
    const plan = await h.plan();
    expect(plan.ops.map((op) => op.type)).toEqual(['create']);
    const report = await h.apply(plan);
    const created = emu.state.getUser(EMAIL);
    expect(report.targetId).toBe(created?.id);
    expect(created).toMatchObject({
      externalIds: [{ type: 'custom', customType: 'growrk', value: EMPLOYEE }],
    });
    expect(created?.changePasswordAtNextLogin).toBe(true);
    expect(await h.state(`link:${EMPLOYEE}`)).toBe(created?.id);
    expect((await h.plan()).ops).toEqual([]);
  });

  it('init creates the custom schema once; the second run writes nothing', async () => {
    const h = await harness();
    const { definition, ctx } = h.loaded;
    const dry = await definition.init(ctx, { dryRun: true });
    expect(dry[0]?.message).toMatch(/^Would create the custom schema GrowrkSync/);
    expect(emu.recorder.writes()).toEqual([]);

    const first = await definition.init(ctx, { dryRun: false });
    expect(first[0]?.message).toMatch(/^Created the custom schema GrowrkSync/);
    expect(emu.state.getSchema(SCHEMA)?.fields.map((f) => f.fieldName)).toContain('suspendedAt');
    const writes = emu.recorder.writes().length;
    expect(writes).toBe(1);

    const second = await definition.init(ctx, { dryRun: false });
    expect(second).toEqual([
      { ok: true, message: 'The custom schema GrowrkSync is in place; nothing to do.' },
    ]);
    expect(emu.recorder.writes().length).toBe(writes);
    expect((await definition.check(ctx)).filter((f) => !f.ok)).toEqual([]);
  });

  it('check names a missing scope and the missing schema in plain words, without writing', async () => {
    emu.tokens.add({ token: 'narrow-token', scopes: new Set([SCOPE('user')]), principal: 'narrow' });
    const h = await harness({
      GOOGLE_ACCESS_TOKEN: 'narrow-token',
      GOOGLE_OFFBOARD_REMOVE_GROUPS: 'true',
      GOOGLE_OFFBOARD_HANDOVER: 'true',
      GOOGLE_OFFBOARD_HANDOVER_FALLBACK: 'nobody@example.com',
      GOOGLE_OFFBOARD_WIPE_DEVICES: 'true',
      GOOGLE_OFFBOARD_CLOSING: 'true',
      GOOGLE_LICENCE_PRODUCT_ID: 'Google-Apps',
      GOOGLE_LICENCE_SKU_ID: '1010020027',
      GOOGLE_LICENSING_ROOT_URL: emu.url,
    });
    const { definition, ctx } = h.loaded;
    const findings = await definition.check(ctx);
    const problems = findings.filter((f) => !f.ok).map((f) => f.message);
    expect(problems).toContain(
      `Missing scope ${SCOPE('user.security')} (needed to sign users out and revoke their tokens, app passwords and backup codes): issue GOOGLE_ACCESS_TOKEN with the scope ${SCOPE('user.security')}.`,
    );
    expect(problems.some((m) => m.startsWith(`Missing scope ${SCOPE('userschema')}`))).toBe(true);
    expect(problems.some((m) => m.startsWith(`Missing scope ${SCOPE('group')}`))).toBe(true);
    // Each offboarding step that is on names its scope.
    for (const [scope, purpose] of [
      ['https://www.googleapis.com/auth/admin.datatransfer', 'transfer'],
      ['https://www.googleapis.com/auth/admin.directory.device.mobile.action', 'mobile devices'],
      ['https://www.googleapis.com/auth/apps.licensing', 'licence'],
    ])
      expect(problems.find((m) => m.startsWith(`Missing scope ${scope}`))).toContain(purpose);
    expect(problems).toContain('GOOGLE_OFFBOARD_HANDOVER_FALLBACK names no user of this directory.');
    expect(findings.find((f) => f.ok)?.message).toContain(SCOPE('user'));
    expect(emu.recorder.writes()).toEqual([]);

    const full = await harness();
    const missing = await full.loaded.definition.check(full.loaded.ctx);
    expect(missing.filter((f) => !f.ok).map((f) => f.message)).toEqual([
      'The custom schema GrowrkSync that records suspensions does not exist: run growrk-sync init.',
    ]);
  });

  it('authenticates as a service account with domain-wide delegation through the token endpoint', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keyFile = join(dir, 'service-account.json');
    writeFileSync(
      keyFile,
      JSON.stringify({
        type: 'service_account',
        client_email: 'growrk-sync@project.iam.gserviceaccount.com',
        private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      }),
    );
    seedOffboardee(IN_STEP);
    const h = await harness({
      GOOGLE_ACCESS_TOKEN: '',
      GOOGLE_CREDENTIALS: keyFile,
      GOOGLE_ADMIN_SUBJECT: 'admin@example.com',
      GOOGLE_TOKEN_URL: emu.tokenUrl,
    });
    await h.ingest(body('employee.offboarded'));
    const plan = await h.plan();
    expect(plan.ops[0]?.type).toBe('suspend');
    const issued = emu.tokens
      .list()
      .filter((g) => g.issuer === 'growrk-sync@project.iam.gserviceaccount.com');
    expect(issued).toHaveLength(1);
    expect(issued[0]?.principal).toBe('admin@example.com');
    expect(issued[0]?.scopes).toEqual(new Set([SCOPE('user'), SCOPE('user.security'), SCOPE('userschema')]));

    const findings = await h.loaded.definition.check(h.loaded.ctx);
    expect(findings.filter((f) => !f.ok)).toEqual([]);
    // One token per scope probed by check, plus the connector's own.
    expect(emu.recorder.byOperation('oauth2.token').filter((c) => c.status === 200)).toHaveLength(4);
  });

  it('lists 1,200 users in 3 pages with the keys reconciliation matches on', async () => {
    for (let i = 0; i < 1200; i += 1) {
      emu.state.addUser({
        primaryEmail: `user${String(i).padStart(4, '0')}@example.com`,
        externalIds: [{ type: 'custom', customType: 'growrk', value: `emp-${i}` }],
      });
    }
    const h = await harness();
    const { definition, ctx } = h.loaded;
    const pages: unknown[][] = [];
    for await (const page of definition.list(ctx, 'employee')) pages.push(page);
    expect(pages.map((p) => p.length)).toEqual([500, 500, 201]);
    const calls = emu.recorder.byOperation('directory.users.list');
    expect(calls).toHaveLength(3);
    expect(calls[0]?.query).toMatchObject({
      maxResults: '500',
      projection: 'custom',
      customFieldMask: SCHEMA,
    });
    const keys = pages.flat().flatMap((a) => definition.keysOfActual(a));
    expect(keys).toContain('ext:emp-1199');
    expect(keys).toContain('email:user1199@example.com');
  });
});
