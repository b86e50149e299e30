/**
 * One Directory API request, from routing to answer: find the discovery method (404 otherwise),
 * authenticate (401), check scopes (403), count quota (429), check the contract (400), run the
 * handler, then cut the answer down to `fields`. Returns the outcome; the server writes and records it.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { accessTokenOf, authenticate, checkScopes, type TokenRegistry } from './auth.ts';
import { ApiError, googleErrorBody } from './errors.ts';
import { applyFields } from './fields.ts';
import type { HandlerContext } from './handler-kit.ts';
import { handlers } from './handlers.ts';
import type { RollingQuota } from './quota.ts';
import type { ContractChecker, RouteMatch } from './spec.ts';
import type { DirectoryState } from './state.ts';

/** What the server needs to answer and record one call. */
export interface Outcome {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  violation?: string;
}

/** The parts of the emulator one API request uses. */
export interface ApiDeps {
  checker: ContractChecker;
  tokens: TokenRegistry;
  quota: RollingQuota;
  state: DirectoryState;
  clock: () => number;
}

/** The request as the pipeline sees it. */
export interface ApiRequest {
  method: string;
  pathname: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The raw body text (empty when none). */
  raw: string;
}

function errorOutcome(error: ApiError): Outcome {
  const outcome: Outcome = { status: error.status, body: error.body(), headers: error.headers };
  if (error.violation) outcome.violation = error.details.join('; ');
  return outcome;
}

/** Parses a JSON body; `undefined` for none. Throws a 400 for anything else. */
export function parseJsonBody(raw: string, contentType: string | undefined): unknown {
  if (raw.trim() === '') return undefined;
  if (contentType !== undefined && !/json/i.test(contentType))
    throw new ApiError(
      400,
      `Invalid request body: Content-Type ${contentType} (application/json expected)`,
      'parseError',
    );
  try {
    return JSON.parse(raw);
  } catch (e) {
    throw new ApiError(400, `Invalid JSON payload received. ${(e as Error).message}`, 'parseError');
  }
}

/** Serves one API request that the router matched to `route`. */
export function serveApi(deps: ApiDeps, req: ApiRequest, route: RouteMatch): Outcome {
  try {
    const now = deps.clock();
    const grant = authenticate(deps.tokens, accessTokenOf(req.headers, req.query), now);
    checkScopes(grant, route.method);
    const quota = deps.quota.take(grant.principal);
    if (!quota.ok) {
      const message =
        "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' of service 'admin.googleapis.com'.";
      return {
        status: 429,
        body: googleErrorBody(429, message, 'rateLimitExceeded'),
        headers: { 'Retry-After': String(quota.retryAfterSeconds) },
      };
    }
    const ct = req.headers['content-type'];
    const body = parseJsonBody(req.raw, typeof ct === 'string' ? ct : undefined);
    const problems = [
      ...deps.checker.checkParameters(route.method, route.pathParams, req.query),
      ...deps.checker.checkBody(route.method, body),
    ];
    const fields = req.query.get('fields');
    const selection = fields === null ? undefined : deps.checker.checkFields(route.method, fields);
    if (selection && 'problem' in selection) problems.push(selection.problem);
    if (problems.length > 0)
      throw new ApiError(400, problems[0] ?? 'Invalid', 'invalid', { details: problems });
    const alt = req.query.get('alt');
    if (alt !== null && alt !== 'json')
      return {
        status: 501,
        body: googleErrorBody(501, `alt=${alt} is not supported by the emulator`, 'notImplemented'),
      };
    const handler = handlers[route.method.id];
    if (!handler)
      return {
        status: 501,
        body: googleErrorBody(
          501,
          `${route.method.id} is valid but not implemented by the emulator`,
          'notImplemented',
        ),
      };
    const ctx: HandlerContext = {
      state: deps.state,
      pathParams: route.pathParams,
      query: req.query,
      body:
        typeof body === 'object' && body !== null && !Array.isArray(body)
          ? (body as Record<string, unknown>)
          : {},
    };
    const result = handler(ctx);
    const shaped =
      selection && 'mask' in selection && result.body !== undefined
        ? applyFields(result.body, selection.mask)
        : result.body;
    return shaped === undefined ? { status: result.status } : { status: result.status, body: shaped };
  } catch (e) {
    if (e instanceof ApiError) return errorOutcome(e);
    const message = e instanceof Error ? e.message : String(e);
    return { status: 500, body: googleErrorBody(500, `Emulator error: ${message}`, 'backendError') };
  }
}

/** The 404 for a path no discovery method serves. */
export function unknownPath(method: string, pathname: string, allowed: string[]): Outcome {
  const message =
    allowed.length > 0
      ? `Not Found: ${method} ${pathname} (this path takes ${allowed.join(', ')})`
      : `Not Found: no Directory API method serves ${method} ${pathname}`;
  return { status: 404, body: googleErrorBody(404, message, 'notFound'), violation: message };
}
