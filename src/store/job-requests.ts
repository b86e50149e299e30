import type { EntityKind } from '../growrk/types.ts';
import type { Job, JobRequest, StoredEvent } from './types.ts';

/** At most this many event ids are kept on one job (coalescing stops adding past it). */
export const MAX_EVENT_IDS_PER_JOB = 50;

/** The jobs that sync one entity for `eventIds` (one request per event, or one without an event). */
export function jobRequestsFor(
  target: { connector: string; kind: EntityKind; entityId: string },
  eventIds: readonly string[],
  runAt: number,
  priority = 0,
): JobRequest[] {
  const { connector, kind, entityId } = target;
  return (eventIds.length > 0 ? eventIds : [null]).map((eventId) => ({
    connector,
    kind,
    entityId,
    eventId,
    runAt,
    priority,
  }));
}

/** The (kind, id) of each entity an event carried (`employee:emp-1`). */
export function entitiesOf(event: StoredEvent): Array<{ kind: EntityKind; entityId: string }> {
  return event.entityKeys.map((key) => {
    const [kind, ...rest] = key.split(':');
    return { kind: kind as EntityKind, entityId: rest.join(':') };
  });
}

/**
 * Replaying an event: a job for each of its entities and each connector, at the priority the
 * entity's current snapshot gives (`priorityOf`; a replayed offboarding is destructive work).
 */
export function replayRequests(
  event: StoredEvent,
  connectors: readonly string[],
  runAt: number,
  priorityOf: (kind: EntityKind, entityId: string) => number = () => 0,
): JobRequest[] {
  return entitiesOf(event).flatMap(({ kind, entityId }) =>
    connectors.map((connector) => ({
      connector,
      kind,
      entityId,
      eventId: event.id,
      runAt,
      priority: priorityOf(kind, entityId),
    })),
  );
}

/** Replaying dead jobs: each entity again, carrying its first event and its priority. */
export function deadJobRequests(dead: readonly Job[], runAt: number): JobRequest[] {
  return dead.map((job) => ({
    connector: job.connector,
    kind: job.kind,
    entityId: job.entityId,
    eventId: job.eventIds[0] ?? null,
    runAt,
    priority: job.priority,
  }));
}
