/**
 * One person's offboarding, as a timeline: what the connector that runs it did and when, and what
 * still keeps it open. The connector writes it (through its context) as each step lands; the CLI
 * (`offboardings`) and the admin API read it. It holds what the projection and the target already
 * hold (ids, the work e-mail as label, product serials), nothing more.
 */

/** Where an offboarding stands. */
export type OffboardingStatus = 'open' | 'closed' | 'cancelled';

/** One step done, e.g. `{ step: 'revoke-tokens', at: '2026-12-01T20:00:00.000Z' }`. */
export interface TimelineStep {
  step: string;
  at: string;
  detail?: string | undefined;
}

/** The handover of the person's data (Drive, Calendar) to someone else. */
export interface HandoverState {
  /** The recipient, as configured or from the projection (a work e-mail). */
  to: string;
  /** Where the recipient came from. */
  source: 'manager' | 'fallback';
  /** The vendor's transfer id, once requested. */
  transferId?: string | undefined;
  /** `requested`, `inProgress`, `completed`, `failed` (then requested again). */
  state: string;
  requestedAt?: string | undefined;
  finishedAt?: string | undefined;
  /** Transfers requested so far (a failed one is requested again). */
  attempts: number;
}

/** One product GroWrk assigned to the person, as the closing gate last saw it. */
export interface EquipmentItem {
  productId: string;
  serial?: string | undefined;
  status?: string | undefined;
  wiped?: boolean | undefined;
  legalHold?: string | undefined;
  /** True when it counts as back (a returned status or unassigned, and wiped where reported). */
  back: boolean;
}

/** The details of an offboarding (JSON in the store). */
export interface OffboardingTimeline {
  /** How people recognise the person (the work e-mail). */
  label?: string | undefined;
  /** The connector's name for the suspension this offboarding follows (e.g. its `suspendedAt`). */
  run?: string | undefined;
  suspendedAt?: string | undefined;
  steps: TimelineStep[];
  handover?: HandoverState | undefined;
  devicesWiped: Array<{ resourceId: string; model?: string | undefined; at: string }>;
  equipment: EquipmentItem[];
  /** Why it cannot close yet (legal hold, equipment not back), or null. */
  blockedBy: string | null;
  licenceReleasedAt?: string | undefined;
  /** `released` (licence deleted) or `archived:<sku>` (switched to an archive SKU). */
  licence?: string | undefined;
  closedReason?: string | undefined;
  cancelledReason?: string | undefined;
}

/** A stored offboarding. */
export interface OffboardingRecord {
  /** `off_...`. */
  id: string;
  connector: string;
  employeeId: string;
  status: OffboardingStatus;
  openedAt: number;
  closedAt: number | null;
  updatedAt: number;
  timeline: OffboardingTimeline;
}

/** Filters of `listOffboardings`. */
export interface OffboardingFilter {
  status?: OffboardingStatus | undefined;
  employeeId?: string | undefined;
  connector?: string | undefined;
  limit?: number | undefined;
  /** Only offboardings with an id lower than this (paging, newest first). */
  before?: string | undefined;
}

/** A fresh timeline. */
export function emptyTimeline(label?: string): OffboardingTimeline {
  return { label, steps: [], devicesWiped: [], equipment: [], blockedBy: null };
}

/** An offboarding as the CLI (`--json`) and the admin API show it: times in ISO 8601. */
export interface OffboardingView {
  id: string;
  connector: string;
  employeeId: string;
  label: string | null;
  status: OffboardingStatus;
  openedAt: string;
  closedAt: string | null;
  suspendedAt: string | null;
  steps: TimelineStep[];
  handover: HandoverState | null;
  devicesWiped: OffboardingTimeline['devicesWiped'];
  /** Products not back yet (serial, status, wiped, legal hold). */
  equipmentOutstanding: EquipmentItem[];
  equipment: EquipmentItem[];
  blockedBy: string | null;
  licenceReleasedAt: string | null;
  licence: string | null;
  closedReason: string | null;
  cancelledReason: string | null;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** The view of a record. */
export function offboardingView(record: OffboardingRecord): OffboardingView {
  const t = record.timeline;
  return {
    id: record.id,
    connector: record.connector,
    employeeId: record.employeeId,
    label: t.label ?? null,
    status: record.status,
    openedAt: iso(record.openedAt) ?? '',
    closedAt: iso(record.closedAt),
    suspendedAt: t.suspendedAt ?? null,
    steps: t.steps,
    handover: t.handover ?? null,
    devicesWiped: t.devicesWiped,
    equipmentOutstanding: t.equipment.filter((e) => !e.back),
    equipment: t.equipment,
    blockedBy: t.blockedBy,
    licenceReleasedAt: t.licenceReleasedAt ?? null,
    licence: t.licence ?? null,
    closedReason: t.closedReason ?? null,
    cancelledReason: t.cancelledReason ?? null,
  };
}

/** One offboarding by its id (`off_...`), else the newest of the employee with that id. */
export async function findOffboarding(
  store: {
    getOffboarding(id: string): Promise<OffboardingRecord | null>;
    listOffboardings(filter: OffboardingFilter): Promise<OffboardingRecord[]>;
  },
  idOrEmployee: string,
): Promise<OffboardingRecord | null> {
  return (
    (await store.getOffboarding(idOrEmployee)) ??
    (await store.listOffboardings({ employeeId: idOrEmployee, limit: 1 }))[0] ??
    null
  );
}
