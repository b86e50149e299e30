import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Client } from '@hubspot/api-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type HubSpotEmulator, type HubSpotEmulatorOptions, startHubSpotEmulator } from './hubspot/index.ts';

const TOKEN = 'hs-test-token';

// Enum types of the generated client, derived from its public method signatures.
type SearchRequest = Parameters<Client['crm']['objects']['searchApi']['doSearch']>[1];
type Operator = NonNullable<SearchRequest['filterGroups']>[number]['filters'][number]['operator'];
type PropertyCreate = Parameters<Client['crm']['properties']['coreApi']['create']>[1];
type AssociationSpec = Parameters<Client['crm']['associations']['v4']['basicApi']['create']>[4][number];

const op = (name: string): Operator => name as Operator;
const text = (name: string, extra: Partial<PropertyCreate> = {}): PropertyCreate =>
  ({
    name,
    label: name,
    type: 'string',
    fieldType: 'text',
    groupName: 'contactinformation',
    ...extra,
  }) as PropertyCreate;
const spec = (category: string, typeId: number): AssociationSpec =>
  ({ associationCategory: category, associationTypeId: typeId }) as AssociationSpec;

/** What the generated client throws for a non-2xx answer. */
interface ApiFailure {
  code: number;
  body: { message?: string; category?: string; context?: Record<string, string[]> };
  headers: Record<string, string>;
}

async function failure(call: Promise<unknown>): Promise<ApiFailure> {
  try {
    await call;
  } catch (error) {
    if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'number') {
      return error as ApiFailure;
    }
    throw error;
  }
  throw new Error('expected the call to fail');
}

/** A clock the tests move by hand, so that rate windows need no real waiting. */
function manualClock(): { now: () => number; advance: (ms: number) => void } {
  let now = Date.UTC(2025, 0, 6, 9, 0, 0);
  return { now: () => now, advance: (ms) => (now += ms) };
}

async function start(opts: HubSpotEmulatorOptions = {}): Promise<{ emu: HubSpotEmulator; client: Client }> {
  const emu = await startHubSpotEmulator(opts);
  return { emu, client: new Client({ accessToken: TOKEN, basePath: emu.url }) };
}

const ASSET_SCHEMA = {
  name: 'growrk_asset',
  labels: { singular: 'IT asset', plural: 'IT assets' },
  primaryDisplayProperty: 'serial_number',
  requiredProperties: ['growrk_product_id'],
  searchableProperties: ['serial_number'],
  associatedObjects: ['CONTACT'],
  properties: [
    {
      name: 'growrk_product_id',
      label: 'GroWrk product id',
      type: 'string',
      fieldType: 'text',
      hasUniqueValue: true,
    },
    { name: 'serial_number', label: 'Serial number', type: 'string', fieldType: 'text' },
    { name: 'status', label: 'Status', type: 'string', fieldType: 'text' },
  ],
} as Parameters<Client['crm']['schemas']['coreApi']['create']>[0];

describe('HubSpot emulator with the real @hubspot/api-client', () => {
  const clock = manualClock();
  let emu: HubSpotEmulator;
  let client: Client;

  beforeAll(async () => {
    ({ emu, client } = await start({ clock: clock.now }));
  });
  afterAll(async () => {
    await emu.stop();
  });
  beforeEach(() => {
    emu.reset();
    clock.advance(60_000);
  });

  it('creates a custom object schema and properties, addressable by id, fully qualified name and name', async () => {
    const schema = await client.crm.schemas.coreApi.create(ASSET_SCHEMA);
    expect(schema.objectTypeId).toBe('2-1');
    expect(schema.fullyQualifiedName).toBe('p12345_growrk_asset');
    expect(schema.associations.map((a) => [a.fromObjectTypeId, a.toObjectTypeId])).toEqual([['2-1', '0-1']]);

    const added = await client.crm.properties.coreApi.create('p12345_growrk_asset', {
      ...text('model'),
      groupName: 'growrk_asset_information',
    });
    expect(added.name).toBe('model');
    const listed = await client.crm.properties.coreApi.getAll('2-1');
    expect(listed.results.map((p) => p.name)).toEqual(
      expect.arrayContaining(['growrk_product_id', 'serial_number', 'model']),
    );
    expect((await client.crm.schemas.coreApi.getById('growrk_asset')).objectTypeId).toBe('2-1');

    const unique = await client.crm.properties.coreApi.create(
      'contacts',
      text('growrk_id', { hasUniqueValue: true }),
    );
    expect(unique.hasUniqueValue).toBe(true);
    const again = await failure(client.crm.properties.coreApi.create('contacts', text('growrk_id')));
    expect(again.code).toBe(409);

    const asset = await client.crm.objects.basicApi.create('2-1', {
      properties: { growrk_product_id: 'p-1', serial_number: 'SN1' },
    });
    const byFqn = await client.crm.objects.basicApi.getById('p12345_growrk_asset', asset.id, [
      'serial_number',
    ]);
    expect(byFqn.properties.serial_number).toBe('SN1');
    const missingRequired = await failure(
      client.crm.objects.basicApi.create('2-1', { properties: { serial_number: 'SN2' } }),
    );
    expect(missingRequired.code).toBe(400);
    expect(emu.recorder.byOperation('crm.schemas.create')).toHaveLength(1);
  });

  it('upserts by a unique property: creates first, then updates the same record', async () => {
    await client.crm.properties.coreApi.create('contacts', text('growrk_id', { hasUniqueValue: true }));
    const first = await client.crm.objects.batchApi.upsert('contacts', {
      inputs: [
        { id: 'emp-1', idProperty: 'growrk_id', properties: { email: 'Ada@Example.com', firstname: 'Ada' } },
        { id: 'emp-2', idProperty: 'growrk_id', properties: { email: 'bob@example.com' } },
      ],
    });
    expect(first.results.map((r) => r._new)).toEqual([true, true]);
    const second = await client.crm.objects.batchApi.upsert('contacts', {
      inputs: [
        {
          id: 'emp-1',
          idProperty: 'growrk_id',
          properties: { email: 'ada.new@example.com', jobtitle: 'CTO' },
        },
      ],
    });
    expect(second.results[0]?._new).toBe(false);
    expect(second.results[0]?.id).toBe(first.results[0]?.id);

    const page = await client.crm.contacts.basicApi.getPage(100, undefined, [
      'email',
      'growrk_id',
      'jobtitle',
    ]);
    expect(page.results).toHaveLength(2);
    const ada = await client.crm.objects.basicApi.getById(
      'contacts',
      'emp-1',
      ['email', 'jobtitle'],
      undefined,
      undefined,
      false,
      'growrk_id',
    );
    expect(ada.properties).toMatchObject({ email: 'ada.new@example.com', jobtitle: 'CTO' });
    const byEmail = await client.crm.objects.batchApi.upsert('contacts', {
      inputs: [{ id: 'BOB@example.com', idProperty: 'email', properties: { lastname: 'Builder' } }],
    });
    expect(byEmail.results[0]?._new).toBe(false);

    const notUnique = await failure(
      client.crm.objects.batchApi.upsert('contacts', {
        inputs: [{ id: 'x', idProperty: 'firstname', properties: {} }],
      }),
    );
    expect(notUnique.code).toBe(400);
    expect(emu.recorder.byOperation('crm.objects.batch.upsert').map((c) => c.status)).toEqual([
      200, 200, 200, 400,
    ]);
  });

  it('answers 409 CONFLICT when a unique value or a contact email is taken', async () => {
    await client.crm.properties.coreApi.create('contacts', text('growrk_id', { hasUniqueValue: true }));
    const a = await client.crm.contacts.basicApi.create({
      properties: { email: 'a@example.com', growrk_id: 'g-1' },
      associations: [],
    });
    const sameId = await failure(
      client.crm.contacts.basicApi.create({ properties: { growrk_id: 'g-1' }, associations: [] }),
    );
    expect(sameId.code).toBe(409);
    expect(sameId.body.category).toBe('CONFLICT');
    const sameEmail = await failure(
      client.crm.objects.basicApi.create('contacts', { properties: { email: 'A@example.com' } }),
    );
    expect(sameEmail.code).toBe(409);
    expect(sameEmail.body.message).toBe(`Contact already exists. Existing ID: ${a.id}`);
    const b = await client.crm.contacts.basicApi.create({
      properties: { email: 'b@example.com' },
      associations: [],
    });
    const update = await failure(
      client.crm.objects.basicApi.update('contacts', b.id, { properties: { growrk_id: 'g-1' } }),
    );
    expect(update.code).toBe(409);
    const inBatch = await failure(
      client.crm.objects.batchApi.create('contacts', {
        inputs: [{ properties: { growrk_id: 'g-9' } }, { properties: { growrk_id: 'g-9' } }],
      } as Parameters<Client['crm']['objects']['batchApi']['create']>[1]),
    );
    expect(inBatch.code).toBe(409);
    expect((await client.crm.contacts.basicApi.getPage(100)).results).toHaveLength(2);
  });

  it('pages lists with limit and after', async () => {
    const inputs = Array.from({ length: 25 }, (_, i) => ({
      properties: { dealname: `Deal ${i}`, amount: String(i) },
    }));
    await client.crm.objects.batchApi.create('deals', { inputs } as Parameters<
      Client['crm']['objects']['batchApi']['create']
    >[1]);
    const seen: string[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const page = await client.crm.objects.basicApi.getPage('deals', 10, after, ['dealname']);
      seen.push(...page.results.map((r) => r.properties.dealname ?? ''));
      after = page.paging?.next?.after;
      pages += 1;
    } while (after !== undefined);
    expect(pages).toBe(3);
    expect(seen).toEqual(inputs.map((i) => i.properties.dealname));
    const tooBig = await failure(client.crm.objects.basicApi.getPage('deals', 101));
    expect(tooBig.code).toBe(400);
    expect(emu.recorder.violations().at(-1)?.violation).toContain('query.limit');
  });

  it('searches with filters, sorts and paging, and limits searches per second', async () => {
    await client.crm.objects.batchApi.create('contacts', {
      inputs: [
        { properties: { email: 'a@example.com', firstname: 'Ann', jobtitle: 'CTO' } },
        { properties: { email: 'b@example.com', firstname: 'Bea' } },
        { properties: { email: 'c@example.com', firstname: 'Cid', jobtitle: 'CEO' } },
      ],
    } as Parameters<Client['crm']['objects']['batchApi']['create']>[1]);
    const search = (request: SearchRequest) => client.crm.objects.searchApi.doSearch('contacts', request);

    const eq = await search({
      filterGroups: [{ filters: [{ propertyName: 'email', operator: op('EQ'), value: 'B@example.com' }] }],
    });
    expect(eq.results.map((r) => r.properties.firstname)).toEqual(['Bea']);
    const orGroups = await search({
      filterGroups: [
        { filters: [{ propertyName: 'jobtitle', operator: op('NOT_HAS_PROPERTY') }] },
        { filters: [{ propertyName: 'firstname', operator: op('IN'), values: ['cid'] }] },
      ],
      sorts: ['-firstname'],
      properties: ['firstname'],
    });
    expect(orGroups.results.map((r) => r.properties.firstname)).toEqual(['Cid', 'Bea']);
    const paged = await search({
      filterGroups: [{ filters: [{ propertyName: 'jobtitle', operator: op('HAS_PROPERTY') }] }],
      limit: 1,
      sorts: ['firstname'],
      properties: ['firstname'],
    });
    expect(paged.total).toBe(2);
    expect(paged.results[0]?.properties.firstname).toBe('Ann');
    const rest = await search({
      filterGroups: [{ filters: [{ propertyName: 'jobtitle', operator: op('HAS_PROPERTY') }] }],
      limit: 1,
      sorts: ['firstname'],
      properties: ['firstname'],
      after: paged.paging?.next?.after ?? '',
    });
    expect(rest.results[0]?.properties.firstname).toBe('Cid');

    // Four searches in this second already: the fifth is refused, as HubSpot's SECONDLY policy does.
    const limited = await failure(search({}));
    expect(limited.code).toBe(429);
    expect(limited.body.message).toBe('You have reached your secondly limit.');
    expect(emu.stats().rateLimited).toBe(1);
    clock.advance(1_000);
    expect((await search({})).total).toBe(3);
    const names = async (filters: NonNullable<SearchRequest['filterGroups']>[number]['filters']) =>
      (await search({ filterGroups: [{ filters }], properties: ['firstname'] })).results.map(
        (r) => r.properties.firstname,
      );
    expect(await names([{ propertyName: 'firstname', operator: op('NEQ'), value: 'ann' }])).toEqual([
      'Bea',
      'Cid',
    ]);
    expect(await names([{ propertyName: 'hs_object_id', operator: op('GT'), value: '1' }])).toEqual([
      'Bea',
      'Cid',
    ]);
    expect(await names([{ propertyName: 'firstname', operator: op('LT'), value: 'C' }])).toEqual([
      'Ann',
      'Bea',
    ]);
    clock.advance(1_000);

    const unknown = await failure(
      search({ filterGroups: [{ filters: [{ propertyName: 'nope', operator: op('EQ'), value: 'x' }] }] }),
    );
    expect(unknown.code).toBe(400);
  });

  it('creates, lists and deletes associations, single and in batches', async () => {
    const schema = await client.crm.schemas.coreApi.create(ASSET_SCHEMA);
    const assetType = schema.objectTypeId ?? 'no objectTypeId';
    const contact = await client.crm.contacts.basicApi.create({
      properties: { email: 'ann@example.com' },
      associations: [],
    });
    const deal = await client.crm.deals.basicApi.create({
      properties: { dealname: 'Laptops' },
      associations: [],
    });
    const asset = await client.crm.objects.basicApi.create(assetType, {
      properties: { growrk_product_id: 'p-1' },
    });

    const byDefault = await client.crm.associations.v4.basicApi.createDefault(
      assetType,
      asset.id,
      'contacts',
      contact.id,
    );
    const assetToContact = Number(schema.associations[0]?.id);
    expect(byDefault.results[0]?.associationSpec.associationTypeId).toBe(assetToContact);
    const labelled = await client.crm.associations.v4.basicApi.create(
      'contacts',
      contact.id,
      'deals',
      deal.id,
      [spec('HUBSPOT_DEFINED', 4)],
    );
    expect(labelled.labels).toEqual([]);

    const fromContact = await client.crm.associations.v4.basicApi.getPage(
      'contacts',
      contact.id,
      'p12345_growrk_asset',
    );
    expect(fromContact.results.map((r) => r.toObjectId)).toEqual([asset.id]);
    const dealsOfContact = await client.crm.associations.v4.basicApi.getPage('contacts', contact.id, 'deals');
    expect(dealsOfContact.results[0]?.associationTypes[0]?.typeId).toBe(4);
    const withAssociations = await client.crm.deals.basicApi.getById(deal.id, undefined, undefined, [
      'contacts',
    ]);
    expect(withAssociations.associations?.contacts?.results.map((r) => r.id)).toEqual([contact.id]);

    await client.crm.associations.v4.basicApi.archive('deals', deal.id, 'contacts', contact.id);
    expect(
      (await client.crm.associations.v4.basicApi.getPage('contacts', contact.id, 'deals')).results,
    ).toEqual([]);

    const second = await client.crm.objects.basicApi.create(assetType, {
      properties: { growrk_product_id: 'p-2' },
    });
    const created = await client.crm.associations.v4.batchApi.create('contacts', 'p12345_growrk_asset', {
      inputs: [
        {
          _from: { id: contact.id },
          to: { id: second.id },
          types: [spec('USER_DEFINED', assetToContact + 1)],
        },
      ],
    });
    expect(created.results).toHaveLength(1);
    const read = await client.crm.associations.v4.batchApi.getPage('contacts', 'p12345_growrk_asset', {
      inputs: [{ id: contact.id }],
    });
    expect(read.results[0]?.to.map((t) => t.toObjectId)).toEqual([asset.id, second.id]);
    await client.crm.associations.v4.batchApi.archive('contacts', 'p12345_growrk_asset', {
      inputs: [{ _from: { id: contact.id }, to: [{ id: asset.id }, { id: second.id }] }],
    });
    const after = await client.crm.associations.v4.batchApi.getPage('contacts', 'p12345_growrk_asset', {
      inputs: [{ id: contact.id }],
    });
    expect(after.results).toEqual([]);

    const wrongType = await failure(
      client.crm.associations.v4.basicApi.create('contacts', contact.id, 'deals', deal.id, [
        spec('HUBSPOT_DEFINED', 3),
      ]),
    );
    expect(wrongType.code).toBe(400);
    expect(emu.recorder.byOperation('crm.associations.*').length).toBeGreaterThanOrEqual(10);
  });

  it('rejects an undefined property and an unknown body field, recording violations', async () => {
    const noSuch = await failure(
      client.crm.contacts.basicApi.create({ properties: { favourite_colour: 'blue' }, associations: [] }),
    );
    expect(noSuch.code).toBe(400);
    expect(noSuch.body.category).toBe('VALIDATION_ERROR');
    expect(noSuch.body.message).toContain('PROPERTY_DOESNT_EXIST');

    const raw = await client.apiRequest({
      method: 'POST',
      path: '/crm/v3/objects/contacts',
      body: { properties: { email: 'x@example.com' }, colour: 'blue' },
    });
    expect(raw.status).toBe(400);
    const body = (await raw.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR' });
    expect(typeof body.correlationId).toBe('string');
    expect(String(body.message)).toContain('colour: unrecognized field');

    const notString = await client.apiRequest({
      method: 'POST',
      path: '/crm/v3/objects/contacts',
      body: { properties: { age: 3 } },
    });
    expect(notString.status).toBe(400);
    const violations = emu.recorder.violations();
    expect(violations.map((v) => v.operation)).toEqual([
      'crm.objects.create',
      'crm.objects.create',
      'crm.objects.create',
    ]);
    expect(violations[1]?.violation).toContain('colour');
    expect(violations[2]?.violation).toContain('properties.age');
    expect((await client.crm.contacts.basicApi.getPage()).results).toEqual([]);
  });

  it('rejects a batch of 101 inputs', async () => {
    const inputs = Array.from({ length: 101 }, (_, i) => ({ properties: { email: `p${i}@example.com` } }));
    const tooMany = await failure(
      client.crm.objects.batchApi.create('contacts', { inputs } as Parameters<
        Client['crm']['objects']['batchApi']['create']
      >[1]),
    );
    expect(tooMany.code).toBe(400);
    expect(tooMany.body.message).toContain('101');
    expect(emu.recorder.violations()[0]?.violation).toContain('exceeds the limit of 100');
    expect(emu.state.list(emu.state.resolveType('contacts'))).toEqual([]);
    await client.crm.objects.batchApi.create('contacts', {
      inputs: inputs.slice(0, 100),
    } as Parameters<Client['crm']['objects']['batchApi']['create']>[1]);
    expect(emu.state.list(emu.state.resolveType('contacts'))).toHaveLength(100);
  });

  it('injects each fault kind and records it', async () => {
    const list = () => client.crm.contacts.basicApi.getPage();
    emu.faults.add({ kind: 'rate-limit', count: 1, retryAfterSeconds: 7 });
    const limited = await failure(list());
    expect(limited.code).toBe(429);
    expect(limited.headers['retry-after']).toBe('7');
    emu.faults.add({ kind: 'rate-limit-403', count: 1 });
    expect((await failure(list())).code).toBe(403);
    emu.faults.add({ kind: 'server-error', count: 1 });
    expect((await failure(list())).code).toBe(500);
    emu.faults.add({ kind: 'unavailable', count: 1 });
    expect((await failure(list())).code).toBe(503);
    emu.faults.add({ kind: 'reset', count: 1, method: 'GET', path: /\/crm\/v3\/objects\/contacts$/ });
    await expect(list()).rejects.toThrow();
    emu.faults.add({ kind: 'latency', count: 1, latencyMs: 5 });
    expect((await list()).results).toEqual([]);
    expect((await list()).results).toEqual([]);
    expect(emu.recorder.calls.map((c) => [c.status, c.fault])).toEqual([
      [429, 'rate-limit'],
      [403, 'rate-limit-403'],
      [500, 'server-error'],
      [503, 'unavailable'],
      [0, 'reset'],
      [200, 'latency'],
      [200, undefined],
    ]);
  });

  it('holds a call until the test releases it', async () => {
    emu.faults.add({ kind: 'hold', count: 1, method: 'POST' });
    const pending = client.crm.contacts.basicApi.create({
      properties: { email: 'held@example.com' },
      associations: [],
    });
    const held = await emu.faults.waitForHeld();
    expect(held).toMatchObject({ method: 'POST', path: '/crm/v3/objects/contacts' });
    expect(emu.recorder.calls).toEqual([]);
    expect(emu.state.list(emu.state.resolveType('contacts'))).toEqual([]);
    held.release();
    const created = await pending;
    expect(created.properties.email).toBe('held@example.com');
    expect(emu.recorder.calls.map((c) => c.fault)).toEqual(['hold']);
  });

  it('requires a known bearer token and serves token introspection', async () => {
    const stranger = new Client({ accessToken: 'wrong', basePath: emu.url });
    const denied = await failure(stranger.crm.contacts.basicApi.getPage());
    expect(denied.code).toBe(401);
    expect(denied.body.category).toBe('INVALID_AUTHENTICATION');

    const info = await client.apiRequest({
      method: 'POST',
      path: '/oauth/v2/private-apps/get/access-token-info',
      body: { tokenKey: TOKEN },
    });
    expect(await info.json()).toMatchObject({
      hubId: 12345,
      scopes: expect.arrayContaining(['crm.objects.contacts.write']),
    });
    const meta = await client.oauth.accessTokensApi.get(TOKEN);
    expect(meta.hubId).toBe(12345);
  });

  it('serves the control API on the same port', async () => {
    const post = (path: string, body?: unknown) =>
      fetch(`${emu.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body ?? {}),
      });
    expect(
      (await post('/__emulator/faults', { kind: 'server-error', path: '^/crm/v3/objects/deals$', count: 1 }))
        .status,
    ).toBe(201);
    expect((await failure(client.crm.deals.basicApi.getPage())).code).toBe(500);
    await client.crm.contacts.basicApi.create({ properties: { email: 'c@example.com' }, associations: [] });
    const calls = (await (await fetch(`${emu.url}/__emulator/calls`)).json()) as {
      calls: Array<{ operation: string }>;
    };
    expect(calls.calls.map((c) => c.operation)).toEqual(['crm.objects.list', 'crm.objects.create']);
    const state = (await (await fetch(`${emu.url}/__emulator/state`)).json()) as {
      types: Array<{ name: string; records: unknown[] }>;
    };
    expect(state.types.find((t) => t.name === 'contacts')?.records).toHaveLength(1);
    expect((await fetch(`${emu.url}/__emulator/faults`, { method: 'DELETE' })).status).toBe(204);
    expect((await post('/__emulator/reset')).status).toBe(204);
    expect(emu.recorder.calls).toEqual([]);
    expect(emu.stats()).toEqual({ calls: 0, rateLimited: 0 });
  });
});

describe('HubSpot emulator rate limits and scopes', () => {
  it('answers 429 with the TEN_SECONDLY_ROLLING body and rate-limit headers', async () => {
    const clock = manualClock();
    const { emu, client } = await start({ limitPer10s: 3, dailyLimit: 5, clock: clock.now });
    try {
      const get = () => client.apiRequest({ method: 'GET', path: '/crm/v3/objects/contacts' });
      const remaining: string[] = [];
      for (let i = 0; i < 3; i += 1)
        remaining.push((await get()).headers.get('x-hubspot-ratelimit-remaining') ?? '');
      expect(remaining).toEqual(['2', '1', '0']);
      const refused = await get();
      expect(refused.status).toBe(429);
      expect(await refused.json()).toMatchObject({
        status: 'error',
        message: 'You have reached your ten_secondly_rolling limit.',
        errorType: 'RATE_LIMIT',
        policyName: 'TEN_SECONDLY_ROLLING',
      });
      expect(
        Object.fromEntries([...refused.headers].filter(([k]) => k.startsWith('x-hubspot-ratelimit'))),
      ).toEqual({
        'x-hubspot-ratelimit-max': '3',
        'x-hubspot-ratelimit-remaining': '0',
        'x-hubspot-ratelimit-interval-milliseconds': '10000',
        'x-hubspot-ratelimit-daily': '5',
        'x-hubspot-ratelimit-daily-remaining': '2',
      });
      const typed = await failure(client.crm.contacts.basicApi.getPage());
      expect(typed.code).toBe(429);
      expect(emu.stats()).toEqual({ calls: 5, rateLimited: 2 });

      clock.advance(10_000);
      expect((await get()).status).toBe(200);
      expect((await get()).status).toBe(200);
      const daily = await get();
      expect(daily.status).toBe(429);
      expect(await daily.json()).toMatchObject({
        policyName: 'DAILY',
        message: 'You have reached your daily limit.',
      });
    } finally {
      await emu.stop();
    }
  });

  it('answers 403 MISSING_SCOPES for a call the token lacks a scope for', async () => {
    const { emu, client } = await start({ scopes: ['crm.objects.contacts.read'] });
    try {
      expect((await client.crm.contacts.basicApi.getPage()).results).toEqual([]);
      const denied = await failure(
        client.crm.contacts.basicApi.create({ properties: { email: 'x@example.com' }, associations: [] }),
      );
      expect(denied.code).toBe(403);
      expect(denied.body.category).toBe('MISSING_SCOPES');
      expect((await failure(client.crm.schemas.coreApi.getAll())).code).toBe(403);
    } finally {
      await emu.stop();
    }
  });
});

describe('HubSpot emulator as a process', () => {
  it('starts from the script, prints its URL and stops on SIGTERM', async () => {
    const main = fileURLToPath(new URL('./hubspot/main.ts', import.meta.url));
    const child = spawn(process.execPath, [main, '--port', '0', '--limit', '50'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exit = once(child, 'exit');
    try {
      const first = await Promise.race([
        once(child.stdout, 'data').then(([chunk]) => String(chunk)),
        exit.then(() => undefined),
      ]);
      if (first === undefined) throw new Error('the emulator process exited before printing its URL');
      const url = first.trim();
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const answer = await fetch(`${url}/crm/v3/objects/contacts`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(answer.headers.get('x-hubspot-ratelimit-max')).toBe('50');
      const calls = (await (await fetch(`${url}/__emulator/calls`)).json()) as { calls: unknown[] };
      expect(calls.calls).toHaveLength(1);
    } finally {
      child.kill('SIGTERM');
      const [code] = await exit;
      expect(code).toBe(0);
    }
  });
});
