import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SyncError } from '../errors.ts';
import type { EventStatus, HeldChange, Store } from '../store/types.ts';
import { decideHeldChange } from '../sync/held.ts';
import { ADMIN_PAGE } from './admin-page.ts';
import { sendError } from './errors.ts';

/** What the admin API needs. */
export interface AdminDeps {
  store: Store;
  /** The bearer token (ADMIN_TOKEN); the routes exist only when it is set. */
  token: string;
  enabledConnectors: readonly string[];
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header?.startsWith('Bearer ') ? header.slice(7) : '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const EVENT_STATUSES: EventStatus[] = ['accepted', 'ignored', 'rejected'];
const HELD_STATUSES: HeldChange['status'][] = ['held', 'approved', 'rejected', 'applied'];

function limitOf(value: unknown, fallback: number): number {
  const n = Number(value ?? fallback);
  if (!Number.isInteger(n) || n <= 0 || n > 1000)
    throw new SyncError('BAD_REQUEST', 'limit must be 1 to 1000');
  return n;
}

/**
 * The admin page (`GET /admin`, a static page that asks for the token) and its JSON API under
 * `/api/*` (bearer ADMIN_TOKEN). It shows what is stored, nothing more: events (as stored, with
 * sensitive fields already removed), their jobs and outcomes, held changes, reconciliation runs.
 */
export function registerAdmin(app: FastifyInstance, deps: AdminDeps): void {
  const { store } = deps;
  app.get('/admin', async (_request, reply) => reply.type('text/html; charset=utf-8').send(ADMIN_PAGE));
  app.register(async (api) => {
    api.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      if (!tokenMatches(request.headers.authorization, deps.token)) {
        return sendError(reply, new SyncError('UNAUTHORIZED'));
      }
    });
    api.get('/api/events', async (request) => {
      const q = request.query as Record<string, string | undefined>;
      if (q.status !== undefined && !EVENT_STATUSES.includes(q.status as EventStatus)) {
        throw new SyncError('BAD_REQUEST', `status must be one of ${EVENT_STATUSES.join(', ')}`);
      }
      const events = await store.listEvents({
        status: q.status as EventStatus | undefined,
        type: q.type,
        before: q.before,
        limit: limitOf(q.limit, 50),
      });
      return { events: events.map(({ body: _body, ...meta }) => meta) };
    });
    api.get('/api/events/:id', async (request) => {
      const { id } = request.params as { id: string };
      const event = await store.getEvent(id);
      if (!event) throw new SyncError('NOT_FOUND', `no event ${id}`);
      const [jobs, outcomes] = await Promise.all([
        store.listJobs({ eventId: id }),
        store.listOutcomes({ eventId: id }),
      ]);
      return { event, jobs, outcomes };
    });
    api.post('/api/events/:id/replay', async (request) => {
      const { id } = request.params as { id: string };
      if (!(await store.getEvent(id))) throw new SyncError('NOT_FOUND', `no event ${id}`);
      return { queued: await store.replay({ eventId: id, connectors: deps.enabledConnectors }, Date.now()) };
    });
    api.get('/api/jobs', async () => ({
      counts: await store.countJobs(),
      dead: await store.listJobs({ state: 'dead', limit: 100 }),
    }));
    api.get('/api/held', async (request) => {
      const q = request.query as Record<string, string | undefined>;
      const status = (q.status ?? 'held') as HeldChange['status'];
      if (!HELD_STATUSES.includes(status))
        throw new SyncError('BAD_REQUEST', `status must be one of ${HELD_STATUSES.join(', ')}`);
      return { held: await store.listHeld({ status, limit: limitOf(q.limit, 100) }) };
    });
    for (const decision of ['approve', 'reject'] as const) {
      api.post(`/api/held/:id/${decision}`, async (request, reply) => {
        const { id } = request.params as { id: string };
        const result = await decideHeldChange(store, id, decision, 'admin-api', deps.enabledConnectors);
        if (!result.ok)
          return reply.code(result.status === null ? 404 : 409).send({
            error: { code: result.status === null ? 'NOT_FOUND' : 'BAD_REQUEST', message: result.message },
          });
        return result;
      });
    }
    api.get('/api/runs', async (request) => {
      const q = request.query as Record<string, string | undefined>;
      return { runs: await store.listRuns(limitOf(q.limit, 20)) };
    });
  });
}
