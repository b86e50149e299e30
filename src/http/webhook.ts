import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebhookReceiver } from '../core/ingest.ts';
import type { Metrics } from '../metrics.ts';
import { type BodyBudget, readBodyWithin } from './body-budget.ts';
import { sendError } from './errors.ts';

/**
 * `POST /webhooks/growrk`. The body is read as raw bytes whatever its content type, because the
 * signature covers the exact bytes; it is parsed only after the signature checks out. While it is
 * read and verified its bytes count against `budget` (given back when the answer is sent or the
 * connection drops).
 */
export function registerWebhookRoute(
  app: FastifyInstance,
  deps: { ingestor: WebhookReceiver; metrics: Metrics; bodyLimit: number; budget: BodyBudget },
): void {
  const reservations = new WeakMap<FastifyRequest, { bytes: number }>();
  app.register(async (scope) => {
    scope.addHook('onRequest', async (request, reply) => {
      const reservation = { bytes: 0 };
      reservations.set(request, reservation);
      reply.raw.once('close', () => {
        deps.budget.give(reservation.bytes);
        reservation.bytes = 0;
      });
    });
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', async (request: FastifyRequest, payload: NodeJS.ReadableStream) => {
      const reservation = reservations.get(request) ?? { bytes: 0 };
      return readBodyWithin(payload as FastifyRequest['raw'], deps.budget, deps.bodyLimit, reservation);
    });
    scope.post('/webhooks/growrk', { bodyLimit: deps.bodyLimit }, async (request, reply) => {
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const header = request.headers['x-growrk-signature'];
      const signature = Array.isArray(header) ? header[0] : header;
      const outcome = await deps.ingestor.receive(raw, signature);
      if (outcome.ok) {
        const { result } = outcome;
        const label = result.duplicate ? 'duplicate' : result.status;
        deps.metrics.eventsReceived.inc({ type: metricType(outcome.type), result: label });
        request.log.debug(
          { eventId: result.id, eventType: outcome.type, duplicate: result.duplicate, status: result.status },
          'webhook stored',
        );
        return reply.code(200).send({
          id: result.id,
          duplicate: result.duplicate,
          ...(result.status === 'ignored' ? { ignored: true } : {}),
        });
      }
      const { error } = outcome;
      const result =
        error.status === 401
          ? 'unauthorized'
          : error.status === 400
            ? 'rejected'
            : error.status === 503
              ? 'error'
              : 'error';
      deps.metrics.eventsReceived.inc({ type: metricType(outcome.type), result });
      if (error.status === 400) deps.metrics.eventsRejected.inc({ code: error.code });
      const log =
        error.status >= 500 ? request.log.error.bind(request.log) : request.log.warn.bind(request.log);
      log(
        {
          code: error.code,
          eventType: outcome.type,
          storedAs: outcome.stored?.id,
          ...(error.status >= 500 ? { err: error.cause } : {}),
        },
        'webhook refused',
      );
      return sendError(reply, error);
    });
  });
}

/** Keeps label cardinality bounded: unknown types are counted as "other". */
function metricType(type: string | null): string {
  return type !== null && /^(order|product|employee)\.[A-Za-z]{1,40}$/.test(type) ? type : 'other';
}
