/**
 * Acceptance of the offboarding that finishes the job (issue 12), end to end: signed webhooks over
 * HTTP into the service in this process, the real connector and clients, and the Google emulator
 * (Directory, Data Transfer, Licensing) checking every request against its discovery document.
 * The timeline is read back over the admin API and the CLI.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { OffboardingView } from '../../src/core/offboarding.ts';
import type { RunningService } from '../../src/service.ts';
import { type GoogleEmulator, startGoogleEmulator } from '../fakes/google-directory/index.ts';
import { CALENDAR_APPLICATION_ID, DRIVE_APPLICATION_ID } from '../fakes/google-directory/transfers-state.ts';
import { startServiceFromEnv } from '../helpers/app.ts';
import { fixtureBodies } from '../helpers/fixtures.ts';
import {
  cli,
  emailOf,
  employeeBody,
  postSigned,
  seedPerson,
  seedSchema,
  until,
  userIdOfCall,
} from '../helpers/google-offboarding.ts';

const SECRET = 'closing-secret';
const ADMIN_TOKEN = 'closing-admin-token-0123456789abcdef';
const PRODUCT = 'Google-Apps';
const SKU = '1010020027';
const MANAGER = 'maria.nunez@example.com';

let emu: GoogleEmulator;
const services: RunningService[] = [];

beforeAll(async () => {
  emu = await startGoogleEmulator({ seed: 12 });
});
afterAll(async () => {
  await emu.stop();
});
beforeEach(() => {
  emu.reset();
  seedSchema(emu);
});
afterEach(async () => {
  for (const service of services.splice(0)) await service.close();
  // Every request the connector sent fits its discovery document.
  expect(emu.recorder.violations()).toEqual([]);
});

function serviceEnv(extra: Record<string, string> = {}): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'gs-closing-'));
  return {
    GROWRK_WEBHOOK_SECRET: SECRET,
    ADMIN_TOKEN,
    DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`,
    CONNECTORS: 'google-workspace',
    GOOGLE_ACCESS_TOKEN: 'test-token',
    GOOGLE_API_ROOT_URL: emu.url,
    GOOGLE_LICENSING_ROOT_URL: emu.url,
    GOOGLE_OFFBOARD_HANDOVER: 'true',
    GOOGLE_OFFBOARD_HANDOVER_POLL: '50ms',
    GOOGLE_OFFBOARD_WIPE_DEVICES: 'true',
    GOOGLE_OFFBOARD_CLOSING: 'true',
    GOOGLE_LICENCE_PRODUCT_ID: PRODUCT,
    GOOGLE_LICENCE_SKU_ID: SKU,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    JOB_POLL_INTERVAL: '50ms',
    JOB_BACKOFF_BASE: '50ms',
    JOB_BACKOFF_MAX: '300ms',
    JOB_MAX_ATTEMPTS: '30',
    ...extra,
  };
}

async function start(
  extra: Record<string, string> = {},
): Promise<{ service: RunningService; env: Record<string, string> }> {
  const env = serviceEnv(extra);
  const service = await startServiceFromEnv(env);
  services.push(service);
  return { service, env };
}

async function deliver(service: RunningService, body: string): Promise<string> {
  const res = await postSigned(service.url, body, SECRET);
  expect(res.status).toBe(200);
  return res.json.id ?? '';
}

/** Person `n` with a manager account, a phone, a licence and the usual tokens and app password. */
function seedOffboardee(n: number): { userId: string; managerId: string; deviceId: string } {
  const user = seedPerson(emu, n, {}, { linked: true });
  const manager = emu.state.getUser(MANAGER) ?? emu.state.addUser({ primaryEmail: MANAGER });
  const phone = emu.state.devices.add({ email: emailOf(n), model: 'Pixel 8' });
  emu.state.licences.assign(PRODUCT, SKU, emailOf(n));
  return { userId: user.id, managerId: manager.id, deviceId: phone.resourceId };
}

/** A product.statusChange for person `n`'s laptop. */
function laptopBody(
  n: number,
  timestamp: string,
  product: { status: string; wiped?: boolean; legalHoldStatus?: string; serialNumber?: string },
): string {
  const envelope = JSON.parse(fixtureBodies().get('product.statusChange') ?? '') as Record<string, unknown>;
  const [first] = envelope.products as Record<string, unknown>[];
  envelope.timestamp = timestamp;
  envelope.products = [
    {
      ...first,
      id: `prod-${n}`,
      serialNumber: product.serialNumber ?? `SER-${n}`,
      status: product.status,
      wiped: product.wiped ?? false,
      legalHoldStatus: product.legalHoldStatus ?? 'none',
      employee: { id: `emp-${n}`, displayName: `Person ${n}`, email: emailOf(n) },
    },
  ];
  return JSON.stringify(envelope);
}

async function timeline(service: RunningService, employeeId: string): Promise<OffboardingView | null> {
  const res = await fetch(`${service.url}/api/offboardings/${employeeId}`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  if (res.status === 404) return null;
  expect(res.status).toBe(200);
  return ((await res.json()) as { offboarding: OffboardingView }).offboarding;
}

const licenceHeld = (n: number) => emu.state.licences.all().some((a) => a.userId === emailOf(n));
const licenceDeletes = (n: number) =>
  emu.recorder.calls.filter(
    (c) =>
      c.operation === 'licensing.licenseAssignments.delete' &&
      c.status === 204 &&
      c.path.includes(emailOf(n)),
  );

describe('offboarding that finishes the job (handover, devices, equipment-gated closing)', () => {
  it('suspends, hands Drive and Calendar to the manager, wipes the phone; releases the licence once the laptop is back', async () => {
    const { service, env } = await start();
    const { userId, managerId, deviceId } = seedOffboardee(1);
    await deliver(service, laptopBody(1, '2024-09-20T10:00:00Z', { status: 'Shipped' }));
    await deliver(service, employeeBody('employee.offboarded', 1));

    const open = await until('the playbook, handover and wipe to be recorded', async () => {
      const t = await timeline(service, 'emp-1');
      return t?.handover?.state === 'completed' && t.devicesWiped.length === 1 && t.blockedBy ? t : null;
    });
    expect(emu.state.getUser(userId)).toMatchObject({ suspended: true });
    const [transfer, ...more] = emu.state.transfers.all();
    expect(more).toEqual([]);
    expect(transfer).toMatchObject({ oldOwnerUserId: userId, newOwnerUserId: managerId });
    expect(
      transfer?.applicationDataTransfers.map((a) => [a.applicationId, a.applicationTransferParams]),
    ).toEqual([
      [DRIVE_APPLICATION_ID, [{ key: 'PRIVACY_LEVEL', value: ['PRIVATE', 'SHARED'] }]],
      [CALENDAR_APPLICATION_ID, [{ key: 'RELEASE_RESOURCES', value: ['TRUE'] }]],
    ]);
    expect(emu.state.devices.actionLog()).toEqual([{ resourceId: deviceId, action: 'admin_account_wipe' }]);
    // The laptop is "Shipped": the offboarding stays open and says why; the licence stays.
    expect(open).toMatchObject({
      status: 'open',
      handover: { to: MANAGER, source: 'manager', transferId: transfer?.id },
    });
    expect(open.blockedBy).toMatch(/1 product\(s\) not back: SER-1 \(Shipped, not wiped\)/);
    expect(open.equipmentOutstanding).toEqual([
      {
        productId: 'prod-1',
        serial: 'SER-1',
        status: 'Shipped',
        wiped: false,
        legalHold: 'none',
        back: false,
      },
    ]);
    expect(open.steps.map((s) => s.step)).toEqual([
      'suspend',
      'sign-out',
      'revoke-tokens',
      'delete-app-passwords',
      'invalidate-backup-codes',
      // The transfer was under way when the wipe ran; its completion is recorded on the next poll.
      'wipe-devices',
      'handover',
    ]);
    expect(licenceHeld(1)).toBe(true);

    // Returned but not wiped: still open.
    await deliver(service, laptopBody(1, '2024-10-01T10:00:00Z', { status: 'Returned', wiped: false }));
    await until('the closing check to record the returned laptop', async () =>
      (await timeline(service, 'emp-1'))?.blockedBy?.includes('Returned, not wiped'),
    );
    expect(licenceHeld(1)).toBe(true);

    // Returned and wiped: the licence is released, exactly once, and the timeline closes.
    await deliver(service, laptopBody(1, '2024-10-02T10:00:00Z', { status: 'Returned', wiped: true }));
    const closed = await until('the offboarding to close', async () => {
      const t = await timeline(service, 'emp-1');
      return t?.status === 'closed' ? t : null;
    });
    expect(licenceHeld(1)).toBe(false);
    expect(closed).toMatchObject({ blockedBy: null, licence: 'released', equipmentOutstanding: [] });
    expect(closed.licenceReleasedAt).toEqual(expect.any(String));
    // A later product event re-checks, finds it closed, and releases nothing again.
    await deliver(service, laptopBody(1, '2024-10-03T10:00:00Z', { status: 'In warehouse', wiped: true }));
    await service.worker.idle();
    expect(licenceDeletes(1)).toHaveLength(1);
    expect(emu.state.transfers.all()).toHaveLength(1);

    const listed = await cli(['offboardings', 'list', '--json'], env);
    expect(listed.code, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as OffboardingView[]).map((v) => [v.employeeId, v.status])).toEqual([
      ['emp-1', 'closed'],
    ]);
    const openOnly = await cli(['offboardings', 'list', '--open'], env);
    expect(openOnly.stdout).toContain('no offboarding is open');
    const shown = await cli(['offboardings', 'show', 'emp-1'], env);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/handover: +completed to maria\.nunez@example\.com/);
    expect(shown.stdout).toMatch(/licence released at: 20\d\d-/);
  });

  it('a legal hold on the laptop blocks the closing and the timeline says why; then it archives and moves the user', async () => {
    const { service, env } = await start({
      GOOGLE_LICENCE_ARCHIVE_SKU_ID: '1010340001',
      GOOGLE_CLOSING_ORG_UNIT: '/Former employees',
    });
    const { userId } = seedOffboardee(2);
    await deliver(
      service,
      laptopBody(2, '2024-09-20T10:00:00Z', { status: 'Returned', wiped: true, legalHoldStatus: 'active' }),
    );
    await deliver(service, employeeBody('employee.offboarded', 2));
    const held = await until('the legal hold to be recorded', async () => {
      const t = await timeline(service, 'emp-2');
      return t?.blockedBy ? t : null;
    });
    expect(held.blockedBy).toBe('legal hold on SER-2 (active)');
    expect(held.status).toBe('open');
    expect(emu.state.licences.all().map((a) => [a.userId, a.skuId])).toEqual([[emailOf(2), SKU]]);
    const shown = await cli(['offboardings', 'show', held.id], env);
    expect(shown.stdout).toContain('waiting for:         legal hold on SER-2 (active)');

    await deliver(
      service,
      laptopBody(2, '2024-10-01T10:00:00Z', { status: 'Returned', wiped: true, legalHoldStatus: 'none' }),
    );
    const closed = await until('the offboarding to close once the hold is lifted', async () => {
      const t = await timeline(service, 'emp-2');
      return t?.status === 'closed' ? t : null;
    });
    // The archive SKU instead of a release, and the closing unit.
    expect(closed.licence).toBe('archived:1010340001');
    expect(emu.state.licences.all().map((a) => [a.userId, a.skuId])).toEqual([[emailOf(2), '1010340001']]);
    expect(emu.state.getUser(userId)?.orgUnitPath).toBe('/Former employees');
    expect(licenceDeletes(2)).toEqual([]);
  });

  it('a failed transfer is requested again; a completed one is never requested again', async () => {
    const { service } = await start();
    const { userId, managerId } = seedOffboardee(4);
    emu.state.transfers.failNext(1);
    await deliver(service, laptopBody(4, '2024-09-20T10:00:00Z', { status: 'Shipped' }));
    await deliver(service, employeeBody('employee.offboarded', 4));
    const t = await until('the handover to complete', async () => {
      const v = await timeline(service, 'emp-4');
      return v?.handover?.state === 'completed' && v.blockedBy ? v : null;
    });
    const transfers = emu.state.transfers.all();
    expect(transfers.map((x) => [x.oldOwnerUserId, x.newOwnerUserId, x.overallTransferStatusCode])).toEqual([
      [userId, managerId, 'failed'],
      [userId, managerId, 'completed'],
    ]);
    expect(t.handover).toMatchObject({ attempts: 2, transferId: transfers[1]?.id, state: 'completed' });
    // Later passes (a product event) find it completed and request nothing.
    await deliver(service, laptopBody(4, '2024-10-01T10:00:00Z', { status: 'Returned', wiped: false }));
    await until('the re-check', async () =>
      (await timeline(service, 'emp-4'))?.blockedBy?.includes('Returned'),
    );
    await service.worker.idle();
    expect(emu.state.transfers.all()).toHaveLength(2);
  });

  it('a laptop reassigned to someone else re-checks the previous holder, whose offboarding then closes', async () => {
    const { service } = await start();
    seedOffboardee(5);
    await deliver(service, laptopBody(5, '2024-09-20T10:00:00Z', { status: 'Shipped' }));
    await deliver(service, employeeBody('employee.offboarded', 5));
    await until(
      'the closing to wait for the laptop',
      async () => (await timeline(service, 'emp-5'))?.blockedBy,
    );
    const reassigned = JSON.parse(laptopBody(5, '2024-10-01T10:00:00Z', { status: 'Deployed' })) as {
      products: Array<Record<string, unknown>>;
    };
    const [laptop] = reassigned.products;
    if (laptop) laptop.employee = { id: 'emp-77', displayName: 'Person 77', email: emailOf(77) };
    await deliver(service, JSON.stringify(reassigned));
    const closed = await until('the previous holder to close', async () => {
      const t = await timeline(service, 'emp-5');
      return t?.status === 'closed' ? t : null;
    });
    expect(closed.equipment).toEqual([]);
    expect(licenceHeld(5)).toBe(false);
  });

  it('a rehire is held for approval; approving reactivates the account and cancels the closing', async () => {
    const { service, env } = await start();
    const { userId } = seedOffboardee(3);
    await deliver(service, laptopBody(3, '2024-09-20T10:00:00Z', { status: 'Shipped' }));
    await deliver(service, employeeBody('employee.offboarded', 3));
    await until(
      'the closing to wait for the laptop',
      async () => (await timeline(service, 'emp-3'))?.blockedBy,
    );

    await deliver(
      service,
      employeeBody('employee.updated', 3, (employee, envelope) => {
        employee.status = 'active';
        envelope.timestamp = '2024-10-05T09:00:00Z';
      }),
    );
    const listed = await until('the reactivation to be held', async () => {
      const run = await cli(['held', 'list', '--json'], env);
      const rows = JSON.parse(run.stdout) as Array<{
        id: string;
        reason: string;
        ops: Array<{ type: string }>;
      }>;
      return rows.length > 0 ? rows : null;
    });
    expect(listed[0]?.reason).toMatch(/rehire: reactivating user3@example\.com needs approval/);
    expect(listed[0]?.ops.map((o) => o.type)).toContain('reactivate');
    expect(emu.state.getUser(userId)?.suspended).toBe(true);

    const approved = await cli(['held', 'approve', listed[0]?.id ?? ''], env);
    expect(approved.code, approved.stderr).toBe(0);
    const cancelled = await until('the closing to be cancelled', async () => {
      const t = await timeline(service, 'emp-3');
      return t?.status === 'cancelled' ? t : null;
    });
    expect(emu.state.getUser(userId)?.suspended).toBe(false);
    expect(cancelled.cancelledReason).toBe('rehired: account reactivated');
    // The laptop coming back later releases nothing: the closing was cancelled.
    await deliver(service, laptopBody(3, '2024-10-06T10:00:00Z', { status: 'Returned', wiped: true }));
    await service.worker.idle();
    expect(licenceHeld(3)).toBe(true);
    expect(licenceDeletes(3)).toEqual([]);
  });

  it('with 30% injected faults every step completes, each write once; a failed step is retried alone', async () => {
    const { service } = await start();
    const people = [11, 12, 13, 14, 15];
    const seeded = people.map((n) => ({ n, ...seedOffboardee(n) }));
    emu.state.transfers.pollsToComplete = 2;
    for (const path of [/\/admin\//, /\/apps\/licensing\//]) {
      emu.faults.add({ kind: 'unavailable', path, probability: 0.12 });
      emu.faults.add({ kind: 'rate-limit', path, probability: 0.08 / 0.88, retryAfterSeconds: 1, count: 3 });
      emu.faults.add({ kind: 'server-error', path, probability: 0.1 / 0.8 });
    }
    for (const n of people)
      await deliver(service, laptopBody(n, '2024-09-20T10:00:00Z', { status: 'Shipped' }));
    for (const n of people) await deliver(service, employeeBody('employee.offboarded', n));
    const describeState = async () =>
      JSON.stringify({
        jobs: await service.store.countJobs(),
        dead: (await service.store.listJobs({ state: 'dead' })).map((j) => j.lastError),
        outcomes: (await service.store.listOutcomes({ limit: 200 })).map(
          (o) => `${o.entityId} ${o.result} ${o.summary}`,
        ),
        timelines: await Promise.all(people.map((n) => timeline(service, `emp-${n}`))),
      });
    await until(
      describeState,
      async () => {
        for (const n of people) if (!(await timeline(service, `emp-${n}`))?.blockedBy) return false;
        return true;
      },
      { timeoutMs: 25_000, everyMs: 100 },
    );
    for (const n of people)
      await deliver(service, laptopBody(n, '2024-10-02T10:00:00Z', { status: 'Returned', wiped: true }));
    await until(
      describeState,
      async () => {
        for (const n of people) if ((await timeline(service, `emp-${n}`))?.status !== 'closed') return false;
        return true;
      },
      { timeoutMs: 25_000, everyMs: 100 },
    );
    expect(emu.recorder.calls.filter((c) => c.fault !== undefined).length).toBeGreaterThan(10);
    expect((await service.store.countJobs()).dead).toBe(0);
    const served = emu.recorder.calls.filter(
      (c) => c.fault === undefined && c.status >= 200 && c.status < 300,
    );
    for (const { n, userId, deviceId } of seeded) {
      const mine = served.filter((c) => userIdOfCall(c) === userId || c.path.includes(emailOf(n)));
      const count = (operation: string) => mine.filter((c) => c.operation === operation).length;
      // Each write exactly once among the calls the emulator served: nothing done was done again.
      expect(count('directory.users.signOut'), emailOf(n)).toBe(1);
      expect(count('directory.verificationCodes.invalidate'), emailOf(n)).toBe(1);
      expect(count('licensing.licenseAssignments.delete'), emailOf(n)).toBe(1);
      expect(emu.state.transfers.all().filter((t) => t.oldOwnerUserId === userId)).toHaveLength(1);
      expect(emu.state.devices.actionLog().filter((a) => a.resourceId === deviceId)).toHaveLength(1);
      expect(emu.state.getUser(userId)?.suspended).toBe(true);
      expect(licenceHeld(n)).toBe(false);
    }
  });
});
