import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { SyncError } from '../errors.ts';

/** Sends a catalogue error as the contract's JSON body. */
export function sendError(reply: FastifyReply, error: SyncError): FastifyReply {
  if (error.retryAfterMs !== undefined)
    reply.header('retry-after', String(Math.ceil(error.retryAfterMs / 1000)));
  return reply.code(error.status).send(error.toBody());
}

/** Maps framework errors (body limit, bad JSON on admin routes) to the contract's JSON errors. */
export function errorHandler(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if (error instanceof SyncError) return sendError(reply, error);
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || error.statusCode === 413) {
    return sendError(reply, new SyncError('BODY_TOO_LARGE'));
  }
  if (error.statusCode === 415) return sendError(reply, new SyncError('UNSUPPORTED_MEDIA_TYPE'));
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return sendError(reply, new SyncError('BAD_REQUEST', error.message));
  }
  request.log.error({ err: error }, 'request failed');
  return sendError(reply, new SyncError('INTERNAL', 'internal error'));
}
