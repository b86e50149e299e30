/**
 * The plan phase of one connector: for each entity kind it syncs, index the projection's keys,
 * stream the target's listing page by page (each record is matched, planned with the connector's
 * own pure `plan`, and dropped), then plan the entities no record matched (actual = null). Plans
 * with ops go to the store page by page (`putRunItems`, replaced when a better match turns up),
 * never into memory: what stays in memory is the key index and counts, so memory is flat in the
 * size of the directory. Everything else is counted and sampled.
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
import type { RunItemInput, Store } from '../store/types.ts';
import type { LoadedConnector } from '../sync/runtime.ts';
import { labelOfKeys, SampleList } from './changes.ts';
import { indexProjection, type KeyIndex, PROJECTION_PAGE, projectionPages } from './projection-index.ts';
import type { KindListing, Sample } from './types.ts';

/** Progress of the plan phase, for a terminal. */
export interface PlanProgress {
  connector: string;
  kind: EntityKind;
  listed: number;
  pages: number;
}

/** What the plan phase found for one connector (its plans are in the store: `putRunItems`). */
export interface ConnectorPlan {
  connector: string;
  kinds: KindListing[];
  listingComplete: boolean;
  listingError: { code: string; message: string } | null;
  unknownTargets: Sample;
  withoutTarget: Sample;
  uncheckedMissing: number;
  /** Entities known only from references: matched or not, never planned (as on the event path). */
  referenceOnly: number;
  /** Entities with sync jobs pending or running: left to the event path, not planned here. */
  inFlight: number;
  notes: Sample;
  /** Plans that could not be made (a connector bug), as errors (the first few). */
  errors: Array<{ code: string; message: string }>;
}

/** Errors kept per connector (the rest are counted in the last one). */
const MAX_ERRORS = 50;

/** The order plans are applied in: plans of the same kind and op types next to each other. */
export function groupOf(plan: Plan): string {
  return `${plan.kind}:${[...new Set(plan.ops.map((op) => op.type))].sort().join(',')}`;
}

/** Where the plan phase keeps plans: the run's items in the store. */
export interface PlanSpool {
  /** Keeps (or drops, with a null plan) the plans of one page. */
  put(items: RunItemInput[]): Promise<void>;
  /** True when a plan counts against the destructive budget. */
  budgeted(plan: Plan): boolean;
}

/** Accumulates one connector's findings while its kinds are planned. */
interface Findings {
  listingComplete: boolean;
  listingError: { code: string; message: string } | null;
  unknownTargets: SampleList;
  withoutTarget: SampleList;
  uncheckedMissing: number;
  referenceOnly: number;
  notes: SampleList;
  errors: Array<{ code: string; message: string }>;
  failedPlans: number;
}

/** Plans every kind of one connector against its target's listing. */
export async function planConnector(input: {
  loaded: LoadedConnector;
  store: Store;
  spool: PlanSpool;
  signal?: AbortSignal | undefined;
  onProgress?: ((progress: PlanProgress) => void) | undefined;
}): Promise<ConnectorPlan> {
  const { loaded } = input;
  const result: Findings = {
    listingComplete: true,
    listingError: null,
    unknownTargets: new SampleList(),
    withoutTarget: new SampleList(),
    uncheckedMissing: 0,
    referenceOnly: 0,
    notes: new SampleList(),
    errors: [],
    failedPlans: 0,
  };
  const kinds = loaded.definition.kinds(loaded.ctx.config);
  const done = await Promise.all(kinds.map((kind) => planKind({ ...input, kind, result })));
  // An entity whose sync job is pending or running is the event path's: its job plans from a
  // fresher read, and two writers must not race on it (or take the budget twice).
  const busy = await entitiesInFlight(input.store, loaded.id);
  let inFlight = 0;
  for (const kind of done) {
    const dropped = kind.planned.dropBusy(busy, kind.listing.kind);
    inFlight += dropped.length;
    for (let i = 0; i < dropped.length; i += PROJECTION_PAGE) {
      await input.spool.put(
        dropped.slice(i, i + PROJECTION_PAGE).map((entityId) => ({
          kind: kind.listing.kind,
          entityId,
          group: '',
          plan: null,
          budgeted: false,
        })),
      );
    }
  }
  if (result.failedPlans > MAX_ERRORS) {
    result.errors.push({
      code: 'INTERNAL',
      message: `${loaded.id}: ${result.failedPlans - MAX_ERRORS} more plan(s) failed`,
    });
  }
  return {
    connector: loaded.id,
    kinds: done.map((k) => k.listing),
    listingComplete: result.listingComplete,
    listingError: result.listingError,
    unknownTargets: result.unknownTargets.toJSON(),
    withoutTarget: result.withoutTarget.toJSON(),
    uncheckedMissing: result.uncheckedMissing,
    referenceOnly: result.referenceOnly,
    inFlight,
    notes: result.notes.toJSON(),
    errors: result.errors,
  };
}

/** `kind:id` of every entity with a pending or running sync job of `connector`. */
export async function entitiesInFlight(store: Store, connector: string): Promise<Set<string>> {
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
  planned: PlannedSet;
}

/** Which entities of a kind have a plan in the store: one bit per entity of the key index. */
class PlannedSet {
  private bits = new Uint8Array(1024);
  private readonly index: KeyIndex;

  constructor(index: KeyIndex) {
    this.index = index;
  }

  set(ordinal: number, planned: boolean): void {
    if (ordinal >= this.bits.length) {
      const grown = new Uint8Array(Math.max(this.bits.length * 2, ordinal + 1));
      grown.set(this.bits);
      this.bits = grown;
    }
    this.bits[ordinal] = planned ? 1 : 0;
  }

  /** The planned entities among `busy` (`kind:id`), now no longer planned. */
  dropBusy(busy: ReadonlySet<string>, kind: EntityKind): string[] {
    if (busy.size === 0) return [];
    const dropped: string[] = [];
    this.index.forEachId((entityId, ordinal) => {
      if (this.bits[ordinal] === 1 && busy.has(`${kind}:${entityId}`)) {
        this.bits[ordinal] = 0;
        dropped.push(entityId);
      }
    });
    return dropped;
  }
}

async function planKind(input: {
  loaded: LoadedConnector;
  store: Store;
  spool: PlanSpool;
  kind: EntityKind;
  result: Findings;
  signal?: AbortSignal | undefined;
  onProgress?: ((progress: PlanProgress) => void) | undefined;
}): Promise<KindPlan> {
  const { loaded, store, kind, result, signal, spool } = input;
  const { definition, ctx } = loaded;
  const index = await indexProjection({ store, kind, keysOf: definition.keysOfDesired, signal });
  const listing: KindListing = { kind, listed: 0, pages: 0, projected: index.entities };
  const planned = new PlannedSet(index);
  let complete = true;

  const makePlan = (desired: Parameters<typeof definition.plan>[0]['desired'], actual: unknown) => {
    try {
      return definition.plan({ desired, actual, config: ctx.config });
    } catch (err) {
      const error = toSyncError(err);
      result.failedPlans += 1;
      if (result.errors.length < MAX_ERRORS) {
        result.errors.push({
          code: error.code,
          message: `${loaded.id}: planning ${kind} ${desired.id} failed: ${error.message}`,
        });
      }
      return null;
    }
  };
  /** The plans of the page being read, to the store in one call. */
  let page: RunItemInput[] = [];
  const keep = (plan: Plan | null, entityId: string, ordinal: number, replaces: boolean) => {
    if (!plan) return;
    if (plan.ops.length > 0) {
      page.push({ kind, entityId, group: groupOf(plan), plan, budgeted: spool.budgeted(plan) });
      planned.set(ordinal, true);
    } else {
      if (replaces) page.push({ kind, entityId, group: '', plan: null, budgeted: false });
      planned.set(ordinal, false);
      for (const note of plan.notes) result.notes.add(`${kind} ${entityId}: ${note}`);
    }
  };
  const flush = async () => {
    if (page.length === 0) return;
    const items = page;
    page = [];
    await spool.put(items);
  };

  try {
    for await (const records of definition.list(ctx, kind)) {
      signal?.throwIfAborted();
      listing.pages += 1;
      listing.listed += records.length;
      for (const actual of records) {
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
        const desired = await store.getEntity(kind, match.entityId);
        // A fingerprint that collided is no match: the entity must have the key itself.
        if (!desired || !definition.keysOfDesired(desired).includes(match.key)) {
          if (!desired) index.setMatched(match.ordinal, match.rank);
          else result.unknownTargets.add(labelOfKeys(keys));
          continue;
        }
        index.setMatched(match.ordinal, match.rank);
        if (!needsSync(desired)) {
          result.referenceOnly += 1;
          continue;
        }
        if (before !== null) {
          result.notes.add(
            `${kind} ${match.entityId}: more than one record matches; the one found by the most specific key (${labelOfKeys(keys)}) is kept in step`,
          );
        }
        keep(makePlan(desired, actual), match.entityId, match.ordinal, before !== null);
      }
      await flush();
      input.onProgress?.({ connector: loaded.id, kind, listed: listing.listed, pages: listing.pages });
    }
  } catch (err) {
    if (signal?.aborted) throw err;
    await flush();
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
    return { listing, planned };
  }
  for await (const entities of projectionPages(store, kind, signal)) {
    for (const desired of entities) {
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
      } else keep(plan, desired.id, ordinal, false);
    }
    await flush();
  }
  return { listing, planned };
}
