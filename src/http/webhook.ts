import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { IngestOutcome, WebhookReceiver } from '../core/ingest.ts';
import { SyncError } from '../errors.ts';
import type { Metrics } from '../metrics.ts';
import { type BodyBudget, readBodyWithin } from './body-budget.ts';

/** The one route GroWrk posts to. */
export const WEBHOOK_PATH = '/webhooks/growrk';

/** What the webhook handler needs. */
export interface WebhookDeps {
  ingestor: WebhookReceiver;
  metrics: Metrics;
  logger: Logger;
  bodyLimit: number;
  budget: BodyBudget;
}

/** Answers one `POST /webhooks/growrk` on Node's own request and response objects. */
export type WebhookHandler = (req: IncomingMessage, res: ServerResponse, requestId: string) => void;

/** Whether a request is a webhook delivery (the path, whatever its query string). */
export function isWebhookRequest(req: IncomingMessage): boolean {
  if (req.method !== 'POST') return false;
  const url = req.url ?? '';
  return url.length === WEBHOOK_PATH.length
    ? url === WEBHOOK_PATH
    : url.startsWith(WEBHOOK_PATH) && url[WEBHOOK_PATH.length] === '?';
}

/**
 * The webhook handler: the body is read as raw bytes whatever its content type, because the
 * signature covers the exact bytes; it is parsed only after the signature checks out. While it is
 * read and verified its bytes count against `budget` (given back when the answer is sent or the
 * connection drops). It runs on Node's request and response, not Fastify's: the listening server
 * hands deliveries to it directly (every webhook skips the framework's routing, hooks, per-request
 * logger and serializer), and the Fastify route calls the same function, so `inject` tests it too.
 * It answers, logs and counts (`http_request_duration_seconds` included) every delivery itself.
 */
export function webhookHandler(deps: WebhookDeps): WebhookHandler {
  return (req, res, requestId) => {
    const started = performance.now();
    const reservation = { bytes: 0 };
    res.once('close', () => {
      deps.budget.give(reservation.bytes);
      reservation.bytes = 0;
    });
    res.once('finish', () => {
      deps.metrics.httpDuration.observe(
        { route: WEBHOOK_PATH, method: 'POST', status: String(res.statusCode) },
        (performance.now() - started) / 1000,
      );
    });
    const header = req.headers['x-growrk-signature'];
    const signature = Array.isArray(header) ? header[0] : header;
    readBodyWithin(req, deps.budget, deps.bodyLimit, reservation).then(
      (raw) =>
        deps.ingestor
          .receive(raw, signature)
          .then((outcome) => answer(deps, res, requestId, outcome))
          .catch((err: unknown) => {
            // A bug of ours (the receiver never throws): said at error level, answered 500.
            deps.logger.error({ reqId: requestId, err }, 'webhook handler failed');
            send(res, requestId, new SyncError('INTERNAL', 'internal error'));
          }),
      // The body never arrived whole (too large, no room, cut off): nothing was read into the
      // pipeline, nothing is kept; the client is told why (the budget's metric counts the rest).
      (err: unknown) =>
        send(res, requestId, err instanceof SyncError ? err : new SyncError('BAD_REQUEST', String(err))),
    );
  };
}

function answer(deps: WebhookDeps, res: ServerResponse, requestId: string, outcome: IngestOutcome): void {
  if (outcome.ok) {
    const { result } = outcome;
    deps.metrics.eventsReceived.inc({
      type: metricType(outcome.type),
      result: result.duplicate ? 'duplicate' : result.status,
    });
    if (deps.logger.isLevelEnabled('debug'))
      deps.logger.debug(
        {
          reqId: requestId,
          eventId: result.id,
          eventType: outcome.type,
          duplicate: result.duplicate,
          status: result.status,
        },
        'webhook stored',
      );
    const body = {
      id: result.id,
      duplicate: result.duplicate,
      ...(result.status === 'ignored' ? { ignored: true } : {}),
    };
    writeJson(res, requestId, 200, JSON.stringify(body));
    return;
  }
  const { error } = outcome;
  const result = error.status === 401 ? 'unauthorized' : error.status === 400 ? 'rejected' : 'error';
  deps.metrics.eventsReceived.inc({ type: metricType(outcome.type), result });
  if (error.status === 400) deps.metrics.eventsRejected.inc({ code: error.code });
  const fields = {
    reqId: requestId,
    code: error.code,
    eventType: outcome.type,
    storedAs: outcome.stored?.id,
  };
  if (error.status >= 500) deps.logger.error({ ...fields, err: error.cause }, 'webhook refused');
  else deps.logger.warn(fields, 'webhook refused');
  send(res, requestId, error);
}

/** Sends a catalogue error as the contract's JSON body (with Retry-After when it has one). */
function send(res: ServerResponse, requestId: string, error: SyncError): void {
  if (error.retryAfterMs !== undefined && !res.headersSent)
    res.setHeader('retry-after', String(Math.ceil(error.retryAfterMs / 1000)));
  writeJson(res, requestId, error.status, JSON.stringify(error.toBody()));
}

function writeJson(res: ServerResponse, requestId: string, status: number, body: string): void {
  // The client may be gone (cut off mid-body): then there is no one to answer.
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'x-request-id': requestId,
  });
  res.end(body);
}

/**
 * The Fastify route for the same handler: what `inject` and any request the listening server does
 * not hand over directly go through. The body is left unread for the handler.
 */
export function registerWebhookRoute(app: FastifyInstance, handler: WebhookHandler): void {
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
    scope.post(WEBHOOK_PATH, (request, reply) => {
      reply.hijack();
      handler(request.raw, reply.raw, request.id);
    });
  });
}

/** Keeps label cardinality bounded: unknown types are counted as "other". */
function metricType(type: string | null): string {
  return type !== null && /^(order|product|employee)\.[A-Za-z]{1,40}$/.test(type) ? type : 'other';
}
