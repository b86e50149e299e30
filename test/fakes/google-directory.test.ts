/**
 * The Directory API emulator, driven through the real `@googleapis/admin` client (and raw fetch where
 * the client would refuse to send something), plus its CLI entry and control API in a child process.
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { admin, type admin_directory_v1 } from '@googleapis/admin';
import { JWT, OAuth2Client } from 'google-auth-library';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  applyFields,
  type GoogleEmulator,
  parseFields,
  redirectTokenRequests,
  startGoogleEmulator,
} from './google-directory/index.ts';
import type { FaultKind } from './shared/faults.ts';

const SCOPE = 'https://www.googleapis.com/auth/admin.directory.';
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

let emu: GoogleEmulator;

beforeAll(async () => {
  emu = await startGoogleEmulator();
});
afterEach(() => emu.reset());
afterAll(async () => {
  await emu.stop();
});

/** The real client, authorised with a static bearer token; gaxios retries off so faults surface. */
function directory(token = 'test-token', rootUrl = emu.url): admin_directory_v1.Admin {
  const auth = new OAuth2Client();
  auth.setCredentials({ access_token: token });
  return admin({ version: 'directory_v1', rootUrl, auth, retry: false });
}

interface Failure {
  status: number | undefined;
  code: string | undefined;
  data: unknown;
  headers: Headers | undefined;
  message: string;
}

/** Awaits a call that must fail and returns what the client saw. */
async function failure(call: Promise<unknown>): Promise<Failure> {
  try {
    await call;
  } catch (e) {
    if (!(e instanceof Error)) throw e;
    const err = e as Error & {
      status?: number;
      code?: string;
      response?: { status: number; data: unknown; headers: Headers };
    };
    return {
      status: err.response?.status ?? err.status,
      code: err.code,
      data: err.response?.data,
      headers: err.response?.headers,
      message: e.message,
    };
  }
  throw new Error('expected the call to fail');
}

/** `error.errors[0].reason` of a Google-style error body. */
function reasonOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || !('error' in body)) return undefined;
  const error = body.error;
  if (typeof error !== 'object' || error === null || !('errors' in error) || !Array.isArray(error.errors))
    return undefined;
  const first: unknown = error.errors[0];
  return typeof first === 'object' && first !== null && 'reason' in first ? String(first.reason) : undefined;
}

/** Raw HTTP to the emulator, bypassing the client's own checks. */
function raw(path: string, init: RequestInit = {}, token: string | null = 'test-token'): Promise<Response> {
  const headers = new Headers(init.headers);
  if (token !== null) headers.set('authorization', `Bearer ${token}`);
  if (init.body !== undefined) headers.set('content-type', 'application/json');
  return fetch(new URL(path, emu.url), { ...init, headers });
}

function lastCall() {
  const call = emu.recorder.calls.at(-1);
  if (!call) throw new Error('no call recorded');
  return call;
}

describe('users through the real client', () => {
  it('gets, lists, patches and suspends a user, and records each operation', async () => {
    const dir = directory();
    const jane = emu.state.addUser({
      primaryEmail: 'jane@example.com',
      name: { givenName: 'Jane', familyName: 'Doe' },
      externalIds: [{ type: 'custom', customType: 'growrk', value: 'emp-1' }],
      orgUnitPath: '/Engineering/Backend',
    });

    const byEmail = await dir.users.get({ userKey: 'JANE@example.com' });
    expect(byEmail.data).toMatchObject({ id: jane.id, kind: 'admin#directory#user', suspended: false });
    expect(byEmail.data.suspensionReason).toBeUndefined();
    expect((await dir.users.get({ userKey: jane.id })).data.primaryEmail).toBe('jane@example.com');

    const found = await dir.users.list({ customer: 'my_customer', query: 'externalId:emp-1' });
    expect(found.data.users?.map((u) => u.id)).toEqual([jane.id]);
    const inOu = await dir.users.list({
      customer: 'my_customer',
      query: 'orgUnitPath=/Engineering isSuspended=false',
    });
    expect(inOu.data.users?.map((u) => u.primaryEmail)).toEqual(['jane@example.com']);

    const patched = await dir.users.patch({
      userKey: 'jane@example.com',
      requestBody: {
        suspended: true,
        organizations: [{ title: 'Engineer', department: 'R&D', primary: true }],
      },
    });
    expect(patched.data).toMatchObject({ suspended: true, suspensionReason: 'ADMIN' });
    expect(emu.state.getUser(jane.id)).toMatchObject({ suspended: true, suspensionReason: 'ADMIN' });
    expect(patched.data.etag).not.toBe(byEmail.data.etag);

    const suspended = await dir.users.list({ domain: 'example.com', query: 'isSuspended=true' });
    expect(suspended.data.users?.map((u) => u.primaryEmail)).toEqual(['jane@example.com']);

    const restored = await dir.users.update({ userKey: jane.id, requestBody: { suspended: false } });
    expect(restored.data.suspended).toBe(false);
    expect(restored.data.suspensionReason).toBeUndefined();
    // update has patch semantics (discovery: "Fields that are not present in the request will be preserved").
    expect(restored.data.organizations).toEqual([{ title: 'Engineer', department: 'R&D', primary: true }]);

    expect(emu.recorder.calls.map((c) => c.operation)).toEqual([
      'directory.users.get',
      'directory.users.get',
      'directory.users.list',
      'directory.users.list',
      'directory.users.patch',
      'directory.users.list',
      'directory.users.update',
    ]);
    expect(emu.recorder.violations()).toEqual([]);
    expect(emu.recorder.writes().map((c) => c.operation)).toEqual([
      'directory.users.patch',
      'directory.users.update',
    ]);
  });

  it('keeps Google-suspended accounts apart, answers 404 for unknown users and admin flags for admins', async () => {
    const dir = directory();
    emu.state.addUser({ primaryEmail: 'spam@example.com', suspended: true, suspensionReason: 'ABUSE' });
    emu.state.addUser({ primaryEmail: 'helpdesk@example.com', isDelegatedAdmin: true });
    expect((await dir.users.get({ userKey: 'spam@example.com' })).data.suspensionReason).toBe('ABUSE');

    const admins = await dir.users.list({ customer: 'my_customer', query: 'isAdmin=true' });
    expect(admins.data.users?.map((u) => u.primaryEmail)).toEqual(['admin@example.com']);
    const delegated = await dir.users.get({ userKey: 'helpdesk@example.com' });
    expect(delegated.data.isDelegatedAdmin).toBe(true);

    const missing = await failure(dir.users.get({ userKey: 'nobody@example.com' }));
    expect(missing.status).toBe(404);
    expect(reasonOf(missing.data)).toBe('notFound');
    expect(lastCall().violation).toBeUndefined();

    await dir.users.makeAdmin({ userKey: 'helpdesk@example.com', requestBody: { status: true } });
    expect(emu.state.getUser('helpdesk@example.com')?.isAdmin).toBe(true);
  });

  it('pages through 1201 users with maxResults 500 and a fields selection', async () => {
    for (let i = 0; i < 1200; i += 1)
      emu.state.addUser({ primaryEmail: `user${i}@example.com`, suspended: i % 7 === 0 });
    const dir = directory();
    const seen: admin_directory_v1.Schema$User[] = [];
    let pageToken: string | undefined;
    let pages = 0;
    do {
      const res = await dir.users.list({
        customer: 'my_customer',
        maxResults: 500,
        fields: 'nextPageToken,users(id,primaryEmail,suspended)',
        ...(pageToken ? { pageToken } : {}),
      });
      pages += 1;
      expect(Object.keys(res.data).every((k) => k === 'users' || k === 'nextPageToken')).toBe(true);
      for (const user of res.data.users ?? []) {
        expect(Object.keys(user).sort()).toEqual(['id', 'primaryEmail', 'suspended']);
        seen.push(user);
      }
      pageToken = res.data.nextPageToken ?? undefined;
    } while (pageToken);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(1201);
    expect(new Set(seen.map((u) => u.id)).size).toBe(1201);
    expect(seen.filter((u) => u.suspended)).toHaveLength(172);

    const first = await dir.users.list({ customer: 'my_customer', maxResults: 500 });
    const token = first.data.nextPageToken ?? '';
    const replayed = await failure(
      dir.users.list({
        customer: 'my_customer',
        maxResults: 500,
        pageToken: token,
        query: 'isSuspended=true',
      }),
    );
    expect(replayed.status).toBe(400);
    expect(lastCall().violation).toContain('pageToken');
  });

  it('omits the users array when a listing is empty, as Google does', async () => {
    const res = await directory().users.list({ customer: 'my_customer', query: 'email:ghost@example.com' });
    expect(res.data.kind).toBe('admin#directory#users');
    expect(res.data.users).toBeUndefined();
  });

  it('patch cannot clear repeated fields, update can; a rename keeps the old address as an alias', async () => {
    const dir = directory();
    const boss = emu.state.addUser({ primaryEmail: 'boss@example.com' });
    emu.state.addUser({
      primaryEmail: 'sam@example.com',
      relations: [{ type: 'manager', value: boss.primaryEmail }],
    });
    await dir.users.patch({ userKey: 'sam@example.com', requestBody: { relations: [] } });
    expect(emu.state.getUser('sam@example.com')?.relations).toEqual([
      { type: 'manager', value: 'boss@example.com' },
    ]);
    const byManager = await dir.users.list({
      customer: 'my_customer',
      query: "directManager='boss@example.com'",
    });
    expect(byManager.data.users?.map((u) => u.primaryEmail)).toEqual(['sam@example.com']);

    await dir.users.update({ userKey: 'sam@example.com', requestBody: { relations: null } });
    expect(emu.state.getUser('sam@example.com')?.relations).toBeUndefined();

    await dir.users.update({
      userKey: 'sam@example.com',
      requestBody: { primaryEmail: 'samuel@example.com' },
    });
    expect((await dir.users.get({ userKey: 'sam@example.com' })).data.primaryEmail).toBe(
      'samuel@example.com',
    );

    const badOu = await failure(
      dir.users.patch({ userKey: 'samuel@example.com', requestBody: { orgUnitPath: '/Nope' } }),
    );
    expect(badOu.status).toBe(400);
    expect(lastCall().violation).toContain('INVALID_OU_ID');
  });

  it('inserts users with the fields users.insert requires, and refuses duplicates and missing fields', async () => {
    const dir = directory();
    const created = await dir.users.insert({
      requestBody: {
        primaryEmail: 'new@example.com',
        name: { givenName: 'New', familyName: 'Hire' },
        password: 'correct horse battery',
        orgUnitPath: '/Sales',
      },
    });
    expect(created.data).toMatchObject({ primaryEmail: 'new@example.com', orgUnitPath: '/Sales' });
    expect(created.data.name?.fullName).toBe('New Hire');
    expect(created.data).not.toHaveProperty('password');

    const again = await failure(
      dir.users.insert({
        requestBody: {
          primaryEmail: 'new@example.com',
          name: { givenName: 'A', familyName: 'B' },
          password: 'long enough',
        },
      }),
    );
    expect(again.status).toBe(409);

    const incomplete = await failure(
      dir.users.insert({ requestBody: { primaryEmail: 'x@example.com', name: { givenName: 'X' } } }),
    );
    expect(incomplete.status).toBe(400);
    expect(lastCall().violation).toContain('name.familyName');
    expect(lastCall().violation).toContain('password');
  });
});

describe('custom schemas', () => {
  it('stores, merges and projects custom schema values; refuses unknown schemas and fields', async () => {
    const dir = directory();
    const schema = await dir.schemas.insert({
      customerId: 'my_customer',
      requestBody: {
        schemaName: 'GroWrk',
        displayName: 'GroWrk sync',
        fields: [
          { fieldName: 'suspendedAt', fieldType: 'DATE', displayName: 'Suspended at' },
          { fieldName: 'suspendedBy', fieldType: 'STRING', displayName: 'Suspended by' },
          {
            fieldName: 'eventId',
            fieldType: 'STRING',
            displayName: 'Event',
            readAccessType: 'ADMINS_AND_SELF',
          },
        ],
      },
    });
    expect(schema.data.schemaId).toBeTruthy();
    expect(
      (await dir.schemas.get({ customerId: 'my_customer', schemaKey: 'GroWrk' })).data.fields,
    ).toHaveLength(3);
    const patchedSchema = await dir.schemas.patch({
      customerId: 'my_customer',
      schemaKey: schema.data.schemaId ?? '',
      requestBody: { displayName: 'GroWrk' },
    });
    expect(patchedSchema.data.fields).toHaveLength(3);
    expect(
      (await dir.schemas.list({ customerId: 'my_customer' })).data.schemas?.map((s) => s.schemaName),
    ).toEqual(['GroWrk']);

    emu.state.addUser({ primaryEmail: 'leaver@example.com' });
    await dir.users.patch({
      userKey: 'leaver@example.com',
      requestBody: {
        suspended: true,
        customSchemas: { GroWrk: { suspendedAt: '2025-03-01', suspendedBy: 'growrk-sync' } },
      },
    });
    await dir.users.patch({
      userKey: 'leaver@example.com',
      requestBody: { customSchemas: { GroWrk: { eventId: 'evt-9' } } },
    });

    const full = await dir.users.get({ userKey: 'leaver@example.com', projection: 'full' });
    expect(full.data.customSchemas).toEqual({
      GroWrk: { suspendedAt: '2025-03-01', suspendedBy: 'growrk-sync', eventId: 'evt-9' },
    });
    expect((await dir.users.get({ userKey: 'leaver@example.com' })).data.customSchemas).toBeUndefined();
    const custom = await dir.users.get({
      userKey: 'leaver@example.com',
      projection: 'custom',
      customFieldMask: 'GroWrk',
    });
    expect(custom.data.customSchemas?.GroWrk).toMatchObject({ eventId: 'evt-9' });
    const publicView = await dir.users.get({
      userKey: 'leaver@example.com',
      projection: 'full',
      viewType: 'domain_public',
    });
    expect(publicView.data.customSchemas?.GroWrk).toEqual({
      suspendedAt: '2025-03-01',
      suspendedBy: 'growrk-sync',
    });
    expect(publicView.data.suspended).toBeUndefined();

    const byField = await dir.users.list({
      customer: 'my_customer',
      query: 'GroWrk.eventId=evt-9',
      projection: 'full',
    });
    expect(byField.data.users?.map((u) => u.primaryEmail)).toEqual(['leaver@example.com']);

    const unknownSchema = await failure(
      dir.users.patch({
        userKey: 'leaver@example.com',
        requestBody: { customSchemas: { Payroll: { salary: 1 } } },
      }),
    );
    expect(unknownSchema.status).toBe(400);
    expect(lastCall().violation).toContain('customSchemas.Payroll');
    const unknownField = await failure(
      dir.users.patch({
        userKey: 'leaver@example.com',
        requestBody: { customSchemas: { GroWrk: { bogus: 'x' } } },
      }),
    );
    expect(unknownField.status).toBe(400);
    expect(lastCall().violation).toContain('customSchemas.GroWrk.bogus');
    const wrongType = await failure(
      dir.users.patch({
        userKey: 'leaver@example.com',
        requestBody: { customSchemas: { GroWrk: { suspendedAt: 5 } } },
      }),
    );
    expect(wrongType.status).toBe(400);
    expect(lastCall().violation).toContain('customSchemas.GroWrk.suspendedAt');
    expect(emu.state.getUser('leaver@example.com')?.customSchemas?.GroWrk?.eventId).toBe('evt-9');
  });
});

describe('the offboarding playbook operations', () => {
  it('signs out, revokes tokens, deletes app passwords, invalidates codes, leaves groups, moves OU', async () => {
    const dir = directory();
    const user = emu.state.addUser({ primaryEmail: 'bye@example.com' });
    emu.state.addToken(user.id, 'slack-client-id');
    emu.state.addToken('bye@example.com', { clientId: 'zoom', displayText: 'Zoom', scopes: ['email'] });
    emu.state.addAsp(user.id, { name: 'Thunderbird' });
    emu.state.addAsp(user.id);
    emu.state.generateVerificationCodes(user.id);
    const all = emu.state.addGroup({ email: 'all@example.com' });
    emu.state.addGroup({ email: 'eng@example.com' });
    emu.state.addMember('all@example.com', { email: 'bye@example.com' });
    emu.state.addMember('eng@example.com', { id: user.id, role: 'OWNER' });
    emu.state.addMember(all.id, { email: 'admin@example.com' });

    await dir.users.signOut({ userKey: 'bye@example.com' });
    const tokens = await dir.tokens.list({ userKey: 'bye@example.com' });
    expect(tokens.data.items?.map((t) => t.clientId)).toEqual(['slack-client-id', 'zoom']);
    for (const t of tokens.data.items ?? [])
      await dir.tokens.delete({ userKey: 'bye@example.com', clientId: t.clientId ?? '' });
    const asps = await dir.asps.list({ userKey: 'bye@example.com' });
    expect(asps.data.items).toHaveLength(2);
    for (const a of asps.data.items ?? [])
      await dir.asps.delete({ userKey: 'bye@example.com', codeId: a.codeId ?? 0 });
    expect((await dir.verificationCodes.list({ userKey: 'bye@example.com' })).data.items).toHaveLength(10);
    await dir.verificationCodes.invalidate({ userKey: 'bye@example.com' });
    const groups = await dir.groups.list({ userKey: 'bye@example.com' });
    expect(groups.data.groups?.map((g) => g.email)).toEqual(['all@example.com', 'eng@example.com']);
    for (const g of groups.data.groups ?? [])
      await dir.members.delete({ groupKey: g.id ?? '', memberKey: 'bye@example.com' });
    await dir.users.patch({ userKey: 'bye@example.com', requestBody: { orgUnitPath: '/Former employees' } });

    expect(emu.state.signOutCount('bye@example.com')).toBe(1);
    expect((await dir.tokens.list({ userKey: 'bye@example.com' })).data.items).toBeUndefined();
    expect(emu.state.listAsps(user.id)).toEqual([]);
    expect(emu.state.listVerificationCodes(user.id)).toEqual([]);
    expect(emu.state.groupsOf(user.id)).toEqual([]);
    expect(
      (await dir.members.list({ groupKey: 'all@example.com' })).data.members?.map((m) => m.email),
    ).toEqual(['admin@example.com']);
    expect(emu.state.getUser(user.id)?.orgUnitPath).toBe('/Former employees');

    const again = await failure(dir.tokens.delete({ userKey: 'bye@example.com', clientId: 'zoom' }));
    expect(again.status).toBe(404);
    const badCode = await raw('admin/directory/v1/users/bye@example.com/asps/not-a-number', {
      method: 'DELETE',
    });
    expect(badCode.status).toBe(400);
    expect(lastCall().violation).toContain('codeId');
  });

  it('adds members and serves seeded org units by path with slashes', async () => {
    const dir = directory();
    emu.state.addGroup({ email: 'team@example.com' });
    emu.state.addUser({ primaryEmail: 'ann@example.com' });
    const member = await dir.members.insert({
      groupKey: 'team@example.com',
      requestBody: { email: 'ann@example.com' },
    });
    expect(member.data).toMatchObject({ role: 'MEMBER', type: 'USER', email: 'ann@example.com' });
    expect(
      (
        await failure(
          dir.members.insert({ groupKey: 'team@example.com', requestBody: { email: 'ann@example.com' } }),
        )
      ).status,
    ).toBe(409);

    const unit = await dir.orgunits.get({ customerId: 'my_customer', orgUnitPath: 'Engineering/Backend' });
    expect(unit.data).toMatchObject({
      orgUnitPath: '/Engineering/Backend',
      parentOrgUnitPath: '/Engineering',
    });
    const children = await dir.orgunits.list({ customerId: 'my_customer' });
    expect(children.data.organizationUnits?.map((u) => u.orgUnitPath)).toEqual([
      '/Engineering',
      '/Sales',
      '/Former employees',
    ]);
    const all = await dir.orgunits.list({ customerId: 'my_customer', type: 'all' });
    expect(all.data.organizationUnits).toHaveLength(4);
    expect((await failure(dir.orgunits.list({ customerId: 'C0other' }))).status).toBe(403);
  });
});

describe('the contract check', () => {
  it('rejects an unknown body field sent through the real client, naming it', async () => {
    emu.state.addUser({ primaryEmail: 'jane@example.com' });
    const res = await failure(
      directory().users.patch({
        userKey: 'jane@example.com',
        requestBody: { bogusField: 1 } as admin_directory_v1.Schema$User,
      }),
    );
    expect(res.status).toBe(400);
    expect(reasonOf(res.data)).toBe('invalid');
    expect(res.message).toContain('bogusField');
    expect(lastCall()).toMatchObject({ operation: 'directory.users.patch', status: 400 });
    expect(lastCall().violation).toContain('"bogusField"');
    expect(emu.state.getUser('jane@example.com')).not.toHaveProperty('bogusField');
  });

  it('rejects unknown nested fields and wrong JSON types over raw HTTP', async () => {
    emu.state.addUser({ primaryEmail: 'jane@example.com' });
    const nested = await raw('admin/directory/v1/users/jane@example.com', {
      method: 'PATCH',
      body: JSON.stringify({ name: { givenName: 'J', nickname: 'JJ' } }),
    });
    expect(nested.status).toBe(400);
    const body: unknown = await nested.json();
    expect(JSON.stringify(body)).toContain('nickname');
    expect(reasonOf(body)).toBe('invalid');
    expect(lastCall().violation).toContain('Unknown name "nickname" at \'name\'');

    const wrongType = await raw('admin/directory/v1/users/jane@example.com', {
      method: 'PUT',
      body: JSON.stringify({ suspended: 'yes', includeInGlobalAddressList: true }),
    });
    expect(wrongType.status).toBe(400);
    expect(lastCall().violation).toContain("'suspended'");

    const notJson = await raw('admin/directory/v1/users/jane@example.com', {
      method: 'PATCH',
      body: '{nope',
    });
    expect(notJson.status).toBe(400);
    expect(emu.recorder.violations()).toHaveLength(3);
    // Read-only fields are accepted and ignored, as Google does.
    const readOnly = await raw('admin/directory/v1/users/jane@example.com', {
      method: 'PATCH',
      body: JSON.stringify({ isAdmin: true, kind: 'admin#directory#user', etag: '"x"' }),
    });
    expect(readOnly.status).toBe(200);
    expect(emu.state.getUser('jane@example.com')?.isAdmin).toBe(false);
  });

  it('rejects wrong parameter types, values out of range, bad enums and unknown parameters', async () => {
    const dir = directory();
    const typed = await failure(
      dir.users.list({ customer: 'my_customer', maxResults: 'lots' as unknown as number }),
    );
    expect(typed.status).toBe(400);
    expect(lastCall().violation).toContain('"maxResults"');

    const tooMany = await failure(dir.users.list({ customer: 'my_customer', maxResults: 501 }));
    expect(tooMany.status).toBe(400);
    expect(lastCall().violation).toContain('maximum 500');

    const badEnum = await raw('admin/directory/v1/users/admin@example.com?projection=everything');
    expect(badEnum.status).toBe(400);
    expect(lastCall().violation).toContain('"projection"');

    const unknown = await failure(
      dir.users.get({
        userKey: 'admin@example.com',
        bogusParam: 'x',
      } as admin_directory_v1.Params$Resource$Users$Get),
    );
    expect(unknown.status).toBe(400);
    expect(lastCall().violation).toContain('"bogusParam"');

    const badBool = await raw('admin/directory/v1/users/admin@example.com?prettyPrint=maybe');
    expect(badBool.status).toBe(400);
    expect(lastCall().violation).toContain('"prettyPrint"');

    const noScope = await failure(dir.users.list({}));
    expect(noScope.status).toBe(400);
    expect(lastCall().violation).toContain('customer or the domain');

    const badQuery = await failure(dir.users.list({ customer: 'my_customer', query: 'shoeSize=42' }));
    expect(badQuery.status).toBe(400);
    expect(lastCall().violation).toContain('shoeSize');
  });

  it('answers 404 with a violation for paths and methods outside the discovery document', async () => {
    const unknownPath = await raw('admin/directory/v1/userz/jane');
    expect(unknownPath.status).toBe(404);
    expect(lastCall()).toMatchObject({ operation: 'unknown', status: 404 });
    expect(lastCall().violation).toContain('/admin/directory/v1/userz/jane');

    const wrongMethod = await raw('admin/directory/v1/users', { method: 'DELETE' });
    expect(wrongMethod.status).toBe(404);
    expect(lastCall().violation).toContain('GET, POST');
  });

  it('routes every method of the discovery document to itself (the check is generic)', () => {
    const sample = (pattern: string | undefined): string =>
      pattern === undefined
        ? 'x1'
        : pattern
            .replace(/^\^|\$$/g, '')
            .replaceAll('[^/]+', 'x1')
            .replace('.*', 'x1/y2');
    const methods = emu.checker.doc.methods;
    expect(methods.length).toBeGreaterThan(100);
    for (const method of methods) {
      const path = `/${method.path.replace(/\{\+?([^}]+)\}/g, (_, name: string) => sample(method.parameters[name]?.pattern))}`;
      const match = emu.checker.match(method.httpMethod, path);
      expect('method' in match ? match.method.id : `no match for ${method.httpMethod} ${path}`).toBe(
        method.id,
      );
    }
  });

  it('parses and applies Google fields selections, and rejects unknown names', async () => {
    const mask = parseFields('nextPageToken, users(id,name/givenName,emails),kind');
    const cut = applyFields(
      {
        kind: 'k',
        etag: 'e',
        nextPageToken: 't',
        users: [
          {
            id: '1',
            primaryEmail: 'a@x',
            name: { givenName: 'A', familyName: 'B' },
            emails: [{ address: 'a@x' }],
          },
        ],
      },
      mask,
    );
    expect(cut).toEqual({
      kind: 'k',
      nextPageToken: 't',
      users: [{ id: '1', name: { givenName: 'A' }, emails: [{ address: 'a@x' }] }],
    });
    expect(() => parseFields('users(id')).toThrow(/Invalid field selection/);
    expect(() => parseFields('a,,b')).toThrow(/Invalid field selection/);

    const res = await failure(
      directory().users.list({ customer: 'my_customer', fields: 'users(id,shoeSize)' }),
    );
    expect(res.status).toBe(400);
    expect(lastCall().violation).toContain('users/shoeSize');
    const one = await directory().users.get({
      userKey: 'admin@example.com',
      fields: 'primaryEmail,name(fullName)',
    });
    expect(one.data).toEqual({ primaryEmail: 'admin@example.com', name: { fullName: 'Super Admin' } });
  });
});

describe('authentication and scopes', () => {
  it('answers 401 without a token or with an unknown one, and takes access_token in the query', async () => {
    const none = await raw('admin/directory/v1/users/admin@example.com', {}, null);
    expect(none.status).toBe(401);
    expect(reasonOf(await none.json())).toBe('required');
    const wrong = await failure(directory('stolen-token').users.get({ userKey: 'admin@example.com' }));
    expect(wrong.status).toBe(401);
    expect(reasonOf(wrong.data)).toBe('authError');
    const inQuery = await raw('admin/directory/v1/users/admin@example.com?access_token=test-token', {}, null);
    expect(inQuery.status).toBe(200);
  });

  it('issues tokens to a google-auth-library JWT client and enforces their scopes', async () => {
    const { privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const client = (scopes: string[]): admin_directory_v1.Admin => {
      const jwt = new JWT({
        email: 'sync@project.iam.gserviceaccount.com',
        key: privateKey,
        scopes,
        subject: 'admin@example.com',
      });
      redirectTokenRequests(jwt, emu.tokenUrl);
      return admin({ version: 'directory_v1', rootUrl: emu.url, auth: jwt, retry: false });
    };
    emu.state.addUser({ primaryEmail: 'jane@example.com' });

    const writer = client([`${SCOPE}user`, `${SCOPE}user.security`]);
    await writer.users.patch({ userKey: 'jane@example.com', requestBody: { suspended: true } });
    await writer.tokens.list({ userKey: 'jane@example.com' });
    expect(emu.state.getUser('jane@example.com')?.suspended).toBe(true);
    expect(emu.recorder.byOperation('oauth2.token')).toHaveLength(1);
    const issued = emu.tokens.list().filter((g) => g.issuer === 'sync@project.iam.gserviceaccount.com');
    expect(issued).toHaveLength(1);
    expect(issued[0]?.principal).toBe('admin@example.com');

    const reader = client([`${SCOPE}user.readonly`]);
    expect((await reader.users.get({ userKey: 'jane@example.com' })).data.suspended).toBe(true);
    const readOnly = await failure(
      reader.users.patch({ userKey: 'jane@example.com', requestBody: { suspended: false } }),
    );
    expect(readOnly.status).toBe(403);
    expect(reasonOf(readOnly.data)).toBe('insufficientPermissions');

    // The discovery document puts tokens/asps/verificationCodes/signOut under admin.directory.user.security only.
    const userOnly = client([`${SCOPE}user`]);
    const security = await failure(userOnly.tokens.list({ userKey: 'jane@example.com' }));
    expect(security.status).toBe(403);
    expect(reasonOf(security.data)).toBe('insufficientPermissions');
    expect(emu.state.getUser('jane@example.com')?.suspended).toBe(true);
  });

  it('refuses token requests without sub, with another grant type or an expired JWT', async () => {
    const seg = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const post = (form: Record<string, string>) =>
      fetch(emu.tokenUrl, { method: 'POST', body: new URLSearchParams(form) }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as Record<string, unknown>,
      }));
    const claims = {
      iss: 'svc@x',
      scope: `${SCOPE}user`,
      aud: 'https://oauth2.googleapis.com/token',
      iat: now,
      exp: now + 3600,
    };
    const grant = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
    const noSub = await post({ grant_type: grant, assertion: `${seg({ alg: 'RS256' })}.${seg(claims)}.sig` });
    expect(noSub).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(String(noSub.body.error_description)).toContain("'sub'");
    const expired = await post({
      grant_type: grant,
      assertion: `${seg({ alg: 'RS256' })}.${seg({ ...claims, sub: 'admin@example.com', exp: now - 10 })}.sig`,
    });
    expect(expired.status).toBe(400);
    const otherGrant = await post({ grant_type: 'client_credentials' });
    expect(otherGrant).toMatchObject({ status: 400, body: { error: 'unsupported_grant_type' } });
    const good = await post({
      grant_type: grant,
      assertion: `${seg({ alg: 'RS256' })}.${seg({ ...claims, sub: 'admin@example.com' })}.sig`,
    });
    expect(good.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    const use = await raw('admin/directory/v1/users/admin@example.com', {}, String(good.body.access_token));
    expect(use.status).toBe(200);
  });
});

describe('quota', () => {
  it('answers 429 with Retry-After past quotaPerMinute in a rolling minute, per principal', async () => {
    let now = Date.parse('2025-01-01T00:00:00Z');
    const small = await startGoogleEmulator({
      quotaPerMinute: 3,
      clock: () => now,
      accessTokens: ['admin-a', 'admin-b'],
    });
    try {
      const a = directory('admin-a', small.url);
      for (let i = 0; i < 3; i += 1) await a.users.get({ userKey: 'admin@example.com' });
      const over = await failure(a.users.get({ userKey: 'admin@example.com' }));
      expect(over.status).toBe(429);
      expect(over.headers?.get('retry-after')).toBe('60');
      expect(reasonOf(over.data)).toBe('rateLimitExceeded');
      expect(small.recorder.calls.at(-1)).toMatchObject({ status: 429, operation: 'directory.users.get' });

      expect((await directory('admin-b', small.url).users.get({ userKey: 'admin@example.com' })).status).toBe(
        200,
      );

      now += 30_000;
      const still = await failure(a.users.get({ userKey: 'admin@example.com' }));
      expect(still.headers?.get('retry-after')).toBe('30');
      now += 30_000;
      expect((await a.users.get({ userKey: 'admin@example.com' })).status).toBe(200);
    } finally {
      await small.stop();
    }
  });
});

describe('faults', () => {
  const answered: Array<[FaultKind, number, string]> = [
    ['rate-limit', 429, 'rateLimitExceeded'],
    ['rate-limit-403', 403, 'userRateLimitExceeded'],
    ['server-error', 500, 'backendError'],
    ['unavailable', 503, 'backendError'],
  ];
  it.each(answered)('%s answers %i with reason %s, then the rule is spent', async (kind, status, reason) => {
    emu.faults.add({ kind, path: '/users/', count: 1, retryAfterSeconds: 7 });
    const dir = directory();
    const res = await failure(dir.users.get({ userKey: 'admin@example.com' }));
    expect(res.status).toBe(status);
    expect(reasonOf(res.data)).toBe(reason);
    if (kind.startsWith('rate-limit')) expect(res.headers?.get('retry-after')).toBe('7');
    expect(lastCall()).toMatchObject({ fault: kind, status, operation: 'directory.users.get' });
    expect((await dir.users.get({ userKey: 'admin@example.com' })).status).toBe(200);
  });

  it('reset destroys the connection without an answer', async () => {
    emu.faults.add({ kind: 'reset', method: 'PATCH', count: 1 });
    emu.state.addUser({ primaryEmail: 'jane@example.com' });
    const res = await failure(
      directory().users.patch({ userKey: 'jane@example.com', requestBody: { suspended: true } }),
    );
    expect(res.status).toBeUndefined();
    expect(lastCall()).toMatchObject({ fault: 'reset', status: 0, operation: 'directory.users.patch' });
    expect(emu.state.getUser('jane@example.com')?.suspended).toBe(false);
  });

  it('latency delays the call and then serves it', async () => {
    emu.faults.add({ kind: 'latency', latencyMs: 20, count: 1 });
    const res = await directory().users.get({ userKey: 'admin@example.com' });
    expect(res.status).toBe(200);
    expect(lastCall()).toMatchObject({ fault: 'latency', status: 200 });
    expect(emu.faults.fired.latency).toBe(1);
  });

  it('a rule with a token fires only on calls made with that token', async () => {
    const two = await startGoogleEmulator({ accessTokens: ['admin-a', 'admin-b'] });
    try {
      two.faults.add({ kind: 'server-error', token: 'admin-b' });
      const a = await directory('admin-a', two.url).users.list({ customer: 'my_customer' });
      expect(a.status).toBe(200);
      const b = await failure(directory('admin-b', two.url).users.list({ customer: 'my_customer' }));
      expect(b.status).toBe(500);
      expect(two.faults.fired['server-error']).toBe(1);
    } finally {
      await two.stop();
    }
  });

  it('hold keeps a call waiting until released, then serves it', async () => {
    emu.state.addUser({ primaryEmail: 'jane@example.com' });
    emu.faults.add({ kind: 'hold', method: 'PATCH', path: /jane@example\.com$/, count: 1 });
    const pending = directory().users.patch({
      userKey: 'jane@example.com',
      requestBody: { suspended: true },
    });
    const held = await emu.faults.waitForHeld();
    expect(held).toMatchObject({ method: 'PATCH', path: '/admin/directory/v1/users/jane@example.com' });
    expect(emu.state.getUser('jane@example.com')?.suspended).toBe(false);
    expect(emu.recorder.byOperation('directory.users.patch')).toEqual([]);
    held.release();
    expect((await pending).data.suspended).toBe(true);
    expect(lastCall()).toMatchObject({ fault: 'hold', status: 200, operation: 'directory.users.patch' });
  });

  it('a held call whose client gave up still takes effect once released (the crash case)', async () => {
    emu.state.addUser({ primaryEmail: 'jane@example.com' });
    emu.faults.add({ kind: 'hold', method: 'PATCH', count: 1 });
    const abort = new AbortController();
    const pending = directory().users.patch(
      { userKey: 'jane@example.com', requestBody: { suspended: true } },
      { signal: abort.signal },
    );
    const held = await emu.faults.waitForHeld();
    abort.abort();
    expect((await failure(pending)).status).toBeUndefined();
    held.release();
    await vi.waitFor(() => expect(emu.recorder.byOperation('directory.users.patch')).toHaveLength(1));
    expect(emu.state.getUser('jane@example.com')?.suspended).toBe(true);
  });
});

describe('as a process', () => {
  it('runs from main.ts, prints its URL, obeys the control API and stops on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      ['test/fakes/google-directory/main.ts', '--port', '0', '--quota', '50', '--token', 'cli-token'],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = once(child, 'exit');
    try {
      const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
      const url = new URL(line);
      expect(url.href).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const control = (path: string, init: RequestInit = {}) =>
        fetch(new URL(`__emulator/${path}`, url), init);
      const json = { 'content-type': 'application/json' };

      const seeded = await control('users', {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ primaryEmail: 'cli@example.com', isAdmin: true }),
      });
      expect(seeded.status).toBe(201);
      const dir = directory('cli-token', url.href);
      expect((await dir.users.get({ userKey: 'cli@example.com' })).data.isAdmin).toBe(true);
      expect(
        (await failure(directory('test-token', url.href).users.get({ userKey: 'cli@example.com' }))).status,
      ).toBe(401);

      await control('faults', {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ kind: 'unavailable', count: 1 }),
      });
      expect((await failure(dir.users.get({ userKey: 'cli@example.com' }))).status).toBe(503);
      const calls = (await (await control('calls')).json()) as {
        calls: Array<{ operation: string; fault?: string }>;
      };
      expect(calls.calls.map((c) => c.fault ?? c.operation)).toEqual([
        'directory.users.get',
        'directory.users.get',
        'unavailable',
      ]);

      await control('faults', {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ kind: 'hold', count: 1 }),
      });
      const pending = dir.users.get({ userKey: 'cli@example.com' });
      await vi.waitFor(async () => {
        const held = (await (await control('held')).json()) as { held: unknown[] };
        expect(held.held).toHaveLength(1);
      });
      expect(await (await control('held/release', { method: 'POST' })).json()).toEqual({ released: 1 });
      expect((await pending).status).toBe(200);

      expect((await control('reset', { method: 'POST' })).status).toBe(204);
      const state = (await (await control('state')).json()) as { users: Array<{ primaryEmail: string }> };
      expect(state.users.map((u) => u.primaryEmail)).toEqual(['admin@example.com']);
      expect(
        (await control('faults', { method: 'POST', headers: json, body: '{"kind":"meteor"}' })).status,
      ).toBe(400);
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
  });
});
