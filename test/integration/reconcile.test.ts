/**
 * Reconciliation end to end: the CLI in-process against both vendor emulators (real SDK clients over
 * loopback), a SQLite store in a file, and the projection fed through the ingest path. Drift is
 * planted directly in the emulators' state.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.ts';
import type { RunCheckpoint, StoredCheckpoint } from '../../src/reconcile/checkpoint.ts';
import { reconcile } from '../../src/reconcile/run.ts';
import { startReconcileScheduler } from '../../src/reconcile/scheduler.ts';
import type { RunReport } from '../../src/reconcile/types.ts';
import { createConnectorRuntime } from '../../src/sync/runtime.ts';
import { LogCapture } from '../helpers/app.ts';
import {
  directoryUser,
  employee,
  envelope,
  envelopes,
  product,
  startWorld,
  type World,
} from '../helpers/reconcile-world.ts';

let w: World;

beforeAll(async () => {
  w = await startWorld({ hubspotPer10s: 1000, hubspotSearchPerSecond: 100 });
});
afterAll(async () => {
  await w.close();
});
beforeEach(async () => {
  await w.reset();
});
afterEach(() => {
  // Every request any run made must fit the vendors' published contracts.
  expect(w.google.recorder.violations().map((c) => `${c.operation}: ${c.violation}`)).toEqual([]);
  expect(w.hubspot.recorder.violations().map((c) => `${c.operation}: ${c.violation}`)).toEqual([]);
});

const LATER = '2024-10-01T09:00:00Z';

/** Calls that changed something: Google non-GET, HubSpot anything but reads (search is a POST). */
function writes(): string[] {
  return [
    ...w.google.recorder.writes().map((c) => `google ${c.method} ${c.path}`),
    ...w.hubspot.recorder.writes().map((c) => `hubspot ${c.operation}`),
  ];
}

function report(stdout: string): RunReport & { exitCode: number } {
  return JSON.parse(stdout) as RunReport & { exitCode: number };
}

function userOf(n: number) {
  const user = w.google.state.getUser(`user${n}@example.com`);
  if (!user) throw new Error(`no user ${n}`);
  return user;
}

function hubspotRecords(type: string) {
  const def = w.hubspot.state.findType(type);
  return def ? w.hubspot.state.list(def, false) : [];
}

/**
 * Employees 1..6 active, products 1..4 assigned to employees 1..4; Google users for 1..6 in step,
 * a stranger nobody in GroWrk knows, an administrator (employee 8), and the account of employee 1's
 * manager, whom GroWrk has named but not sent. HubSpot is filled by a
 * first reconciliation, so that drift can then be planted in a converged world.
 */
async function convergedWorld(): Promise<void> {
  await w.init();
  // Employee 1's manager (emp-90) is known only from that reference: never synced, as on the event path.
  const manager = { id: 'emp-90', email: 'user90@example.com', displayName: 'User 90' };
  await w.ingest([
    envelope('employee.updated', [employee(1, { manager }), ...[2, 3, 4, 5, 6, 8].map((n) => employee(n))]),
    envelope(
      'product.assigned',
      [1, 2, 3, 4].map((n) => product(n, n)),
    ),
  ]);
  for (const n of [1, 2, 3, 4, 5, 6]) w.google.state.addUser(directoryUser(n));
  w.google.state.addUser({ primaryEmail: 'stranger@example.com', orgUnitPath: '/' });
  w.google.state.addUser(directoryUser(8, { isAdmin: true }));
  w.google.state.addUser(directoryUser(90));
  const first = await w.cli(['reconcile']);
  expect(first.code, first.stdout + first.stderr).toBe(0);
  w.clearCalls();
}

describe('reconcile', () => {
  it('finds drift in both targets with a dry run (exit 3, no write), repairs it, then writes nothing', async () => {
    await convergedWorld();
    // Drift 1: employee 2 offboarded in GroWrk, still active in Google (with tokens and an app password).
    await w.ingest([envelope('employee.offboarded', [employee(2, { status: 'offboarded' })], LATER)]);
    const user2 = userOf(2);
    w.google.state.addToken(user2.id, 'client-a.apps.googleusercontent.com');
    w.google.state.addToken(user2.id, 'client-b.apps.googleusercontent.com');
    w.google.state.addAsp(user2.id);
    // Employee 8 offboarded too, but a super admin in Google: protected, never changed.
    await w.ingest([envelope('employee.offboarded', [employee(8, { status: 'offboarded' })], LATER)]);
    // Employee 7 has no directory account at all.
    await w.ingest([envelope('employee.created', [employee(7)], LATER)]);
    // Drift 2: an asset with a stale status.
    const assetType = w.hubspot.state.findType('growrk_asset')!;
    const asset3 = w.hubspot.state.find(assetType, 'prod-3', 'growrk_product_id')!;
    w.hubspot.state.applyUpdate(
      assetType,
      asset3,
      w.hubspot.state.planUpdate(assetType, asset3, { status: 'In Stock' }, new Map()),
    );
    // Drift 3: a missing contact (archived in HubSpot).
    const contacts = w.hubspot.state.findType('contacts')!;
    w.hubspot.state.archive(contacts, w.hubspot.state.find(contacts, 'emp-5', 'growrk_employee_id')!);
    w.clearCalls();

    const dry = await w.cli(['reconcile', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(3);
    expect(writes()).toEqual([]);
    expect(dry.stdout).toContain('- employee emp-2 (user2@example.com) will be suspended');
    expect(dry.stdout).toContain('~ suspended: false -> true');
    expect(dry.stdout).toContain(
      'playbook: sign-out, revoke-tokens, delete-app-passwords, invalidate-backup-codes',
    );
    expect(dry.stdout).toContain('~ status: "In Stock" -> "Deployed"');
    expect(dry.stdout).toContain('+ employee emp-5 (user5@example.com) will be created');
    expect(dry.stdout).toContain('+ employee emp-7 (user7@example.com) will be created');
    expect(dry.stdout).toContain('! employee emp-8 (user8@example.com) is a super admin: never changed');
    expect(dry.stdout).toMatch(/Plan: 2 to create, \d+ to update, 1 to suspend \(with 4 playbook steps\)\./);
    expect(dry.stdout).toContain('stranger@example.com');
    expect(dry.stdout).toContain('emp-7 (no directory account for this employee)');

    w.clearCalls();
    const run = await w.cli(['reconcile', '--json']);
    const applied = report(run.stdout);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(applied.status).toBe('applied');
    expect(applied.results.failed).toBe(0);
    // Google: suspended by us, the playbook ran, the admin and the stranger untouched.
    const after2 = userOf(2);
    expect(after2.suspended).toBe(true);
    expect(w.google.state.listTokens(after2.id)).toEqual([]);
    expect(w.google.state.listAsps(after2.id)).toEqual([]);
    expect(userOf(8).suspended).toBe(false);
    const stranger = w.google.state.getUser('stranger@example.com')!;
    const touched = w.google.recorder.calls.filter(
      (c) => c.path.includes(stranger.id) || c.path.includes('stranger'),
    );
    expect(touched).toEqual([]);
    const google = applied.connectors.find((c) => c.connector === 'google-workspace')!;
    expect(google.unknownTargets.sample).toContain('stranger@example.com');
    expect(google.withoutTarget.sample.join(' ')).toContain('emp-7');
    expect(google.changes.find((c) => c.entityId === 'emp-8')?.result).toBe('protected');
    // The manager known only from a reference: matched (not "unknown"), not planned, no contact made.
    expect(google.referenceOnly).toBe(1);
    expect(google.unknownTargets.sample).not.toContain('user90@example.com');
    // The limiter's count is what the emulator saw.
    expect(google.calls.actual).toBe(w.google.recorder.calls.length);
    const hubspot = applied.connectors.find((c) => c.connector === 'hubspot')!;
    expect(hubspot.calls.actual).toBe(w.hubspot.recorder.calls.length);
    // HubSpot: the asset status, the recreated contact (and emp-7's), associated again.
    const fixed = w.hubspot.state.find(assetType, 'prod-3', 'growrk_product_id')!;
    expect(fixed.properties.get('status')).toBe('Deployed');
    const ids = hubspotRecords('contacts').map((c) => c.properties.get('growrk_employee_id'));
    expect(ids).toEqual(expect.arrayContaining(['emp-5', 'emp-7']));
    expect(ids).not.toContain('emp-90');
    // The run is stored with its plan and result.
    const stored = await w.store.getRun(applied.runId);
    expect(stored?.status).toBe('applied');
    expect(JSON.stringify(stored?.plan)).toContain('emp-2');

    w.clearCalls();
    const again = await w.cli(['reconcile', '--json']);
    expect(again.code).toBe(0);
    expect(writes()).toEqual([]);
    expect(report(again.stdout).status).toBe('no-drift');
    const last = await w.cli(['reconcile', '--dry-run']);
    expect(last.code, last.stdout).toBe(0);
    expect(last.stdout).toContain('No drift');
  });

  it('lists Google users 500 a page with only the needed fields, and HubSpot 100 a page with batch writes', async () => {
    await w.init();
    const people = Array.from({ length: 1100 }, (_, i) => employee(i + 1));
    await w.ingest(envelopes('employee.updated', people));
    await w.ingest(
      envelopes(
        'product.assigned',
        Array.from({ length: 250 }, (_, i) => product(i + 1, i + 1)),
      ),
    );
    for (let n = 1; n <= 1100; n += 1) w.google.state.addUser(directoryUser(n, { organizations: [] }));
    w.clearCalls();
    const run = await w.cli(['reconcile', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const lists = w.google.recorder.byOperation('directory.users.list');
    expect(lists).toHaveLength(3);
    for (const call of lists) {
      expect(call.query.maxResults).toBe('500');
      expect(String(call.query.fields)).toMatch(/^nextPageToken,users\(id,primaryEmail,/);
    }
    // 1,100 title/department updates: one patch each (the Directory API has no batch write).
    expect(w.google.recorder.byOperation('directory.users.patch')).toHaveLength(1100);
    const upserts = w.hubspot.recorder.byOperation('crm.objects.batch.upsert');
    const sizes = upserts.map((c) => ((c.body as { inputs: unknown[] }).inputs ?? []).length);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(100);
    // 1,100 contacts and 250 assets: 11 + 3 upserts.
    expect(upserts).toHaveLength(14);
    const assetLists = w.hubspot.recorder.byOperation('crm.objects.list');
    expect(assetLists.every((c) => c.query.limit === '100')).toBe(true);
    const r = report(run.stdout);
    for (const c of r.connectors) {
      // Within 2% of the minimum (plus the one schema lookup and the e-mail check before new contacts).
      expect(c.calls.actual).toBeLessThanOrEqual(Math.ceil(c.calls.minimum * 1.02));
    }
    w.clearCalls();
    const again = await w.cli(['reconcile']);
    expect(again.code).toBe(0);
    expect(writes()).toEqual([]);
  });

  it('applies no suspension when a listing page fails, says so, and still applies non-destructive updates', async () => {
    await w.init();
    const people = Array.from({ length: 600 }, (_, i) => employee(i + 1));
    await w.ingest(envelopes('employee.updated', people));
    for (let n = 1; n <= 600; n += 1) w.google.state.addUser(directoryUser(n));
    // On the first page: three offboarded employees still active, one stale title.
    await w.ingest([
      envelope(
        'employee.offboarded',
        [1, 2, 3].map((n) => employee(n, { status: 'offboarded' })),
        LATER,
      ),
      envelope('employee.updated', [employee(4, { jobTitle: 'Lead' })], LATER),
    ]);
    // The second page of users.list fails, and keeps failing through the retries (the first call passes).
    w.google.faults.add({ kind: 'latency', latencyMs: 0, method: 'GET', path: /\/users$/, count: 1 });
    w.google.faults.add({ kind: 'server-error', method: 'GET', path: /\/users$/, count: 10 });
    w.clearCalls();
    const run = await w.cli(['reconcile', '--connector', 'google-workspace', '--json']);
    expect(run.code).toBe(1);
    const r = report(run.stdout);
    const google = r.connectors[0]!;
    expect(google.listingComplete).toBe(false);
    expect(google.listingError?.message).toContain('after 1 page');
    expect(r.budget.explanation).toContain('a target listing failed');
    expect(r.results.withheld).toBe(3);
    for (const n of [1, 2, 3]) expect(userOf(n).suspended).toBe(false);
    const patches = w.google.recorder.byOperation('directory.users.patch');
    expect(patches.map((c) => c.body)).toEqual([
      expect.objectContaining({ organizations: [expect.objectContaining({ title: 'Lead' })] }),
    ]);
    expect(google.uncheckedMissing).toBeGreaterThan(0);
    // The page fails for good: the dry run says the plan is incomplete (exit 1), it does not guess.
    const text = await w.cli(['reconcile', '--connector', 'google-workspace', '--dry-run']);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('LISTING INCOMPLETE');
    expect(text.stdout).toContain('The plan is incomplete');

    // A page refused once (429, 5xx) is retried where it failed: the listing completes and the
    // suspensions are applied.
    w.google.faults.clear();
    w.google.faults.add({ kind: 'latency', latencyMs: 0, method: 'GET', path: /\/users$/, count: 1 });
    w.google.faults.add({
      kind: 'rate-limit',
      retryAfterSeconds: 0,
      method: 'GET',
      path: /\/users$/,
      count: 1,
    });
    w.google.faults.add({ kind: 'unavailable', method: 'GET', path: /\/users$/, count: 1 });
    const retried = await w.cli(['reconcile', '--connector', 'google-workspace', '--json']);
    expect(retried.code, retried.stdout).toBe(0);
    expect(report(retried.stdout).connectors[0]?.listingComplete).toBe(true);
    for (const n of [1, 2, 3]) expect(userOf(n).suspended).toBe(true);
  });

  it('over a budget of 3: a manual run applies none of 10 suspensions without --yes; a scheduled run holds them; --yes applies all', async () => {
    await w.init();
    const budget = { RECONCILE_MAX_DESTRUCTIVE: '3' };
    await w.ingest([
      envelope(
        'employee.updated',
        Array.from({ length: 12 }, (_, i) => employee(i + 1)),
      ),
    ]);
    for (let n = 1; n <= 12; n += 1) w.google.state.addUser(directoryUser(n));
    const leavers = Array.from({ length: 10 }, (_, i) => i + 1);
    await w.ingest([
      envelope(
        'employee.offboarded',
        leavers.map((n) => employee(n, { status: 'offboarded' })),
        LATER,
      ),
    ]);

    const manual = await w.cli(['reconcile', '--connector', 'google-workspace'], budget);
    expect(manual.code).toBe(1);
    expect(manual.stdout).toContain('over the budget of 3');
    expect(manual.stdout).toContain('none are applied without --yes');
    expect(leavers.filter((n) => userOf(n).suspended)).toEqual([]);

    const logs = new LogCapture();
    const config = w.config({ ...budget, CONNECTORS: 'google-workspace', RECONCILE_SCHEDULE: '0 0 1 1 *' });
    const runtime = await createConnectorRuntime({ config, store: w.store, logger: createLogger('silent') });
    const scheduler = startReconcileScheduler({
      config,
      store: w.store,
      runtime,
      logger: createLogger('info', logs),
    });
    const tick = await scheduler!.tick();
    await scheduler!.stop();
    expect(tick?.ran).toBe(true);
    expect(leavers.filter((n) => userOf(n).suspended)).toEqual([]);
    const held = await w.cli(['held', 'list', '--json']);
    const rows = JSON.parse(held.stdout) as Array<{ entityId: string; reason: string }>;
    expect(rows.map((r) => r.entityId).sort()).toEqual(leavers.map((n) => `emp-${n}`).sort());
    expect(rows[0]?.reason).toContain('over the budget of 3');
    expect(logs.text()).toContain('scheduled reconciliation finished');

    const confirmed = await w.cli(['reconcile', '--connector', 'google-workspace', '--yes'], budget);
    expect(confirmed.code, confirmed.stdout).toBe(0);
    expect(leavers.filter((n) => userOf(n).suspended)).toEqual(leavers);
    expect(userOf(11).suspended).toBe(false);
    expect(await w.store.listHeld({ status: 'held' })).toEqual([]);
  });

  it('lets one run at a time hold the lease: a second run exits 1 naming the holder; a scheduled tick skips', async () => {
    await w.init();
    await w.ingest([envelope('employee.updated', [employee(1)])]);
    w.google.state.addUser(directoryUser(1));
    // The first run stops inside its listing, holding the lease.
    w.google.faults.add({ kind: 'hold', method: 'GET', path: /\/users$/, count: 1 });
    const first = w.cli(['reconcile', '--connector', 'google-workspace', '--dry-run']);
    const held = await w.google.faults.waitForHeld();

    const second = await w.cli(['reconcile', '--connector', 'google-workspace']);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(
      /not started: another reconciliation holds the lease "reconcile": run run_\w+ \(manual\), running since \d{4}-/,
    );

    const logs = new LogCapture();
    const config = w.config({ CONNECTORS: 'google-workspace', RECONCILE_SCHEDULE: '0 0 1 1 *' });
    const runtime = await createConnectorRuntime({ config, store: w.store, logger: createLogger('silent') });
    const scheduler = startReconcileScheduler({
      config,
      store: w.store,
      runtime,
      logger: createLogger('info', logs),
    });
    const tick = await scheduler!.tick();
    await scheduler!.stop();
    expect(tick?.ran).toBe(false);
    expect(logs.text()).toContain('scheduled reconciliation skipped: another reconciliation holds the lease');

    held.release();
    const done = await first;
    expect(done.code, done.stderr).toBe(0);
    // Released: the next run gets the lease.
    const third = await w.cli(['reconcile', '--connector', 'google-workspace', '--dry-run']);
    expect(third.code).toBe(0);
  });

  it('leaves entities with sync jobs in flight to the event path', async () => {
    await convergedWorld();
    await w.ingest([envelope('employee.offboarded', [employee(3, { status: 'offboarded' })], LATER)]);
    await w.store.enqueueJobs([
      {
        connector: 'google-workspace',
        kind: 'employee',
        entityId: 'emp-3',
        eventId: null,
        runAt: Date.now(),
      },
    ]);
    w.clearCalls();
    const dry = await w.cli(['reconcile', '--dry-run', '--connector', 'google-workspace', '--json']);
    const run = report(dry.stdout);
    expect(run.connectors[0]?.inFlight).toBe(1);
    expect(run.connectors[0]?.changes.map((c) => c.entityId)).not.toContain('emp-3');
    const text = await w.cli(['reconcile', '--dry-run', '--connector', 'google-workspace']);
    expect(text.stdout).toContain('1 entity with sync jobs in flight: left to the event path');
    expect(writes()).toEqual([]);
  });

  it('resumes a run that stopped after its first page from the checkpoint: no page listed or applied twice', async () => {
    await w.init();
    await w.ingest([
      envelope(
        'employee.updated',
        Array.from({ length: 30 }, (_, i) => employee(i + 1)),
      ),
    ]);
    const config = w.config({ CONNECTORS: 'hubspot' });
    const runtime = await createConnectorRuntime({ config, store: w.store, logger: createLogger('silent') });
    const request = { trigger: 'manual' as const, dryRun: false, yes: false, connector: 'hubspot' };
    const deps = { config, store: w.store, runtime, logger: createLogger('silent'), pageSize: 10 };
    w.clearCalls();

    // The process "dies" once its first page of 10 contacts is applied and checkpointed.
    const crash = new AbortController();
    const progress = {
      update: (_part: string, status: string) => {
        if (status.startsWith('applying 10/')) crash.abort(new Error('simulated crash'));
      },
      done: () => {},
    };
    await expect(reconcile(request, { ...deps, progress, signal: crash.signal })).rejects.toThrow(
      'simulated crash',
    );
    const [stopped] = await w.store.listRuns(1);
    expect(stopped?.status).toBe('failed');
    const saved = stopped?.checkpoint as RunCheckpoint;
    expect(saved.connectors[0]).toMatchObject({
      connector: 'hubspot',
      total: 30,
      processed: 10,
      done: false,
    });
    expect(hubspotRecords('contacts')).toHaveLength(10);
    const firstCalls = w.hubspot.recorder.calls.length;
    expect(firstCalls).toBeGreaterThan(0);
    w.clearCalls();

    const outcome = await reconcile(request, deps);
    expect(outcome.ran).toBe(true);
    const resumed = outcome.ran ? outcome.report : null;
    expect(resumed?.runId).toBe(stopped?.id);
    expect(resumed?.resumed).toHaveLength(1);
    expect(resumed?.status).toBe('applied');
    expect(resumed?.results.applied).toBe(30);
    // No listing again, and only the two pages left were written: one batch create each.
    const writesNow = w.hubspot.recorder.writes();
    const reads = w.hubspot.recorder.calls.filter((c) => !writesNow.includes(c)).map((c) => c.operation);
    // The only reads: the batch read by e-mail each page of new contacts needs.
    expect(reads).toEqual(['crm.objects.batch.read', 'crm.objects.batch.read']);
    expect(writesNow.map((c) => c.operation)).toEqual([
      'crm.objects.batch.upsert',
      'crm.objects.batch.upsert',
    ]);
    const ids = hubspotRecords('contacts').map((r) => r.properties.get('growrk_employee_id'));
    expect(new Set(ids).size).toBe(30);
    expect(ids).toHaveLength(30);
    expect(await w.store.listRunItems(stopped!.id, 'hubspot', { limit: 100 })).toEqual([]);

    // The next run is a new one, and finds nothing to do.
    w.clearCalls();
    const next = await reconcile(request, deps);
    expect(next.ran && next.report.runId).not.toBe(stopped?.id);
    expect(next.ran && next.report.status).toBe('no-drift');
    expect(w.hubspot.recorder.writes()).toEqual([]);
  });

  it('resumes a run that stopped while listing after the last page it kept: no page listed or change applied twice', async () => {
    await w.init();
    const people = Array.from({ length: 250 }, (_, i) => employee(i + 1));
    await w.ingest([envelope('employee.updated', people)]);
    const config = w.config({ CONNECTORS: 'hubspot' });
    const runtime = await createConnectorRuntime({ config, store: w.store, logger: createLogger('silent') });
    const request = { trigger: 'manual' as const, dryRun: false, yes: false, connector: 'hubspot' };
    const deps = { config, store: w.store, runtime, logger: createLogger('silent') };
    expect((await reconcile(request, deps)).ran).toBe(true);
    expect(hubspotRecords('contacts')).toHaveLength(250);
    // Drift on every contact: three pages of 100 to list, 250 updates to apply.
    await w.ingest([
      envelope(
        'employee.updated',
        people.map((p) => ({ ...p, jobTitle: 'Lead' })),
        LATER,
      ),
    ]);
    w.clearCalls();
    /** The `hs_object_id > x` bound of each contact search page ('' for the first page). */
    const searchedFrom = () =>
      w.hubspot.recorder.byOperation('crm.objects.search').flatMap((c) => {
        if (!c.path.includes('contacts')) return [];
        const groups = (
          c.body as { filterGroups: Array<{ filters: Array<{ propertyName: string; value?: string }> }> }
        ).filterGroups;
        const bound = groups.flatMap((g) => g.filters).find((f) => f.propertyName === 'hs_object_id');
        return [bound?.value ?? ''];
      });

    // The process "dies" once the second page of contacts is listed, planned and kept.
    const crash = new AbortController();
    const progress = {
      update: (_part: string, status: string) => {
        if (status.startsWith('listing employees: 200 ')) crash.abort(new Error('simulated crash'));
      },
      done: () => {},
    };
    await expect(reconcile(request, { ...deps, progress, signal: crash.signal })).rejects.toThrow(
      'simulated crash',
    );
    const [stopped] = await w.store.listRuns(1);
    expect(stopped?.status).toBe('failed');
    expect((stopped?.checkpoint as StoredCheckpoint | undefined)?.phase).toBe('planning');
    const firstSession = searchedFrom();
    expect(firstSession).toHaveLength(2);
    expect(firstSession[0]).toBe('');
    expect(w.hubspot.recorder.writes()).toEqual([]);
    // What listing cost so far is kept with the pages, and carried into the resumed run's count.
    const firstCalls = w.hubspot.recorder.calls.length;
    const kept = stopped?.checkpoint as Extract<StoredCheckpoint, { phase: 'planning' }> | undefined;
    expect(kept?.connectors[0]?.calls).toBe(firstCalls);
    w.clearCalls();

    const outcome = await reconcile(request, deps);
    const resumed = outcome.ran ? outcome.report : null;
    expect(resumed?.runId).toBe(stopped?.id);
    expect(resumed?.resumed).toHaveLength(1);
    expect(resumed?.status).toBe('applied');
    expect(resumed?.plan.update).toBe(250);
    expect(resumed?.results.applied).toBe(250);
    expect(resumed?.connectors[0]?.kinds.find((k) => k.kind === 'employee')).toMatchObject({
      listed: 250,
      pages: 3,
    });
    // The resumed run listed only the third page, from where the second ended.
    const secondSession = searchedFrom();
    expect(secondSession).toHaveLength(1);
    expect(firstSession).not.toContain(secondSession[0]);
    expect(Number(secondSession[0])).toBeGreaterThan(Number(firstSession[1]));
    expect(resumed?.connectors[0]?.calls.actual).toBe(firstCalls + w.hubspot.recorder.calls.length);
    // Each contact updated once.
    const updated = w.hubspot.recorder
      .writes()
      .flatMap((c) => ((c.body as { inputs?: Array<{ id?: string }> }).inputs ?? []).map((i) => i.id));
    expect(updated).toHaveLength(250);
    expect(new Set(updated).size).toBe(250);
    expect(hubspotRecords('contacts').every((r) => r.properties.get('jobtitle') === 'Lead')).toBe(true);
  });

  it('answers usage errors with exit 2', async () => {
    const bad = await w.cli(['reconcile', '--connector', 'salesforce']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('not enabled');
    const flag = await w.cli(['reconcile', '--force']);
    expect(flag.code).toBe(2);
  });
});
