/** What every operation handler receives and returns, and small helpers they share. */
import { invalid, notAuthorized } from './errors.ts';
import { etagOf } from './ids.ts';
import type { DirectoryState } from './state.ts';

/** One request, after routing, authentication and the contract check. */
export interface HandlerContext {
  state: DirectoryState;
  pathParams: Record<string, string>;
  query: URLSearchParams;
  /** The JSON body, `{}` when none was sent. */
  body: Record<string, unknown>;
}

/** What a handler answers: a status and an optional JSON body (204s have none). */
export interface HandlerResult {
  status: number;
  body?: unknown;
}

/** Serves one discovery method. */
export type Handler = (ctx: HandlerContext) => HandlerResult;

/** The path or query parameter `name` (the router guarantees required ones). */
export function param(ctx: HandlerContext, name: string): string {
  return ctx.pathParams[name] ?? ctx.query.get(name) ?? '';
}

/** 200 with a body. */
export function ok(body: unknown): HandlerResult {
  return { status: 200, body };
}

/** 204, as Google answers deletes and actions. */
export function noContent(): HandlerResult {
  return { status: 204 };
}

/** Accepts `my_customer` or this directory's customer id; any other customer is not ours (403). */
export function checkCustomer(ctx: HandlerContext, customer: string): void {
  if (customer !== 'my_customer' && customer !== ctx.state.customerId) throw notAuthorized();
}

/** A list envelope: `{kind, etag, <key>: [...]}`, with the list left out when empty, as Google does. */
export function listBody(
  kind: string,
  key: string,
  items: unknown[],
  extra: Record<string, unknown> = {},
): unknown {
  const body: Record<string, unknown> = { kind, etag: etagOf(items) };
  if (items.length > 0) body[key] = items;
  return { ...body, ...extra };
}

/** A boolean from the body, or a 400 naming the field. */
export function requireBoolean(ctx: HandlerContext, field: string): boolean {
  const value = ctx.body[field];
  if (typeof value !== 'boolean') throw invalid(`Invalid Input: ${field} (boolean required)`);
  return value;
}
