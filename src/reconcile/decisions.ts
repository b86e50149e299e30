/**
 * The guardrails of reconciliation, per plan, before anything is applied: protected targets are
 * never changed; destructive ops go ahead only within the run's budget, with `--yes` (manual runs),
 * or when a person approved them (`held approve`); a change already waiting for approval stays
 * waiting; a run whose listing failed anywhere applies no destructive op. Withheld destructive ops
 * never hold back the non-destructive ops of the same plan.
 */
import type { Plan } from '../connector/types.ts';
import type { HeldChange, Store } from '../store/types.ts';
import type { EngineConfig } from '../sync/engine.ts';
import { protectionReason } from '../sync/guardrails.ts';
import { actionOf, isDestructive, opsOf, withoutDestructive } from './changes.ts';
import type { BudgetReport, ChangeReport } from './types.ts';

/** Held changes of a connector, by `<kind>:<entity id>`. */
export interface HeldIndex {
  pending: Map<string, HeldChange>;
  approved: Map<string, HeldChange>;
}

/** Reads the held and approved changes of one connector. */
export async function heldIndex(store: Store, connector: string): Promise<HeldIndex> {
  const index: HeldIndex = { pending: new Map(), approved: new Map() };
  for (const [status, map] of [
    ['held', index.pending],
    ['approved', index.approved],
  ] as const) {
    for (const change of await store.listHeld({ status, limit: 100_000 })) {
      if (change.connector === connector) map.set(`${change.kind}:${change.entityId}`, change);
    }
  }
  return index;
}

/** What the guardrails decided for one plan before anything is applied. */
export interface Decision {
  plan: Plan;
  report: ChangeReport;
  /** The part to apply now (null: nothing). */
  submit: Plan | null;
  /** A pending or approved held change this run settles once the plan is applied. */
  settles: HeldChange | null;
  /** Hold the destructive part for approval (scheduled runs over budget). */
  hold: boolean;
}

/** True when a destructive plan counts against the budget (not approved, not waiting for approval). */
export function countsAgainstBudget(
  plan: Plan,
  held: HeldIndex,
  guardrails: EngineConfig['guardrails'],
): boolean {
  if (!isDestructive(plan) || protectionReason(plan.target, guardrails) !== null) return false;
  const key = `${plan.kind}:${plan.entityId}`;
  return !held.approved.has(key) && !held.pending.has(key);
}

/** Decides each plan of a connector: protected, full, non-destructive part only, or held. */
export function decidePlans(input: {
  plans: readonly Plan[];
  held: HeldIndex;
  budget: BudgetReport;
  guardrails: EngineConfig['guardrails'];
  /** False when a target listing failed anywhere in the run. */
  listingComplete: boolean;
  dryRun: boolean;
  /** `--yes` on a manual run. */
  confirmed: boolean;
}): Decision[] {
  return input.plans.map((plan) => {
    const decision = decideOne(plan, input);
    if (input.dryRun) return { ...decision, submit: null, hold: false, settles: null };
    return decision;
  });
}

function decideOne(plan: Plan, input: Parameters<typeof decidePlans>[0]): Decision {
  const protectedBy = protectionReason(plan.target, input.guardrails);
  const report: ChangeReport = {
    kind: plan.kind,
    entityId: plan.entityId,
    target: plan.target,
    action: actionOf(plan),
    ops: opsOf(plan),
    notes: plan.notes,
    protectedBy,
    result: protectedBy ? 'protected' : 'planned',
  };
  const decision: Decision = { plan, report, submit: null, settles: null, hold: false };
  if (protectedBy) return decision;
  if (!isDestructive(plan)) return { ...decision, submit: plan };
  const key = `${plan.kind}:${plan.entityId}`;
  const rest = withoutDestructive(plan);
  const partial = rest.ops.length > 0 ? rest : null;
  if (!input.listingComplete) {
    report.reason = 'a target listing failed in this run, so no destructive change is applied';
    return { ...decision, submit: partial };
  }
  const approved = input.held.approved.get(key);
  if (approved) return { ...decision, submit: plan, settles: approved };
  const waiting = input.held.pending.get(key);
  if (waiting) {
    if (input.confirmed) return { ...decision, submit: plan, settles: waiting };
    report.reason = `waiting for approval (${waiting.id})`;
    report.heldId = waiting.id;
    return { ...decision, submit: partial };
  }
  switch (input.budget.decision) {
    case 'apply':
    case 'apply-confirmed':
      return { ...decision, submit: plan };
    case 'hold':
      report.reason = input.budget.explanation;
      return { ...decision, submit: partial, hold: true };
    default:
      report.reason = input.budget.explanation;
      return { ...decision, submit: partial };
  }
}
