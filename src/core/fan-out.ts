/**
 * One event's effect on the projection and the sync jobs it causes, as one pure function both
 * stores call: the stores load the current snapshots it names, run it, and persist what it
 * returns. "Which changes cause jobs" is decided here, once: every snapshot that changed and is
 * known in full (`needsSync`) gets one job per connector that syncs its kind, at the snapshot's
 * claim priority.
 */
import type { EntityKind } from '../growrk/types.ts';
import { jobPriority } from './priority.ts';
import {
  type EntitySnapshot,
  needsSync,
  type ProjectionInput,
  project,
  projectionInputs,
} from './projection.ts';

/** The key of an entity in the snapshot map: `<kind>:<id>`. */
export function snapshotKey(kind: EntityKind, id: string): string {
  return `${kind}:${id}`;
}

/** The entity a projection input touches. */
export function touchedBy(input: ProjectionInput): { kind: EntityKind; id: string } {
  return { kind: input.kind, id: input.mode === 'full' ? input.entity.id : input.ref.id };
}

/** A stored, accepted event as the projection reads it. */
export interface ProjectedEvent {
  id: string;
  type: string;
  kind: EntityKind;
  timestampMs: number;
  entities: Parameters<typeof projectionInputs>[0]['entities'];
}

/** A sync job the event causes (the stores' JobRequest, with the event's id). */
export interface FanOutJob {
  connector: string;
  kind: EntityKind;
  entityId: string;
  eventId: string;
  runAt: number;
  /** Claim priority ({@link jobPriority}: destructive work first). */
  priority: number;
}

/** The entities an event will touch (what a store loads before calling {@link projectEvent}). */
export function entitiesTouched(event: ProjectedEvent): Array<{ kind: EntityKind; id: string }> {
  const seen = new Map<string, { kind: EntityKind; id: string }>();
  for (const input of projectionInputs(event)) {
    const t = touchedBy(input);
    seen.set(snapshotKey(t.kind, t.id), t);
  }
  return [...seen.values()];
}

/**
 * Projects one event onto `current` (snapshots by {@link snapshotKey}; updated in place, so a
 * batch of events runs in arrival order as one-by-one ingests would) and returns the snapshots it
 * changed and the jobs they cause.
 */
export function projectEvent(input: {
  event: ProjectedEvent;
  current: Map<string, EntitySnapshot>;
  jobConnectors: Partial<Record<EntityKind, readonly string[]>>;
  receivedAt: number;
}): { changed: EntitySnapshot[]; jobs: FanOutJob[] } {
  const changed = new Map<string, EntitySnapshot>();
  for (const p of projectionInputs(input.event)) {
    const t = touchedBy(p);
    const key = snapshotKey(t.kind, t.id);
    const next = project(input.current.get(key) ?? null, p, input.receivedAt);
    if (!next) continue;
    input.current.set(key, next);
    changed.set(key, next);
  }
  const jobs: FanOutJob[] = [];
  for (const snapshot of changed.values()) {
    if (!needsSync(snapshot)) continue;
    const priority = jobPriority(snapshot);
    for (const connector of input.jobConnectors[snapshot.kind] ?? []) {
      jobs.push({
        connector,
        kind: snapshot.kind,
        entityId: snapshot.id,
        eventId: input.event.id,
        runAt: input.receivedAt,
        priority,
      });
    }
  }
  return { changed: [...changed.values()], jobs };
}
