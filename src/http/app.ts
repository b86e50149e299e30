import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import type { WebhookReceiver } from '../core/ingest.ts';
import type { Metrics } from '../metrics.ts';
import type { Store } from '../store/types.ts';
import { type AdminDeps, registerAdmin } from './admin.ts';
import { errorHandler } from './errors.ts';
import { registerWebhookRoute } from './webhook.ts';

/** What the HTTP app needs; the caller (serve, tests) builds each piece. */
export interface AppDeps {
  store: Store;
  ingestor: WebhookReceiver;
  metrics: Metrics;
  logger: Logger;
  bodyLimit: number;
  /** The admin page and API, registered only when set (ADMIN_TOKEN configured). */
  admin?: AdminDeps | undefined;
}

/**
 * Builds the HTTP app: webhook ingest, health, readiness and metrics, and the admin routes when
 * enabled. It does not listen; `serve` does, tests use `app.inject`.
 */
export function buildApp(deps: AppDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.bodyLimit,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    return503OnClosing: true,
  });
  app.setErrorHandler(errorHandler);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    deps.metrics.httpDuration.observe(
      { route, method: request.method, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  registerWebhookRoute(app, { ingestor: deps.ingestor, metrics: deps.metrics, bodyLimit: deps.bodyLimit });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const ready = await deps.store.ready().catch(() => false);
    return reply
      .code(ready ? 200 : 503)
      .send({ status: ready ? 'ready' : 'not ready', store: deps.store.kind });
  });
  app.get('/metrics', async (_request, reply) => {
    const text = await deps.metrics.registry.metrics();
    return reply.type(deps.metrics.registry.contentType).send(text);
  });
  if (deps.admin) registerAdmin(app, deps.admin);
  return app;
}
