/**
 * The one store conformance suite: the same body runs against SQLite (a temp-dir file) and
 * PostgreSQL (`postgres://127.0.0.1:5432/test`, a fresh schema per store, dropped afterwards).
 * Time is passed as fake `now` values; nothing sleeps.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.ts';
import { emptyTimeline, type OffboardingRecord } from '../../src/core/offboarding.ts';
import { parseEnvelope } from '../../src/growrk/envelope.ts';
import type { EntityKind } from '../../src/growrk/types.ts';
import { openPostgresStore } from '../../src/store/postgres/store.ts';
import type { IngestInput, JobRequest, Store } from '../../src/store/types.ts';
import {
  postgresHarness,
  type StoreHarness,
  sqliteHarness,
  startTcpProxy,
  TEST_DATABASE_URL,
} from '../helpers/stores.ts';

const T0 = Date.parse('2024-09-01T00:00:00Z');
const CONNECTORS: IngestInput['jobConnectors'] = {
  employee: ['google-workspace', 'hubspot'],
  product: ['hubspot'],
  order: ['hubspot'],
};

// --- event builders (fixture bodies, parsed by the real envelope parser) -----------------

type Json = Record<string, unknown>;

function fixture(name: string): Json {
  return JSON.parse(
    readFileSync(new URL(`../fixtures/growrk/${name}.json`, import.meta.url), 'utf8'),
  ) as Json;
}

const FIXTURES = {
  employee: fixture('employee.updated'),
  order: fixture('order.created'),
  product: fixture('product.assigned'),
};

const ARRAY_KEY = { employee: 'employees', order: 'orders', product: 'products' } as const;

/** A body of `kind` from its fixture, with the first entity's fields patched and the rest dropped. */
function body(kind: EntityKind, timestamp: string, entities: Json[], type?: string): Json {
  const json = structuredClone(FIXTURES[kind]);
  const template = (json[ARRAY_KEY[kind]] as Json[])[0]!;
  json.timestamp = timestamp;
  if (type) json.event = type;
  json[ARRAY_KEY[kind]] = entities.map((patch) => {
    const entity: Json = { ...structuredClone(template), ...patch };
    // No embedded references unless a test asks for one.
    if (!('manager' in patch)) delete entity.manager;
    if (!('employee' in patch)) delete entity.employee;
    return entity;
  });
  return json;
}

/** The IngestInput the service would build for `json` (see src/core/ingest.ts). */
function input(json: Json, receivedAt: number): IngestInput {
  const raw = JSON.stringify(json);
  const event = parseEnvelope(json, []);
  return {
    id: newId('evt', receivedAt),
    bodyHash: sha256(raw),
    receivedAt,
    status: event.known ? 'accepted' : 'ignored',
    event,
    body: raw,
    jobConnectors: CONNECTORS,
  };
}

function employee(id: string, timestamp: string, fields: Json, receivedAt: number): IngestInput {
  return input(body('employee', timestamp, [{ id, ...fields }]), receivedAt);
}

function rejected(raw: string, receivedAt: number, type: string | null = null): IngestInput {
  return {
    id: newId('evt', receivedAt),
    bodyHash: sha256(raw),
    receivedAt,
    status: 'rejected',
    event: null,
    type,
    body: raw,
    error: {
      code: 'ENVELOPE_INVALID',
      message: 'not a valid GroWrk event: "timestamp" must be an ISO 8601 date-time',
    },
    jobConnectors: {},
  };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function job(connector: string, entityId: string, eventId: string | null, runAt = T0): JobRequest {
  return { connector, kind: 'employee', entityId, eventId, runAt };
}

const ERR = { code: 'VENDOR_UNAVAILABLE', message: 'HTTP 503' };

/** A small deterministic PRNG (mulberry32), so shuffles are reproducible. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

// --- the suite ------------------------------------------------------------------------

const pgHarness = postgresHarness();
const harnesses: StoreHarness[] = [sqliteHarness(), sqliteHarness({ threaded: true }), pgHarness];

afterAll(async () => {
  await Promise.all(harnesses.map((h) => h.cleanup()));
});

describe.each(harnesses)('$name store', (harness) => {
  let store: Store;

  beforeEach(async () => {
    store = await harness.fresh();
  });
  afterEach(async () => {
    await harness.closeAll();
  });

  describe('migrations', () => {
    it('are idempotent: a second migrate applies nothing', async () => {
      expect(await store.ready()).toBe(true);
      expect(await store.migrate()).toEqual({ applied: [] });
      expect(await store.ready()).toBe(true);
    });

    it('run once when two instances migrate at the same time', async () => {
      const [a, b] = await harness.blankPair();
      expect(await a.ready()).toBe(false);
      const results = await Promise.all([a.migrate(), b.migrate()]);
      expect(results.flatMap((r) => r.applied).sort((x, y) => x - y)).toEqual(harness.versions);
      expect(await a.ready()).toBe(true);
      expect(await b.ready()).toBe(true);
      expect(await a.migrate()).toEqual({ applied: [] });
    });
  });

  describe('ingest', () => {
    it('stores an event with its projection and jobs, and answers a duplicate body with the first id', async () => {
      const first = employee('emp-1', '2024-06-01T09:30:00Z', { jobTitle: 'Engineer' }, T0);
      expect(await store.ingest(first)).toEqual({
        id: first.id,
        duplicate: false,
        status: 'accepted',
      });
      const stored = await store.getEvent(first.id);
      expect(stored).toEqual({
        id: first.id,
        bodyHash: first.bodyHash,
        type: 'employee.updated',
        companyId: '123',
        timestamp: '2024-06-01T09:30:00.000Z',
        receivedAt: T0,
        status: 'accepted',
        error: null,
        body: first.body,
        entityKeys: ['employee:emp-1'],
      });
      const jobsBefore = await store.countJobs();
      expect(jobsBefore).toEqual({ pending: 2, running: 0, done: 0, dead: 0 });

      const again = { ...first, id: newId('evt', T0 + 5), receivedAt: T0 + 5 };
      expect(await store.ingest(again)).toEqual({
        id: first.id,
        duplicate: true,
        status: 'accepted',
      });
      expect(await store.getEvent(again.id)).toBeNull();
      expect(await store.listEvents()).toHaveLength(1);
      expect(await store.countJobs()).toEqual(jobsBefore);
    });

    it('projects embedded references, but syncs only entities sent in full', async () => {
      const json = body('employee', '2024-06-01T09:30:00Z', [
        { id: 'emp-1', manager: { id: 'emp-boss', displayName: 'Boss', email: 'boss@example.com' } },
      ]);
      const result = await store.ingest(input(json, T0));
      // Jobs for emp-1 only: the manager is known from the reference alone, nothing to sync yet.
      expect(await store.listJobs({ eventId: result.id })).toHaveLength(2);
      expect((await store.listJobs({})).every((j) => j.entityId === 'emp-1')).toBe(true);
      expect((await store.getEntity('employee', 'emp-boss'))?.data).toEqual({
        id: 'emp-boss',
        displayName: 'Boss',
        email: 'boss@example.com',
      });
      expect(await store.countEntities('employee')).toBe(2);
    });

    it('keeps a rejected event, without projection or jobs; a redelivery is a duplicate', async () => {
      const raw = '{"event":"order.created","timestamp":"yesterday","companyId":"123"}';
      const bad = rejected(raw, T0, 'order.created');
      expect(await store.ingest(bad)).toEqual({ id: bad.id, duplicate: false, status: 'rejected' });
      expect(await store.getEvent(bad.id)).toEqual({
        id: bad.id,
        bodyHash: bad.bodyHash,
        type: 'order.created',
        companyId: null,
        timestamp: null,
        receivedAt: T0,
        status: 'rejected',
        error: bad.error,
        body: raw,
        entityKeys: [],
      });
      expect(await store.countJobs()).toEqual({ pending: 0, running: 0, done: 0, dead: 0 });
      expect(await store.countEntities('order')).toBe(0);
      const again = rejected(raw, T0 + 1, 'order.created');
      expect(await store.ingest(again)).toEqual({ id: bad.id, duplicate: true, status: 'rejected' });
    });

    it('keeps an event of an unknown type as ignored, without projection or jobs', async () => {
      const ignored = input(
        body('employee', '2024-06-01T09:30:00Z', [{ id: 'emp-1' }], 'employee.promoted'),
        T0,
      );
      expect(ignored.status).toBe('ignored');
      expect(await store.ingest(ignored)).toEqual({
        id: ignored.id,
        duplicate: false,
        status: 'ignored',
      });
      expect((await store.getEvent(ignored.id))?.status).toBe('ignored');
      expect(await store.getEntity('employee', 'emp-1')).toBeNull();
    });
  });

  describe('projection', () => {
    it('keeps the newer snapshot when employee updates arrive out of order', async () => {
      const newer = employee('emp-1', '2024-06-02T00:00:00Z', { jobTitle: 'Lead' }, T0);
      await store.ingest(newer);
      const older = employee('emp-1', '2024-06-01T00:00:00Z', { jobTitle: 'Engineer' }, T0 + 1);
      expect(await store.ingest(older)).toEqual({
        id: older.id,
        duplicate: false,
        status: 'accepted',
      });
      const snapshot = await store.getEntity('employee', 'emp-1');
      expect(snapshot?.data.jobTitle).toBe('Lead');
      expect(snapshot?.ts).toBe(Date.parse('2024-06-02T00:00:00Z'));
      expect(snapshot?.eventId).toBe(newer.id);
      expect(snapshot?.eventType).toBe('employee.updated');
      expect(snapshot?.updatedAt).toBe(T0);

      const newest = employee('emp-1', '2024-06-03T00:00:00Z', { jobTitle: 'Director' }, T0 + 2);
      await store.ingest(newest);
      expect(await store.listJobs({ eventId: newest.id })).toHaveLength(2);
      expect((await store.getEntity('employee', 'emp-1'))?.data.jobTitle).toBe('Director');
    });

    it('enriches employees from references in orders and products without overwriting newer data', async () => {
      await store.ingest(
        employee(
          'emp-9',
          '2024-08-10T00:00:00Z',
          { email: 'old@example.com', displayName: 'Ann', jobTitle: 'Eng' },
          T0,
        ),
      );
      // An older order still carries the old address: nothing changes for the employee.
      const olderOrder = input(
        body('order', '2024-08-01T00:00:00Z', [
          { id: 'ord-1', employee: { id: 'emp-9', displayName: 'Ann', email: 'stale@example.com' } },
        ]),
        T0 + 1,
      );
      await store.ingest(olderOrder);
      expect(await store.listJobs({ eventId: olderOrder.id })).toHaveLength(1);
      expect((await store.getEntity('employee', 'emp-9'))?.data.email).toBe('old@example.com');
      expect((await store.getEntity('order', 'ord-1'))?.data.employee).toMatchObject({ id: 'emp-9' });

      // A newer product carries a new address: the employee is enriched, other fields kept.
      const newerProduct = input(
        body('product', '2024-08-20T00:00:00Z', [
          { id: 'prod-1', employee: { id: 'emp-9', displayName: 'Ann', email: 'new@example.com' } },
        ]),
        T0 + 2,
      );
      await store.ingest(newerProduct);
      expect(await store.listJobs({ eventId: newerProduct.id })).toHaveLength(3);
      let ann = await store.getEntity('employee', 'emp-9');
      expect(ann?.data).toMatchObject({ email: 'new@example.com', displayName: 'Ann', jobTitle: 'Eng' });
      expect(ann?.ts).toBe(Date.parse('2024-08-10T00:00:00Z'));
      expect(ann?.fieldTs).toEqual({ email: Date.parse('2024-08-20T00:00:00Z') });

      // A full employee event older than that reference keeps the referenced address.
      await store.ingest(
        employee(
          'emp-9',
          '2024-08-15T00:00:00Z',
          { email: 'old@example.com', displayName: 'Ann', jobTitle: 'Senior' },
          T0 + 3,
        ),
      );
      ann = await store.getEntity('employee', 'emp-9');
      expect(ann?.data).toMatchObject({ email: 'new@example.com', jobTitle: 'Senior' });
      expect(ann?.ts).toBe(Date.parse('2024-08-15T00:00:00Z'));

      // An employee only known from a reference exists with ts null.
      await store.ingest(
        input(
          body('order', '2024-08-02T00:00:00Z', [
            { id: 'ord-2', employee: { id: 'emp-new', displayName: 'Bo', email: 'bo@example.com' } },
          ]),
          T0 + 4,
        ),
      );
      const bo = await store.getEntity('employee', 'emp-new');
      expect(bo?.data).toEqual({ id: 'emp-new', displayName: 'Bo', email: 'bo@example.com' });
      expect(bo?.ts).toBeNull();
    });
  });

  describe('jobs', () => {
    it('creates one job per connector for each changed entity only', async () => {
      const first = employee('emp-1', '2024-06-01T00:00:00Z', {}, T0);
      await store.ingest(first);
      const jobs = await store.listJobs({ eventId: first.id });
      expect(jobs.map((j) => j.connector).sort()).toEqual(['google-workspace', 'hubspot']);
      for (const j of jobs) {
        expect(j).toMatchObject({
          kind: 'employee',
          entityId: 'emp-1',
          state: 'pending',
          attempts: 0,
          runAt: T0,
          eventIds: [first.id],
          lastError: null,
          owner: null,
          leaseUntil: null,
        });
      }
      // The same state again (a new body, same data and timestamp) changes nothing.
      const same = input({ ...JSON.parse(first.body), extra: 1 }, T0 + 1);
      await store.ingest(same);
      expect(await store.listJobs({ eventId: same.id })).toEqual([]);
    });

    it('coalesces requests into the one pending job of an entity', async () => {
      const a = employee('emp-1', '2024-06-01T00:00:00Z', { jobTitle: 'A' }, T0);
      const b = employee('emp-1', '2024-06-02T00:00:00Z', { jobTitle: 'B' }, T0 + 10);
      await store.ingest(a);
      await store.ingest(b);
      const pending = await store.listJobs({ state: 'pending' });
      expect(pending).toHaveLength(2);
      for (const j of pending) expect(j).toMatchObject({ eventIds: [a.id, b.id], runAt: T0 });

      expect(await store.enqueueJobs([job('hubspot', 'emp-1', null, T0 - 100)])).toBe(1);
      expect(await store.enqueueJobs([job('hubspot', 'emp-1', a.id, T0 + 100)])).toBe(1);
      const hubspot = (await store.listJobs({ state: 'pending' })).find((j) => j.connector === 'hubspot');
      expect(hubspot).toMatchObject({ runAt: T0 - 100, eventIds: [a.id, b.id] });
      expect(await store.countJobs()).toEqual({ pending: 2, running: 0, done: 0, dead: 0 });

      // Event ids are capped at 50 per job.
      const many = Array.from({ length: 60 }, (_, i) =>
        job('c', 'emp-2', `evt-${String(i).padStart(2, '0')}`),
      );
      expect(await store.enqueueJobs(many)).toBe(60);
      const capped = (await store.listJobs({ state: 'pending' })).find((j) => j.connector === 'c');
      expect(capped?.eventIds).toHaveLength(50);
      expect(new Set(capped?.eventIds).size).toBe(50);
    });

    it('claims only jobs that are due', async () => {
      await store.enqueueJobs([job('c', 'later', 'e1', T0 + 1000), job('c', 'now', 'e2', T0)]);
      const claimed = await store.claimJobs({ owner: 'w1', limit: 10, now: T0, leaseMs: 5000 });
      expect(claimed.map((j) => j.entityId)).toEqual(['now']);
      expect(claimed[0]).toMatchObject({ state: 'running', owner: 'w1', leaseUntil: T0 + 5000, attempts: 1 });
      expect(await store.getJob(claimed[0]!.id)).toMatchObject({
        state: 'running',
        owner: 'w1',
        leaseUntil: T0 + 5000,
      });
      expect(await store.claimJobs({ owner: 'w1', limit: 10, now: T0 + 999, leaseMs: 5000 })).toEqual([]);
      const later = await store.claimJobs({ owner: 'w1', limit: 10, now: T0 + 1000, leaseMs: 5000 });
      expect(later.map((j) => j.entityId)).toEqual(['later']);
      expect(await store.claimJobs({ owner: 'w1', limit: 0, now: T0 + 5000, leaseMs: 500 })).toEqual([]);
    });

    it('never runs two jobs of one entity at once, and reclaims a job whose lease expired', async () => {
      await store.enqueueJobs([job('c', 'e1', 'x1')]);
      const [first] = await store.claimJobs({ owner: 'w1', limit: 10, now: T0, leaseMs: 1000 });
      expect(first).toBeDefined();
      await store.enqueueJobs([job('c', 'e1', 'x2')]);
      expect(await store.countJobs()).toMatchObject({ pending: 1, running: 1 });
      // The new request waits while the first runs, and is not "due" for a poller either.
      expect(await store.claimJobs({ owner: 'w2', limit: 10, now: T0 + 10, leaseMs: 1000 })).toEqual([]);
      expect(await store.nextJobAt()).toBe(T0 + 1000);

      // The first worker died: its job is taken over (before the waiting one), the attempt counted.
      const reclaimed = await store.claimJobs({ owner: 'w2', limit: 10, now: T0 + 1000, leaseMs: 1000 });
      expect(reclaimed.map((j) => [j.id, j.owner, j.attempts])).toEqual([[first!.id, 'w2', 2]]);
      // The dead worker's late finish is ignored.
      await store.finishJob(first!.id, 'w1', { state: 'done' }, T0 + 1001);
      expect(await store.getJob(first!.id)).toMatchObject({ state: 'running', owner: 'w2' });

      await store.finishJob(first!.id, 'w2', { state: 'done' }, T0 + 1002);
      const next = await store.claimJobs({ owner: 'w3', limit: 10, now: T0 + 1003, leaseMs: 1000 });
      expect(next).toHaveLength(1);
      expect(next[0]).toMatchObject({ entityId: 'e1', eventIds: ['x2'], owner: 'w3' });
    });

    it('hands each job to one claimer when many claim at once', async () => {
      const other = await harness.sibling(store);
      const keys = Array.from({ length: 40 }, (_, i) => `e${i}`);
      await store.enqueueJobs(keys.map((k) => job('c', k, `x-${k}`)));
      const claims = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          (i % 2 ? other : store).claimJobs({ owner: `w${i}`, limit: 7, now: T0, leaseMs: 1000 }),
        ),
      );
      const ids = claims.flat().map((j) => j.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toHaveLength(40);
      // A second request for every running entity: none of them may start.
      await store.enqueueJobs(keys.map((k) => job('c', k, `y-${k}`)));
      const more = await Promise.all(
        Array.from({ length: 4 }, (_, i) =>
          (i % 2 ? other : store).claimJobs({ owner: `v${i}`, limit: 20, now: T0 + 1, leaseMs: 1000 }),
        ),
      );
      expect(more.flat()).toEqual([]);
      expect(await store.countJobs()).toMatchObject({ pending: 40, running: 40 });
    });

    it('finishes jobs as done, pending with backoff, or dead', async () => {
      await store.enqueueJobs([job('c', 'ok', 'e1'), job('c', 'retry', 'e2'), job('c', 'fatal', 'e3')]);
      const claimed = await store.claimJobs({ owner: 'w1', limit: 10, now: T0, leaseMs: 1000 });
      const byEntity = new Map(claimed.map((j) => [j.entityId, j]));
      expect([...byEntity.keys()].sort()).toEqual(['fatal', 'ok', 'retry']);

      await store.finishJob(byEntity.get('ok')!.id, 'w1', { state: 'done' }, T0 + 1);
      await store.finishJob(
        byEntity.get('retry')!.id,
        'w1',
        { state: 'pending', runAt: T0 + 5000, error: ERR },
        T0 + 2,
      );
      await store.finishJob(byEntity.get('fatal')!.id, 'w1', { state: 'dead', error: ERR }, T0 + 3);

      expect(await store.getJob(byEntity.get('ok')!.id)).toMatchObject({
        state: 'done',
        owner: null,
        leaseUntil: null,
        updatedAt: T0 + 1,
      });
      expect(await store.getJob(byEntity.get('retry')!.id)).toMatchObject({
        state: 'pending',
        runAt: T0 + 5000,
        lastError: ERR,
        attempts: 1,
        owner: null,
        leaseUntil: null,
      });
      expect(await store.getJob(byEntity.get('fatal')!.id)).toMatchObject({
        state: 'dead',
        lastError: ERR,
        owner: null,
      });
      expect(await store.countJobs()).toEqual({ pending: 1, running: 0, done: 1, dead: 1 });
      expect(await store.nextJobAt()).toBe(T0 + 5000);

      expect(await store.claimJobs({ owner: 'w2', limit: 10, now: T0 + 4999, leaseMs: 1000 })).toEqual([]);
      const retried = await store.claimJobs({ owner: 'w2', limit: 10, now: T0 + 5000, leaseMs: 1000 });
      expect(retried.map((j) => [j.entityId, j.attempts])).toEqual([['retry', 2]]);
      expect(await store.listJobs({ state: 'dead' })).toHaveLength(1);
    });

    it('folds a retry into a pending job of the same entity', async () => {
      await store.enqueueJobs([job('c', 'e1', 'x1')]);
      const [running] = await store.claimJobs({ owner: 'w1', limit: 1, now: T0, leaseMs: 1000 });
      await store.enqueueJobs([job('c', 'e1', 'x2', T0 + 20)]);
      let woke = 0;
      const off = store.onJobsReady(() => {
        woke += 1;
      });
      await store.finishJob(running!.id, 'w1', { state: 'pending', runAt: T0 + 9000, error: ERR }, T0 + 30);
      off();
      expect(woke).toBeGreaterThan(0);
      expect(await store.getJob(running!.id)).toMatchObject({ state: 'done', lastError: ERR, owner: null });
      const pending = await store.listJobs({ state: 'pending' });
      expect(pending).toHaveLength(1);
      expect(pending[0]).toMatchObject({
        entityId: 'e1',
        eventIds: ['x2', 'x1'],
        attempts: 1,
        runAt: T0 + 20,
      });
      expect(await store.countJobs()).toEqual({ pending: 1, running: 0, done: 1, dead: 0 });
    });

    it('caps event ids when a retry folds into a pending job', async () => {
      const ids = Array.from({ length: 50 }, (_, i) => `a-${String(i).padStart(2, '0')}`);
      await store.enqueueJobs(ids.map((id) => job('c', 'e1', id)));
      const [running] = await store.claimJobs({ owner: 'w1', limit: 1, now: T0, leaseMs: 1000 });
      expect(running?.eventIds).toHaveLength(50);
      await store.enqueueJobs([job('c', 'e1', 'b-new')]);
      await store.finishJob(running!.id, 'w1', { state: 'pending', runAt: T0 + 9000, error: ERR }, T0 + 1);
      const [pending] = await store.listJobs({ state: 'pending' });
      expect(pending?.eventIds).toHaveLength(50);
      expect(pending?.eventIds[0]).toBe('b-new');
    });

    it('wakes job listeners when a finished job releases a waiting one', async () => {
      await store.enqueueJobs([job('c', 'e1', 'x1')]);
      const [running] = await store.claimJobs({ owner: 'w1', limit: 1, now: T0, leaseMs: 1000 });
      await store.enqueueJobs([job('c', 'e1', 'x2')]);
      let woke = 0;
      const off = store.onJobsReady(() => {
        woke += 1;
      });
      await store.finishJob(running!.id, 'w1', { state: 'done' }, T0 + 1);
      off();
      expect(woke).toBeGreaterThan(0);
      expect(await store.nextJobAt()).toBe(T0);
    });

    it('replays the jobs of an event', async () => {
      const event = employee('emp-1', '2024-06-01T00:00:00Z', {}, T0);
      await store.ingest(event);
      for (const j of await store.claimJobs({ owner: 'w1', limit: 10, now: T0, leaseMs: 1000 })) {
        await store.finishJob(j.id, 'w1', { state: 'done' }, T0 + 1);
      }
      expect(await store.replay({ eventId: event.id, connectors: ['hubspot'] }, T0 + 100)).toBe(1);
      const pending = await store.listJobs({ state: 'pending' });
      expect(pending).toHaveLength(1);
      expect(pending[0]).toMatchObject({
        connector: 'hubspot',
        entityId: 'emp-1',
        eventIds: [event.id],
        runAt: T0 + 100,
      });
      // Replaying again coalesces into the waiting job.
      expect(await store.replay({ eventId: event.id, connectors: ['hubspot'] }, T0 + 200)).toBe(1);
      expect(await store.countJobs()).toEqual({ pending: 1, running: 0, done: 2, dead: 0 });
      expect(await store.replay({ eventId: 'evt_unknown', connectors: ['hubspot'] }, T0 + 300)).toBe(0);
    });

    it('replays dead jobs', async () => {
      await store.enqueueJobs([job('c', 'e1', 'x1'), job('c', 'e2', 'x2')]);
      for (const j of await store.claimJobs({ owner: 'w1', limit: 10, now: T0, leaseMs: 1000 })) {
        await store.finishJob(
          j.id,
          'w1',
          { state: j.entityId === 'e1' ? 'dead' : 'done', error: ERR },
          T0 + 1,
        );
      }
      expect(await store.countJobs()).toEqual({ pending: 0, running: 0, done: 1, dead: 1 });
      expect(await store.replay({ deadJobs: true }, T0 + 500)).toBe(1);
      expect(await store.countJobs()).toMatchObject({ pending: 1, dead: 0 });
      const [pending] = await store.listJobs({ state: 'pending' });
      expect(pending).toMatchObject({ entityId: 'e1', eventIds: ['x1'], runAt: T0 + 500, attempts: 0 });
      expect(await store.replay({ deadJobs: true }, T0 + 600)).toBe(0);
    });

    it('replays only the dead jobs named', async () => {
      await store.enqueueJobs([job('c', 'e1', 'x1'), job('c', 'e2', 'x2'), job('c', 'e3', 'x3')]);
      const claimed = await store.claimJobs({ owner: 'w1', limit: 10, now: T0, leaseMs: 1000 });
      for (const j of claimed) {
        const finish =
          j.entityId === 'e3' ? { state: 'done' as const } : { state: 'dead' as const, error: ERR };
        await store.finishJob(j.id, 'w1', finish, T0 + 1);
      }
      const byEntity = new Map(claimed.map((j) => [j.entityId, j.id]));
      // e3 is done, not dead: naming it replays nothing for it.
      expect(
        await store.replay({ deadJobs: true, jobIds: [byEntity.get('e1')!, byEntity.get('e3')!] }, T0 + 5),
      ).toBe(1);
      expect((await store.listJobs({ state: 'pending' })).map((j) => j.entityId)).toEqual(['e1']);
      expect((await store.listJobs({ state: 'dead' })).map((j) => j.entityId)).toEqual(['e2']);
      expect(await store.replay({ deadJobs: true, jobIds: [] }, T0 + 6)).toBe(0);
    });

    it('counts jobs and tells when the next one is due', async () => {
      expect(await store.countJobs()).toEqual({ pending: 0, running: 0, done: 0, dead: 0 });
      expect(await store.nextJobAt()).toBeNull();
      await store.enqueueJobs([job('c', 'e1', null, T0 + 300), job('c', 'e2', null, T0 + 200)]);
      expect(await store.nextJobAt()).toBe(T0 + 200);
      await store.claimJobs({ owner: 'w1', limit: 1, now: T0 + 250, leaseMs: 10 });
      expect(await store.countJobs()).toEqual({ pending: 1, running: 1, done: 0, dead: 0 });
      // The running job's lease (T0 + 260) runs out before the other is due.
      expect(await store.nextJobAt()).toBe(T0 + 260);
      expect(await store.listJobs({ state: 'running' })).toHaveLength(1);
      expect(await store.listJobs({ limit: 1 })).toHaveLength(1);
    });

    it('extends the leases a worker still holds', async () => {
      await store.enqueueJobs([job('c', 'e1', null), job('c', 'e2', null)]);
      const claimed = await store.claimJobs({ owner: 'w1', limit: 10, now: T0, leaseMs: 100 });
      const ids = claimed.map((j) => j.id);
      expect((await store.renewLeases(ids, 'w1', T0 + 5000)).sort()).toEqual([...ids].sort());
      // Not its lease: nothing renewed, and it is told so.
      expect(await store.renewLeases([claimed[0]!.id], 'intruder', T0 + 99_999)).toEqual([]);
      for (const j of claimed) expect((await store.getJob(j.id))?.leaseUntil).toBe(T0 + 5000);
      expect(await store.claimJobs({ owner: 'w2', limit: 10, now: T0 + 4999, leaseMs: 100 })).toEqual([]);
      // Once w2 has taken one over (w1's lease ran out), w1's renewal leaves it out.
      const [taken] = await store.claimJobs({ owner: 'w2', limit: 1, now: T0 + 5001, leaseMs: 100 });
      expect(await store.renewLeases(ids, 'w1', T0 + 9000)).toEqual(ids.filter((id) => id !== taken!.id));
    });

    it('calls job listeners after an ingest that made jobs', async () => {
      let woke = 0;
      let wake: () => void = () => {};
      const woken = new Promise<void>((resolve) => {
        wake = resolve;
      });
      const off = store.onJobsReady(() => {
        woke += 1;
        wake();
      });
      // Called once the jobs exist (SQLite projects behind the acknowledgement, so maybe later).
      await store.ingest(employee('emp-1', '2024-06-01T00:00:00Z', {}, T0));
      await woken;
      expect(await store.countJobs()).toMatchObject({ pending: 2 });
      off();
      const before = woke;
      await store.ingest(employee('emp-1', '2024-06-02T00:00:00Z', {}, T0 + 1));
      // A read catches the projection up: the jobs are coalesced, no listener is left to call.
      expect(await store.countJobs()).toMatchObject({ pending: 2 });
      expect(woke).toBe(before);
    });
  });

  describe('lanes', () => {
    it("claims one connector's jobs only, destructive ones first, then by due time", async () => {
      await store.enqueueJobs([
        job('bulk', 'a1', 'e1', T0 - 30),
        job('bulk', 'a2', 'e2', T0 - 20),
        job('dir', 'u1', 'e3', T0 - 10),
        { ...job('dir', 'u2', 'e4', T0), priority: 10 },
        { ...job('bulk', 'a3', 'e5', T0), priority: 10 },
      ]);
      const dir = await store.claimJobs({ owner: 'w', limit: 10, now: T0, leaseMs: 1000, connector: 'dir' });
      expect(dir.map((j) => [j.entityId, j.priority])).toEqual([
        ['u2', 10],
        ['u1', 0],
      ]);
      const bulk = await store.claimJobs({ owner: 'w', limit: 2, now: T0, leaseMs: 1000, connector: 'bulk' });
      expect(bulk.map((j) => j.entityId)).toEqual(['a3', 'a1']);
      expect(await store.countPendingByConnector()).toEqual({ bulk: 1 });
      expect(
        await store.claimJobs({ owner: 'w', limit: 10, now: T0, leaseMs: 1000, connector: 'dir' }),
      ).toEqual([]);
    });

    it('keeps the higher priority when requests coalesce, and a retry keeps its priority', async () => {
      await store.enqueueJobs([{ ...job('c', 'e1', 'x1'), priority: 10 }]);
      await store.enqueueJobs([job('c', 'e1', 'x2')]);
      const [claimed] = await store.claimJobs({
        owner: 'w',
        limit: 1,
        now: T0,
        leaseMs: 1000,
        connector: 'c',
      });
      expect(claimed).toMatchObject({ priority: 10, eventIds: ['x1', 'x2'] });
      await store.finishJob(claimed!.id, 'w', { state: 'pending', runAt: T0 + 5, error: ERR }, T0 + 1);
      await store.enqueueJobs([job('c', 'e2', 'x3', T0)]);
      const next = await store.claimJobs({
        owner: 'w',
        limit: 2,
        now: T0 + 5,
        leaseMs: 1000,
        connector: 'c',
      });
      expect(next.map((j) => [j.entityId, j.priority])).toEqual([
        ['e1', 10],
        ['e2', 0],
      ]);
    });

    it('gives the jobs of an offboarded employee the destructive priority at ingest', async () => {
      await store.ingest(employee('emp-1', '2024-06-01T00:00:00Z', { status: 'active' }, T0));
      await store.ingest(
        input(body('employee', '2024-06-02T00:00:00Z', [{ id: 'emp-2' }], 'employee.offboarded'), T0 + 1),
      );
      const pending = await store.listJobs({ state: 'pending' });
      const priorities = pending.map((j) => `${j.connector}/${j.entityId}=${j.priority}`).sort();
      expect(priorities).toEqual([
        'google-workspace/emp-1=0',
        'google-workspace/emp-2=10',
        'hubspot/emp-1=0',
        'hubspot/emp-2=10',
      ]);
    });

    it('replays an offboarding, and a dead suspension, as destructive work', async () => {
      const offboarded = input(
        body('employee', '2024-06-02T00:00:00Z', [{ id: 'emp-7' }], 'employee.offboarded'),
        T0,
      );
      await store.ingest(offboarded);
      for (const j of await store.claimJobs({ owner: 'w', limit: 10, now: T0, leaseMs: 1000 })) {
        await store.finishJob(
          j.id,
          'w',
          { state: j.connector === 'hubspot' ? 'done' : 'dead', error: ERR },
          T0 + 1,
        );
      }
      expect(await store.replay({ eventId: offboarded.id, connectors: ['hubspot'] }, T0 + 2)).toBe(1);
      expect(await store.replay({ deadJobs: true }, T0 + 3)).toBe(1);
      const pending = await store.listJobs({ state: 'pending' });
      expect(pending.map((j) => `${j.connector}=${j.priority}`).sort()).toEqual([
        'google-workspace=10',
        'hubspot=10',
      ]);
    });

    it('tells each lane when its next job is due', async () => {
      await store.enqueueJobs([job('a', 'e1', 'x1', T0 + 100), job('b', 'e2', 'x2', T0 + 50)]);
      expect(await store.nextJobAt()).toBe(T0 + 50);
      expect(await store.nextJobAt('a')).toBe(T0 + 100);
      expect(await store.nextJobAt('b')).toBe(T0 + 50);
      expect(await store.nextJobAt('none')).toBeNull();
      const [running] = await store.claimJobs({
        owner: 'w',
        limit: 1,
        now: T0 + 50,
        leaseMs: 1000,
        connector: 'b',
      });
      expect(running).toBeDefined();
      expect(await store.nextJobAt('b')).toBe(T0 + 1050);
      expect(await store.nextJobAt('a')).toBe(T0 + 100);
    });

    it('reclaims an expired job of a lane ahead of its pending ones', async () => {
      await store.enqueueJobs([job('c', 'e1', 'x1'), job('d', 'e9', 'x9')]);
      const [first] = await store.claimJobs({ owner: 'w1', limit: 1, now: T0, leaseMs: 100, connector: 'c' });
      await store.enqueueJobs([{ ...job('c', 'e2', 'x2'), priority: 10 }]);
      const taken = await store.claimJobs({
        owner: 'w2',
        limit: 5,
        now: T0 + 100,
        leaseMs: 100,
        connector: 'c',
      });
      expect(taken.map((j) => j.entityId)).toEqual(['e1', 'e2']);
      expect(taken[0]).toMatchObject({ id: first!.id, owner: 'w2', attempts: 2 });
    });
  });

  describe('shared call budgets', () => {
    const ask = (want: number, now: number) => ({
      key: 'portal:1',
      want,
      limit: 10,
      windowMs: 1000,
      holdMs: 100,
      now,
    });

    it('grants at most the limit per window, counting each grant until its hold and a window have passed', async () => {
      expect(await store.takeCallBudget(ask(4, T0))).toBe(4);
      expect(await store.takeCallBudget(ask(4, T0 + 10))).toBe(4);
      expect(await store.takeCallBudget(ask(4, T0 + 20))).toBe(2);
      expect(await store.takeCallBudget(ask(1, T0 + 1099))).toBe(0);
      expect(await store.takeCallBudget({ ...ask(1, T0 + 1099), key: 'portal:2' })).toBe(1);
      // The first grant (held until T0 + 100) stops counting a window later.
      expect(await store.takeCallBudget(ask(10, T0 + 1100))).toBe(4);
    });

    it('never grants more than the limit to concurrent takers', async () => {
      const takers = [store, await harness.sibling(store)];
      const grants = await Promise.all(
        Array.from({ length: 24 }, (_, i) => takers[i % takers.length]!.takeCallBudget(ask(1, T0 + i))),
      );
      expect(grants.reduce((a, b) => a + b, 0)).toBe(10);
    });
  });

  describe('attention counts', () => {
    it('counts held changes and dead jobs by connector and kind', async () => {
      const change = {
        id: 'held_1',
        connector: 'gw',
        kind: 'employee' as const,
        entityId: 'emp-1',
        reason: 'destructive budget 5 per 1h exceeded',
        plan: { ops: [] },
        eventIds: ['e1'],
        createdAt: T0,
      };
      await store.addHeld(change);
      await store.addHeld({ ...change, id: 'held_2', entityId: 'emp-2' });
      await store.addHeld({ ...change, id: 'held_3', entityId: 'emp-3' });
      await store.decideHeld('held_3', ['held'], 'rejected', 'alice', T0 + 1);
      await store.enqueueJobs([job('gw', 'emp-4', 'x4'), job('hs', 'emp-4', 'x5')]);
      for (const j of await store.claimJobs({ owner: 'w', limit: 10, now: T0, leaseMs: 1000 })) {
        await store.finishJob(j.id, 'w', { state: 'dead', error: ERR }, T0 + 1);
      }
      const counts = (await store.countAttention())
        .map((c) => `${c.state} ${c.connector} ${c.kind} ${c.count}`)
        .sort();
      expect(counts).toEqual(['dead gw employee 1', 'dead hs employee 1', 'held gw employee 2']);
    });
  });

  describe('ledger, state and guardrails', () => {
    it('records and lists outcomes', async () => {
      await store.recordOutcomes([
        {
          eventId: 'e1',
          connector: 'gw',
          kind: 'employee',
          entityId: 'emp-1',
          result: 'succeeded',
          summary: 'suspended; 4 playbook steps',
          detail: { ops: ['suspend', 'signOut'] },
          at: T0,
        },
        {
          eventId: 'e1',
          connector: 'hs',
          kind: 'employee',
          entityId: 'emp-1',
          result: 'failed',
          summary: 'contact update failed',
          error: ERR,
          at: T0 + 1,
        },
        {
          eventId: null,
          connector: 'gw',
          kind: 'product',
          entityId: 'p-1',
          result: 'skipped',
          summary: 'no change',
          at: T0 + 2,
        },
      ]);
      await store.recordOutcomes([]);
      const forEvent = await store.listOutcomes({ eventId: 'e1' });
      expect(forEvent.map((o) => o.connector)).toEqual(['gw', 'hs']);
      expect(forEvent[0]).toMatchObject({
        result: 'succeeded',
        detail: { ops: ['suspend', 'signOut'] },
        error: null,
        at: T0,
      });
      expect(forEvent[1]).toMatchObject({ result: 'failed', error: ERR, at: T0 + 1 });
      expect(forEvent[1]?.detail).toBeUndefined();
      expect(typeof forEvent[0]?.id).toBe('number');
      expect(forEvent[1]!.id).toBeGreaterThan(forEvent[0]!.id);
      const gw = await store.listOutcomes({ connector: 'gw' });
      expect(gw.map((o) => o.entityId)).toEqual(['emp-1', 'p-1']);
      expect(gw[1]).toMatchObject({ eventId: null, kind: 'product', summary: 'no change' });
      expect(await store.listOutcomes({ limit: 1 })).toHaveLength(1);
    });

    it('gets, sets and deletes connector state', async () => {
      expect(await store.getState('gw', 'link:emp-1')).toBeNull();
      await store.setState('gw', 'link:emp-1', { userId: 'u1', steps: ['suspend'] }, T0);
      await store.setState('hs', 'link:emp-1', 'contact-9', T0);
      expect(await store.getState('gw', 'link:emp-1')).toEqual({ userId: 'u1', steps: ['suspend'] });
      await store.setState('gw', 'link:emp-1', { userId: 'u1', steps: ['suspend', 'signOut'] }, T0 + 1);
      expect(await store.getState('gw', 'link:emp-1')).toEqual({
        userId: 'u1',
        steps: ['suspend', 'signOut'],
      });
      await store.deleteState('gw', 'link:emp-1');
      expect(await store.getState('gw', 'link:emp-1')).toBeNull();
      expect(await store.getState<string>('hs', 'link:emp-1')).toBe('contact-9');
    });

    it('takes from a destructive budget within its window and limit', async () => {
      const take = (count: number, now: number) =>
        store.takeBudget({ scope: 'gw:suspend', count, limit: 3, windowMs: 1000, now });
      expect(await take(2, T0)).toBe(true);
      expect(await take(2, T0 + 1)).toBe(false);
      expect(await take(1, T0 + 1)).toBe(true);
      expect(await take(1, T0 + 2)).toBe(false);
      expect(
        await store.takeBudget({ scope: 'other', count: 3, limit: 3, windowMs: 1000, now: T0 + 2 }),
      ).toBe(true);
      // The first take leaves the window at T0 + 1000, the second at T0 + 1001.
      expect(await take(3, T0 + 1000)).toBe(false);
      expect(await take(2, T0 + 1000)).toBe(true);
      expect(await take(1, T0 + 1001)).toBe(true);
    });

    it('never exceeds a budget under concurrent takes from two instances', async () => {
      const other = await harness.sibling(store);
      const results = await Promise.all(
        Array.from({ length: 24 }, (_, i) =>
          (i % 2 ? other : store).takeBudget({
            scope: 'burst',
            count: 1,
            limit: 5,
            windowMs: 60_000,
            now: T0 + i,
          }),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(5);
    });

    it('adds, lists and decides held changes only from allowed states', async () => {
      const change = {
        id: 'held_1',
        connector: 'gw',
        kind: 'employee' as const,
        entityId: 'emp-1',
        reason: 'destructive budget 5 per 1h exceeded',
        plan: { ops: [{ op: 'suspend', user: 'u1' }] },
        eventIds: ['e1'],
        createdAt: T0,
      };
      const held = await store.addHeld(change);
      expect(held).toEqual({ ...change, status: 'held', decidedAt: null, decidedBy: null });
      expect(await store.getHeld('held_1')).toEqual(held);
      await store.addHeld({ ...change, id: 'held_2', entityId: 'emp-2' });
      expect((await store.listHeld({ status: 'held' })).map((h) => h.id)).toEqual(['held_1', 'held_2']);

      const approved = await store.decideHeld('held_1', ['held'], 'approved', 'alice', T0 + 1);
      expect(approved).toMatchObject({
        id: 'held_1',
        status: 'approved',
        decidedBy: 'alice',
        decidedAt: T0 + 1,
      });
      expect(await store.decideHeld('held_1', ['held'], 'rejected', 'bob', T0 + 2)).toBeNull();
      expect(await store.getHeld('held_1')).toMatchObject({
        status: 'approved',
        decidedBy: 'alice',
        decidedAt: T0 + 1,
      });
      expect(await store.decideHeld('held_1', ['approved'], 'applied', 'worker', T0 + 3)).toMatchObject({
        status: 'applied',
      });
      expect(await store.decideHeld('held_missing', ['held'], 'approved', 'alice', T0)).toBeNull();
      expect((await store.listHeld({ status: 'held' })).map((h) => h.id)).toEqual(['held_2']);
      expect(await store.listHeld({})).toHaveLength(2);
      expect(await store.listHeld({ limit: 1 })).toHaveLength(1);

      // Two people deciding at once: exactly one wins.
      const other = await harness.sibling(store);
      const decisions = await Promise.all([
        store.decideHeld('held_2', ['held'], 'approved', 'alice', T0 + 4),
        other.decideHeld('held_2', ['held'], 'rejected', 'bob', T0 + 4),
      ]);
      expect(decisions.filter((d) => d !== null)).toHaveLength(1);
    });

    it('creates, updates and lists runs', async () => {
      const run = {
        id: 'run_0001',
        connector: null,
        trigger: 'manual' as const,
        dryRun: true,
        startedAt: T0,
        finishedAt: null,
        status: 'running' as const,
        plan: null,
        result: null,
        errors: [],
      };
      await store.createRun(run);
      expect(await store.getRun('run_0001')).toEqual(run);
      await store.updateRun('run_0001', {
        status: 'drift',
        finishedAt: T0 + 5,
        plan: { changes: [{ op: 'update', field: 'jobTitle' }] },
        result: { applied: 0 },
        errors: [{ code: 'VENDOR_UNAVAILABLE', message: 'page 3 failed' }],
      });
      await store.updateRun('run_0001', {});
      expect(await store.getRun('run_0001')).toEqual({
        ...run,
        status: 'drift',
        finishedAt: T0 + 5,
        plan: { changes: [{ op: 'update', field: 'jobTitle' }] },
        result: { applied: 0 },
        errors: [{ code: 'VENDOR_UNAVAILABLE', message: 'page 3 failed' }],
      });
      await store.createRun({
        ...run,
        id: 'run_0002',
        connector: 'hubspot',
        trigger: 'schedule',
        dryRun: false,
      });
      await store.updateRun('run_0002', { dryRun: true, connector: 'google-workspace' });
      expect((await store.listRuns(10)).map((r) => r.id)).toEqual(['run_0002', 'run_0001']);
      expect(await store.listRuns(1)).toEqual([
        expect.objectContaining({
          id: 'run_0002',
          connector: 'google-workspace',
          trigger: 'schedule',
          dryRun: true,
        }),
      ]);
      expect(await store.getRun('run_missing')).toBeNull();
    });

    it('keeps a run checkpoint and its planned items, paged in (group, seq) order', async () => {
      await store.createRun({
        id: 'run_0001',
        connector: null,
        trigger: 'manual',
        dryRun: false,
        startedAt: T0,
        finishedAt: null,
        status: 'running',
        plan: null,
        result: null,
        errors: [],
      });
      await store.updateRun('run_0001', { checkpoint: { phase: 'applying', after: { group: 'b', seq: 2 } } });
      expect((await store.getRun('run_0001'))?.checkpoint).toEqual({
        phase: 'applying',
        after: { group: 'b', seq: 2 },
      });
      const item = (entityId: string, group: string, budgeted = false) => ({
        kind: 'employee' as const,
        entityId,
        group,
        plan: { entityId, ops: [group] },
        budgeted,
      });
      await store.putRunItems('run_0001', 'google-workspace', [
        item('emp-1', 'b'),
        item('emp-2', 'a', true),
        item('emp-3', 'b'),
        item('emp-4', 'a'),
      ]);
      // A better match replaces emp-1's plan (keeping its place); emp-4 turns out to need nothing.
      await store.putRunItems('run_0001', 'google-workspace', [
        { ...item('emp-1', 'b', true), plan: { entityId: 'emp-1', ops: ['b', 'again'] } },
        { ...item('emp-4', 'a'), plan: null },
      ]);
      await store.putRunItems('run_0001', 'hubspot', [item('emp-1', 'a')]);
      await store.putRunItems('run_0002', 'google-workspace', [item('emp-9', 'a')]);

      const first = await store.listRunItems('run_0001', 'google-workspace', { limit: 2 });
      expect(first.map((i) => [i.group, i.entityId, i.budgeted])).toEqual([
        ['a', 'emp-2', true],
        ['b', 'emp-1', true],
      ]);
      expect(first[1]?.plan).toEqual({ entityId: 'emp-1', ops: ['b', 'again'] });
      const last = first[first.length - 1]!;
      const rest = await store.listRunItems('run_0001', 'google-workspace', {
        after: { group: last.group, seq: last.seq },
        limit: 10,
      });
      expect(rest.map((i) => i.entityId)).toEqual(['emp-3']);
      expect(await store.countRunItems('run_0001', 'google-workspace')).toEqual({ items: 3, budgeted: 2 });
      expect(await store.countRunItems('run_0001', 'hubspot')).toEqual({ items: 1, budgeted: 0 });

      await store.clearRunItems('run_0001');
      expect(await store.countRunItems('run_0002', 'google-workspace')).toEqual({ items: 0, budgeted: 0 });
      expect(await store.countRunItems('run_0001', 'hubspot')).toEqual({ items: 1, budgeted: 0 });
      await store.clearRunItems(null);
      expect(await store.listRunItems('run_0001', 'google-workspace', { limit: 10 })).toEqual([]);
    });

    it("keeps a run's key index (first owner per key), its matches and listing state, page by page", async () => {
      await store.indexRunKeys('run_0001', 'hubspot', 'employee', [
        { entityId: 'emp-1', keys: ['ext:emp-1', 'email:a@x.io'] },
        { entityId: 'emp-2', keys: ['ext:emp-2', 'email:a@x.io'] },
        // Owns none of its keys: not indexed.
        { entityId: 'emp-3', keys: ['ext:emp-1'] },
      ]);
      await store.indexRunKeys('run_0001', 'hubspot', 'employee', [
        { entityId: 'emp-4', keys: ['email:a@x.io', 'ext:emp-4'] },
      ]);
      await store.indexRunKeys('run_0001', 'google-workspace', 'employee', [
        { entityId: 'emp-9', keys: ['ext:emp-1'] },
      ]);
      const byKey = async (keys: string[]) =>
        (await store.matchRunKeys('run_0001', 'hubspot', 'employee', keys)).sort((a, b) =>
          a.key.localeCompare(b.key),
        );
      expect(await byKey(['email:a@x.io', 'ext:emp-4', 'ext:nobody', 'ext:emp-2'])).toEqual([
        { key: 'email:a@x.io', entityId: 'emp-1', rank: 1, matchedRank: null },
        { key: 'ext:emp-2', entityId: 'emp-2', rank: 0, matchedRank: null },
        { key: 'ext:emp-4', entityId: 'emp-4', rank: 1, matchedRank: null },
      ]);
      expect(await store.matchRunKeys('run_0001', 'hubspot', 'product', ['ext:emp-1'])).toEqual([]);
      expect(await store.getRunListState('run_0001', 'hubspot', 'employee')).toBeNull();

      await store.putRunListPage('run_0001', 'hubspot', 'employee', {
        items: [{ kind: 'employee', entityId: 'emp-1', group: 'a', plan: { ops: ['x'] }, budgeted: true }],
        matched: [{ entityId: 'emp-1', rank: 1 }],
        state: { phase: 'list', after: 'page-2', pages: 1 },
      });
      expect(await byKey(['ext:emp-1'])).toEqual([
        { key: 'ext:emp-1', entityId: 'emp-1', rank: 0, matchedRank: 1 },
      ]);
      expect(await store.getRunListState('run_0001', 'hubspot', 'employee')).toEqual({
        phase: 'list',
        after: 'page-2',
        pages: 1,
      });
      expect(await store.countRunItems('run_0001', 'hubspot')).toEqual({ items: 1, budgeted: 1 });
      expect(
        (
          await store.runKeyEntities('run_0001', 'hubspot', 'employee', ['emp-1', 'emp-2', 'emp-3', 'emp-7'])
        ).sort((a, b) => a.entityId.localeCompare(b.entityId)),
      ).toEqual([
        { entityId: 'emp-1', matchedRank: 1 },
        { entityId: 'emp-2', matchedRank: null },
      ]);
      expect(
        await store.dropRunItems('run_0001', 'hubspot', [
          { kind: 'employee', entityId: 'emp-1' },
          { kind: 'employee', entityId: 'emp-2' },
        ]),
      ).toBe(1);
      expect(await store.countRunItems('run_0001', 'hubspot')).toEqual({ items: 0, budgeted: 0 });

      await store.putRunListPage('run_0001', 'hubspot', 'product', {
        items: [{ kind: 'product', entityId: 'prod-1', group: 'a', plan: { ops: ['x'] }, budgeted: false }],
        matched: [],
        state: { phase: 'list' },
      });
      await store.resetRunKind('run_0001', 'hubspot', 'employee');
      expect(await byKey(['ext:emp-1', 'ext:emp-2'])).toEqual([]);
      expect(await store.getRunListState('run_0001', 'hubspot', 'employee')).toBeNull();
      expect(await store.getRunListState('run_0001', 'hubspot', 'product')).toEqual({ phase: 'list' });
      expect(await store.countRunItems('run_0001', 'hubspot')).toEqual({ items: 1, budgeted: 0 });
      expect(
        await store.matchRunKeys('run_0001', 'google-workspace', 'employee', ['ext:emp-1']),
      ).toHaveLength(1);

      await store.clearRunItems('run_0002');
      expect(await store.matchRunKeys('run_0001', 'google-workspace', 'employee', ['ext:emp-1'])).toEqual([]);
      expect(await store.getRunListState('run_0001', 'hubspot', 'product')).toBeNull();
    });

    it('grants a lease to one owner until it expires, renews it, and releases it', async () => {
      expect(await store.acquireLease('reconcile', 'a', 1000, T0)).toBe(true);
      expect(await store.acquireLease('reconcile', 'b', 1000, T0 + 500)).toBe(false);
      expect(await store.acquireLease('reconcile', 'a', 1000, T0 + 900)).toBe(true);
      expect(await store.acquireLease('reconcile', 'b', 1000, T0 + 1899)).toBe(false);
      expect(await store.acquireLease('reconcile', 'b', 1000, T0 + 1900)).toBe(true);
      await store.releaseLease('reconcile', 'a');
      expect(await store.acquireLease('reconcile', 'a', 1000, T0 + 2000)).toBe(false);
      await store.releaseLease('reconcile', 'b');
      expect(await store.acquireLease('reconcile', 'a', 1000, T0 + 2000)).toBe(true);
      expect(await store.acquireLease('other', 'b', 1000, T0 + 2000)).toBe(true);

      const other = await harness.sibling(store);
      const race = await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 ? other : store).acquireLease('race', `o${i}`, 1000, T0)),
      );
      expect(race.filter(Boolean)).toHaveLength(1);
    });
  });

  describe('offboarding timelines', () => {
    it('stores, replaces and lists offboardings newest first, by status and employee', async () => {
      const record = (id: string, employeeId: string, status: 'open' | 'closed'): OffboardingRecord => ({
        id,
        connector: 'gw',
        employeeId,
        status,
        openedAt: T0,
        closedAt: status === 'closed' ? T0 + 5 : null,
        updatedAt: T0,
        timeline: { ...emptyTimeline(`${employeeId}@example.com`), run: 'r1', blockedBy: 'laptop' },
      });
      await store.putOffboarding(record('off_1', 'emp-1', 'open'));
      await store.putOffboarding(record('off_2', 'emp-2', 'open'));
      await store.putOffboarding(record('off_3', 'emp-1', 'open'));
      await store.putOffboarding({
        ...record('off_3', 'emp-1', 'closed'),
        timeline: { ...emptyTimeline(), run: 'r2', blockedBy: null },
      });
      expect(await store.getOffboarding('off_3')).toMatchObject({
        status: 'closed',
        closedAt: T0 + 5,
        timeline: { run: 'r2', blockedBy: null },
      });
      expect(await store.getOffboarding('off_9')).toBeNull();
      expect((await store.listOffboardings()).map((o) => o.id)).toEqual(['off_3', 'off_2', 'off_1']);
      expect((await store.listOffboardings({ status: 'open' })).map((o) => o.id)).toEqual(['off_2', 'off_1']);
      expect((await store.listOffboardings({ employeeId: 'emp-1', limit: 1 })).map((o) => o.id)).toEqual([
        'off_3',
      ]);
      expect((await store.listOffboardings({ before: 'off_2', connector: 'gw' })).map((o) => o.id)).toEqual([
        'off_1',
      ]);
      expect(await store.listOffboardings({ connector: 'hs' })).toEqual([]);
    });

    it('finds the products assigned to an employee', async () => {
      const product = (id: string, employeeId: string | null): Json => ({
        id,
        employee: employeeId === null ? null : { id: employeeId, displayName: 'P', email: 'p@example.com' },
      });
      await store.ingest(
        input(
          body(
            'product',
            '2024-06-01T00:00:00Z',
            [product('p-1', 'emp-1'), product('p-2', 'emp-2'), product('p-3', 'emp-1'), product('p-4', null)],
            'product.statusChange',
          ),
          T0,
        ),
      );
      expect((await store.listProductsOf('emp-1')).map((p) => p.id)).toEqual(['p-1', 'p-3']);
      expect(await store.listProductsOf('emp-9')).toEqual([]);
    });
  });

  describe('listing', () => {
    it('lists events newest first, filtered and paged', async () => {
      const inputs: IngestInput[] = [];
      for (let i = 0; i < 4; i += 1) {
        inputs.push(employee(`emp-${i}`, '2024-06-01T00:00:00Z', {}, T0 + i * 10));
      }
      inputs.push(rejected('{"event":1}', T0 + 40), rejected('not json', T0 + 50));
      inputs.push(input(body('order', '2024-06-01T00:00:00Z', [{ id: 'o-1' }]), T0 + 60));
      for (const i of inputs) await store.ingest(i);

      const all = await store.listEvents({ limit: 100 });
      expect(all.map((e) => e.id)).toEqual(inputs.map((i) => i.id).reverse());
      expect((await store.listEvents({ status: 'rejected' })).map((e) => e.id)).toEqual([
        inputs[5]!.id,
        inputs[4]!.id,
      ]);
      expect(await store.listEvents({ type: 'employee.updated' })).toHaveLength(4);
      expect(await store.listEvents({ type: 'order.created', status: 'accepted' })).toHaveLength(1);
      expect(await store.listEvents({ limit: 2 })).toHaveLength(2);

      const pages: string[][] = [];
      let before: string | undefined;
      for (;;) {
        const page = await store.listEvents({ limit: 3, before });
        if (page.length === 0) break;
        pages.push(page.map((e) => e.id));
        before = page[page.length - 1]!.id;
      }
      expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
      expect(pages.flat()).toEqual(all.map((e) => e.id));
      const employeePage = await store.listEvents({ type: 'employee.updated', before: inputs[2]!.id });
      expect(employeePage.map((e) => e.id)).toEqual([inputs[1]!.id, inputs[0]!.id]);
    });

    it('lists entities by id, page by page, in byte order', async () => {
      const ids = ['emp-a', 'emp-B', 'emp_c', 'emp-10', 'emp-9', 'Emp-z', 'emp-a1'];
      await store.ingest(
        input(
          body(
            'employee',
            '2024-06-01T00:00:00Z',
            ids.map((id) => ({ id })),
          ),
          T0,
        ),
      );
      expect(await store.countEntities('employee')).toBe(7);
      expect(await store.countEntities('order')).toBe(0);
      const seen: string[] = [];
      let afterId: string | undefined;
      for (;;) {
        const page = await store.listEntities('employee', { afterId, limit: 3 });
        if (page.length === 0) break;
        expect(page.length).toBeLessThanOrEqual(3);
        seen.push(...page.map((e) => e.id));
        afterId = page[page.length - 1]!.id;
      }
      expect(seen).toEqual([...ids].sort());
      expect(await store.listEntities('order', { limit: 10 })).toEqual([]);
    });
  });

  describe('concurrency', () => {
    it('keeps 200 concurrent ingests durable and readable, and the newest snapshot of each entity', async () => {
      const random = rng(42);
      // 50 employees, 4 updates each with distinct GroWrk timestamps, submitted in random order,
      // plus a redelivery of 20 of them racing their original.
      const originals: Array<{ input: IngestInput; entity: string; ts: number; title: string }> = [];
      for (let e = 0; e < 50; e += 1) {
        for (let v = 0; v < 4; v += 1) {
          const ts = Date.parse('2024-06-01T00:00:00Z') + v * 60_000 + e;
          const title = `title-${e}-${v}`;
          originals.push({
            input: employee(`emp-c${e}`, new Date(ts).toISOString(), { jobTitle: title }, T0 + e * 4 + v),
            entity: `emp-c${e}`,
            ts,
            title,
          });
        }
      }
      const redeliveries = originals.slice(0, 20).map((o) => ({ ...o.input, id: newId('evt', T0 + 10_000) }));
      const all = shuffle([...originals.map((o) => o.input), ...redeliveries], random);
      const results = await Promise.all(all.map((i) => store.ingest(i)));
      const byInput = new Map(all.map((i, n) => [i, results[n]!]));

      for (let n = 0; n < 20; n += 1) {
        const a = byInput.get(originals[n]!.input)!;
        const b = byInput.get(redeliveries[n]!)!;
        expect([a.duplicate, b.duplicate].sort()).toEqual([false, true]);
        expect(a.id).toBe(b.id);
      }
      const stored = await store.listEvents({ limit: 1000 });
      expect(stored).toHaveLength(200);
      const storedIds = new Set(stored.map((e) => e.id));
      for (const result of results) expect(storedIds.has(result.id)).toBe(true);
      for (const result of results.slice(0, 10))
        expect((await store.getEvent(result.id))?.id).toBe(result.id);

      expect(await store.countEntities('employee')).toBe(50);
      const jobs = await store.listJobs({ state: 'pending', limit: 1000 });
      expect(jobs).toHaveLength(100);
      for (let e = 0; e < 50; e += 1) {
        const newest = originals.filter((o) => o.entity === `emp-c${e}`).sort((x, y) => y.ts - x.ts)[0]!;
        const snapshot = await store.getEntity('employee', `emp-c${e}`);
        expect(snapshot?.ts).toBe(newest.ts);
        expect(snapshot?.data.jobTitle).toBe(newest.title);
        const newestId = byInput.get(newest.input)!.id;
        for (const j of jobs.filter((x) => x.entityId === `emp-c${e}`))
          expect(j.eventIds).toContain(newestId);
      }
    });

    it('answers ingests made at the same moment as one-by-one ingests in call order would', async () => {
      // One entity updated by 40 concurrent ingests with shuffled timestamps, after one stored
      // earlier: only an event newer than everything before it (in call order) changes the snapshot
      // and joins the pending jobs, which keep the earliest run time and their event ids in order.
      const random = rng(7);
      const base = Date.parse('2024-06-01T00:00:00Z');
      const first = employee('emp-1', new Date(base).toISOString(), { jobTitle: 'title-0' }, T0);
      await store.ingest(first);
      const updates = shuffle(
        Array.from({ length: 40 }, (_, v) => ({ v: v + 1, ts: base + (v + 1) * 60_000 })),
        random,
      ).map(({ v, ts }, n) => ({
        ts,
        input: employee('emp-1', new Date(ts).toISOString(), { jobTitle: `title-${v}` }, T0 + 1 + n),
      }));
      // A second copy of one body inside the burst, and a copy of the stored one.
      const copy = { ...updates[5]!.input, id: newId('evt', T0 + 100), receivedAt: T0 + 100 };
      const copyOfFirst = { ...first, id: newId('evt', T0 + 101), receivedAt: T0 + 101 };
      const all = [...updates.map((u) => u.input), copy, copyOfFirst];
      const results = await Promise.all(all.map((i) => store.ingest(i)));

      const advancing: string[] = [first.id];
      let newest = base;
      updates.forEach((u, n) => {
        const advances = u.ts > newest;
        if (advances) {
          newest = u.ts;
          advancing.push(u.input.id);
        }
        expect(results[n]).toEqual({ id: u.input.id, duplicate: false, status: 'accepted' });
      });
      expect(results[40]).toEqual({ id: updates[5]!.input.id, duplicate: true, status: 'accepted' });
      expect(results[41]).toEqual({ id: first.id, duplicate: true, status: 'accepted' });
      expect(await store.getEvent(copy.id)).toBeNull();
      expect(await store.listEvents({ limit: 100 })).toHaveLength(41);

      const snapshot = await store.getEntity('employee', 'emp-1');
      expect(snapshot?.ts).toBe(base + 40 * 60_000);
      expect(snapshot?.data.jobTitle).toBe('title-40');
      expect(snapshot?.eventId).toBe(advancing[advancing.length - 1]);
      const pending = await store.listJobs({ state: 'pending' });
      expect(pending).toHaveLength(2);
      for (const j of pending) expect(j).toMatchObject({ eventIds: advancing, runAt: T0 });
    });

    it('caps the event ids of a job fed by many concurrent ingests', async () => {
      const base = Date.parse('2024-06-01T00:00:00Z');
      const at = (v: number) => new Date(base + v * 60_000).toISOString();
      const first = employee('emp-1', at(0), { jobTitle: 'title-0' }, T0);
      await store.ingest(first);
      const burst = Array.from({ length: 60 }, (_, v) =>
        employee('emp-1', at(v + 1), { jobTitle: `title-${v + 1}` }, T0 + 1 + v),
      );
      await Promise.all(burst.map((i) => store.ingest(i)));
      // A fresh entity whose pending job is created by the burst itself.
      const fresh = Array.from({ length: 60 }, (_, v) =>
        employee('emp-2', at(v + 1), { jobTitle: `title-${v + 1}` }, T0 + 1 + v),
      );
      await Promise.all(fresh.map((i) => store.ingest(i)));
      const pending = await store.listJobs({ state: 'pending' });
      expect(pending).toHaveLength(4);
      for (const j of pending.filter((x) => x.entityId === 'emp-1'))
        expect(j.eventIds).toEqual([first.id, ...burst.slice(0, 49).map((i) => i.id)]);
      for (const j of pending.filter((x) => x.entityId === 'emp-2'))
        expect(j.eventIds).toEqual(fresh.slice(0, 50).map((i) => i.id));
      expect((await store.getEntity('employee', 'emp-2'))?.data.jobTitle).toBe('title-60');
    });

    it('fails only the ingest that cannot be stored, not those made at the same moment', async () => {
      const stored = employee('emp-1', '2024-06-01T00:00:00Z', {}, T0);
      await store.ingest(stored);
      // Same id as a stored event, another body: the inbox refuses it.
      const clash = { ...employee('emp-2', '2024-06-01T00:00:00Z', {}, T0 + 1), id: stored.id };
      const before = employee('emp-3', '2024-06-01T00:00:00Z', {}, T0 + 2);
      const after = employee('emp-4', '2024-06-01T00:00:00Z', {}, T0 + 3);
      const copy = { ...after, id: newId('evt', T0 + 4) };
      const results = await Promise.allSettled([before, clash, after, copy].map((i) => store.ingest(i)));
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      expect(results[0]).toMatchObject({ value: { id: before.id, duplicate: false } });
      expect(results[2]).toMatchObject({ value: { id: after.id, duplicate: false } });
      expect(results[3]).toMatchObject({ value: { id: after.id, duplicate: true } });
      expect(await store.getEntity('employee', 'emp-2')).toBeNull();
      expect(await store.countEntities('employee')).toBe(3);
      expect((await store.getEvent(stored.id))?.bodyHash).toBe(stored.bodyHash);
      expect(await store.countJobs()).toEqual({ pending: 6, running: 0, done: 0, dead: 0 });
    });
  });
});

// --- PostgreSQL only: other instances, outages ------------------------------------------

describe('postgres store across instances and outages', () => {
  afterEach(async () => {
    await pgHarness.closeAll();
  });

  it('wakes the job listeners of another instance through NOTIFY', async () => {
    const a = await pgHarness.open();
    const b = await pgHarness.open({ schema: a.schema, migrate: false });
    const unrelated = await pgHarness.open();
    await b.whenListening();
    let unrelatedWoke = 0;
    unrelated.onJobsReady(() => {
      unrelatedWoke += 1;
    });
    const woke = new Promise<void>((resolve) => b.onJobsReady(resolve));
    await a.ingest(employee('emp-1', '2024-06-01T00:00:00Z', {}, T0));
    await woke;
    // A claim on b sees what a committed.
    expect(await b.claimJobs({ owner: 'w', limit: 10, now: T0, leaseMs: 1000 })).toHaveLength(2);
    // b finishing a job that held back another wakes a.
    await a.enqueueJobs([job('hubspot', 'emp-1', 'x2')]);
    const [hubspot] = await b
      .listJobs({ state: 'running' })
      .then((r) => r.filter((j) => j.connector === 'hubspot'));
    const wokeA = new Promise<void>((resolve) => a.onJobsReady(resolve));
    await b.finishJob(hubspot!.id, 'w', { state: 'done' }, T0 + 1);
    await wokeA;
    // Stores on another schema of the same database are not woken by these.
    expect(unrelatedWoke).toBe(0);
  });

  it('reads the schema from the URL', async () => {
    const schema = pgHarness.newSchema();
    const options = {
      poolSize: 2,
      connectTimeoutMs: 3000,
      statementTimeoutMs: 10_000,
      logger: {
        warn: (obj: { context: string; err: Error }) =>
          pgHarness.reports.push(`${obj.context}: ${obj.err.message}`),
      },
    };
    const viaParam = await openPostgresStore({ ...options, url: `${TEST_DATABASE_URL}?schema=${schema}` });
    const viaOptions = await openPostgresStore({
      ...options,
      url: `${TEST_DATABASE_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`,
    });
    try {
      expect(viaParam.schema).toBe(schema);
      expect(viaOptions.schema).toBe(schema);
      expect(await viaParam.migrate()).toEqual({ applied: pgHarness.versions });
      const event = employee('emp-1', '2024-06-01T00:00:00Z', {}, T0);
      await viaParam.ingest(event);
      expect((await viaOptions.getEvent(event.id))?.id).toBe(event.id);
    } finally {
      await viaOptions.close();
      await viaParam.close();
    }
  });

  it('answers not ready and rejects calls promptly while the database is unreachable', async () => {
    const reports: string[] = [];
    const store = await openPostgresStore({
      url: 'postgres://127.0.0.1:1/test',
      schema: 'gs_unreachable',
      poolSize: 2,
      connectTimeoutMs: 1000,
      statementTimeoutMs: 2000,
      listenRetryMs: 1000,
      logger: { warn: (obj) => reports.push(`${obj.context}: ${obj.err.message}`) },
    });
    try {
      expect(store.listening).toBe(false);
      expect(await store.ready()).toBe(false);
      await expect(store.ingest(employee('emp-1', '2024-06-01T00:00:00Z', {}, T0))).rejects.toThrow();
      await expect(store.claimJobs({ owner: 'w', limit: 1, now: T0, leaseMs: 1000 })).rejects.toThrow();
      await expect(store.migrate()).rejects.toThrow();
      expect(reports.some((r) => r.startsWith('listener connect'))).toBe(true);
      expect(reports.some((r) => r.startsWith('readiness check'))).toBe(true);
    } finally {
      await store.close();
    }
    await expect(store.getEvent('x')).rejects.toThrow(/closed/);
  });

  it('recovers by itself when the connection to the database comes back', async () => {
    const target = new URL(TEST_DATABASE_URL);
    const proxy = await startTcpProxy(Number(target.port || 5432), target.hostname);
    const proxied = new URL(TEST_DATABASE_URL);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    try {
      const schema = pgHarness.newSchema();
      const direct = await pgHarness.open({ schema });
      const viaProxy = await pgHarness.open({ schema, migrate: false, url: proxied.toString() });
      await viaProxy.ingest(employee('emp-1', '2024-06-01T00:00:00Z', {}, T0));
      await viaProxy.whenListening();

      await proxy.cut();
      expect(await viaProxy.ready()).toBe(false);
      await expect(viaProxy.ingest(employee('emp-2', '2024-06-01T00:00:00Z', {}, T0))).rejects.toThrow();
      // Writes elsewhere go on; the listener is away.
      await direct.ingest(employee('emp-3', '2024-06-01T00:00:00Z', {}, T0));

      await proxy.restore();
      // Each stale pooled connection may fail one call before the pool replaces it.
      let ready = false;
      for (let attempt = 0; attempt <= 8 && !ready; attempt += 1) ready = await viaProxy.ready();
      expect(ready).toBe(true);
      const retried = employee('emp-2', '2024-06-01T00:00:00Z', {}, T0 + 1);
      expect((await viaProxy.ingest(retried)).duplicate).toBe(false);
      expect(await viaProxy.countEntities('employee')).toBe(3);

      // The listener reconnects and hears other instances again.
      await viaProxy.whenListening();
      const woke = new Promise<void>((resolve) => viaProxy.onJobsReady(resolve));
      await direct.ingest(employee('emp-4', '2024-06-01T00:00:00Z', {}, T0 + 2));
      await woke;
      expect(pgHarness.reports.some((r) => r.startsWith('listener'))).toBe(true);
    } finally {
      await pgHarness.closeAll();
      await proxy.close();
    }
  });
  it('notices a LISTEN connection that went silent, and reconnects', async () => {
    const target = new URL(TEST_DATABASE_URL);
    const proxy = await startTcpProxy(Number(target.port || 5432), target.hostname);
    const proxied = new URL(TEST_DATABASE_URL);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    try {
      const direct = await pgHarness.open();
      const viaProxy = await pgHarness.open({
        schema: direct.schema,
        migrate: false,
        url: proxied.toString(),
        tuning: { listenHeartbeatMs: 50, connectTimeoutMs: 300 },
      });
      await viaProxy.whenListening();
      // Packets stop, no socket closes: only the heartbeat can tell. The reconnect wakes the
      // listeners (notifications may have been missed), and NOTIFYs arrive again afterwards.
      const reconnected = new Promise<void>((resolve) => viaProxy.onJobsReady(resolve));
      proxy.freeze();
      await reconnected;
      expect(pgHarness.reports.some((r) => r.startsWith('listener heartbeat'))).toBe(true);
      const woke = new Promise<void>((resolve) => viaProxy.onJobsReady(resolve));
      await direct.ingest(employee('emp-1', '2024-06-01T00:00:00Z', {}, T0));
      await woke;
    } finally {
      // Frozen sockets never finish a polite close: drop them first.
      await proxy.close();
      await pgHarness.closeAll();
    }
  });
});
