/**
 * The destructive budget of one reconciliation: at most `maxDestructive` destructive changes (one
 * per entity, however many ops), and for each connector at most `maxDestructiveShare` of the
 * records its listing returned (never less than one, unless the share is 0). Past either, nothing
 * destructive is applied: a manual run needs `--yes`, a scheduled run holds the changes for
 * approval. A run whose listing failed anywhere applies no destructive change, budget or not.
 */
import type { BudgetReport } from './types.ts';

/** What the budget needs to know about one connector. */
export interface BudgetInput {
  connector: string;
  /** Destructive changes planned (entities), not counting approved held ones. */
  planned: number;
  /** Records listed: the directory size. */
  listed: number;
}

/** How many destructive changes a share of `listed` allows. */
export function shareAllowance(share: number, listed: number): number {
  if (share <= 0) return 0;
  return Math.max(1, Math.floor(share * listed));
}

/** Decides the run's destructive budget. */
export function decideBudget(input: {
  connectors: readonly BudgetInput[];
  maxDestructive: number;
  maxDestructiveShare: number;
  trigger: 'manual' | 'schedule';
  yes: boolean;
  dryRun: boolean;
  listingComplete: boolean;
}): BudgetReport {
  const planned = input.connectors.reduce((n, c) => n + c.planned, 0);
  const byShare = input.connectors
    .filter((c) => c.planned > 0)
    .map((c) => ({ ...c, allowed: shareAllowance(input.maxDestructiveShare, c.listed) }));
  const allowed = Math.min(input.maxDestructive, ...byShare.map((c) => c.allowed));
  const over = planned > input.maxDestructive || byShare.some((c) => c.planned > c.allowed);
  const pct = `${Math.round(input.maxDestructiveShare * 1000) / 10}%`;
  const limits = [
    `max ${input.maxDestructive}`,
    ...byShare.map((c) => `${pct} of ${c.listed} listed by ${c.connector} = ${c.allowed}`),
  ].join('; ');
  const base = {
    maxDestructive: input.maxDestructive,
    maxDestructiveShare: input.maxDestructiveShare,
    planned,
    allowed,
    over,
  };
  const would = input.dryRun ? 'would be' : 'are';
  if (planned === 0) {
    return { ...base, decision: 'none', explanation: 'no destructive change planned' };
  }
  if (!input.listingComplete) {
    return {
      ...base,
      decision: 'withhold',
      explanation: `${planned} destructive change(s) planned; a target listing failed, so none ${would} applied in this run`,
    };
  }
  if (!over) {
    return {
      ...base,
      decision: 'apply',
      explanation: `${planned} destructive change(s) planned, ${allowed} allowed (${limits}): within budget`,
    };
  }
  if (input.trigger === 'schedule') {
    return {
      ...base,
      decision: 'hold',
      explanation: `${planned} destructive change(s) planned, over the budget of ${allowed} (${limits}): ${input.dryRun ? 'a scheduled run would hold them' : 'held for approval (growrk-sync held list)'}`,
    };
  }
  if (input.yes) {
    return {
      ...base,
      decision: 'apply-confirmed',
      explanation: `${planned} destructive change(s) planned, over the budget of ${allowed} (${limits}): ${input.dryRun ? 'would be applied' : 'applied'} because of --yes`,
    };
  }
  return {
    ...base,
    decision: 'withhold',
    explanation: `${planned} destructive change(s) planned, over the budget of ${allowed} (${limits}): none ${would} applied without --yes`,
  };
}
