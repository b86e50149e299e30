/**
 * The Google emulator's Data Transfer, Enterprise License Manager and mobile-device calls: served
 * from their discovery documents (the same router, contract check, faults and call log as the
 * Directory API), through the real `@googleapis/admin` clients where one exists and over HTTP
 * for licensing (which has no client in `@googleapis/admin`).
 */
import { admin } from '@googleapis/admin';
import { OAuth2Client } from 'google-auth-library';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type GoogleEmulator, startGoogleEmulator } from './google-directory/index.ts';
import { CALENDAR_APPLICATION_ID, DRIVE_APPLICATION_ID } from './google-directory/transfers-state.ts';

let emu: GoogleEmulator;

beforeAll(async () => {
  emu = await startGoogleEmulator();
});
afterEach(() => emu.reset());
afterAll(async () => {
  await emu.stop();
});

function auth(): OAuth2Client {
  const client = new OAuth2Client();
  client.setCredentials({ access_token: 'test-token' });
  return client;
}

const datatransfer = () =>
  admin({ version: 'datatransfer_v1', rootUrl: emu.url, auth: auth(), retry: false });
const directory = () => admin({ version: 'directory_v1', rootUrl: emu.url, auth: auth(), retry: false });

/** Raw HTTP to the emulator with the static token. */
function raw(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('authorization', 'Bearer test-token');
  if (init.body !== undefined) headers.set('content-type', 'application/json');
  return fetch(new URL(path, emu.url), { ...init, headers });
}

function lastCall() {
  const call = emu.recorder.calls.at(-1);
  if (!call) throw new Error('no call recorded');
  return call;
}

async function status(call: Promise<unknown>): Promise<number | undefined> {
  try {
    await call;
    return 200;
  } catch (e) {
    return (e as { response?: { status?: number } }).response?.status;
  }
}

const LICENCE = 'apps/licensing/v1/product/Google-Apps/sku/1010020027';

describe('Data Transfer API', () => {
  it('lists Drive and Calendar with their transfer parameters', async () => {
    const res = await datatransfer().applications.list({ customerId: 'my_customer' });
    expect(res.data.applications?.map((a) => [a.id, a.name, a.transferParams])).toEqual([
      [DRIVE_APPLICATION_ID, 'Drive and Docs', [{ key: 'PRIVACY_LEVEL', value: ['PRIVATE', 'SHARED'] }]],
      [CALENDAR_APPLICATION_ID, 'Calendar', [{ key: 'RELEASE_RESOURCES', value: ['TRUE'] }]],
    ]);
  });

  it('inserts a transfer that completes after a poll, lists it by owner, and fails on demand', async () => {
    const from = emu.state.addUser({ primaryEmail: 'leaver@example.com' });
    const to = emu.state.addUser({ primaryEmail: 'boss@example.com' });
    const api = datatransfer();
    const requestBody = {
      oldOwnerUserId: from.id,
      newOwnerUserId: to.id,
      applicationDataTransfers: [
        {
          applicationId: DRIVE_APPLICATION_ID,
          applicationTransferParams: [{ key: 'PRIVACY_LEVEL', value: ['PRIVATE', 'SHARED'] }],
        },
        {
          applicationId: CALENDAR_APPLICATION_ID,
          applicationTransferParams: [{ key: 'RELEASE_RESOURCES', value: ['TRUE'] }],
        },
      ],
    };
    const inserted = (await api.transfers.insert({ requestBody })).data;
    expect(inserted).toMatchObject({ overallTransferStatusCode: 'inProgress', oldOwnerUserId: from.id });
    const id = inserted.id ?? '';
    expect((await api.transfers.get({ dataTransferId: id })).data.overallTransferStatusCode).toBe(
      'completed',
    );
    const listed = await api.transfers.list({ customerId: 'my_customer', oldOwnerUserId: from.id });
    expect(listed.data.dataTransfers?.map((t) => t.id)).toEqual([id]);

    emu.state.transfers.failNext();
    const failed = (await api.transfers.insert({ requestBody })).data;
    expect(failed.overallTransferStatusCode).toBe('failed');

    // Google's own checks: an unknown application, a parameter value the application does not take.
    const badApp = {
      ...requestBody,
      applicationDataTransfers: [{ applicationId: '1', applicationTransferParams: [] }],
    };
    expect(await status(api.transfers.insert({ requestBody: badApp }))).toBe(400);
    const badValue = {
      ...requestBody,
      applicationDataTransfers: [
        {
          applicationId: DRIVE_APPLICATION_ID,
          applicationTransferParams: [{ key: 'PRIVACY_LEVEL', value: ['PUBLIC'] }],
        },
      ],
    };
    expect(await status(api.transfers.insert({ requestBody: badValue }))).toBe(400);
    expect(lastCall().operation).toBe('datatransfer.transfers.insert');
    // Every 400 is recorded as a violation: the request was not one Google would take.
    expect(emu.recorder.violations().map((c) => c.violation)).toEqual([
      "Invalid Input: applicationId '1' is not a transferable application",
      "Invalid Input: PRIVACY_LEVEL value 'PUBLIC' for application 55656082996",
    ]);
  });

  it('rejects a request outside the discovery document, naming the field', async () => {
    const res = await raw('admin/datatransfer/v1/transfers', {
      method: 'POST',
      body: JSON.stringify({
        oldOwnerUserId: '1',
        newOwnerUserId: '2',
        applicationDataTransfers: [{ appId: 'x' }],
      }),
    });
    expect(res.status).toBe(400);
    expect(lastCall().violation).toContain('appId');
    const param = await raw('admin/datatransfer/v1/transfers?owner=x');
    expect(param.status).toBe(400);
    expect(lastCall().violation).toContain('"owner"');
  });
});

describe('Enterprise License Manager', () => {
  it('gets, moves to another SKU, lists and deletes an assignment', async () => {
    emu.state.addUser({ primaryEmail: 'leaver@example.com' });
    emu.state.licences.assign('Google-Apps', '1010020027', 'leaver@example.com');
    const got = await raw(`${LICENCE}/user/leaver@example.com`);
    expect(got.status).toBe(200);
    expect(await got.json()).toMatchObject({
      productId: 'Google-Apps',
      skuId: '1010020027',
      userId: 'leaver@example.com',
    });

    const listed = await raw(`${LICENCE}/users?customerId=my_customer`);
    expect(((await listed.json()) as { items: unknown[] }).items).toHaveLength(1);

    const moved = await raw(`${LICENCE}/user/leaver@example.com`, {
      method: 'PATCH',
      body: JSON.stringify({ skuId: '1010340001' }),
    });
    expect(moved.status).toBe(200);
    expect(emu.state.licences.all().map((a) => a.skuId)).toEqual(['1010340001']);

    const deleted = await raw(
      'apps/licensing/v1/product/Google-Apps/sku/1010340001/user/leaver@example.com',
      {
        method: 'DELETE',
      },
    );
    expect(deleted.status).toBe(204);
    expect(lastCall().operation).toBe('licensing.licenseAssignments.delete');
    expect(emu.state.licences.all()).toEqual([]);
    expect((await raw(`${LICENCE}/user/leaver@example.com`)).status).toBe(404);
    expect(emu.recorder.violations()).toEqual([]);
  });

  it('rejects a request outside the discovery document: a missing required parameter, an unknown field', async () => {
    const noCustomer = await raw(`${LICENCE}/users`);
    expect(noCustomer.status).toBe(400);
    expect(lastCall().violation).toContain('customerId');
    const unknown = await raw(`${LICENCE}/user`, {
      method: 'POST',
      body: JSON.stringify({ userId: 'a@example.com', seats: 2 }),
    });
    expect(unknown.status).toBe(400);
    expect(lastCall().violation).toContain('seats');
  });
});

describe('mobile devices', () => {
  it('lists a user’s devices by e-mail and wipes the work account from one', async () => {
    emu.state.addUser({ primaryEmail: 'leaver@example.com' });
    emu.state.addUser({ primaryEmail: 'stays@example.com' });
    const phone = emu.state.devices.add({ email: 'leaver@example.com' });
    emu.state.devices.add({ email: 'stays@example.com' });
    const dir = directory();
    const listed = await dir.mobiledevices.list({
      customerId: 'my_customer',
      query: 'email:leaver@example.com',
    });
    expect(listed.data.mobiledevices?.map((d) => d.resourceId)).toEqual([phone.resourceId]);
    await dir.mobiledevices.action({
      customerId: 'my_customer',
      resourceId: phone.resourceId,
      requestBody: { action: 'admin_account_wipe' },
    });
    expect(emu.state.devices.actionLog()).toEqual([
      { resourceId: phone.resourceId, action: 'admin_account_wipe' },
    ]);
    expect(emu.state.devices.get(phone.resourceId).status).toBe('ACCOUNT_WIPED');
    expect(
      await status(
        dir.mobiledevices.action({
          customerId: 'my_customer',
          resourceId: phone.resourceId,
          requestBody: { action: 'explode' },
        }),
      ),
    ).toBe(400);
    expect(emu.recorder.violations().map((c) => c.violation)).toEqual(["Invalid Input: action 'explode'"]);
  });

  it('rejects a request outside the discovery document, and injects faults as for any call', async () => {
    const phone = emu.state.devices.add({ email: 'leaver@example.com' });
    const res = await raw(
      `admin/directory/v1/customer/my_customer/devices/mobile/${phone.resourceId}/action`,
      {
        method: 'POST',
        body: JSON.stringify({ action: 'admin_account_wipe', reason: 'left' }),
      },
    );
    expect(res.status).toBe(400);
    expect(lastCall().violation).toContain('reason');

    emu.faults.add({ kind: 'unavailable', path: '/devices/mobile', count: 1 });
    const dir = directory();
    expect(await status(dir.mobiledevices.list({ customerId: 'my_customer' }))).toBe(503);
    expect(lastCall()).toMatchObject({ fault: 'unavailable', operation: 'directory.mobiledevices.list' });
    expect(await status(dir.mobiledevices.list({ customerId: 'my_customer' }))).toBe(200);
  });
});
