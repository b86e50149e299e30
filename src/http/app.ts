import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import { Gauge } from 'prom-client';
import type { HttpLimits } from '../config/types.ts';
import type { WebhookReceiver } from '../core/ingest.ts';
import type { Metrics } from '../metrics.ts';
import { isWritable } from '../store/readiness.ts';
import type { Store } from '../store/types.ts';
import { type AdminDeps, registerAdmin } from './admin.ts';
import { BodyBudget } from './body-budget.ts';
import { errorHandler } from './errors.ts';
import { isWebhookRequest, registerWebhookRoute, WEBHOOK_PATH, webhookHandler } from './webhook.ts';

/** What the HTTP app needs; the caller (serve, tests) builds each piece. */
export interface AppDeps {
  store: Store;
  ingestor: WebhookReceiver;
  metrics: Metrics;
  logger: Logger;
  bodyLimit: number;
  /** Bytes of unverified webhook bodies held at once (WEBHOOK_UNVERIFIED_BYTES). */
  unverifiedBytes: number;
  /** Server timeouts and connection cap; they apply once the app listens. */
  http: HttpLimits;
  /** The admin page and API, registered only when set (ADMIN_TOKEN configured). */
  admin?: AdminDeps | undefined;
}

/**
 * Builds the HTTP app: webhook ingest, health, readiness and metrics, and the admin routes when
 * enabled. It does not listen; `serve` does, tests use `app.inject`.
 */
export function buildApp(deps: AppDeps): FastifyInstance {
  const { http } = deps;
  const budget = new BodyBudget(deps.unverifiedBytes);
  const webhook = webhookHandler({
    ingestor: deps.ingestor,
    metrics: deps.metrics,
    logger: deps.logger,
    bodyLimit: deps.bodyLimit,
    budget,
  });
  let closing = false;
  const app = Fastify({
    // Node's own clocks: headers, then the whole request (headers and body), then idle keep-alive.
    // They are checked every connectionsCheckingInterval, so that follows the shortest of them.
    // The server below is created with them (with a serverFactory, Fastify sets no clock itself).
    http: {
      headersTimeout: http.headersTimeout,
      requestTimeout: http.bodyTimeout,
      keepAliveTimeout: http.keepAliveTimeout,
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(http.headersTimeout / 4))),
    },
    loggerInstance: deps.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.bodyLimit,
    requestIdHeader: REQUEST_ID_HEADER,
    genReqId: () => randomUUID(),
    return503OnClosing: true,
    // Webhook deliveries go straight to their handler; everything else, and every delivery once
    // the app is closing (answered 503 by Fastify), goes through Fastify's routing.
    serverFactory: (routing, options) => {
      const server = createServer(options.http ?? {}, (req: IncomingMessage, res: ServerResponse) => {
        if (closing || !isWebhookRequest(req)) return routing(req, res);
        webhook(req, res, requestIdOf(req));
      });
      // A client may shut its sending side once its request is complete. By default Node then
      // drops the answer of a request still being handled (a durable commit takes a moment), and
      // an event that was stored goes unacknowledged. Node's own httpAllowHalfOpen (not in its
      // typings) keeps the connection until the answer is written, then ends it.
      Object.assign(server, { httpAllowHalfOpen: true });
      return server;
    },
  });
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.server.maxConnections = http.maxConnections;
  registerBudgetGauge(deps.metrics, budget);
  app.setErrorHandler(errorHandler);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    // The webhook handler answers, and times, its requests itself.
    if (route === WEBHOOK_PATH && request.method === 'POST') return;
    deps.metrics.httpDuration.observe(
      { route, method: request.method, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  registerWebhookRoute(app, webhook);

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    // Ready means able to commit: a store that can be read but not written is not ready.
    const ready = await isWritable(deps.store);
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

const REQUEST_ID_HEADER = 'x-request-id';

/** The client's request id when it sent one (as Fastify takes it), else a new one. */
function requestIdOf(req: IncomingMessage): string {
  const given = req.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && given !== '' ? given : randomUUID();
}

/** `http_unverified_body_bytes`: what the budget holds now, read at scrape time. */
function registerBudgetGauge(metrics: Metrics, budget: BodyBudget): void {
  const name = 'http_unverified_body_bytes';
  metrics.registry.removeSingleMetric(name);
  new Gauge({
    name,
    help: `Bytes of webhook bodies held before their signature is checked (limit ${budget.limit}).`,
    registers: [metrics.registry],
    collect() {
      this.set(budget.inUse);
    },
  });
}
