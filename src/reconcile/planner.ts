/**
 * The plan phase of one connector: for each entity kind it syncs, index the projection's keys,
 * stream the target's listing page by page (each record is matched, planned with the connector's
 * own pure `plan`, and dropped), then plan the entities no record matched (actual = null). Only
 * plans with ops are kept; everything else is counted and sampled.
 *
 * The kinds of one connector are listed at the same time (HubSpot's contacts go through the search
 * limit, its assets through the portal limit: overlapping them halves the wall time).
 *
 * A listing that fails on any page marks the connector's listing incomplete; the entities of that
 * kind no record matched are then not planned at all (a partial read must never look like
 * "missing").
 */
import type { Plan } from '../connector/types.ts';
import { needsSync } from '../core/projection.ts';
import { toSyncError } from '../errors.ts';
import type { EntityKind } from '../growrk/types.ts';
import type { Store } from '../store/types.ts';
import type { LoadedConnector } from '../sync/runtime.ts';
import { labelOfKeys, SampleList } from './changes.ts';
import { indexProjection, projectionPages } from './projection-index.ts';
import type { KindListing } from './types.ts';

/** Progress of the plan phase, for a terminal. */
export interface PlanProgress {
  connector: string;
  kind: EntityKind;
  listed: number;
  pages: number;
}

/** What the plan phase found for one connector. */
export interface ConnectorPlan {
  connector: string;
  /** Plans with ops, in the order found. */
  plans: Plan[];
  kinds: KindListing[];
  listingComplete: boolean;
  listingError: { code: string; message: string } | null;
  unknownTargets: SampleList;
  withoutTarget: SampleList;
  uncheckedMissing: number;
  /** Entities known only from references: matched or not, never planned (as on the event path). */
  referenceOnly: number;
  /** Entities with sync jobs pending or running: left to the event path, not planned here. */
  inFlight: number;
  notes: SampleList;
  /** Plans that could not be made (a connector bug), as errors. */
  errors: Array<{ code: string; message: string }>;
}

/** Plans every kind of one connector against its target's listing. */
export async function planConnector(input: {
  loaded: LoadedConnector;
  store: Store;
  signal?: AbortSignal | undefined;
  onProgress?: ((progress: PlanProgress) => void) | undefined;
}): Promise<ConnectorPlan> {
  const { loaded } = input;
  const result: ConnectorPlan = {
    connector: loaded.id,
    plans: [],
    kinds: [],
    listingComplete: true,
    listingError: null,
    unknownTargets: new SampleList(),
    withoutTarget: new SampleList(),
    uncheckedMissing: 0,
    referenceOnly: 0,
    inFlight: 0,
    notes: new SampleList(),
    errors: [],
  };
  const kinds = loaded.definition.kinds(loaded.ctx.config);
  const done = await Promise.all(kinds.map((kind) => planKind({ ...input, kind, result })));
  // An entity whose sync job is pending or running is the event path's: its job plans from a
  // fresher read, and two writers must not race on it (or take the budget twice).
  const busy = await entitiesInFlight(input.store, loaded.id);
  for (const kind of done) {
    result.kinds.push(kind.listing);
    for (const plan of kind.plans) {
      if (busy.has(`${plan.kind}:${plan.entityId}`)) result.inFlight += 1;
      else result.plans.push(plan);
    }
  }
  return result;
}

/** `kind:id` of every entity with a pending or running sync job of `connector`. */
async function entitiesInFlight(store: Store, connector: string): Promise<Set<string>> {
  const busy = new Set<string>();
  for (const state of ['pending', 'running'] as const) {
    for (const job of await store.listJobs({ state, limit: 1_000_000 })) {
      if (job.connector === connector) busy.add(`${job.kind}:${job.entityId}`);
    }
  }
  return busy;
}

/** What the plan phase found for one kind. */
interface KindPlan {
  listing: KindListing;
  plans: Plan[];
}

async function planKind(input: {
  loaded: LoadedConnector;
  store: Store;
  kind: EntityKind;
  result: ConnectorPlan;
  signal?: AbortSignal | undefined;
  onProgress?: ((progress: PlanProgress) => void) | undefined;
}): Promise<KindPlan> {
  const { loaded, store, kind, result, signal } = input;
  const { definition, ctx } = loaded;
  const index = await indexProjection({ store, kind, keysOf: definition.keysOfDesired, signal });
  const listing: KindListing = { kind, listed: 0, pages: 0, projected: index.entities };
  let complete = true;
  /** Plans with ops of this kind, by entity id (a better match found later replaces one). */
  const plans = new Map<string, Plan>();

  const makePlan = (desired: Parameters<typeof definition.plan>[0]['desired'], actual: unknown) => {
    try {
      return definition.plan({ desired, actual, config: ctx.config });
    } catch (err) {
      const error = toSyncError(err);
      result.errors.push({
        code: error.code,
        message: `${loaded.id}: planning ${kind} ${desired.id} failed: ${error.message}`,
      });
      return null;
    }
  };
  const keep = (plan: Plan | null, entityId: string) => {
    if (!plan) return;
    if (plan.ops.length > 0) plans.set(entityId, plan);
    else {
      plans.delete(entityId);
      for (const note of plan.notes) result.notes.add(`${kind} ${entityId}: ${note}`);
    }
  };

  try {
    for await (const page of definition.list(ctx, kind)) {
      signal?.throwIfAborted();
      listing.pages += 1;
      listing.listed += page.length;
      for (const actual of page) {
        const keys = definition.keysOfActual(actual);
        const match = index.match(keys);
        if (!match) {
          result.unknownTargets.add(labelOfKeys(keys));
          continue;
        }
        const before = index.matchedRank(match.ordinal);
        if (before !== null && before <= match.rank) {
          result.notes.add(
            `${kind} ${match.entityId}: ${labelOfKeys(keys)} also matches this entity; only one record is kept in step, this one is not changed`,
          );
          continue;
        }
        index.setMatched(match.ordinal, match.rank);
        const desired = await store.getEntity(kind, match.entityId);
        if (!desired) continue;
        if (!needsSync(desired)) {
          result.referenceOnly += 1;
          continue;
        }
        if (before !== null) {
          result.notes.add(
            `${kind} ${match.entityId}: more than one record matches; the one found by the most specific key (${labelOfKeys(keys)}) is kept in step`,
          );
        }
        keep(makePlan(desired, actual), match.entityId);
      }
      input.onProgress?.({ connector: loaded.id, kind, listed: listing.listed, pages: listing.pages });
    }
  } catch (err) {
    if (signal?.aborted) throw err;
    const error = toSyncError(err);
    complete = false;
    result.listingComplete = false;
    result.listingError ??= {
      code: error.code,
      message: `${loaded.id}: listing ${kind} failed after ${listing.pages} page(s): ${error.message}`,
    };
  }

  if (!complete) {
    // Not listed is not missing: nothing is planned for entities the partial listing did not reach.
    result.uncheckedMissing += Math.max(0, index.entities - index.matched);
    return { listing, plans: [...plans.values()] };
  }
  for await (const page of projectionPages(store, kind, signal)) {
    for (const desired of page) {
      // Entities that arrived after the index was built are left to their own sync jobs.
      const ordinal = index.ordinalOf(desired.id, definition.keysOfDesired(desired));
      if (ordinal === null || index.matchedRank(ordinal) !== null) continue;
      if (!needsSync(desired)) {
        result.referenceOnly += 1;
        continue;
      }
      const plan = makePlan(desired, null);
      if (plan && plan.ops.length === 0) {
        result.withoutTarget.add(`${desired.id}${plan.notes[0] ? ` (${plan.notes[0]})` : ''}`);
      } else keep(plan, desired.id);
    }
  }
  return { listing, plans: [...plans.values()] };
}
