/**
 * `apply`: carries out a plan's ops in order. Each playbook step is recorded in the connector state
 * as soon as it succeeds, so a retry of the same offboarding skips it; the first failure throws and
 * later ops are not attempted. Deleting something already gone counts as done.
 */
import { randomBytes } from 'node:crypto';
import type { ApplyOptions, ApplyReport } from '../../src/connector/types.ts';
import { SyncError } from '../../src/errors.ts';
import type { UserWrite } from './client.ts';
import { type GoogleContext, loadProgress } from './matching.ts';
import {
  type CreateArgs,
  type GoogleOp,
  isPlaybookStep,
  type PlaybookProgress,
  type PlaybookRun,
  type PlaybookStep,
  type SuspendArgs,
  type SuspensionRecord,
  stateKeys,
  type UpdateArgs,
} from './model.ts';
import {
  cancelOnRehire,
  recordEquipment,
  runClose,
  runHandover,
  runWipe,
  Timeline,
} from './offboarding-steps.ts';
import type { GooglePlan } from './plan.ts';

/** A playbook step's op. */
type StepOp = Extract<GoogleOp, { type: PlaybookStep }>;

function isStepOp(op: GoogleOp): op is StepOp {
  return isPlaybookStep(op.type);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The identity arrays of an op (link and field updates), as a patch body. */
function identityBody(args: UpdateArgs): UserWrite {
  const body: UserWrite = {};
  for (const key of ['externalIds', 'organizations', 'relations'] as const) {
    const value = args[key];
    if (value) body[key] = value;
  }
  return body;
}

/**
 * The patched user with the record we wrote in its custom schema (whether or not the answer
 * showed custom fields), so that a read from it sees the suspension as ours.
 */
function withRecord(written: unknown, schema: string, record: SuspensionRecord): unknown {
  if (!isRecord(written)) return null;
  const schemas = isRecord(written.customSchemas) ? written.customSchemas : {};
  const current = isRecord(schemas[schema]) ? schemas[schema] : {};
  return { ...written, customSchemas: { ...schemas, [schema]: { ...current, ...record } } };
}

/** A password nobody knows (the new user resets it at first sign-in, or an admin sets one). */
function throwawayPassword(): string {
  return `${randomBytes(24).toString('base64url')}-Aa1!`;
}

/** Runs one playbook step against the user; `pending` when it started something not yet finished. */
async function runStep(
  ctx: GoogleContext,
  target: { userId: string; email: string; run: string; op: StepOp },
  timeline: Timeline,
): Promise<'done' | 'pending'> {
  const { userId, op } = target;
  switch (op.type) {
    case 'handover': {
      const { to, source } = op.args;
      const result = await runHandover(ctx, timeline, { run: target.run, userId, to, source });
      return result === 'completed' ? 'done' : 'pending';
    }
    case 'wipe-devices':
      await runWipe(ctx, timeline, { run: target.run, email: target.email });
      return 'done';
    default:
      await runAccessStep(ctx, op.type, userId);
      return 'done';
  }
}

/** The steps that take access away (each one or a few Directory calls). */
async function runAccessStep(
  ctx: GoogleContext,
  step: Exclude<PlaybookStep, 'handover' | 'wipe-devices'>,
  userId: string,
): Promise<void> {
  const { client } = ctx;
  switch (step) {
    case 'sign-out':
      await client.signOut(userId);
      return;
    case 'revoke-tokens':
      for (const clientId of await client.listTokenClientIds(userId))
        await client.deleteToken(userId, clientId);
      return;
    case 'delete-app-passwords':
      for (const codeId of await client.listAspCodeIds(userId)) await client.deleteAsp(userId, codeId);
      return;
    case 'invalidate-backup-codes':
      await client.invalidateBackupCodes(userId);
      return;
    case 'remove-groups':
      for (const groupId of await client.listGroupIdsOf(userId)) await client.removeMember(groupId, userId);
      return;
  }
}

/**
 * Applies a plan made by `planEmployee`, recording what it did in the person's offboarding
 * timeline (saved at the end, also when an op failed).
 */
export async function applyPlan(
  ctx: GoogleContext,
  plan: GooglePlan,
  options: ApplyOptions = {},
): Promise<ApplyReport> {
  const timeline = new Timeline(ctx, plan.entityId, plan.target?.label ?? plan.entityId);
  try {
    return await applyOps(ctx, plan, options, timeline);
  } finally {
    await timeline.save();
  }
}

/** What one apply carries from op to op. */
interface ApplyRun {
  ctx: GoogleContext;
  plan: GooglePlan;
  timeline: Timeline;
  userId: string | null;
  progress: PlaybookProgress | null;
  /** The run a `suspend` in this plan started (for steps planned with `run: null`). */
  startedRun: PlaybookRun | null;
  done: string[];
  skipped: string[];
  recheckAfterMs: number | undefined;
  /** Plan again after this apply (the closing follows the playbook's last step). */
  again: boolean;
}

function requireUser(r: ApplyRun, op: GoogleOp): string {
  if (!r.userId) throw new SyncError('INTERNAL', `google-workspace: op ${op.type} has no target user`);
  return r.userId;
}

function runOf(r: ApplyRun, op: GoogleOp & { args: { run: PlaybookRun | null } }): PlaybookRun {
  const run = op.args.run || r.startedRun;
  if (run === null) throw new SyncError('INTERNAL', `google-workspace: ${op.type} belongs to no suspension`);
  return run;
}

/**
 * Carries out the ops. With `urgentFirst`, it returns right after a suspension when more ops
 * follow (`more: true`): the playbook is planned again and run in a job of its own. A transfer
 * still under way asks for a recheck after `handoverPoll`; the playbook's last step done here asks
 * for another pass (`more`) when the closing follows it.
 */
async function applyOps(
  ctx: GoogleContext,
  plan: GooglePlan,
  options: ApplyOptions,
  timeline: Timeline,
): Promise<ApplyReport> {
  const userId = plan.target?.id ?? null;
  const r: ApplyRun = {
    ctx,
    plan,
    timeline,
    userId,
    progress: userId ? await loadProgress(ctx, userId) : null,
    startedRun: null,
    done: [],
    skipped: [],
    recheckAfterMs: undefined,
    again: false,
  };
  for (const [index, op] of plan.ops.entries()) {
    if (isStepOp(op)) {
      await applyStep(r, op, index);
      continue;
    }
    if ((await applyOp(r, op)) === 'skipped') {
      r.skipped.push(op.type);
      continue;
    }
    r.done.push(op.type);
    ctx.logger.debug({ op: op.type, entityId: plan.entityId, userId: r.userId }, 'op done');
    if (op.type === 'suspend' && options.urgentFirst && index < plan.ops.length - 1) {
      return { done: r.done, skipped: r.skipped, targetId: r.userId, more: true };
    }
  }
  return {
    done: r.done,
    skipped: r.skipped,
    targetId: r.userId,
    ...(r.again && r.recheckAfterMs === undefined ? { more: true } : {}),
    ...(r.recheckAfterMs !== undefined ? { recheckAfterMs: r.recheckAfterMs } : {}),
  };
}

/** One playbook step: skipped when recorded done for this run, else run and recorded. */
async function applyStep(r: ApplyRun, op: StepOp, index: number): Promise<void> {
  const { ctx, plan } = r;
  const step = op.type;
  const id = requireUser(r, op);
  const run = runOf(r, op);
  const current: PlaybookProgress = r.progress?.run === run ? r.progress : { run, done: [] };
  if (current.done.includes(step)) {
    r.skipped.push(step);
    return;
  }
  const email = plan.target?.email ?? plan.target?.label ?? '';
  const result = await runStep(ctx, { userId: id, email, run, op }, r.timeline);
  if (result === 'pending') {
    r.recheckAfterMs = ctx.config.handoverPoll;
    r.done.push(`${step} (transfer under way)`);
    return;
  }
  // The playbook's last step done here: the closing is planned in another pass.
  if (ctx.config.closing && !plan.ops.slice(index + 1).some((o) => isPlaybookStep(o.type))) r.again = true;
  r.progress = { run, done: [...current.done, step] };
  await ctx.state.set(stateKeys.playbook(id), r.progress);
  await r.timeline.step(run, step);
  r.done.push(step);
  ctx.logger.debug({ op: step, entityId: plan.entityId, userId: id }, 'playbook step done');
}

/** Any other op; `skipped` when it found its work already done. */
async function applyOp(r: ApplyRun, op: Exclude<GoogleOp, StepOp>): Promise<'done' | 'skipped'> {
  const { ctx, plan } = r;
  const schema = ctx.config.customSchema;
  const now = () => new Date(ctx.now()).toISOString();
  switch (op.type) {
    case 'create':
      r.userId = await createUser(ctx, op.args);
      await ctx.state.set(stateKeys.link(plan.entityId), r.userId);
      return 'done';
    case 'link-external-id':
    case 'update': {
      const id = requireUser(r, op);
      await ctx.client.patchUser(id, identityBody(op.args));
      if (op.args.externalIds !== undefined) await ctx.state.set(stateKeys.link(plan.entityId), id);
      return 'done';
    }
    case 'suspend':
      await suspend(r, requireUser(r, op), op.args, now());
      return 'done';
    case 'reactivate': {
      const id = requireUser(r, op);
      const body: UserWrite = { suspended: false, customSchemas: { [schema]: { reactivatedAt: now() } } };
      if (op.args.orgUnitPath) body.orgUnitPath = op.args.orgUnitPath;
      await ctx.client.patchUser(id, body);
      r.progress = null;
      await ctx.state.delete(stateKeys.playbook(id));
      await cancelOnRehire(r.timeline, ctx.now());
      return 'done';
    }
    case 'record-equipment':
      await recordEquipment(r.timeline, runOf(r, op), op.args.reason, op.args.equipment);
      return 'done';
    case 'close-offboarding': {
      const run = runOf(r, op);
      const closed = await runClose(ctx, r.timeline, {
        run,
        userId: requireUser(r, op),
        email: plan.target?.email ?? '',
        reason: op.args.reason,
        equipment: op.args.equipment,
      });
      if (closed === 'already') return 'skipped';
      await r.timeline.step(run, 'close');
      return 'done';
    }
    case 'close-suspension-record':
      await ctx.client.patchUser(requireUser(r, op), {
        customSchemas: { [schema]: { reactivatedAt: now() } },
      });
      return 'done';
  }
}

async function createUser(ctx: GoogleContext, args: CreateArgs): Promise<string> {
  const { primaryEmail, givenName, familyName } = args;
  if (!primaryEmail || !givenName || !familyName)
    throw new SyncError('INTERNAL', 'google-workspace: create op without an e-mail or a name');
  const body: UserWrite = {
    ...identityBody(args),
    primaryEmail,
    name: { givenName, familyName },
    password: throwawayPassword(),
    changePasswordAtNextLogin: true,
  };
  return ctx.client.insertUser(body);
}

/**
 * One patch: suspended, our record, the identity changes and the offboarding unit. Starts the
 * run (progress and timeline), keeping the patched user for the next job's read.
 */
async function suspend(r: ApplyRun, id: string, args: SuspendArgs, suspendedAt: string): Promise<void> {
  const { ctx, plan } = r;
  const schema = ctx.config.customSchema;
  const record: SuspensionRecord = { ...args.record, suspendedAt };
  const body: UserWrite = {
    ...identityBody(args),
    suspended: true,
    customSchemas: { [schema]: { ...record } },
  };
  if (args.orgUnitPath) body.orgUnitPath = args.orgUnitPath;
  const written = await ctx.client.patchUser(id, body);
  if (body.externalIds !== undefined) await ctx.state.set(stateKeys.link(plan.entityId), id);
  r.startedRun = suspendedAt;
  await r.timeline.of(suspendedAt, suspendedAt);
  await r.timeline.step(suspendedAt, 'suspend');
  r.progress = {
    run: suspendedAt,
    done: [],
    fresh: { at: ctx.now(), user: withRecord(written, schema, record) },
  };
  await ctx.state.set(stateKeys.playbook(id), r.progress);
}
