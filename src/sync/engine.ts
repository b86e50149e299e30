import type { Plan } from '../connector/types.ts';
import { newId } from '../core/ids.ts';
import type { EntitySnapshot } from '../core/projection.ts';
import type { EntityKind } from '../growrk/types.ts';
import type { OutcomeResult, Store } from '../store/types.ts';
import { destructiveCount, type GuardrailConfig, protectionReason } from './guardrails.ts';
import type { LoadedConnector } from './runtime.ts';

/** Settings of the shared plan/apply path. */
export interface EngineConfig {
  guardrails: GuardrailConfig & { destructiveLimit: number; destructiveWindow: number };
  dryRun: boolean;
}

/** The result of syncing one entity with one connector. */
export interface SyncResult {
  result: Exclude<OutcomeResult, 'failed' | 'dead'>;
  summary: string;
  plan: Plan | null;
  /** Id of the held change, when held. */
  heldId?: string;
}

/** Summarises a plan in one line, e.g. "suspend, sign-out, revoke-tokens". */
export function describePlan(plan: Plan): string {
  return plan.ops.map((op) => op.type).join(', ');
}

/**
 * Makes one connector's target match the projection for one entity: read, plan (pure), guardrails,
 * apply. The same function serves events, approvals and (with a pre-read actual) reconciliation.
 * Throws what the connector throws; the caller decides retry or dead.
 */
export async function syncEntity(input: {
  loaded: LoadedConnector;
  store: Store;
  config: EngineConfig;
  kind: EntityKind;
  entityId: string;
  eventIds: readonly string[];
  now: () => number;
  /** Skip the event-stream budget (reconciliation applies its own, approvals bypass it). */
  budget?: 'events' | 'none';
}): Promise<SyncResult> {
  const { loaded, store } = input;
  const desired = await store.getEntity(input.kind, input.entityId);
  if (!desired) return { result: 'skipped', summary: 'entity not in the projection', plan: null };
  const actual = await loaded.definition.read(loaded.ctx, desired);
  const plan = loaded.definition.plan({ desired, actual, config: loaded.ctx.config });
  return decideAndApply({ ...input, desired, plan });
}

/** Guardrails and apply for a plan already made (shared with reconciliation). */
export async function decideAndApply(input: {
  loaded: LoadedConnector;
  store: Store;
  config: EngineConfig;
  desired: EntitySnapshot;
  plan: Plan;
  eventIds: readonly string[];
  now: () => number;
  budget?: 'events' | 'none';
}): Promise<SyncResult> {
  const { loaded, store, config, plan } = input;
  if (plan.ops.length === 0) {
    return { result: 'skipped', summary: plan.notes[0] ?? 'in step, nothing to change', plan };
  }
  const protectedBy = protectionReason(plan.target, config.guardrails);
  if (protectedBy) {
    return {
      result: 'protected',
      summary: `not changed: target is a ${protectedBy} (${describePlan(plan)})`,
      plan,
    };
  }
  if (config.dryRun) return { result: 'dry-run', summary: `would ${describePlan(plan)}`, plan };

  const destructive = destructiveCount(plan);
  if (destructive > 0 && (input.budget ?? 'events') === 'events') {
    const approved = await findApproved(store, plan);
    if (approved) {
      await store.decideHeld(approved, ['approved'], 'applied', 'worker', input.now());
    } else {
      const existing = await findHeld(store, plan);
      if (existing)
        return { result: 'held', summary: `waiting for approval (${existing})`, plan, heldId: existing };
      const granted = await store.takeBudget({
        scope: `events:${loaded.id}`,
        count: destructive,
        limit: config.guardrails.destructiveLimit,
        windowMs: config.guardrails.destructiveWindow,
        now: input.now(),
      });
      if (!granted) {
        const held = await store.addHeld({
          id: newId('held', input.now()),
          connector: loaded.id,
          kind: plan.kind,
          entityId: plan.entityId,
          reason: `destructive budget of ${config.guardrails.destructiveLimit} per ${Math.round(config.guardrails.destructiveWindow / 60_000)} min used up`,
          plan,
          eventIds: [...input.eventIds],
          createdAt: input.now(),
        });
        return {
          result: 'held',
          summary: `held for approval: ${describePlan(plan)} (${held.id})`,
          plan,
          heldId: held.id,
        };
      }
    }
  }
  const report = await loaded.definition.apply(loaded.ctx, plan);
  const resumed = report.skipped.length > 0 ? ` (resumed; already done: ${report.skipped.join(', ')})` : '';
  return {
    result: 'succeeded',
    summary: `${report.done.join(', ') || 'nothing left to do'}${resumed}`,
    plan,
  };
}

async function findHeld(store: Store, plan: Plan): Promise<string | null> {
  const held = await store.listHeld({ status: 'held' });
  return (
    held.find((h) => h.connector === plan.connector && h.kind === plan.kind && h.entityId === plan.entityId)
      ?.id ?? null
  );
}

async function findApproved(store: Store, plan: Plan): Promise<string | null> {
  const approved = await store.listHeld({ status: 'approved' });
  return (
    approved.find(
      (h) => h.connector === plan.connector && h.kind === plan.kind && h.entityId === plan.entityId,
    )?.id ?? null
  );
}
