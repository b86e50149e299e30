/**
 * What the apply phase of one connector did so far, page by page: exact counts, and a bounded
 * sample of the changes for the report (the first destructive, protected or failed ones, which
 * people must read, and the first of the others). Plain data: it is saved in the run's checkpoint.
 */
import { countChange, emptyCounts } from './changes.ts';
import { addShapes, type PlanShapes } from './cost.ts';
import type { Decision } from './decisions.ts';
import type { ChangeReport, PlanCounts, ResultCounts } from './types.ts';

/** Changes kept in the report per class (notable, other), per connector. */
export const CHANGE_SAMPLE = 100;

/** The apply phase of one connector, counted. */
export interface ApplyTally {
  /** The sample of changes. */
  changes: ChangeReport[];
  changeCount: number;
  plan: PlanCounts;
  results: ResultCounts;
  playbookSteps: number;
  /** The first change that failed to apply, and how many did. */
  failed: { count: number; first: { code: string; message: string } | null };
  /** The plans submitted, by shape: what the minimum's writes are computed from (see `cost.ts`). */
  submitted: PlanShapes;
}

/** Nothing done yet. */
export function emptyTally(): ApplyTally {
  return {
    changes: [],
    changeCount: 0,
    plan: emptyCounts(),
    results: { applied: 0, partial: 0, held: 0, withheld: 0, failed: 0 },
    playbookSteps: 0,
    failed: { count: 0, first: null },
    submitted: {},
  };
}

/** True for the changes a report must show first: destructive, protected, failed or not fully applied. */
export function isNotable(change: ChangeReport): boolean {
  return (
    change.protectedBy !== null ||
    change.action === 'suspend' ||
    change.action === 'reactivate' ||
    change.action === 'destructive' ||
    (change.result !== 'planned' && change.result !== 'applied')
  );
}

/** Adds one page of decided (and, unless a dry run, applied) plans. */
export function addToTally(tally: ApplyTally, decisions: readonly Decision[]): void {
  addShapes(
    tally.submitted,
    decisions.flatMap((d) => (d.submit ? [d.submit] : [])),
  );
  let notable = tally.changes.filter(isNotable).length;
  let other = tally.changes.length - notable;
  for (const { report } of decisions) {
    tally.changeCount += 1;
    countChange(tally.plan, report.action, report.protectedBy);
    if (report.action === 'suspend' && !report.protectedBy) {
      tally.playbookSteps += report.ops.filter((o) => o.destructive && o.type !== 'suspend').length;
    }
    if (report.result === 'failed') {
      tally.failed.count += 1;
      tally.failed.first ??= report.error ?? { code: 'INTERNAL', message: 'unknown error' };
    }
    const result = report.result;
    if (result !== 'planned' && result !== 'protected') tally.results[result] += 1;
    if (isNotable(report) ? notable++ < CHANGE_SAMPLE : other++ < CHANGE_SAMPLE) tally.changes.push(report);
  }
}
