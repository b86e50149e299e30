/**
 * One event's effect on the projection and the sync jobs it causes, as one pure function both
 * stores call: the stores load the current snapshots it names, run it, and persist what it
 * returns. "Which changes cause jobs" is decided here, once: every snapshot that changed and is
 * known in full (`needsSync`) gets one job per connector that syncs its kind, at the snapshot's
 * claim priority.
 */
import { SyncError } from '../errors.ts';
import { parseEnvelope } from '../growrk/envelope.ts';
import { type EntityKind, entityKey } from '../growrk/types.ts';
import type { OutcomeInput } from '../store/types.ts';
import { jobPriority } from './priority.ts';
import {
  type EntitySnapshot,
  needsSync,
  type ProjectionInput,
  projectInput,
  projectionInputs,
} from './projection.ts';
import { supersededOutcome } from './superseded.ts';

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

/**
 * An accepted event as the projection reads it back from its inbox row: the stored body is the
 * envelope and the kept fields of its entities (sensitive ones already gone), so parsing it again
 * gives the event the acknowledgement validated.
 * @throws SyncError when the stored body is not such an event (it was stored by a bug)
 */
export function projectedFromStored(id: string, body: string): ProjectedEvent {
  const event = parseEnvelope(JSON.parse(body), []);
  if (event.kind === null) throw new SyncError('PROJECTION_FAILED', `event ${id} has no entity family`);
  return { ...event, id, kind: event.kind };
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
    seen.set(entityKey(t.kind, t.id), t);
  }
  return [...seen.values()];
}

/**
 * Projects one event onto `current` (snapshots by {@link entityKey}; updated in place, so a
 * batch of events runs in arrival order as one-by-one ingests would) and returns the snapshots it
 * changed, the jobs they cause, and the ledger rows of the entities it did not change because a
 * newer event had been applied (`superseded`, naming that event), to write in the same commit.
 * `clockSkewMs`: the skew the event's timestamp was checked with; a stored snapshot dated more than
 * that after `receivedAt` came from a clock error and does not block the event (unset: trusted).
 */
export function projectEvent(input: {
  event: ProjectedEvent;
  current: Map<string, EntitySnapshot>;
  jobConnectors: Partial<Record<EntityKind, readonly string[]>>;
  receivedAt: number;
  clockSkewMs?: number | undefined;
}): { changed: EntitySnapshot[]; jobs: FanOutJob[]; outcomes: OutcomeInput[] } {
  const trustUntil = input.clockSkewMs === undefined ? undefined : input.receivedAt + input.clockSkewMs;
  const changed = new Map<string, EntitySnapshot>();
  const outcomes: OutcomeInput[] = [];
  for (const p of projectionInputs(input.event)) {
    const t = touchedBy(p);
    const key = entityKey(t.kind, t.id);
    const { next, supersededBy } = projectInput(input.current.get(key) ?? null, p, input.receivedAt, {
      trustUntil,
    });
    if (supersededBy && p.mode === 'full')
      outcomes.push(supersededOutcome(p, supersededBy, input.receivedAt));
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
  return { changed: [...changed.values()], jobs, outcomes };
}

/** What the projection of an acknowledged event needs besides its stored body (kept with it in the queue). */
export interface ProjectionSettings {
  /** For each entity kind, the connectors that get a sync job when an entity of that kind changes. */
  jobConnectors: Partial<Record<EntityKind, readonly string[]>>;
  /** The clock skew its timestamp was checked with, or null (trusted). */
  clockSkewMs: number | null;
}

/** An acknowledged event waiting for its projection, as a store reads it back from its queue. */
export interface QueuedEvent {
  id: string;
  body: string;
  receivedAt: number;
  settings: ProjectionSettings;
}

/** Queued events parsed again, with every entity they touch (what a store loads before projecting). */
export interface ProjectionBatch {
  events: ReadonlyArray<{ event: ProjectedEvent; receivedAt: number; settings: ProjectionSettings }>;
  touched: Array<{ kind: EntityKind; id: string }>;
}

/**
 * Parses queued events from their stored bodies ({@link projectedFromStored}).
 * @throws SyncError PROJECTION_FAILED when a stored body is not an event
 */
export function parseBatch(queued: readonly QueuedEvent[]): ProjectionBatch {
  const events = queued.map((q) => ({
    event: projectedFromStored(q.id, q.body),
    receivedAt: q.receivedAt,
    settings: q.settings,
  }));
  const touched = new Map<string, { kind: EntityKind; id: string }>();
  for (const { event } of events)
    for (const t of entitiesTouched(event)) touched.set(entityKey(t.kind, t.id), t);
  return { events, touched: [...touched.values()] };
}

/**
 * Projects a batch in arrival order onto `current` (the stored snapshots of `batch.touched`,
 * updated in place), as one-by-one ingests would: each changed snapshot once, in its final state,
 * and the jobs (`runAt` their event's receipt) and ledger rows of every event, in order.
 */
export function projectBatch(
  batch: ProjectionBatch,
  current: Map<string, EntitySnapshot>,
): { changed: EntitySnapshot[]; jobs: FanOutJob[]; outcomes: OutcomeInput[] } {
  const changed = new Map<string, EntitySnapshot>();
  const jobs: FanOutJob[] = [];
  const outcomes: OutcomeInput[] = [];
  for (const { event, receivedAt, settings } of batch.events) {
    const outcome = projectEvent({
      event,
      current,
      jobConnectors: settings.jobConnectors,
      receivedAt,
      clockSkewMs: settings.clockSkewMs ?? undefined,
    });
    for (const snapshot of outcome.changed) changed.set(entityKey(snapshot.kind, snapshot.id), snapshot);
    jobs.push(...outcome.jobs);
    outcomes.push(...outcome.outcomes);
  }
  return { changed: [...changed.values()], jobs, outcomes };
}
