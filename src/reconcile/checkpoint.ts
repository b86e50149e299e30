/**
 * The checkpoint of a reconciliation run, saved in its row. While planning, it says only that:
 * where each kind's listing got is kept with each page in the store (`plan-kind.ts`). Once planned,
 * after every page applied: the budget decided for the run, and for each connector what its plan
 * phase found, how far applying got (the last item applied) and the counts so far. A run that
 * stopped (its process died, the service shut down, a quota ran out) is resumed by the next run
 * with the same request: that run takes the old one over under its id and goes on listing after
 * the last page it kept, or applies the rest of its items, without listing or applying any page
 * twice.
 */
import type { Run, RunItemCursor } from '../store/types.ts';
import type { ConnectorPlan } from './planner.ts';
import type { ApplyTally } from './tally.ts';
import type { BudgetReport, ReconcileRequest } from './types.ts';

/** A stopped run is resumed only this soon after it started; later, a new run plans afresh. */
export const RESUME_WITHIN_MS = 60 * 60 * 1000;

/** How far one connector's part of a run got. */
export interface ConnectorCheckpoint {
  connector: string;
  /** What the plan phase found (samples and counts; the plans themselves are the run's items). */
  plan: ConnectorPlan;
  /** Items (planned changes) to go through. */
  total: number;
  /** Items gone through. */
  processed: number;
  /** The last item gone through, or null before the first page. */
  after: RunItemCursor | null;
  done: boolean;
  tally: ApplyTally;
  /** Vendor calls before this session (earlier sessions of a resumed run), and by client method. */
  calls: number;
  methods: Record<string, number>;
  /** Wall time of this connector in earlier sessions, in ms. */
  wallMs: number;
}

/** Vendor calls and wall time of one connector in a run's sessions so far. */
export interface SessionCounts {
  connector: string;
  calls: number;
  methods: Record<string, number>;
  wallMs: number;
}

/** The checkpoint of a run still planning (listing its targets). */
export interface PlanningCheckpoint {
  phase: 'planning';
  request: RunCheckpoint['request'];
  /** Epoch ms of each resumption. */
  resumedAt: number[];
  /** What each connector's listing cost so far, saved with its pages (carried into a resumed run). */
  connectors: SessionCounts[];
}

/** What `runs.checkpoint` holds: a run planning, or one applying. */
export type StoredCheckpoint = PlanningCheckpoint | RunCheckpoint;

/** A run's checkpoint once planned, as stored in `runs.checkpoint`. */
export interface RunCheckpoint {
  phase: 'applying';
  request: { trigger: ReconcileRequest['trigger']; yes: boolean; connector: string | null };
  budget: BudgetReport;
  listingComplete: boolean;
  connectors: ConnectorCheckpoint[];
  /** Epoch ms of each resumption. */
  resumedAt: number[];
}

function isCheckpoint(value: unknown): value is StoredCheckpoint {
  if (typeof value !== 'object' || value === null) return false;
  const phase = (value as { phase?: unknown }).phase;
  return (
    phase === 'planning' ||
    (phase === 'applying' && Array.isArray((value as { connectors?: unknown }).connectors))
  );
}

/**
 * The run a new run with `request` should resume, or null: the newest run that was not a dry run,
 * if it stopped while planning or applying (still marked running: its process died; or failed),
 * asked for the same thing, has pages left and started less than {@link RESUME_WITHIN_MS} ago.
 * Only the newest counts: once a later run finished, an older plan is stale.
 */
export function resumableRun(
  runs: readonly Run[],
  request: ReconcileRequest,
  now: number,
): { run: Run; checkpoint: StoredCheckpoint } | null {
  if (request.dryRun) return null;
  const newest = runs.find((r) => !r.dryRun);
  if (!newest || (newest.status !== 'running' && newest.status !== 'failed')) return null;
  const checkpoint = newest.checkpoint;
  if (!isCheckpoint(checkpoint)) return null;
  if (now - newest.startedAt > RESUME_WITHIN_MS) return null;
  const asked = checkpoint.request;
  if (
    asked.trigger !== request.trigger ||
    asked.yes !== request.yes ||
    asked.connector !== (request.connector ?? null)
  ) {
    return null;
  }
  if (checkpoint.phase === 'applying' && checkpoint.connectors.every((c) => c.done)) return null;
  return { run: newest, checkpoint };
}
