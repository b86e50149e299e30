/**
 * One API request through HubSpot's gates, in HubSpot's order: authentication, rate limits, the
 * contract (path, method, JSON, scopes, parameters and body), then the handler.
 */

import type { OpenApiValidator, OperationLookup } from '../shared/openapi.ts';
import { requireScopes, type TokenRegistry } from './auth.ts';
import { documentedLimits, violationMessage } from './contract.ts';
import { HubSpotError, newCorrelationId } from './errors.ts';
import { findHandRoute, type HandRoute } from './handlers/oauth.ts';
import type { HandlerResult } from './handlers/types.ts';
import { POLICY_MESSAGES, type RateLimiter, type RatePolicy } from './rate-limit.ts';
import { genericTemplate, type Route, unservedOperation } from './routes.ts';
import type { CrmState } from './state.ts';

/** A request as the pipeline sees it. */
export interface ApiRequest {
  method: string;
  path: string;
  query: ReadonlyMap<string, readonly string[]>;
  authorization?: string;
  contentType?: string;
  /** Parsed body; `parseError` is set when the body was not JSON. */
  body: { present: boolean; value: unknown; parseError?: string };
}

/** The answer and what the recorder should note. */
export interface Outcome {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  operation: string;
  violation?: string;
}

interface Resolved {
  lookup: OperationLookup;
  hand?: { route: HandRoute; params: Record<string, string> };
  route?: Route;
  generic?: { template: string; params: Record<string, string> };
  operation: string;
}

/** What the pipeline works with. */
export interface PipelineDeps {
  validator: OpenApiValidator;
  routes: ReadonlyMap<string, Route>;
  state: CrmState;
  tokens: TokenRegistry;
  limiter: RateLimiter;
  /** Called once for each call the limiter refuses. */
  onRateLimited: () => void;
}

/** HubSpot's 429 body for a rate-limit policy. */
export function rateLimitBody(policy: RatePolicy): Record<string, unknown> {
  return {
    status: 'error',
    message: POLICY_MESSAGES[policy],
    errorType: 'RATE_LIMIT',
    correlationId: newCorrelationId(),
    policyName: policy,
    requestId: newCorrelationId(),
  };
}

function errorOutcome(error: HubSpotError, operation: string, violation?: string): Outcome {
  return {
    status: error.status,
    body: error.body(newCorrelationId()),
    operation,
    ...(violation !== undefined ? { violation } : error.status === 400 ? { violation: error.message } : {}),
  };
}

/** Runs requests through the gates. */
export class Pipeline {
  private readonly deps: PipelineDeps;

  constructor(deps: PipelineDeps) {
    this.deps = deps;
  }

  private resolve(method: string, path: string): Resolved {
    const lookup = this.deps.validator.lookup(method, path);
    if (lookup.kind === 'match') {
      const generic = genericTemplate(lookup.operation.template, lookup.params);
      const route = this.deps.routes.get(`${method} ${generic.template}`);
      return {
        lookup,
        generic,
        ...(route ? { route } : {}),
        operation: route?.operation ?? unservedOperation(method, lookup.operation.template),
      };
    }
    const hand = lookup.kind === 'no-path' ? findHandRoute(method, path) : undefined;
    return { lookup, ...(hand ? { hand } : {}), operation: hand?.route.operation ?? 'unknown' };
  }

  /** The operation name a request would be recorded under. */
  operationFor(method: string, path: string): string {
    return this.resolve(method, path).operation;
  }

  /** Serves one request. */
  serve(request: ApiRequest): Outcome {
    const { method, path } = request;
    const { lookup, hand, route, generic, operation } = this.resolve(method, path);
    try {
      const token = hand ? undefined : this.deps.tokens.authenticate(request.authorization);
      const decision = this.deps.limiter.take(route?.search === true);
      if (!decision.ok) {
        this.deps.onRateLimited();
        return {
          status: 429,
          body: rateLimitBody(decision.policy),
          headers: { 'Retry-After': String(decision.retryAfterSeconds) },
          operation,
        };
      }
      if (hand) return { ...this.serveHand(hand, request), operation };
      if (lookup.kind === 'no-path') {
        const message = `No operation of the HubSpot contract matches ${method} ${path}`;
        return errorOutcome(new HubSpotError(404, 'OBJECT_NOT_FOUND', message), operation, message);
      }
      if (lookup.kind === 'no-method') {
        const message = `${method} is not allowed on ${path}; the contract allows ${lookup.allowed.join(', ')}`;
        return errorOutcome(new HubSpotError(405, 'METHOD_NOT_ALLOWED', message), operation, message);
      }
      if (request.body.parseError) {
        throw new HubSpotError(400, 'VALIDATION_ERROR', `Invalid input JSON: ${request.body.parseError}`);
      }
      const params = generic?.params ?? {};
      if (route && token) requireScopes(token, route.scopes(this.deps.state, params));
      const checked = this.deps.validator.validate(lookup.operation, lookup.params, {
        query: request.query,
        hasBody: request.body.present,
        body: request.body.value,
        ...(request.contentType !== undefined ? { contentType: request.contentType } : {}),
      });
      const violations = [
        ...checked.violations,
        ...documentedLimits(lookup.operation, checked.query, request.body.value),
      ];
      if (violations.length > 0) {
        throw new HubSpotError(400, 'VALIDATION_ERROR', violationMessage(violations), {
          errors: violations.map((v) => ({ message: v.message, in: v.field })),
        });
      }
      if (!route) {
        const message = `The HubSpot emulator does not implement ${lookup.operation.operationId}`;
        return errorOutcome(new HubSpotError(501, 'NOT_IMPLEMENTED', message), operation);
      }
      const result = route.handler({
        state: this.deps.state,
        params,
        query: checked.query,
        body: request.body.value,
      });
      const breaches = this.deps.validator.validateAnswer(lookup.operation, result.status, result.body);
      if (breaches.length > 0) {
        // The emulator's own answer breaks the contract: a bug in the emulator, surfaced loudly.
        const detail = breaches.map((b) => `${b.field}: ${b.message}`).join('; ');
        const error = new HubSpotError(
          500,
          'EMULATOR_CONTRACT_BREACH',
          `Emulator answer breaks the contract: ${detail}`,
        );
        return errorOutcome(error, operation);
      }
      return { ...result, operation };
    } catch (error) {
      if (error instanceof HubSpotError) return errorOutcome(error, operation);
      const message = error instanceof Error ? error.message : String(error);
      return errorOutcome(new HubSpotError(500, 'INTERNAL_ERROR', `Emulator failure: ${message}`), operation);
    }
  }

  private serveHand(hand: NonNullable<Resolved['hand']>, request: ApiRequest): HandlerResult {
    const violations = request.body.parseError
      ? [{ field: '(body)', message: request.body.parseError }]
      : hand.route.check(request.body.value, request.body.present);
    if (violations.length > 0) throw new HubSpotError(400, 'VALIDATION_ERROR', violationMessage(violations));
    return hand.route.serve(this.deps.tokens, this.deps.state.portalId, hand.params, request.body.value);
  }
}
