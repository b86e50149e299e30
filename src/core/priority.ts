import type { GrowrkEntity } from '../growrk/types.ts';
import { type EntitySnapshot, isOffboarded } from './projection.ts';

/**
 * Claim priorities of sync jobs. Within a connector's lane a higher priority is claimed first, then
 * the earlier due time: destructive work (cutting an ex-employee's access) never waits behind a
 * backlog of ordinary updates. Set at enqueue; a coalesced request can only raise it.
 */
export const JOB_PRIORITY = {
  /** Everyday work: updates, creations, an offboarding's follow-up playbook. */
  normal: 0,
  /** Work that cuts access: the sync of an employee GroWrk says is offboarded (a suspension). */
  destructive: 10,
} as const;

/**
 * The priority of the jobs a changed snapshot gets: destructive for an offboarded employee (the
 * status GroWrk sent, or the event that set the snapshot), normal otherwise.
 */
export function jobPriority(snapshot: EntitySnapshot): number {
  return snapshot.kind === 'employee' && isOffboarded(snapshot)
    ? JOB_PRIORITY.destructive
    : JOB_PRIORITY.normal;
}

/**
 * Whether an acknowledged event is projected ahead of others waiting (its jobs are destructive):
 * an employee event that offboards someone. Projection is order-independent (last writer wins by
 * GroWrk time, offboarding sticky), so projecting it early changes nothing but how soon it acts.
 */
export function isUrgentEvent(event: { type: string; entities: readonly GrowrkEntity[] }): boolean {
  if (!event.type.startsWith('employee.')) return false;
  return event.entities.some((data) => isOffboarded({ data, eventType: event.type }));
}
