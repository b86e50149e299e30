/**
 * The plan phase of one connector: each entity kind it syncs is planned against its target's
 * listing (`plan-kind.ts`: index the projection's keys in the store, stream the listing page by
 * page, then plan the entities no record matched), its plans going to the store page by page
 * (`putRunListPage`), never into memory: memory holds a page and counts, whatever the size of the
 * directory, and a run that stopped resumes after the last page it kept. Then the plans of
 * entities whose sync jobs are in flight are dropped (the event path's), and the findings of the
 * kinds are put together.
 *
 * The kinds of one connector are listed at the same time (HubSpot's contacts go through the search
 * limit, its assets through the portal limit: overlapping them halves the wall time).
 */
import type { EntityKind } from '../growrk/types.ts';
import type { Store } from '../store/types.ts';
import type { LoadedConnector } from '../sync/runtime.ts';
import { emptySample, mergeSample } from './changes.ts';
import { type KindSpool, MAX_ERRORS, type PlanProgress, planKind } from './plan-kind.ts';
import { PROJECTION_PAGE } from './projection-index.ts';
import type { KindListing, Sample } from './types.ts';

export { groupOf, type KindSpool, type PlanProgress } from './plan-kind.ts';

/** What the plan phase found for one connector (its plans are in the store: the run's items). */
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

/** Plans every kind of one connector against its target's listing (or the rest, after a stop). */
export async function planConnector(input: {
  loaded: LoadedConnector;
  spool: KindSpool;
  signal?: AbortSignal | undefined;
  /** Called after each listing page is kept (saves the run's counts, draws progress). */
  onPage?: ((progress: PlanProgress) => Promise<void>) | undefined;
}): Promise<ConnectorPlan> {
  const { loaded, spool } = input;
  const kinds = loaded.definition.kinds(loaded.ctx.config);
  const done = await Promise.all(kinds.map((kind) => planKind({ ...input, kind })));
  // An entity whose sync job is pending or running is the event path's: its job plans from a
  // fresher read, and two writers must not race on it (or take the budget twice).
  const busy = [...(await entitiesInFlight(spool.store, loaded.id))].flatMap((key) => {
    const at = key.indexOf(':');
    const kind = key.slice(0, at) as EntityKind;
    return kinds.includes(kind) ? [{ kind, entityId: key.slice(at + 1) }] : [];
  });
  let inFlight = 0;
  for (let i = 0; i < busy.length; i += PROJECTION_PAGE) {
    inFlight += await spool.store.dropRunItems(spool.runId, loaded.id, busy.slice(i, i + PROJECTION_PAGE));
  }
  const plan: ConnectorPlan = {
    connector: loaded.id,
    kinds: done.map((k) => k.listing),
    listingComplete: done.every((k) => k.complete),
    listingError: done.find((k) => k.findings.listingError)?.findings.listingError ?? null,
    unknownTargets: emptySample(),
    withoutTarget: emptySample(),
    uncheckedMissing: 0,
    referenceOnly: 0,
    inFlight,
    notes: emptySample(),
    errors: [],
  };
  let failedPlans = 0;
  for (const { findings } of done) {
    mergeSample(plan.unknownTargets, findings.unknownTargets);
    mergeSample(plan.withoutTarget, findings.withoutTarget);
    mergeSample(plan.notes, findings.notes);
    plan.uncheckedMissing += findings.uncheckedMissing;
    plan.referenceOnly += findings.referenceOnly;
    failedPlans += findings.failedPlans;
    plan.errors.push(...findings.errors.slice(0, MAX_ERRORS - plan.errors.length));
  }
  if (failedPlans > plan.errors.length) {
    plan.errors.push({
      code: 'INTERNAL',
      message: `${loaded.id}: ${failedPlans - plan.errors.length} more plan(s) failed`,
    });
  }
  return plan;
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
