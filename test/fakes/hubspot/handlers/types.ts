/** What a handler gets and returns, and small readers for validated input. */
import type { QueryValue } from '../../shared/openapi.ts';
import type { CrmState } from '../state.ts';

/** One request, after auth, limits and the contract check passed. */
export interface HandlerContext {
  state: CrmState;
  /** Path parameters under the generic names (`objectType`, `objectId`, ...). */
  params: Readonly<Record<string, string>>;
  /** Query parameters coerced to their schema types. */
  query: Readonly<Record<string, QueryValue>>;
  /** The parsed JSON body; it has passed the contract check. */
  body: unknown;
}

/** A handler's answer. */
export interface HandlerResult {
  status: number;
  body?: unknown;
}

/** Serves one operation. */
export type Handler = (ctx: HandlerContext) => HandlerResult;

/** A request body, read through the type its validated schema describes. */
export function bodyOf<T>(ctx: HandlerContext): T {
  // The server validated the body against the operation's schema before calling the handler.
  return ctx.body as T;
}

/** A path parameter the route template guarantees. */
export function param(ctx: HandlerContext, name: string): string {
  const value = ctx.params[name];
  if (value === undefined) throw new Error(`route has no path parameter ${name}`);
  return value;
}

/** A string query parameter. */
export function queryString(ctx: HandlerContext, name: string): string | undefined {
  const value = ctx.query[name];
  return typeof value === 'string' ? value : undefined;
}

/** A list query parameter. */
export function queryList(ctx: HandlerContext, name: string): string[] | undefined {
  const value = ctx.query[name];
  if (Array.isArray(value)) return value;
  return typeof value === 'string' ? value.split(',').filter((v) => v !== '') : undefined;
}

/** A boolean query parameter. */
export function queryBool(ctx: HandlerContext, name: string, fallback: boolean): boolean {
  const value = ctx.query[name];
  return typeof value === 'boolean' ? value : fallback;
}

/** A numeric query parameter. */
export function queryNumber(ctx: HandlerContext, name: string, fallback: number): number {
  const value = ctx.query[name];
  return typeof value === 'number' ? value : fallback;
}
