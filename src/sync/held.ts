import { JOB_PRIORITY } from '../core/priority.ts';
import { jobRequestsFor } from '../store/job-requests.ts';
import type { HeldChange, Store } from '../store/types.ts';

/** What became of one held change on approve or reject. */
export interface HeldDecision {
  id: string;
  ok: boolean;
  status: HeldChange['status'] | null;
  message: string;
  /** Sync jobs queued (approve). */
  queued?: number;
}

/**
 * Approves or rejects one held change. Approving queues a sync job for its entity: the worker (of
 * this or any process on the same store) plans again from the current state and, finding the
 * approval, applies without taking the budget, so a stale plan is never applied. Rejecting
 * applies nothing. Shared by the CLI and the admin API.
 */
export async function decideHeldChange(
  store: Store,
  id: string,
  decision: 'approve' | 'reject',
  by: string,
  enabledConnectors: readonly string[],
  now: number = Date.now(),
): Promise<HeldDecision> {
  const current = await store.getHeld(id);
  if (!current) return { id, ok: false, status: null, message: `no held change ${id}` };
  if (current.status !== 'held') {
    return {
      id,
      ok: false,
      status: current.status,
      message: `${id} is already ${current.status}${current.decidedBy ? ` (by ${current.decidedBy})` : ''}; nothing to do`,
    };
  }
  const target = decision === 'approve' ? 'approved' : 'rejected';
  const decided = await store.decideHeld(id, ['held'], target, by, now);
  if (!decided) {
    const later = await store.getHeld(id);
    return {
      id,
      ok: false,
      status: later?.status ?? null,
      message: `${id} was decided by someone else meanwhile (now ${later?.status ?? 'gone'})`,
    };
  }
  const entity = `${decided.kind}:${decided.entityId}`;
  if (decision === 'reject') {
    return {
      id,
      ok: true,
      status: 'rejected',
      message: `${id}: rejected; nothing applied to ${entity} (${decided.connector})`,
    };
  }
  // The job carries the held change's events, so their outcome ledger shows what happened; a
  // held change is destructive, so it goes ahead of its lane's ordinary work.
  const queued = await store.enqueueJobs(
    jobRequestsFor(decided, decided.eventIds, now, JOB_PRIORITY.destructive),
  );
  const warning = enabledConnectors.includes(decided.connector)
    ? ''
    : ` (warning: ${decided.connector} is not enabled in this configuration; a service with it enabled applies it)`;
  return {
    id,
    ok: true,
    status: 'approved',
    queued,
    message: `${id}: approved; queued a sync job for ${entity} (${decided.connector}); the running service applies it${warning}`,
  };
}
