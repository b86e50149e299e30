import type { FastifyInstance } from 'fastify';
import { findOffboarding, offboardingView } from '../core/offboarding.ts';
import { SyncError } from '../errors.ts';
import type { Store } from '../store/types.ts';

function limitOf(value: unknown): number {
  const n = Number(value ?? 50);
  if (!Number.isInteger(n) || n <= 0 || n > 1000)
    throw new SyncError('BAD_REQUEST', 'limit must be 1 to 1000');
  return n;
}

/**
 * The offboarding timelines in the admin JSON API (behind the admin token, registered inside the
 * authenticated scope): `GET /api/offboardings?open=true&limit=&before=` and
 * `GET /api/offboardings/:id` (an offboarding id, or an employee id for their newest).
 */
export function registerOffboardingRoutes(api: FastifyInstance, store: Store): void {
  api.get('/api/offboardings', async (request) => {
    const q = request.query as Record<string, string | undefined>;
    if (q.open !== undefined && q.open !== 'true' && q.open !== 'false')
      throw new SyncError('BAD_REQUEST', 'open must be true or false');
    const records = await store.listOffboardings({
      ...(q.open === 'true' ? { status: 'open' } : {}),
      ...(q.before ? { before: q.before } : {}),
      limit: limitOf(q.limit),
    });
    return { offboardings: records.map(offboardingView) };
  });
  api.get('/api/offboardings/:id', async (request) => {
    const { id } = request.params as { id: string };
    const record = await findOffboarding(store, id);
    if (!record) throw new SyncError('NOT_FOUND', `no offboarding ${id}`);
    return { offboarding: offboardingView(record) };
  });
}
