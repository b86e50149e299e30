/**
 * The plan phase of one entity kind of one connector, in three passes that each hold one page in
 * memory, the rest being in the store:
 *
 * 1. index: the projection's lookup keys go into the run's key index (`indexRunKeys`: key -> first
 *    entity that has it, with the key's rank among the entity's keys);
 * 2. list: the target's listing is read page by page; each record is matched through the index
 *    (the most specific key wins; a record matching an entity a better one matched already is
 *    noted and left alone), planned with the connector's pure `plan`, and dropped;
 * 3. missing: the projection is read again and the entities no record matched are planned with no
 *    target record (actual = null).
 *
 * After each page its plans, its matches and this kind's state (the pass, where the listing and
 * the projection are, counts and samples) are kept at once (`putRunListPage`), so that a run that
 * stopped resumes after the last page it kept: a connector whose `list` gives a position goes on
 * from there; one that does not starts this kind over.
 *
 * A listing that fails on any page marks the kind incomplete; the entities no record matched are
 * then not planned at all (a partial read must never look like "missing").
 */
import type { ListPosition, Plan } from '../connector/types.ts';
import { needsSync } from '../core/projection.ts';
import { toSyncError } from '../errors.ts';
import type { EntityKind } from '../growrk/types.ts';
import type { RunItemInput, RunKeyMatch, Store } from '../store/types.ts';
import type { LoadedConnector } from '../sync/runtime.ts';
import { addToSample, emptySample, labelOfKeys } from './changes.ts';
import { projectionPages } from './projection-index.ts';
import type { KindListing, Sample } from './types.ts';

/** Errors kept per kind (the rest are counted). */
export const MAX_ERRORS = 50;

/** What the plan phase of one kind found so far (plain data: it is kept with each page). */
export interface KindFindings {
  listingError: { code: string; message: string } | null;
  unknownTargets: Sample;
  withoutTarget: Sample;
  uncheckedMissing: number;
  referenceOnly: number;
  notes: Sample;
  errors: Array<{ code: string; message: string }>;
  failedPlans: number;
}

/** Where the plan phase of one kind is, as kept in the store after each page. */
export interface KindState {
  pass: 'list' | 'missing' | 'done';
  listing: KindListing;
  /** The listing's position after the last page kept (null: from the start, or not resumable). */
  after: string | null;
  /** False once the connector's `list` gave no position: a stopped listing starts over. */
  resumable: boolean;
  /** The last entity of the missing pass kept, or null. */
  afterId: string | null;
  /** Entities some listed record matched. */
  matched: number;
  complete: boolean;
  findings: KindFindings;
}

/** Progress of the plan phase, for a terminal. */
export interface PlanProgress {
  connector: string;
  kind: EntityKind;
  listed: number;
  pages: number;
}

/** Where the plan phase keeps what it found (the run's tables in the store). */
export interface KindSpool {
  store: Store;
  runId: string;
  /** True when a plan counts against the destructive budget. */
  budgeted(plan: Plan): boolean;
}

/** The order plans are applied in: plans of the same kind and op types next to each other. */
export function groupOf(plan: Plan): string {
  return `${plan.kind}:${[...new Set(plan.ops.map((op) => op.type))].sort().join(',')}`;
}

function isKindState(value: unknown): value is KindState {
  return (
    typeof value === 'object' && value !== null && typeof (value as { pass?: unknown }).pass === 'string'
  );
}

/** Plans one kind of one connector (or the rest of it, after a stop); returns its final state. */
export async function planKind(input: {
  loaded: LoadedConnector;
  spool: KindSpool;
  kind: EntityKind;
  signal?: AbortSignal | undefined;
  /** Called after each listing page is kept (saves the run's counts, draws progress). */
  onPage?: ((progress: PlanProgress) => Promise<void>) | undefined;
}): Promise<KindState> {
  const { loaded, spool, kind } = input;
  const { store, runId } = spool;
  const kept = await store.getRunListState(runId, loaded.id, kind);
  let state: KindState;
  if (isKindState(kept) && (kept.pass !== 'list' || kept.resumable || kept.listing.pages === 0)) {
    state = kept;
  } else {
    // New, stopped while indexing (the index is kept again, in the same order: no change), or a
    // listing that cannot resume: this kind starts over.
    if (kept !== null) await store.resetRunKind(runId, loaded.id, kind);
    state = await indexKind(input);
  }
  const planner = new KindPlanner(input, state);
  if (state.pass === 'list') await planner.list();
  if (state.pass === 'missing') await planner.missing();
  return state;
}

/** Pass 1: the projection's keys into the run's key index. */
async function indexKind(input: {
  loaded: LoadedConnector;
  spool: KindSpool;
  kind: EntityKind;
  signal?: AbortSignal | undefined;
}): Promise<KindState> {
  const { loaded, spool, kind } = input;
  let projected = 0;
  for await (const page of projectionPages(spool.store, kind, input.signal)) {
    await spool.store.indexRunKeys(
      spool.runId,
      loaded.id,
      kind,
      page.map((e) => ({ entityId: e.id, keys: loaded.definition.keysOfDesired(e) })),
    );
    projected += page.length;
  }
  const state: KindState = {
    pass: 'list',
    listing: { kind, listed: 0, pages: 0, projected },
    after: null,
    resumable: true,
    afterId: null,
    matched: 0,
    complete: true,
    findings: {
      listingError: null,
      unknownTargets: emptySample(),
      withoutTarget: emptySample(),
      uncheckedMissing: 0,
      referenceOnly: 0,
      notes: emptySample(),
      errors: [],
      failedPlans: 0,
    },
  };
  await spool.store.putRunListPage(spool.runId, loaded.id, kind, { items: [], matched: [], state });
  return state;
}

/** Passes 2 and 3 of one kind, over `state` (updated in place). */
class KindPlanner {
  private readonly input: Parameters<typeof planKind>[0];
  private readonly state: KindState;
  /** The plans of the page being read. */
  private page: RunItemInput[] = [];

  constructor(input: Parameters<typeof planKind>[0], state: KindState) {
    this.input = input;
    this.state = state;
  }

  private get findings(): KindFindings {
    return this.state.findings;
  }

  private makePlan(
    desired: Parameters<LoadedConnector['definition']['plan']>[0]['desired'],
    actual: unknown,
  ) {
    const { loaded, kind } = this.input;
    try {
      return loaded.definition.plan({ desired, actual, config: loaded.ctx.config });
    } catch (err) {
      const error = toSyncError(err);
      this.findings.failedPlans += 1;
      if (this.findings.errors.length < MAX_ERRORS) {
        this.findings.errors.push({
          code: error.code,
          message: `${loaded.id}: planning ${kind} ${desired.id} failed: ${error.message}`,
        });
      }
      return null;
    }
  }

  /** Keeps a plan with ops (or, when it replaces an earlier plan of the entity, drops that one). */
  private keep(plan: Plan | null, entityId: string, replaces: boolean): void {
    if (!plan) return;
    const kind = this.input.kind;
    if (plan.ops.length > 0) {
      this.page.push({
        kind,
        entityId,
        group: groupOf(plan),
        plan,
        budgeted: this.input.spool.budgeted(plan),
      });
    } else {
      if (replaces) this.page.push({ kind, entityId, group: '', plan: null, budgeted: false });
      for (const note of plan.notes) addToSample(this.findings.notes, `${kind} ${entityId}: ${note}`);
    }
  }

  /** Keeps the page's plans and matches with the state, at once. */
  private async flush(matched: ReadonlyMap<string, number>): Promise<void> {
    const { loaded, kind, spool } = this.input;
    const items = this.page;
    this.page = [];
    await spool.store.putRunListPage(spool.runId, loaded.id, kind, {
      items,
      matched: [...matched].map(([entityId, rank]) => ({ entityId, rank })),
      state: this.state,
    });
  }

  /** Pass 2: the listing, page by page, from where it got. */
  async list(): Promise<void> {
    const { loaded, kind, signal } = this.input;
    const { state } = this;
    const position: ListPosition = { after: state.after };
    const pages = loaded.definition.list(loaded.ctx, kind, position)[Symbol.asyncIterator]();
    try {
      for (;;) {
        // Before asking for the next page: a run told to stop lists nothing it will not keep.
        signal?.throwIfAborted();
        const next = await pages.next();
        if (next.done) break;
        const records = next.value;
        state.listing.pages += 1;
        state.listing.listed += records.length;
        const matched = await this.matchPage(records);
        if (position.next === undefined) state.resumable = false;
        else state.after = position.next;
        position.next = undefined;
        await this.flush(matched);
        await this.input.onPage?.({
          connector: loaded.id,
          kind,
          listed: state.listing.listed,
          pages: state.listing.pages,
        });
      }
    } catch (err) {
      if (signal?.aborted) {
        await pages.return?.();
        throw err;
      }
      const error = toSyncError(err);
      state.complete = false;
      this.findings.listingError = {
        code: error.code,
        message: `${loaded.id}: listing ${kind} failed after ${state.listing.pages} page(s): ${error.message}`,
      };
      // Not listed is not missing: nothing is planned for entities the partial listing did not reach.
      this.findings.uncheckedMissing += Math.max(0, state.listing.projected - state.matched);
      state.pass = 'done';
      await this.flush(new Map());
      return;
    }
    state.pass = 'missing';
    await this.flush(new Map());
  }

  /** Matches and plans one page of listed records; returns the entities matched (id -> rank). */
  private async matchPage(records: readonly unknown[]): Promise<Map<string, number>> {
    const { loaded, kind, spool } = this.input;
    const { definition } = loaded;
    const keysOf = records.map((actual) => definition.keysOfActual(actual));
    const index = new Map<string, RunKeyMatch>();
    for (const m of await spool.store.matchRunKeys(spool.runId, loaded.id, kind, [
      ...new Set(keysOf.flat()),
    ])) {
      index.set(m.key, m);
    }
    /** Entities matched in this page: id -> rank (over the index's ranks, which are the page's start). */
    const matched = new Map<string, number>();
    const setMatched = (entityId: string, rank: number, before: number | null) => {
      if (before === null) this.state.matched += 1;
      matched.set(entityId, rank);
    };
    for (const [i, actual] of records.entries()) {
      const keys = keysOf[i]!;
      const key = keys.find((k) => index.has(k));
      if (key === undefined) {
        addToSample(this.findings.unknownTargets, labelOfKeys(keys));
        continue;
      }
      const match = index.get(key)!;
      const before = matched.get(match.entityId) ?? match.matchedRank;
      if (before !== null && before <= match.rank) {
        addToSample(
          this.findings.notes,
          `${kind} ${match.entityId}: ${labelOfKeys(keys)} also matches this entity; only one record is kept in step, this one is not changed`,
        );
        continue;
      }
      const desired = await spool.store.getEntity(kind, match.entityId);
      // The entity changed since it was indexed: it must still have the key itself.
      if (!desired || !definition.keysOfDesired(desired).includes(key)) {
        if (!desired) setMatched(match.entityId, match.rank, before);
        else addToSample(this.findings.unknownTargets, labelOfKeys(keys));
        continue;
      }
      setMatched(match.entityId, match.rank, before);
      if (!needsSync(desired)) {
        this.findings.referenceOnly += 1;
        continue;
      }
      if (before !== null) {
        addToSample(
          this.findings.notes,
          `${kind} ${match.entityId}: more than one record matches; the one found by the most specific key (${labelOfKeys(keys)}) is kept in step`,
        );
      }
      this.keep(this.makePlan(desired, actual), match.entityId, before !== null);
    }
    return matched;
  }

  /** Pass 3: the entities no listed record matched, page by page, from where it got. */
  async missing(): Promise<void> {
    const { loaded, kind, spool, signal } = this.input;
    const { state } = this;
    for await (const entities of projectionPages(spool.store, kind, signal, state.afterId)) {
      const indexed = new Map<string, number | null>();
      for (const e of await spool.store.runKeyEntities(
        spool.runId,
        loaded.id,
        kind,
        entities.map((e) => e.id),
      )) {
        indexed.set(e.entityId, e.matchedRank);
      }
      for (const desired of entities) {
        // Entities that arrived after the index was built are left to their own sync jobs.
        if (indexed.get(desired.id) !== null) continue;
        if (!needsSync(desired)) {
          this.findings.referenceOnly += 1;
          continue;
        }
        const plan = this.makePlan(desired, null);
        if (plan && plan.ops.length === 0) {
          addToSample(
            this.findings.withoutTarget,
            `${desired.id}${plan.notes[0] ? ` (${plan.notes[0]})` : ''}`,
          );
        } else this.keep(plan, desired.id, false);
      }
      state.afterId = entities[entities.length - 1]!.id;
      await this.flush(new Map());
    }
    state.pass = 'done';
    await this.flush(new Map());
  }
}
