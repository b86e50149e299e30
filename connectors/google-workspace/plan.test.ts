import { describe, expect, it } from 'vitest';
import type { Plan } from '../../src/connector/types.ts';
import { emptyTimeline, type OffboardingRecord } from '../../src/core/offboarding.ts';
import { type EntitySnapshot, project, projectionInputs } from '../../src/core/projection.ts';
import { parseEnvelope, parseJsonBody } from '../../src/growrk/envelope.ts';
import { DEFAULT_SENSITIVE_FIELDS } from '../../src/growrk/privacy.ts';
import { fixtureBodies } from '../../test/helpers/fixtures.ts';
import type { GoogleConfig } from './config.ts';
import { parseUser } from './mapping.ts';
import type {
  GoogleActual,
  GoogleOp,
  GoogleUser,
  PlaybookProgress,
  SuspensionRecord,
  UpdateArgs,
} from './model.ts';
import { NO_ACCOUNT_NOTE, planEmployee } from './plan.ts';

const SCHEMA = 'GrowrkSync';

const config: GoogleConfig = {
  credentials: '',
  adminSubject: '',
  accessToken: 'token',
  customer: 'my_customer',
  apiRootUrl: 'https://admin.googleapis.com/',
  tokenUrl: 'https://oauth2.googleapis.com/token',
  createAccounts: false,
  accountDomain: '',
  offboardOrgUnit: '',
  offboardRemoveGroups: false,
  handover: false,
  handoverFallback: '',
  handoverPoll: 60_000,
  wipeDevices: false,
  closing: false,
  closingReturnedStatuses: ['returned', 'in warehouse'],
  closingRequireWiped: true,
  closingGrace: 0,
  closingOrgUnit: '',
  licenceProductId: '',
  licenceSkuId: '',
  licenceArchiveSkuId: '',
  licensingRootUrl: 'https://licensing.googleapis.com/',
  rehireApproval: true,
  customSchema: SCHEMA,
  callsPerMinute: 2000,
};

/** The employee snapshot the real projection makes from a fixture (optionally edited). */
function snapshot(type: string, edit: (e: Record<string, unknown>) => void = () => {}): EntitySnapshot {
  const body = parseJsonBody(fixtureBodies().get(type) ?? '');
  const event = parseEnvelope(body, DEFAULT_SENSITIVE_FIELDS);
  for (const entity of event.entities) edit(entity);
  const input = projectionInputs({ ...event, id: `evt-${type}`, kind: 'employee' })[0];
  if (!input) throw new Error('no projection input');
  const snap = project(null, input, 0);
  if (!snap) throw new Error('no snapshot');
  return snap;
}

/** A user as the API would return it, in step with the fixture unless `over` says otherwise. */
/** The arguments of an identity op (`update`, `link-external-id`), else undefined. */
function identityArgs(op: GoogleOp | undefined): UpdateArgs | undefined {
  return op?.type === 'update' || op?.type === 'link-external-id' ? op.args : undefined;
}

/** The equipment a closing op recorded (none for other ops). */
function equipmentOf(op: GoogleOp | undefined): OffboardingRecord['timeline']['equipment'] {
  return op?.type === 'record-equipment' || op?.type === 'close-offboarding' ? op.args.equipment : [];
}

function user(over: Record<string, unknown> = {}): GoogleUser {
  const parsed = parseUser(
    {
      id: 'u1',
      primaryEmail: 'johndoe@example.com',
      suspended: false,
      isAdmin: false,
      isDelegatedAdmin: false,
      orgUnitPath: '/Engineering',
      externalIds: [{ type: 'custom', customType: 'growrk', value: 'emp-12345' }],
      organizations: [{ primary: true, title: 'Software Engineer', department: 'Engineering' }],
      relations: [{ type: 'manager', value: 'maria.nunez@example.com' }],
      ...over,
    },
    SCHEMA,
  );
  if (!parsed) throw new Error('bad user');
  return parsed;
}

function actual(u: GoogleUser, progress: PlaybookProgress | null = null): GoogleActual {
  return { user: u, matchedBy: 'link', progress };
}

const ours = (record: SuspensionRecord = {}) => ({
  customSchemas: {
    [SCHEMA]: { suspendedBy: 'growrk-sync', suspendedAt: '2024-09-30T17:00:05.000Z', ...record },
  },
});

const types = (plan: Plan) => plan.ops.map((op) => op.type);

describe('planEmployee', () => {
  it('plans nothing for a user in step with an active employee', () => {
    const plan = planEmployee({ desired: snapshot('employee.created'), actual: actual(user()), config });
    expect(plan.ops).toEqual([]);
    expect(plan.target).toMatchObject({ id: 'u1', label: 'johndoe@example.com', adminRole: null });
  });

  it('suspends an offboarded employee, then runs the playbook steps in order', () => {
    const plan = planEmployee({
      desired: snapshot('employee.offboarded'),
      actual: actual(user()),
      config: { ...config, offboardRemoveGroups: true, offboardOrgUnit: '/Former employees' },
    });
    expect(types(plan)).toEqual([
      'suspend',
      'sign-out',
      'revoke-tokens',
      'delete-app-passwords',
      'invalidate-backup-codes',
      'remove-groups',
    ]);
    const [suspend] = plan.ops;
    expect(suspend?.destructive).toBe(true);
    expect(suspend?.args).toEqual({
      record: {
        suspendedBy: 'growrk-sync',
        growrkEventId: 'evt-employee.offboarded',
        growrkOffboardedAt: '2024-09-30T17:00:00.000Z',
        orgUnitBefore: '/Engineering',
      },
      orgUnitPath: '/Former employees',
    });
    expect(suspend?.changes).toContainEqual({
      field: 'orgUnitPath',
      before: '/Engineering',
      after: '/Former employees',
    });
    // Steps of a suspension this plan starts belong to it (run null), not to older progress.
    expect(plan.ops.slice(1).every((op) => 'run' in op.args && op.args.run === null)).toBe(true);
  });

  it('leaves remove-groups out unless configured', () => {
    const plan = planEmployee({ desired: snapshot('employee.offboarded'), actual: actual(user()), config });
    expect(types(plan)).not.toContain('remove-groups');
    expect(types(plan)).toHaveLength(5);
  });

  it('treats an employee.offboarded event as offboarded even without a status', () => {
    const plan = planEmployee({
      desired: snapshot('employee.offboarded', (e) => {
        delete e.status;
      }),
      actual: actual(user()),
      config,
    });
    expect(types(plan)[0]).toBe('suspend');
  });

  it('skips the playbook steps recorded done for the same suspension', () => {
    const u = user({ suspended: true, suspensionReason: 'ADMIN', ...ours() });
    const progress: PlaybookProgress = {
      run: '2024-09-30T17:00:05.000Z',
      done: ['sign-out', 'revoke-tokens'],
    };
    const plan = planEmployee({
      desired: snapshot('employee.offboarded'),
      actual: actual(u, progress),
      config,
    });
    expect(types(plan)).toEqual(['delete-app-passwords', 'invalidate-backup-codes']);
    expect(plan.ops[0]?.args).toEqual({ run: '2024-09-30T17:00:05.000Z' });
    // The suspension was budgeted when it was made: finishing its playbook is not budgeted again.
    expect(plan.ops.some((op) => op.destructive)).toBe(false);
  });

  it('plans nothing once the playbook of our suspension is complete', () => {
    const u = user({ suspended: true, suspensionReason: 'ADMIN', ...ours() });
    const progress: PlaybookProgress = {
      run: '2024-09-30T17:00:05.000Z',
      done: ['sign-out', 'revoke-tokens', 'delete-app-passwords', 'invalidate-backup-codes'],
    };
    const plan = planEmployee({
      desired: snapshot('employee.offboarded'),
      actual: actual(u, progress),
      config,
    });
    expect(plan.ops).toEqual([]);
  });

  it('hands over to the manager, else the fallback, and wipes devices, after the access cut', () => {
    const on = { ...config, handover: true, wipeDevices: true };
    const plan = planEmployee({
      desired: snapshot('employee.offboarded'),
      actual: actual(user()),
      config: on,
    });
    expect(types(plan)).toEqual([
      'suspend',
      'sign-out',
      'revoke-tokens',
      'delete-app-passwords',
      'invalidate-backup-codes',
      'handover',
      'wipe-devices',
    ]);
    const handover = plan.ops.find((op) => op.type === 'handover');
    expect(handover?.args).toEqual({ run: null, to: 'maria.nunez@example.com', source: 'manager' });
    expect(handover?.destructive).toBe(false);
    const noManager = snapshot('employee.offboarded', (e) => {
      delete e.manager;
    });
    const fallback = planEmployee({
      desired: noManager,
      actual: actual(user({ relations: [] })),
      config: { ...on, handoverFallback: 'IT@example.com' },
    });
    expect(fallback.ops.find((op) => op.type === 'handover')?.args).toMatchObject({
      to: 'it@example.com',
      source: 'fallback',
    });
    const nobody = planEmployee({ desired: noManager, actual: actual(user({ relations: [] })), config: on });
    expect(types(nobody)).not.toContain('handover');
  });

  it('plans the closing only once the playbook is done: records what blocks it, then closes once', () => {
    const run = '2024-09-30T17:00:05.000Z';
    const u = user({ suspended: true, suspensionReason: 'ADMIN', ...ours() });
    const progress: PlaybookProgress = {
      run,
      done: ['sign-out', 'revoke-tokens', 'delete-app-passwords', 'invalidate-backup-codes'],
    };
    const closingConfig = { ...config, closing: true };
    const laptop = (status: string, wiped: boolean): EntitySnapshot => ({
      kind: 'product',
      id: 'prod-777',
      data: { id: 'prod-777', serialNumber: 'C02X', status, wiped, employee: { id: 'emp-12345' } },
      ts: 0,
      fieldTs: {},
      eventId: 'evt-p',
      eventType: 'product.statusChange',
      updatedAt: 0,
    });
    const record = (over: Partial<OffboardingRecord> = {}): OffboardingRecord => ({
      id: 'off_1',
      connector: 'google-workspace',
      employeeId: 'emp-12345',
      status: 'open',
      openedAt: 0,
      closedAt: null,
      updatedAt: 0,
      timeline: { ...emptyTimeline('johndoe@example.com'), run },
      ...over,
    });
    const planWith = (products: EntitySnapshot[], offboarding: OffboardingRecord, done = progress) =>
      planEmployee({
        desired: snapshot('employee.offboarded'),
        actual: { ...actual(u, done), products, offboarding, readAt: 0 },
        config: closingConfig,
      });

    const unfinished = planWith([laptop('Returned', true)], record(), { run, done: ['sign-out'] });
    expect(types(unfinished)).not.toContain('close-offboarding');

    const shipped = planWith([laptop('Shipped', false)], record());
    expect(types(shipped)).toEqual(['record-equipment']);
    expect(shipped.ops[0]?.args).toMatchObject({
      reason: '1 product(s) not back: C02X (Shipped, not wiped)',
    });
    expect(shipped.notes.join(' ')).toMatch(/stays open: 1 product\(s\) not back/);
    // Already recorded as it is: nothing to do.
    const recorded = record({
      timeline: {
        ...record().timeline,
        blockedBy: '1 product(s) not back: C02X (Shipped, not wiped)',
        equipment: equipmentOf(shipped.ops[0]),
      },
    });
    expect(planWith([laptop('Shipped', false)], recorded).ops).toEqual([]);

    const back = planWith([laptop('Returned', true)], recorded);
    expect(types(back)).toEqual(['close-offboarding']);
    expect(back.ops[0]?.destructive).toBe(false);
    expect(planWith([laptop('Returned', true)], record({ status: 'closed' })).ops).toEqual([]);
  });

  it('ignores progress of another suspension', () => {
    const u = user({ suspended: true, suspensionReason: 'ADMIN', ...ours() });
    const progress: PlaybookProgress = { run: '2023-01-01T00:00:00.000Z', done: ['sign-out'] };
    const plan = planEmployee({
      desired: snapshot('employee.offboarded'),
      actual: actual(u, progress),
      config,
    });
    expect(types(plan)).toContain('sign-out');
  });

  it('re-suspends an offboarded employee whose account was reactivated outside the service, with a fresh playbook', () => {
    const u = user({ suspended: false, ...ours() });
    const progress: PlaybookProgress = {
      run: '2024-09-30T17:00:05.000Z',
      done: ['sign-out', 'revoke-tokens', 'delete-app-passwords', 'invalidate-backup-codes'],
    };
    const plan = planEmployee({
      desired: snapshot('employee.offboarded'),
      actual: actual(u, progress),
      config,
    });
    expect(types(plan)).toEqual([
      'suspend',
      'sign-out',
      'revoke-tokens',
      'delete-app-passwords',
      'invalidate-backup-codes',
    ]);
  });

  it('does not claim a suspension by someone else but still runs the playbook', () => {
    const u = user({ suspended: true, suspensionReason: 'ABUSE' });
    const plan = planEmployee({ desired: snapshot('employee.offboarded'), actual: actual(u), config });
    expect(types(plan)).not.toContain('suspend');
    expect(types(plan)).toEqual([
      'sign-out',
      'revoke-tokens',
      'delete-app-passwords',
      'invalidate-backup-codes',
    ]);
    expect(plan.ops[0]?.args).toEqual({ run: 'external:evt-employee.offboarded' });
    expect(plan.notes.join(' ')).toMatch(/already suspended by someone else \(reason ABUSE\)/);
  });

  it('sets adminRole for super and delegated admins', () => {
    const desired = snapshot('employee.offboarded');
    expect(planEmployee({ desired, actual: actual(user({ isAdmin: true })), config }).target?.adminRole).toBe(
      'super',
    );
    expect(
      planEmployee({ desired, actual: actual(user({ isDelegatedAdmin: true })), config }).target?.adminRole,
    ).toBe('delegated');
  });

  it('updates only the fields that differ, keeping other entries', () => {
    const u = user({
      organizations: [
        { primary: false, name: 'Old Co', title: 'Intern' },
        { primary: true, name: 'Example', title: 'Software Engineer', department: 'Engineering' },
      ],
      relations: [
        { type: 'assistant', value: 'pa@example.com' },
        { type: 'manager', value: 'someone.else@example.com' },
      ],
    });
    const plan = planEmployee({ desired: snapshot('employee.updated'), actual: actual(u), config });
    expect(types(plan)).toEqual(['update']);
    const [update] = plan.ops;
    expect(update?.destructive).toBe(false);
    expect(update?.changes).toEqual([
      { field: 'title', before: 'Software Engineer', after: 'Senior Software Engineer' },
      { field: 'manager', before: 'someone.else@example.com', after: 'maria.nunez@example.com' },
    ]);
    expect(update?.args).toEqual({
      organizations: [
        { primary: false, name: 'Old Co', title: 'Intern' },
        { primary: true, name: 'Example', title: 'Senior Software Engineer', department: 'Engineering' },
      ],
      relations: [
        { type: 'assistant', value: 'pa@example.com' },
        { type: 'manager', value: 'maria.nunez@example.com' },
      ],
    });
  });

  it('creates the primary organisation when the user has none', () => {
    const plan = planEmployee({
      desired: snapshot('employee.created'),
      actual: actual(user({ organizations: [] })),
      config,
    });
    expect(identityArgs(plan.ops[0])?.organizations).toEqual([
      { type: 'work', primary: true, title: 'Software Engineer', department: 'Engineering' },
    ]);
  });

  it('leaves a field alone when GroWrk says nothing about it', () => {
    const desired = snapshot('employee.created', (e) => {
      e.jobTitle = null;
      delete e.manager;
    });
    const plan = planEmployee({
      desired,
      actual: actual(user({ organizations: [], relations: [] })),
      config,
    });
    expect(plan.ops[0]?.changes?.map((c) => c.field)).toEqual(['department']);
  });

  it('links the GroWrk id when it is missing, keeping other external ids', () => {
    const u = user({ externalIds: [{ type: 'organization', value: 'HR-7' }] });
    const plan = planEmployee({ desired: snapshot('employee.created'), actual: actual(u), config });
    expect(types(plan)).toEqual(['link-external-id']);
    expect(plan.ops[0]?.args).toEqual({
      externalIds: [
        { type: 'organization', value: 'HR-7' },
        { type: 'custom', customType: 'growrk', value: 'emp-12345' },
      ],
    });
  });

  it('folds link and field updates into the suspension: one users.patch', () => {
    const u = user({ externalIds: [], organizations: [{ primary: true, title: 'Intern' }] });
    const plan = planEmployee({ desired: snapshot('employee.offboarded'), actual: actual(u), config });
    expect(types(plan)).toEqual([
      'suspend',
      'sign-out',
      'revoke-tokens',
      'delete-app-passwords',
      'invalidate-backup-codes',
    ]);
    const [suspend] = plan.ops;
    expect(suspend?.changes?.map((c) => c.field)).toEqual([
      'suspended',
      'externalIds.growrk',
      'title',
      'department',
    ]);
    expect(suspend?.args).toMatchObject({
      record: { suspendedBy: 'growrk-sync' },
      externalIds: [{ type: 'custom', customType: 'growrk', value: 'emp-12345' }],
      organizations: [{ primary: true, title: 'Software Engineer', department: 'Engineering' }],
    });
  });

  it('links and updates an active user in one update op', () => {
    const u = user({ externalIds: [], organizations: [{ primary: true, title: 'Intern' }] });
    const plan = planEmployee({ desired: snapshot('employee.created'), actual: actual(u), config });
    expect(types(plan)).toEqual(['update']);
    expect(plan.ops[0]?.changes?.map((c) => c.field)).toEqual(['externalIds.growrk', 'title', 'department']);
    expect(identityArgs(plan.ops[0])?.externalIds).toEqual([
      { type: 'custom', customType: 'growrk', value: 'emp-12345' },
    ]);
  });

  it('does not touch a user linked to another GroWrk employee', () => {
    const u = user({ externalIds: [{ type: 'custom', customType: 'growrk', value: 'emp-99999' }] });
    const plan = planEmployee({ desired: snapshot('employee.offboarded'), actual: actual(u), config });
    expect(plan.ops).toEqual([]);
    expect(plan.notes[0]).toMatch(/linked to another GroWrk employee \(emp-99999\)/);
  });

  it('reactivates a rehired employee whose account this service suspended, moving them back', () => {
    const u = user({
      suspended: true,
      suspensionReason: 'ADMIN',
      orgUnitPath: '/Former employees',
      ...ours({ orgUnitBefore: '/Engineering' }),
    });
    const plan = planEmployee({
      desired: snapshot('employee.created'),
      actual: actual(u),
      config: { ...config, offboardOrgUnit: '/Former employees' },
    });
    expect(types(plan)).toEqual(['reactivate']);
    expect(plan.ops[0]?.destructive).toBe(true);
    expect(plan.ops[0]?.args).toEqual({ orgUnitPath: '/Engineering' });
    // A rehire waits for a person's approval by default, whatever the budget.
    expect(plan.ops[0]?.requiresApproval).toMatch(/^rehire: reactivating johndoe@example.com needs approval/);
    const unguarded = planEmployee({
      desired: snapshot('employee.created'),
      actual: actual(u),
      config: { ...config, rehireApproval: false },
    });
    expect(unguarded.ops[0]?.requiresApproval).toBeUndefined();
  });

  it('never reactivates a user someone else suspended', () => {
    for (const over of [
      { suspended: true, suspensionReason: 'ADMIN' },
      { suspended: true, suspensionReason: 'ABUSE' },
      // Our record, but Google suspended the account itself since: still not ours to undo.
      { suspended: true, suspensionReason: 'ABUSE', ...ours() },
      // Our record was closed by a reactivation; a later suspension is someone else's.
      { suspended: true, suspensionReason: 'ADMIN', ...ours({ reactivatedAt: '2024-10-05T00:00:00.000Z' }) },
    ]) {
      const plan = planEmployee({
        desired: snapshot('employee.created'),
        actual: actual(user(over)),
        config,
      });
      expect(types(plan)).not.toContain('reactivate');
      expect(plan.ops).toEqual([]);
      expect(plan.notes.join(' ')).toMatch(/does not reactivate accounts it did not suspend/);
    }
  });

  it('closes our record when the account was reactivated outside the service', () => {
    const plan = planEmployee({
      desired: snapshot('employee.created'),
      actual: actual(user({ suspended: false, ...ours() })),
      config,
    });
    expect(types(plan)).toEqual(['close-suspension-record']);
    expect(plan.ops[0]?.destructive).toBe(false);
  });

  it('changes no suspension for an employee of unknown status', () => {
    const desired = snapshot('employee.created', (e) => {
      e.status = 'pending';
    });
    const plan = planEmployee({
      desired,
      actual: actual(user({ suspended: true, suspensionReason: 'ADMIN', ...ours() })),
      config,
    });
    expect(plan.ops).toEqual([]);
  });

  it('notes a missing account and plans nothing by default', () => {
    const plan = planEmployee({ desired: snapshot('employee.offboarded'), actual: null, config });
    expect(plan).toMatchObject({ target: null, ops: [], notes: [NO_ACCOUNT_NOTE] });
    const active = planEmployee({ desired: snapshot('employee.created'), actual: null, config });
    expect(active.notes).toEqual([NO_ACCOUNT_NOTE]);
  });

  it('plans a create for an active employee only when createAccounts is on', () => {
    const on = { ...config, createAccounts: true, accountDomain: 'corp.example.org' };
    const plan = planEmployee({ desired: snapshot('employee.created'), actual: null, config: on });
    expect(types(plan)).toEqual(['create']);
    expect(plan.target).toMatchObject({ id: null, label: 'johndoe@corp.example.org' });
    expect(plan.ops[0]?.args).toMatchObject({
      primaryEmail: 'johndoe@corp.example.org',
      givenName: 'John',
      familyName: 'Doe',
      externalIds: [{ type: 'custom', customType: 'growrk', value: 'emp-12345' }],
      relations: [{ type: 'manager', value: 'maria.nunez@example.com' }],
    });
    expect(JSON.stringify(plan)).not.toMatch(/password/i);
    const offboarded = planEmployee({ desired: snapshot('employee.offboarded'), actual: null, config: on });
    expect(offboarded.ops).toEqual([]);
  });
});
