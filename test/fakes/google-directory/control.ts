/**
 * The control API under `/__emulator/` (no auth, no quota, not recorded), for tests that run the
 * emulator in another process and for demos:
 *
 * - `GET /__emulator/calls` -> `{ calls }` (the CallRecorder's calls)
 * - `GET /__emulator/state` -> the whole directory as JSON
 * - `POST /__emulator/reset` -> 204 (state, calls, faults and quota back to the start)
 * - `POST /__emulator/faults` body = a rule as `ruleFromJson` reads it -> 201
 * - `DELETE /__emulator/faults` -> 204 (also releases held calls)
 * - `GET /__emulator/held` -> `{ held: [{ method, path }] }`; `POST /__emulator/held/release` -> `{ released }`
 * - `POST /__emulator/users` body = a user seed -> 201 user
 * - `POST /__emulator/groups`, `POST /__emulator/groups/{key}/members`, `POST /__emulator/schemas`,
 *   `POST /__emulator/users/{key}/tokens`, `POST /__emulator/users/{key}/asps`,
 *   `POST /__emulator/users/{key}/devices` (a mobile device), `POST /__emulator/users/{key}/licences`
 *   body `{productId, skuId}` -> 201
 */
import { type FaultInjector, ruleFromJson } from '../shared/faults.ts';
import type { CallRecorder } from '../shared/recorder.ts';
import type { Outcome } from './api.ts';
import { ApiError } from './errors.ts';
import type { DirectoryState } from './state.ts';
import type { AspSeed, GroupSeed, MemberSeed, SchemaSeed, TokenSeed, UserSeed } from './types.ts';

/** What the control API drives. */
export interface ControlDeps {
  state: DirectoryState;
  faults: FaultInjector;
  recorder: CallRecorder;
  reset(): void;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requireString(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value === '') throw new Error(`body.${field} must be a non-empty string`);
  return value;
}

function fail(status: number, message: string): Outcome {
  return { status, body: { error: message } };
}

/** Serves one control request. `body` is the parsed JSON body (or undefined). */
export function serveControl(deps: ControlDeps, method: string, pathname: string, body: unknown): Outcome {
  const input = isRecord(body) ? body : {};
  try {
    const parts = pathname.split('/').filter(Boolean).slice(1).map(decodeURIComponent);
    const route = `${method} /${parts.map((p, i) => (i === 1 && parts.length > 2 ? ':key' : p)).join('/')}`;
    const key = parts[1] ?? '';
    switch (route) {
      case 'GET /calls':
        return { status: 200, body: { calls: deps.recorder.calls } };
      case 'GET /state':
        return { status: 200, body: deps.state.snapshot() };
      case 'POST /reset':
        deps.reset();
        return { status: 204 };
      case 'POST /faults':
        deps.faults.add(ruleFromJson(body));
        return { status: 201, body: { ok: true } };
      case 'DELETE /faults':
        deps.faults.clear();
        return { status: 204 };
      case 'GET /held':
        return {
          status: 200,
          body: { held: deps.faults.held().map((h) => ({ method: h.method, path: h.path })) },
        };
      case 'POST /held/release': {
        const held = [...deps.faults.held()];
        for (const call of held) call.release();
        return { status: 200, body: { released: held.length } };
      }
      case 'POST /users':
        requireString(input, 'primaryEmail');
        return { status: 201, body: deps.state.addUser(input as unknown as UserSeed) };
      case 'POST /groups':
        requireString(input, 'email');
        return { status: 201, body: deps.state.addGroup(input as unknown as GroupSeed) };
      case 'POST /groups/:key/members':
        return { status: 201, body: deps.state.addMember(key, input as MemberSeed) };
      case 'POST /schemas':
        requireString(input, 'schemaName');
        if (!Array.isArray(input.fields)) throw new Error('body.fields must be an array');
        return { status: 201, body: deps.state.addSchema(input as unknown as SchemaSeed) };
      case 'POST /users/:key/tokens':
        requireString(input, 'clientId');
        return { status: 201, body: deps.state.addToken(key, input as unknown as TokenSeed) };
      case 'POST /users/:key/devices':
        return {
          status: 201,
          body: deps.state.devices.add({ ...input, email: deps.state.requireUser(key).primaryEmail }),
        };
      case 'POST /users/:key/licences':
        return {
          status: 201,
          body: deps.state.licences.assign(
            requireString(input, 'productId'),
            requireString(input, 'skuId'),
            deps.state.requireUser(key).primaryEmail,
          ),
        };
      case 'POST /users/:key/asps':
        return { status: 201, body: deps.state.addAsp(key, input as AspSeed) };
      default:
        return fail(404, `unknown control route ${method} ${pathname}`);
    }
  } catch (e) {
    if (e instanceof ApiError) return { status: e.status, body: e.body() };
    return fail(400, e instanceof Error ? e.message : String(e));
  }
}
