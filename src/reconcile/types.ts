/**
 * The vocabulary of reconciliation: what a run is asked to do, and the report it stores and prints
 * (the same data feeds the `terraform plan`-like text and `--json`).
 */
import type { FieldChange, TargetRef } from '../connector/types.ts';
import type { EntityKind } from '../growrk/types.ts';
import type { Run } from '../store/types.ts';

/** How one reconciliation is asked for. */
export interface ReconcileRequest {
  trigger: Run['trigger'];
  /** Plan and report only; nothing is written to any target. */
  dryRun: boolean;
  /** Only this connector (it must be enabled); all enabled connectors otherwise. */
  connector?: string | undefined;
  /** Apply destructive changes past the budget (manual runs). Scheduled runs hold them instead. */
  yes: boolean;
}

/** What a planned change is, for people: the `+`, `~`, `-` of the plan. */
export type ChangeAction = 'create' | 'update' | 'suspend' | 'reactivate' | 'destructive';

/** One planned operation as printed and stored (the connector's `args` are left out). */
export interface ChangeOp {
  type: string;
  destructive: boolean;
  description: string;
  changes: FieldChange[];
}

/** What became of one planned change in a run. */
export type ChangeResult =
  /** Planned only (dry run). */
  | 'planned'
  /** Every op applied. */
  | 'applied'
  /** The non-destructive ops applied; the destructive ones withheld (see `reason`). */
  | 'partial'
  /** Nothing applied: destructive only, withheld (see `reason`). */
  | 'withheld'
  /** Destructive ops kept for approval (`held list`); non-destructive ones applied. */
  | 'held'
  /** Never changed: a protected target. */
  | 'protected'
  /** Applying failed (see `error`). */
  | 'failed';

/** One entity whose target needs changes. */
export interface ChangeReport {
  kind: EntityKind;
  entityId: string;
  target: TargetRef | null;
  action: ChangeAction;
  ops: ChangeOp[];
  notes: string[];
  /** Why the target is never changed (a super admin...), or null. */
  protectedBy: string | null;
  result: ChangeResult;
  /** Why destructive ops were withheld or held. */
  reason?: string | undefined;
  /** The held change's id, when held. */
  heldId?: string | undefined;
  /** Op types done. */
  done?: string[] | undefined;
  error?: { code: string; message: string } | undefined;
}

/** A count with the first few examples (lists are capped so that a report stays small). */
export interface Sample {
  count: number;
  sample: string[];
}

/** How one kind was listed in a target. */
export interface KindListing {
  kind: EntityKind;
  /** Records the target listed. */
  listed: number;
  /** Pages (list calls) consumed. */
  pages: number;
  /** Entities of the kind in the projection. */
  projected: number;
}

/** Vendor calls of one connector in a run against the minimum the run needed. */
export interface CallReport {
  /** Calls the connector started (its rate limiter's count). */
  actual: number;
  /** The fewest calls that could do the same: listing pages at the largest page size, plus writes. */
  minimum: number;
  /** The minimum's listing part. */
  minimumList: number;
  /** The minimum's write part (including reads a write needs, such as a token list before deletes). */
  minimumWrite: number;
  /** The least wall time the vendor's rate limits allow for `minimum` calls, in ms. */
  floorMs: number;
}

/** Everything one connector did in a run. */
export interface ConnectorReport {
  connector: string;
  /** False when a listing failed on any page: then no destructive change is applied at all. */
  listingComplete: boolean;
  listingError: { code: string; message: string } | null;
  kinds: KindListing[];
  /** Records listed, all kinds: the directory size the budget's share is taken of. */
  listed: number;
  /**
   * The changes, as a bounded sample: the first of the destructive, protected and failed ones and
   * the first of the others (see `changeCount`, `plan` and `results` for the exact figures).
   */
  changes: ChangeReport[];
  /** Changes planned (entities with ops), exactly. */
  changeCount: number;
  /** The changes counted by action. */
  plan: PlanCounts;
  /** What applying them did, counted. */
  results: ResultCounts;
  /** Playbook steps of the planned suspensions (ops after the suspension itself). */
  playbookSteps: number;
  /** Target records that match no GroWrk entity: reported, never changed. */
  unknownTargets: Sample;
  /** Entities with no target record and nothing planned (e.g. no directory account): reported only. */
  withoutTarget: Sample;
  /** Entities not checked for a missing target because the listing was incomplete. */
  uncheckedMissing: number;
  /**
   * Entities known only from references in other events (a manager, the employee of an asset):
   * not synced until GroWrk sends them in full, as on the event path.
   */
  referenceOnly: number;
  /**
   * Entities with sync jobs pending or running, left to the event path (and, in a resumed run,
   * entities changed since the run planned them).
   */
  inFlight: number;
  /** Notes of plans that need no change (e.g. "suspended by someone else"), as `kind:id: note`. */
  notes: Sample;
  calls: CallReport;
  /** Wall time of the connector's part of the run, in ms. */
  wallMs: number;
  /** Plans that could not be made (a connector bug). */
  errors: Array<{ code: string; message: string }>;
}

/** The destructive budget of a run and what was decided. */
export interface BudgetReport {
  maxDestructive: number;
  maxDestructiveShare: number;
  /** Destructive changes planned (one per entity), not counting approved held ones. */
  planned: number;
  /** Destructive changes the budget allows in this run. */
  allowed: number;
  over: boolean;
  /** What happens to the destructive changes. */
  decision: 'apply' | 'apply-confirmed' | 'withhold' | 'hold' | 'none';
  /** One sentence for people. */
  explanation: string;
}

/** Counts at the end of the plan, like `Plan: 1 to add, 2 to change, 0 to destroy`. */
export interface PlanCounts {
  create: number;
  update: number;
  suspend: number;
  reactivate: number;
  /** Other destructive changes, e.g. an offboarding playbook resumed for a user already suspended. */
  destructive: number;
  protected: number;
}

/** Counts of what applying did. */
export interface ResultCounts {
  applied: number;
  partial: number;
  held: number;
  withheld: number;
  failed: number;
}

/** The report of one reconciliation run (stored in the run, printed, and given by `--json`). */
export interface RunReport {
  runId: string;
  trigger: Run['trigger'];
  dryRun: boolean;
  startedAt: string;
  finishedAt: string;
  status: Run['status'];
  connectors: ConnectorReport[];
  budget: BudgetReport;
  plan: PlanCounts;
  results: ResultCounts;
  /** True when the targets differ from the projection in a way a run would change. */
  drift: boolean;
  errors: Array<{ code: string; message: string }>;
  /** When the run was resumed from its checkpoint after it stopped (newest last); empty otherwise. */
  resumed: string[];
}
