import type { FastifyInstance } from 'fastify';
import { SyncError } from '../errors.ts';
import type { EntityKind } from '../growrk/types.ts';
import type { EventStatus, HeldChange, Store } from '../store/types.ts';
import { decideHeldChange } from '../sync/held.ts';
import { type AdminThrottle, adminGuard, singleQueryParams } from './admin-auth.ts';
import { registerOffboardingRoutes } from './admin-offboardings.ts';
import { registerConsolePage } from './admin-page.ts';
import {
  EVENT_VIEWS,
  type EventView,
  jobsView,
  labelOf,
  listEventRows,
  listHeldRows,
  runSummary,
  search,
} from './admin-views.ts';

/** What the admin API needs. */
export interface AdminDeps {
  store: Store;
  /** The bearer token (ADMIN_TOKEN); the routes exist only when it is set. */
  token: string;
  enabledConnectors: readonly string[];
  /** Failed-token throttling per client address (default {@link DEFAULT_ADMIN_THROTTLE}). */
  throttle?: AdminThrottle | undefined;
}

const EVENT_STATUSES: EventStatus[] = ['accepted', 'ignored', 'rejected'];
const HELD_STATUSES: HeldChange['status'][] = ['held', 'approved', 'rejected', 'applied'];

function limitOf(value: unknown, fallback: number): number {
  const n = Number(value ?? fallback);
  if (!Number.isInteger(n) || n <= 0 || n > 1000)
    throw new SyncError('BAD_REQUEST', 'limit must be 1 to 1000');
  return n;
}

function oneOf<T extends string>(
  value: string | undefined,
  allowed: readonly T[],
  name: string,
): T | undefined {
  if (value === undefined) return undefined;
  if (!allowed.includes(value as T))
    throw new SyncError('BAD_REQUEST', `${name} must be one of ${allowed.join(', ')}`);
  return value as T;
}

/** The event routes: tabs, one event with its jobs and outcomes, replay. */
function eventRoutes(api: FastifyInstance, deps: AdminDeps): void {
  const { store } = deps;
  api.get('/api/events', async (request) => {
    const q = request.query as Record<string, string | undefined>;
    const limit = limitOf(q.limit, 50);
    const status = oneOf(q.status, EVENT_STATUSES, 'status');
    const view = oneOf<EventView>(q.view, EVENT_VIEWS, 'view');
    if (view || !status)
      return listEventRows(store, { view: view ?? 'all', type: q.type, before: q.before, limit });
    const events = await store.listEvents({ status, type: q.type, before: q.before, limit });
    return { events: events.map(({ body: _body, ...meta }) => meta) };
  });
  api.get('/api/events/:id', async (request) => {
    const { id } = request.params as { id: string };
    const event = await store.getEvent(id);
    if (!event) throw new SyncError('NOT_FOUND', `no event ${id}`);
    const [jobs, outcomes, subjects] = await Promise.all([
      store.listJobs({ eventId: id }),
      store.listOutcomes({ eventId: id }),
      Promise.all(
        event.entityKeys.map(async (key) => {
          const [kind, ...rest] = key.split(':') as [EntityKind, ...string[]];
          const entityId = rest.join(':');
          return labelOf(kind, entityId, await store.getEntity(kind, entityId));
        }),
      ),
    ]);
    return { event, jobs, outcomes, subjects };
  });
  api.post('/api/events/:id/replay', async (request) => {
    const { id } = request.params as { id: string };
    if (!(await store.getEvent(id))) throw new SyncError('NOT_FOUND', `no event ${id}`);
    return { queued: await store.replay({ eventId: id, connectors: deps.enabledConnectors }, Date.now()) };
  });
}

/** Jobs: counts, dead jobs, replay of one or every dead job. */
function jobRoutes(api: FastifyInstance, deps: AdminDeps): void {
  const { store } = deps;
  api.get('/api/jobs', async () => jobsView(store, 100));
  api.post('/api/jobs/replay-dead', async () => ({
    queued: await store.replay({ deadJobs: true }, Date.now()),
  }));
  api.post('/api/jobs/:id/replay', async (request, reply) => {
    const { id } = request.params as { id: string };
    const job = await store.getJob(id);
    if (!job) throw new SyncError('NOT_FOUND', `no job ${id}`);
    if (job.state !== 'dead')
      return reply
        .code(409)
        .send({ error: { code: 'BAD_REQUEST', message: `${id} is ${job.state}, not dead` } });
    return { queued: await store.replay({ deadJobs: true, jobIds: [id] }, Date.now()) };
  });
}

/** Held changes: list with their subject, approve, reject. */
function heldRoutes(api: FastifyInstance, deps: AdminDeps): void {
  api.get('/api/held', async (request) => {
    const q = request.query as Record<string, string | undefined>;
    const status = oneOf(q.status, HELD_STATUSES, 'status') ?? 'held';
    return { held: await listHeldRows(deps.store, { status, limit: limitOf(q.limit, 100) }) };
  });
  for (const decision of ['approve', 'reject'] as const) {
    api.post(`/api/held/:id/${decision}`, async (request, reply) => {
      const { id } = request.params as { id: string };
      const result = await decideHeldChange(deps.store, id, decision, 'admin-api', deps.enabledConnectors);
      if (!result.ok)
        return reply.code(result.status === null ? 404 : 409).send({
          error: { code: result.status === null ? 'NOT_FOUND' : 'BAD_REQUEST', message: result.message },
        });
      return result;
    });
  }
}

/**
 * The admin console (`GET /admin`, a page that asks for the token, with its script and styles) and
 * its JSON API under `/api/*` (bearer ADMIN_TOKEN). It shows what is stored, nothing more: events
 * (as stored, with sensitive fields already removed) sorted into tabs, their jobs and outcomes,
 * dead jobs, held changes with the person they concern, reconciliation runs, and search.
 */
export function registerAdmin(app: FastifyInstance, deps: AdminDeps): void {
  const { store } = deps;
  registerConsolePage(app);
  app.register(async (api) => {
    api.addHook('onRequest', adminGuard(deps.token, deps.throttle));
    api.addHook('preValidation', singleQueryParams);
    eventRoutes(api, deps);
    jobRoutes(api, deps);
    heldRoutes(api, deps);
    registerOffboardingRoutes(api, deps.store);
    api.get('/api/runs', async (request) => {
      const q = request.query as Record<string, string | undefined>;
      return { runs: (await store.listRuns(limitOf(q.limit, 20))).map(runSummary) };
    });
    api.get('/api/runs/:id', async (request) => {
      const { id } = request.params as { id: string };
      const run = await store.getRun(id);
      if (!run) throw new SyncError('NOT_FOUND', `no run ${id}`);
      return { run };
    });
    api.get('/api/search', async (request) => {
      const q = (request.query as Record<string, string | undefined>).q ?? '';
      if (q.trim() === '')
        throw new SyncError('BAD_REQUEST', 'q is required: an employee id, e-mail or serial');
      return { query: q, hits: await search(store, q) };
    });
  });
}
