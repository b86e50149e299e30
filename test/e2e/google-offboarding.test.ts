/**
 * Acceptance of the Google Workspace offboarding, end to end: signed webhooks over HTTP into the
 * service (in-process with `startService`, or as a child process for the crash and `serve --dry-run`),
 * the real connector and `@googleapis/admin` client, and the Directory API emulator in this process.
 * Effects are read back from the emulator's state and its call recorder.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningService } from '../../src/service.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import type { Outcome } from '../../src/store/types.ts';
import { type GoogleEmulator, startGoogleEmulator } from '../fakes/google-directory/index.ts';
import type { RecordedCall } from '../fakes/shared/recorder.ts';
import { startServiceFromEnv } from '../helpers/app.ts';
import {
  cli,
  directoryWrites,
  employeeBody,
  isDirectorySuccess,
  postSigned,
  SCHEMA,
  seedPerson,
  seedSchema,
  stepOfCall,
  until,
  userIdOfCall,
} from '../helpers/google-offboarding.ts';
import { type ServiceProcess, startServiceProcess } from '../helpers/service-process.ts';

const SECRET = 'offboarding-secret';

let emu: GoogleEmulator;
const services: RunningService[] = [];
const children: ServiceProcess[] = [];

beforeAll(async () => {
  emu = await startGoogleEmulator({ seed: 7 });
});
afterAll(async () => {
  await emu.stop();
});
beforeEach(() => {
  emu.reset();
});
afterEach(async () => {
  for (const child of children.splice(0)) if (child.child.exitCode === null) await child.kill9();
  for (const service of services.splice(0)) await service.close();
  // Every request the connector sent must fit Google's discovery document.
  expect(emu.recorder.violations()).toEqual([]);
});

/** Environment of a service on a fresh SQLite file, talking to the emulator. */
function serviceEnv(extra: Record<string, string> = {}): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'gs-offboard-'));
  return {
    GROWRK_WEBHOOK_SECRET: SECRET,
    DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`,
    CONNECTORS: 'google-workspace',
    GOOGLE_ACCESS_TOKEN: 'test-token',
    GOOGLE_API_ROOT_URL: emu.url,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    JOB_POLL_INTERVAL: '50ms',
    JOB_BACKOFF_BASE: '50ms',
    JOB_BACKOFF_MAX: '500ms',
    ...extra,
  };
}

/** Starts the service in this process on port 0. */
async function startInProcess(
  extra: Record<string, string> = {},
): Promise<{ service: RunningService; env: Record<string, string> }> {
  const env = serviceEnv(extra);
  const service = await startServiceFromEnv(env);
  services.push(service);
  return { service, env };
}

/** Posts and expects a 200; returns the event id. */
async function deliver(url: string, body: string, duplicate = false): Promise<string> {
  const res = await postSigned(url, body, SECRET);
  expect(res.status).toBe(200);
  expect(res.json.duplicate).toBe(duplicate);
  return res.json.id ?? '';
}

/**
 * The outcomes of an event for person `n`'s employee (an employee event also touches the manager
 * it names, whose job has outcomes of its own).
 */
async function outcomesOf(service: RunningService, eventId: string, n: number): Promise<Outcome[]> {
  return (await service.store.listOutcomes({ eventId })).filter((o) => o.entityId === `emp-${n}`);
}

/** Successful Directory calls for one user, by the playbook step they belong to. */
function stepCalls(calls: readonly RecordedCall[], userId: string): Map<string, RecordedCall[]> {
  const byStep = new Map<string, RecordedCall[]>();
  for (const call of calls) {
    if (!isDirectorySuccess(call) || userIdOfCall(call) !== userId) continue;
    const step = stepOfCall(call);
    if (!step) continue;
    byStep.set(step, [...(byStep.get(step) ?? []), call]);
  }
  return byStep;
}

/** The state-changing calls of one user's offboarding (everything but reads). */
function writesOf(calls: readonly RecordedCall[], userId: string): RecordedCall[] {
  return calls.filter((c) => isDirectorySuccess(c) && c.method !== 'GET' && userIdOfCall(c) === userId);
}

describe('Google Workspace offboarding over HTTP (service in-process)', () => {
  it('suspends a user found by e-mail and runs the playbook; redelivery and identical content write nothing', async () => {
    const { service, env } = await startInProcess();
    // The custom schema comes from `init`, as an administrator would set it up.
    const init = await cli(['init', '--json'], env);
    expect(init.code, init.stderr).toBe(0);
    expect(emu.state.getSchema(SCHEMA)).toBeDefined();
    const user = seedPerson(emu, 1);
    emu.recorder.clear();

    const body = employeeBody('employee.offboarded', 1);
    const eventId = await deliver(service.url, body);
    await service.worker.idle();

    const after = emu.state.getUser(user.id);
    expect(after).toMatchObject({ suspended: true, suspensionReason: 'ADMIN' });
    expect(after?.customSchemas?.[SCHEMA]).toMatchObject({
      suspendedBy: 'growrk-sync',
      growrkEventId: eventId,
      growrkOffboardedAt: '2024-09-30T17:00:00.000Z',
      suspendedAt: expect.any(String),
    });
    expect(emu.state.signOutCount(user.id)).toBe(1);
    expect(emu.state.listTokens(user.id)).toEqual([]);
    expect(emu.state.listAsps(user.id)).toEqual([]);
    expect(emu.state.listVerificationCodes(user.id)).toEqual([]);
    // Found by e-mail: the GroWrk id is recorded on the account.
    expect(after?.externalIds).toEqual([{ type: 'custom', customType: 'growrk', value: 'emp-1' }]);
    // The suspension first, in a job of its own; the playbook follows in the next.
    const [suspended, playbook] = await outcomesOf(service, eventId, 1);
    expect(suspended).toMatchObject({ result: 'succeeded', connector: 'google-workspace' });
    expect(suspended?.summary).toMatch(/^suspend \(the rest follows in its own job\)/);
    expect(playbook).toMatchObject({ result: 'succeeded', connector: 'google-workspace' });
    expect(playbook?.summary).toMatch(
      /^sign-out, revoke-tokens, delete-app-passwords, invalidate-backup-codes/,
    );

    const writes = directoryWrites(emu).length;
    // suspend (with the link and the field updates in the same patch), sign-out, 2 tokens, 1 app
    // password, codes.
    expect(writes).toBe(1 + 1 + 2 + 1 + 1);
    expect(emu.recorder.byOperation('directory.users.patch')).toHaveLength(1);
    // The playbook's job reads the user from the suspension's own answer: no users.get at all.
    expect(emu.recorder.byOperation('directory.users.get')).toHaveLength(0);
    expect(emu.recorder.calls).toHaveLength(2 + writes + 2); // 2 searches, the writes, 2 listings

    // The same body again: a duplicate, no job, nothing written.
    expect(await deliver(service.url, body, true)).toBe(eventId);
    // The same content in other bytes: a new event, but the projection does not change, so no job.
    const same = JSON.stringify(JSON.parse(body), null, 2);
    const second = await deliver(service.url, same);
    expect(second).not.toBe(eventId);
    await service.worker.idle();
    expect((await service.store.getEvent(second))?.status).toBe('accepted');
    expect(await service.store.listJobs({ eventId: second })).toEqual([]);
    // And a forced re-run of the first event's job (replay) reads, plans nothing, writes nothing.
    const replay = await cli(['events', 'replay', eventId], env);
    expect(replay.code, replay.stderr).toBe(0);
    await until('the replayed job to run', async () => (await outcomesOf(service, eventId, 1)).length === 3);
    await service.worker.idle();
    expect((await outcomesOf(service, eventId, 1)).map((o) => o.result)).toEqual([
      'succeeded',
      'succeeded',
      'skipped',
    ]);
    expect(directoryWrites(emu)).toHaveLength(writes);
    expect(emu.state.signOutCount(user.id)).toBe(1);
  });

  it('does not touch an offboarded super admin: outcome protected, no write', async () => {
    const { service } = await startInProcess();
    seedSchema(emu);
    const admin = seedPerson(emu, 2, { isAdmin: true });
    emu.recorder.clear();
    const eventId = await deliver(service.url, employeeBody('employee.offboarded', 2));
    await service.worker.idle();
    const outcomes = await outcomesOf(service, eventId, 2);
    expect(outcomes.map((o) => o.result)).toEqual(['protected']);
    expect(outcomes[0]?.summary).toContain('super admin');
    expect(directoryWrites(emu)).toEqual([]);
    expect(emu.state.getUser(admin.id)).toMatchObject({ suspended: false });
    expect(emu.state.listTokens(admin.id)).toHaveLength(2);
  });

  it('holds offboardings past the budget; held approve applies one, the others stay held', async () => {
    const { service, env } = await startInProcess({ DESTRUCTIVE_BUDGET: '5' });
    seedSchema(emu);
    const users = Array.from({ length: 20 }, (_, i) => seedPerson(emu, 100 + i));
    const events = await Promise.all(
      users.map((_, i) => deliver(service.url, employeeBody('employee.offboarded', 100 + i))),
    );
    await service.worker.idle();

    const suspended = () => users.filter((u) => emu.state.getUser(u.id)?.suspended);
    expect(suspended()).toHaveLength(5);
    const listed = await cli(['held', 'list', '--json'], env);
    expect(listed.code, listed.stderr).toBe(0);
    const held = JSON.parse(listed.stdout) as Array<{
      id: string;
      entityId: string;
      reason: string;
      ops: Array<{ type: string }>;
      eventIds: string[];
    }>;
    expect(held).toHaveLength(15);
    expect(held[0]?.reason).toMatch(/destructive budget of 5/);
    expect(held[0]?.ops.map((op) => op.type)).toEqual([
      'suspend',
      'sign-out',
      'revoke-tokens',
      'delete-app-passwords',
      'invalidate-backup-codes',
    ]);
    const text = await cli(['held', 'list'], env);
    expect(text.stdout).toContain('15 change(s) waiting');
    expect(text.stdout).toMatch(/employee:emp-1\d\d/);
    const results = (await Promise.all(events.map((id, i) => outcomesOf(service, id, 100 + i)))).map(
      (o) => o[0]?.result,
    );
    expect(results.filter((r) => r === 'succeeded')).toHaveLength(5);
    expect(results.filter((r) => r === 'held')).toHaveLength(15);

    // Approve one, from another "process" (the CLI's own store connection): the worker's poll
    // picks the job up, plans again and applies without taking the budget.
    const chosen = held[0];
    if (!chosen) throw new Error('nothing held');
    const person = Number(chosen.entityId.replace('emp-', ''));
    const chosenUser = users[person - 100];
    if (!chosenUser) throw new Error(`no seeded user for ${chosen.entityId}`);
    const approved = await cli(['held', 'approve', chosen.id], env);
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toContain(`${chosen.id}: approved`);
    await until('the approved change to be applied', async () => {
      const row = await service.store.getHeld(chosen.id);
      return row?.status === 'applied' && emu.state.getUser(chosenUser.id)?.suspended;
    });
    const chosenEvent = chosen.eventIds[0] ?? '';
    await until('the approved change to be recorded', async () =>
      (await outcomesOf(service, chosenEvent, person)).some((o) => o.result === 'succeeded'),
    );
    await service.worker.idle();
    expect(suspended()).toHaveLength(6);
    expect(emu.state.listTokens(chosenUser.id)).toEqual([]);
    const summaries = (await outcomesOf(service, chosenEvent, person)).map((o) => o.summary);
    expect(summaries.some((text) => /^suspend \(the rest follows/.test(text))).toBe(true);
    expect(summaries.at(-1)).toMatch(/^sign-out, revoke-tokens/);

    const again = JSON.parse((await cli(['held', 'list', '--json'], env)).stdout) as unknown[];
    expect(again).toHaveLength(14);
    const applied = JSON.parse((await cli(['held', 'list', '--status', 'applied', '--json'], env)).stdout);
    expect(applied).toMatchObject([{ id: chosen.id, status: 'applied' }]);
    // Applying keeps who approved it.
    expect(applied[0].decidedBy).toMatch(/^cli:/);

    // Approving twice, or an unknown id, is an error with a clear message (exit 1).
    const twice = await cli(['held', 'approve', chosen.id], env);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain(`${chosen.id} is already applied`);
    const unknown = await cli(['held', 'approve', 'held_nope'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no held change held_nope');
    expect(suspended()).toHaveLength(6);
  });

  it('completes 20 offboardings under 30% injected faults; each step runs once, a failed step alone is retried', async () => {
    const { service } = await startInProcess({
      DESTRUCTIVE_BUDGET: '1000',
      JOB_MAX_ATTEMPTS: '200',
      JOB_QUICK_RETRIES: '2',
    });
    seedSchema(emu);
    const users = Array.from({ length: 20 }, (_, i) => seedPerson(emu, 200 + i));
    emu.recorder.clear();
    // 30% of Directory calls fail: 12% 503, 8% 429 (Retry-After 1 s for the first three, which
    // pause the connector's limiter, then Retry-After 0), 10% connection resets. Rules are tried
    // in order, so each probability is of the calls the earlier rules let through.
    const path = /^\/admin\/directory\/v1\//;
    emu.faults.add({ kind: 'unavailable', path, probability: 0.12 });
    emu.faults.add({ kind: 'rate-limit', path, probability: 0.08 / 0.88, retryAfterSeconds: 1, count: 3 });
    emu.faults.add({ kind: 'rate-limit', path, probability: 0.08 / 0.88, retryAfterSeconds: 0 });
    emu.faults.add({ kind: 'reset', path, probability: 0.1 / 0.8 });

    await Promise.all(
      users.map((_, i) => deliver(service.url, employeeBody('employee.offboarded', 200 + i))),
    );
    await until(
      'every job to finish',
      async () => {
        const jobs = await service.store.countJobs();
        return jobs.pending === 0 && jobs.running === 0;
      },
      { timeoutMs: 45_000 },
    );
    expect(emu.faults.fired.unavailable).toBeGreaterThan(0);
    expect(emu.faults.fired['rate-limit']).toBeGreaterThan(3);
    expect(emu.faults.fired.reset).toBeGreaterThan(0);
    const directoryCalls = emu.recorder.calls.filter((c) => c.operation.startsWith('directory.'));
    const faulted = directoryCalls.filter((c) => c.fault !== undefined).length / directoryCalls.length;
    expect(faulted).toBeGreaterThan(0.2);
    expect(faulted).toBeLessThan(0.4);
    emu.faults.clear();
    expect((await service.store.countJobs()).dead).toBe(0);

    const calls = [...emu.recorder.calls];
    let resumedAfterFault = 0;
    for (const user of users) {
      const now = emu.state.getUser(user.id);
      expect(now?.suspended).toBe(true);
      expect(now?.customSchemas?.[SCHEMA]?.suspendedBy).toBe('growrk-sync');
      expect(emu.state.listTokens(user.id)).toEqual([]);
      expect(emu.state.listAsps(user.id)).toEqual([]);
      expect(emu.state.listVerificationCodes(user.id)).toEqual([]);
      expect(emu.state.signOutCount(user.id)).toBe(1);

      // Exactly once per user among the calls the emulator served: each write of each step.
      const writes = writesOf(calls, user.id);
      const count = (step: string) => writes.filter((c) => stepOfCall(c) === step).length;
      expect(count('suspend'), user.primaryEmail).toBe(1);
      expect(count('sign-out'), user.primaryEmail).toBe(1);
      expect(count('invalidate-backup-codes'), user.primaryEmail).toBe(1);
      const tokenDeletes = writes.filter((c) => c.operation === 'directory.tokens.delete');
      expect(tokenDeletes.map((c) => c.path).sort()).toEqual(
        [...new Set(tokenDeletes.map((c) => c.path))].sort(),
      );
      expect(tokenDeletes).toHaveLength(2);
      expect(writes.filter((c) => c.operation === 'directory.asps.delete')).toHaveLength(1);
      expect(writes).toHaveLength(1 + 1 + 2 + 1 + 1); // link and update ride in the suspension's patch

      // A failed call is retried alone: a step whose writes had all been done before a later fault
      // (on any call of this offboarding) is not called again, not even its reads: the retry
      // resumed from the recorded progress, it did not restart the playbook.
      const byStep = stepCalls(calls, user.id);
      const faults = calls.filter((c) => c.fault !== undefined && userIdOfCall(c) === user.id);
      for (const [step, done] of byStep) {
        const completedAt = Math.max(...done.filter((c) => c.method !== 'GET').map((c) => c.seq));
        for (const fault of faults.filter((f) => f.seq > completedAt)) {
          expect(
            done.filter((c) => c.seq > fault.seq),
            `${step} again after a fault on ${fault.operation}`,
          ).toEqual([]);
          resumedAfterFault += 1;
        }
      }
    }
    // The property above was really exercised (faults hit offboardings half-way through).
    expect(resumedAfterFault).toBeGreaterThan(5);
  });

  it('never unsuspends an account Google suspended on its own, whatever GroWrk says', async () => {
    const { service, env } = await startInProcess();
    seedSchema(emu);
    const user = seedPerson(emu, 3, { suspended: true, suspensionReason: 'ABUSE' });
    const created = await deliver(service.url, employeeBody('employee.created', 3));
    await service.worker.idle();
    const updated = await deliver(
      service.url,
      employeeBody('employee.updated', 3, (employee, envelope) => {
        envelope.timestamp = '2024-12-01T09:00:00Z';
        employee.jobTitle = 'Staff Engineer';
      }),
    );
    await service.worker.idle();
    expect(emu.state.getUser(user.id)?.organizations).toEqual([
      expect.objectContaining({ title: 'Staff Engineer' }),
    ]);

    // A replay of both events, from the CLI (another store connection; the worker polls).
    const replay = await cli(['events', 'replay', created, updated], env);
    expect(replay.code, replay.stderr).toBe(0);
    await until('the replayed jobs to run', async () => {
      const [a, b] = await Promise.all([outcomesOf(service, created, 3), outcomesOf(service, updated, 3)]);
      return a.length >= 2 && b.length >= 2;
    });
    await service.worker.idle();

    const replayed = (await outcomesOf(service, updated, 3)).at(-1);
    expect(replayed).toMatchObject({ result: 'skipped' });
    expect(replayed?.summary).toMatch(/does not reactivate accounts it did not suspend/);
    expect(emu.state.getUser(user.id)).toMatchObject({ suspended: true, suspensionReason: 'ABUSE' });
    expect(emu.state.getUser(user.id)?.customSchemas?.[SCHEMA]).toBeUndefined();
    const patches = emu.recorder.byOperation('directory.users.patch');
    expect(patches.length).toBeGreaterThan(0); // identity and job title were kept in step...
    for (const patch of patches) {
      // ...but no write ever touched the suspension.
      expect(patch.body).not.toHaveProperty('suspended');
      expect(patch.body).not.toHaveProperty('customSchemas');
    }
  });
});

describe('Google Workspace offboarding with the service as a child process', () => {
  it('resumes after kill -9 mid-playbook: steps recorded done are not run again', async () => {
    const env = serviceEnv({ JOB_LEASE: '2s', JOB_POLL_INTERVAL: '100ms' });
    const dbPath = env.DATABASE_URL?.slice('sqlite:'.length) ?? '';
    seedSchema(emu);
    const user = seedPerson(emu, 4);
    // The fourth playbook step is held in the emulator until the service is dead.
    emu.faults.add({
      kind: 'hold',
      method: 'POST',
      path: /\/verificationCodes\/invalidate$/,
      count: 1,
    });
    const first = await startServiceProcess(env);
    children.push(first);
    const eventId = await deliver(first.url, employeeBody('employee.offboarded', 4));
    const held = await emu.faults.waitForHeld();
    const beforeCrash = emu.recorder.calls.filter(isDirectorySuccess);
    const lastSeqBeforeCrash = emu.recorder.calls.at(-1)?.seq ?? 0;
    await first.kill9();

    // The held call completes in the emulator after its client is gone: Google did the work, but
    // the service never saw the answer, so the step is NOT recorded as done.
    held.release();
    await until('the released call to be served', () =>
      emu.recorder.calls.some((c) => c.operation === 'directory.verificationCodes.invalidate'),
    );
    const atCrash = new SqliteStore({ path: dbPath });
    await atCrash.migrate();
    const progress = await atCrash.getState<{ run: string; done: string[] }>(
      'google-workspace',
      `playbook:${user.id}`,
    );
    await atCrash.close();
    expect(progress?.done).toEqual(['sign-out', 'revoke-tokens', 'delete-app-passwords']);
    expect(progress?.run).toBe(emu.state.getUser(user.id)?.customSchemas?.[SCHEMA]?.suspendedAt);

    // Restart on the same file: the job's lease runs out, the job is claimed again and resumes.
    const second = await startServiceProcess(env);
    children.push(second);
    const shown = await until(
      'the job to succeed after the restart',
      async () => {
        const res = await cli(['events', 'show', eventId, '--json'], env);
        const parsed = JSON.parse(res.stdout) as {
          outcomes: Outcome[];
          jobs: Array<{ entityId: string; state: string; attempts: number }>;
        };
        const mine = {
          outcomes: parsed.outcomes.filter((o) => o.entityId === 'emp-4'),
          jobs: parsed.jobs.filter((j) => j.entityId === 'emp-4'),
        };
        return mine.outcomes.some((o) => o.summary.startsWith('invalidate-backup-codes')) ? mine : null;
      },
      { timeoutMs: 20_000, everyMs: 100 },
    );
    expect(await second.stop()).toBe(0);
    // The suspension's job finished before the crash; the playbook's job was cut and resumed.
    expect(shown.outcomes.map((o) => o.result)).toEqual(['succeeded', 'succeeded']);
    expect(shown.outcomes[1]?.summary).toBe('invalidate-backup-codes');
    expect(shown.jobs).toMatchObject([
      { state: 'done', attempts: 1 },
      { state: 'done', attempts: 2 },
    ]);

    // The playbook completed.
    expect(emu.state.getUser(user.id)).toMatchObject({ suspended: true });
    expect(emu.state.listTokens(user.id)).toEqual([]);
    expect(emu.state.listAsps(user.id)).toEqual([]);
    expect(emu.state.listVerificationCodes(user.id)).toEqual([]);
    // Nothing recorded as done before the crash ran again.
    const stepsBefore = new Set(beforeCrash.map(stepOfCall).filter((s) => s !== undefined));
    expect(stepsBefore).toEqual(new Set(['suspend', 'sign-out', 'revoke-tokens', 'delete-app-passwords']));
    const afterCrash = emu.recorder.calls.filter((c) => c.seq > lastSeqBeforeCrash && isDirectorySuccess(c));
    expect(afterCrash.map(stepOfCall).filter((s) => s !== undefined && stepsBefore.has(s))).toEqual([]);
    expect(emu.state.signOutCount(user.id)).toBe(1);
    // The in-flight step ran twice: once released after the crash, once by the resumed job. Each
    // playbook step is idempotent, so at-least-once for the step in flight is the contract.
    expect(
      emu.recorder.calls.filter(
        (c) => c.operation === 'directory.verificationCodes.invalidate' && isDirectorySuccess(c),
      ),
    ).toHaveLength(2);
  });

  it('serve --dry-run records the plan as a dry-run outcome and writes nothing to Google', async () => {
    const env = serviceEnv();
    seedSchema(emu);
    const user = seedPerson(emu, 5);
    emu.recorder.clear();
    const child = await startServiceProcess(env, ['--dry-run']);
    children.push(child);
    const eventId = await deliver(child.url, employeeBody('employee.offboarded', 5));
    const shown = await until(
      'the dry-run outcome',
      async () => {
        const res = await cli(['events', 'show', eventId, '--json'], env);
        const parsed = JSON.parse(res.stdout) as { outcomes: Outcome[] };
        const mine = parsed.outcomes.filter((o) => o.entityId === 'emp-5');
        return mine.length > 0 ? { outcomes: mine } : null;
      },
      { timeoutMs: 20_000, everyMs: 100 },
    );
    expect(await child.stop()).toBe(0);
    const [outcome] = shown.outcomes;
    expect(outcome?.result).toBe('dry-run');
    expect(outcome?.summary).toBe(
      'would suspend, sign-out, revoke-tokens, delete-app-passwords, invalidate-backup-codes',
    );
    const ops =
      (outcome?.detail as { ops?: Array<{ type: string; changes?: unknown[] }> } | undefined)?.ops ?? [];
    expect(ops[0]).toMatchObject({ type: 'suspend' });
    expect(ops[0]?.changes?.[0]).toEqual({ field: 'suspended', before: false, after: true });
    expect(directoryWrites(emu)).toEqual([]);
    expect(emu.recorder.calls.length).toBeGreaterThan(0); // it did read the directory
    expect(emu.state.getUser(user.id)).toMatchObject({ suspended: false });
    expect(emu.state.listTokens(user.id)).toHaveLength(2);
  });
});
