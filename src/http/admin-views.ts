import type { EntitySnapshot } from '../core/projection.ts';
import type { EntityKind } from '../growrk/types.ts';
import type { HeldChange, Job, Outcome, Run, Store, StoredEvent } from '../store/types.ts';

/**
 * What the console shows, read from the store: events sorted into the console's tabs, held
 * changes and dead jobs with the person (or asset) they concern, run summaries, and search. Pure
 * reads; nothing here writes.
 */

/** The console's event tabs. */
export const EVENT_VIEWS = ['all', 'succeeded', 'failed', 'held', 'rejected'] as const;
export type EventView = (typeof EVENT_VIEWS)[number];

/** Where an event stands, from its status, its jobs and the latest outcome per connector and entity. */
export type EventState = 'succeeded' | 'ignored' | 'pending' | 'failed' | 'held' | 'rejected';

/** An event as the console lists it (the stored body left out). */
export interface EventRow extends Omit<StoredEvent, 'body'> {
  state: EventState;
  /** Latest outcome per (connector, entity), counted by result. */
  outcomes: Record<string, number>;
}

/** Who or what an entity is, for people: a name and e-mail, or an asset's serial. */
export interface EntityLabel {
  kind: EntityKind;
  id: string;
  name: string | null;
  email: string | null;
  serial: string | null;
  status: string | null;
  /** For a product: the employee it is assigned to. */
  assignedTo: string | null;
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** The label of an entity snapshot (or of an id GroWrk has not described). */
export function labelOf(kind: EntityKind, id: string, snapshot: EntitySnapshot | null): EntityLabel {
  const data = (snapshot?.data ?? {}) as Record<string, unknown>;
  const joined = [text(data.firstName), text(data.lastName)].filter(Boolean).join(' ');
  const employee = (data.employee ?? {}) as Record<string, unknown>;
  return {
    kind,
    id,
    name: text(data.displayName) ?? (joined || null) ?? text(data.title),
    email: text(data.email),
    serial: text(data.serialNumber),
    status: text(data.status),
    assignedTo: text(employee.displayName) ?? text(employee.email) ?? text(employee.id),
  };
}

/** Latest outcome per (connector, entity); outcomes come in any order. */
function latestOutcomes(outcomes: readonly Outcome[]): Outcome[] {
  const latest = new Map<string, Outcome>();
  for (const o of outcomes) {
    const key = `${o.connector}|${o.kind}:${o.entityId}`;
    const seen = latest.get(key);
    if (!seen || o.at > seen.at || (o.at === seen.at && o.id > seen.id)) latest.set(key, o);
  }
  return [...latest.values()];
}

/** Sorts one event into a state (pure). */
export function eventState(
  event: StoredEvent,
  jobs: readonly Job[],
  outcomes: readonly Outcome[],
): EventState {
  if (event.status === 'rejected') return 'rejected';
  const latest = latestOutcomes(outcomes);
  if (
    jobs.some((j) => j.state === 'dead') ||
    latest.some((o) => o.result === 'failed' || o.result === 'dead')
  )
    return 'failed';
  if (latest.some((o) => o.result === 'held')) return 'held';
  if (jobs.some((j) => j.state === 'pending' || j.state === 'running')) return 'pending';
  return event.status === 'ignored' ? 'ignored' : 'succeeded';
}

function inView(state: EventState, view: EventView): boolean {
  if (view === 'all') return true;
  if (view === 'succeeded') return state === 'succeeded' || state === 'ignored';
  return state === view;
}

async function rowOf(store: Store, event: StoredEvent): Promise<EventRow> {
  const [jobs, outcomes] = await Promise.all([
    store.listJobs({ eventId: event.id }),
    store.listOutcomes({ eventId: event.id }),
  ]);
  const counts: Record<string, number> = {};
  for (const o of latestOutcomes(outcomes)) counts[o.result] = (counts[o.result] ?? 0) + 1;
  const { body: _body, ...meta } = event;
  return { ...meta, state: eventState(event, jobs, outcomes), outcomes: counts };
}

/** Events scanned at most per request when a tab filters on outcomes. */
const SCAN_LIMIT = 300;
const PAGE = 100;

/**
 * Newest events of a tab. Tabs other than `rejected` depend on outcomes, so events are read in
 * pages and sorted until `limit` match or {@link SCAN_LIMIT} were read; `next` is the cursor
 * (`before`) to read on from, or null at the end.
 */
export async function listEventRows(
  store: Store,
  query: { view: EventView; type?: string | undefined; before?: string | undefined; limit: number },
): Promise<{ events: EventRow[]; next: string | null }> {
  const rows: EventRow[] = [];
  let before = query.before;
  let scanned = 0;
  const status = query.view === 'rejected' ? 'rejected' : undefined;
  while (rows.length < query.limit && scanned < SCAN_LIMIT) {
    const page = await store.listEvents({ status, type: query.type, before, limit: PAGE });
    for (const row of await Promise.all(page.map((event) => rowOf(store, event)))) {
      scanned += 1;
      before = row.id;
      if (inView(row.state, query.view)) rows.push(row);
      if (rows.length >= query.limit) return { events: rows, next: row.id };
    }
    if (page.length < PAGE) return { events: rows, next: null };
  }
  return { events: rows, next: before ?? null };
}

/** A held change with the person or asset it concerns. */
export interface HeldRow extends HeldChange {
  subject: EntityLabel;
}

/** Held changes of a status, each with its subject. */
export async function listHeldRows(
  store: Store,
  filter: { status: HeldChange['status']; limit: number },
): Promise<HeldRow[]> {
  const held = await store.listHeld(filter);
  return Promise.all(
    held.map(async (h) => ({
      ...h,
      subject: labelOf(h.kind, h.entityId, await store.getEntity(h.kind, h.entityId)),
    })),
  );
}

/** A dead job with the person or asset it concerns. */
export interface DeadJobRow extends Job {
  subject: EntityLabel;
}

/** Job counts and the dead jobs, each with its subject. */
export async function jobsView(
  store: Store,
  limit: number,
): Promise<{ counts: Record<string, number>; dead: DeadJobRow[] }> {
  const [counts, dead] = await Promise.all([store.countJobs(), store.listJobs({ state: 'dead', limit })]);
  return {
    counts,
    dead: await Promise.all(
      dead.map(async (j) => ({
        ...j,
        subject: labelOf(j.kind, j.entityId, await store.getEntity(j.kind, j.entityId)),
      })),
    ),
  };
}

/** A run without its full plan: what the console lists. */
export interface RunSummary {
  id: string;
  connector: string | null;
  trigger: Run['trigger'];
  dryRun: boolean;
  startedAt: number;
  finishedAt: number | null;
  status: Run['status'];
  /** Plan counts (create, update, suspend, ...), when the run got that far. */
  plan: Record<string, number> | null;
  /** Result counts (applied, held, failed, ...). */
  results: Record<string, number> | null;
  /** The budget's sentence. */
  budget: string | null;
  errors: Run['errors'];
}

function counts(value: unknown): Record<string, number> | null {
  if (!value || typeof value !== 'object') return null;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(value)) if (typeof v === 'number') out[k] = v;
  return out;
}

/** The summary of a stored run (pure). */
export function runSummary(run: Run): RunSummary {
  const plan = (run.plan ?? {}) as { plan?: unknown; budget?: { explanation?: unknown } };
  const result = (run.result ?? {}) as { results?: unknown };
  const { plan: _plan, result: _result, ...meta } = run;
  return {
    ...meta,
    plan: counts(plan.plan),
    results: counts(result.results),
    budget: text(plan.budget?.explanation),
  };
}

/** One entity a search found, with what the console knows about it. */
export interface SearchHit {
  subject: EntityLabel;
  events: EventRow[];
  held: HeldChange[];
  deadJobs: Job[];
}

const SEARCH_PAGE = 1000;
const MAX_HITS = 20;
const EVENTS_SCANNED = 500;

function matches(snapshot: EntitySnapshot, needle: string): boolean {
  const data = snapshot.data as Record<string, unknown>;
  const employee = (data.employee ?? {}) as Record<string, unknown>;
  const values = [snapshot.id, data.email, data.secondaryEmail, data.serialNumber, employee.email];
  return values.some((v) => typeof v === 'string' && v.toLowerCase() === needle);
}

/**
 * Finds employees and products by GroWrk id, e-mail (work or secondary; for a product, the
 * assigned employee's) or serial number, exact and case-insensitive, with their recent events,
 * held changes and dead jobs.
 */
export async function search(store: Store, query: string): Promise<SearchHit[]> {
  const needle = query.trim().toLowerCase();
  if (!needle) return [];
  const found: EntitySnapshot[] = [];
  for (const kind of ['employee', 'product'] as const) {
    let afterId: string | undefined;
    for (;;) {
      const page = await store.listEntities(kind, { afterId, limit: SEARCH_PAGE });
      for (const snapshot of page) if (matches(snapshot, needle)) found.push(snapshot);
      if (page.length < SEARCH_PAGE || found.length >= MAX_HITS) break;
      afterId = page.at(-1)?.id;
    }
  }
  const hits = found.slice(0, MAX_HITS);
  if (hits.length === 0) return [];
  const [recent, held, dead] = await Promise.all([
    store.listEvents({ limit: EVENTS_SCANNED }),
    store.listHeld({ status: 'held', limit: 1000 }),
    store.listJobs({ state: 'dead', limit: 1000 }),
  ]);
  return Promise.all(
    hits.map(async (s) => {
      const key = `${s.kind}:${s.id}`;
      const events = recent.filter((e) => e.entityKeys.includes(key)).slice(0, 20);
      return {
        subject: labelOf(s.kind, s.id, s),
        events: await Promise.all(events.map((e) => rowOf(store, e))),
        held: held.filter((h) => h.kind === s.kind && h.entityId === s.id),
        deadJobs: dead.filter((j) => j.kind === s.kind && j.entityId === s.id),
      };
    }),
  );
}
