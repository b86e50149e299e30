/**
 * An authenticated, throttled API call from there on: malformed JSON, unknown path or method, the
 * contract check (minus the code differences), the route's permission, then its handler. Returns
 * the answer and, when the request broke the contract, the violation to record.
 */
import type { OpenApiValidator, OperationLookup } from '../shared/openapi.ts';
import { realViolations } from './contract.ts';
import { failure, type Handler } from './handlers.ts';
import type { EmuUser, SnipeState } from './state.ts';

/** What the server answers and records. */
export interface Dispatched {
  status: number;
  body: unknown;
  violation?: string;
}

/** The request as the server parsed it. */
export interface DispatchInput {
  state: SnipeState;
  validator: OpenApiValidator;
  user: EmuUser;
  method: string;
  /** The OpenAPI path template the call matched (or its path when none did). */
  template: string;
  lookup: OperationLookup;
  route?: { operation: string; permission: string; handle: Handler };
  operation: string;
  url: URL;
  body: unknown;
  badJson: boolean;
  contentType?: string;
}

function permitted(user: EmuUser, permission: string): boolean {
  const p = user.permissions;
  return permission === '' || p.superuser === '1' || p.admin === '1' || p[permission] === '1';
}

/** Serves one call (see the file comment). */
export function dispatch(input: DispatchInput): Dispatched {
  const { lookup, url, body, route } = input;
  if (input.badJson)
    return { status: 422, body: { status: 'error', messages: 'Invalid JSON', payload: null } };
  if (lookup.kind === 'no-path') {
    return {
      status: 404,
      body: { status: 'error', message: '404 endpoint not found. Please check the API reference.' },
    };
  }
  if (lookup.kind === 'no-method') {
    return { status: 405, body: { status: 'error', messages: 'Method not allowed', payload: null } };
  }
  const checked = input.validator.validate(lookup.operation, lookup.params, {
    query: new Map([...url.searchParams.keys()].map((k) => [k, url.searchParams.getAll(k)])),
    hasBody: body !== undefined,
    ...(input.contentType !== undefined ? { contentType: input.contentType } : {}),
    body,
  });
  const violations = realViolations(`${input.method} ${input.template}`, checked.violations);
  if (violations.length > 0) {
    const messages: Record<string, string[]> = {};
    for (const v of violations) messages[v.field] = [...(messages[v.field] ?? []), v.message];
    return {
      status: 200,
      body: failure(messages).body,
      violation: violations.map((v) => `${v.field}: ${v.message}`).join('; '),
    };
  }
  if (!route) {
    const violation = `${input.operation} is not emulated`;
    return { status: 404, body: { status: 'error', messages: violation, payload: null }, violation };
  }
  if (!permitted(input.user, route.permission))
    return { status: 403, body: { message: 'This action is unauthorized.' } };
  return route.handle({
    state: input.state,
    user: input.user,
    params: lookup.params,
    query: url.searchParams,
    body:
      typeof body === 'object' && body !== null && !Array.isArray(body)
        ? (body as Record<string, unknown>)
        : {},
  });
}
