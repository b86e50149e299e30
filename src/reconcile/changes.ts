/**
 * Plans as reconciliation reports them: the action a plan amounts to, its ops without the
 * connector's arguments, the destructive and non-destructive halves, and capped samples.
 */
import { effectOf } from '../connector/registry.ts';
import type { Plan } from '../connector/types.ts';
import type { ChangeAction, ChangeOp, PlanCounts, Sample } from './types.ts';

/** Examples kept per reported list (the count is always exact). */
export const SAMPLE_SIZE = 200;

/**
 * What a plan amounts to, strongest first: suspend, reactivate, other destructive, create, update
 * (op effects come from the connector's manifest).
 */
export function actionOf(plan: Plan): ChangeAction {
  const effects = new Set(plan.ops.map((op) => effectOf(plan.connector, op.type)));
  if (effects.has('suspend')) return 'suspend';
  if (effects.has('reactivate')) return 'reactivate';
  if (plan.ops.some((op) => op.destructive)) return 'destructive';
  if (effects.has('create')) return 'create';
  return 'update';
}

/** The ops as printed and stored: no connector arguments. */
export function opsOf(plan: Plan): ChangeOp[] {
  return plan.ops.map((op) => ({
    type: op.type,
    destructive: op.destructive,
    description: op.description,
    changes: op.changes ?? [],
  }));
}

/** True when the plan has at least one destructive op. */
export function isDestructive(plan: Plan): boolean {
  return plan.ops.some((op) => op.destructive);
}

/** The plan without its destructive ops (what may still be applied when they are withheld). */
export function withoutDestructive(plan: Plan): Plan {
  return { ...plan, ops: plan.ops.filter((op) => !op.destructive) };
}

/** An empty sample (a count with the first {@link SAMPLE_SIZE} examples). */
export function emptySample(): Sample {
  return { count: 0, sample: [] };
}

/** Counts an item, keeping it when the sample has room (plain data: it is kept in checkpoints). */
export function addToSample(sample: Sample, item: string): void {
  sample.count += 1;
  if (sample.sample.length < SAMPLE_SIZE) sample.sample.push(item);
}

/** Adds `from` to `into`. */
export function mergeSample(into: Sample, from: Sample): void {
  into.count += from.count;
  for (const item of from.sample) if (into.sample.length < SAMPLE_SIZE) into.sample.push(item);
}

/** Zeroed plan counts. */
export function emptyCounts(): PlanCounts {
  return { create: 0, update: 0, suspend: 0, reactivate: 0, destructive: 0, protected: 0 };
}

/** Adds one change to the counts. */
export function countChange(counts: PlanCounts, action: ChangeAction, protectedBy: string | null): void {
  if (protectedBy !== null) counts.protected += 1;
  else counts[action] += 1;
}

/** How a listed record is named in reports: its e-mail key, else its first keys. */
export function labelOfKeys(keys: readonly string[]): string {
  const email = keys.find((k) => k.startsWith('email:'));
  if (email) return email.slice('email:'.length);
  return keys.slice(0, 2).join(' ') || '(no key)';
}
