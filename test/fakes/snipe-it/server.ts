/**
 * The Snipe-IT emulator's HTTP server (`node:http`), which the connector's fetch client talks to
 * over loopback. Each API call passes the fault injector, then auth (Bearer token; JSON only when
 * asked for with `Accept`), the per-user throttle, the contract check against the OpenAPI file
 * (with the code differences of contract.ts), the permission, and the handler; every call is
 * recorded. Control API under `/__emulator/` (calls, state, reset, faults), free of auth and limits.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { FaultInjector, ruleFromJson } from '../shared/faults.ts';
import { closeServer, listenOn } from '../shared/listen.ts';
import type { OpenApiValidator } from '../shared/openapi.ts';
import { CallRecorder } from '../shared/recorder.ts';
import { API_BASE, snipeItValidator } from './contract.ts';
import { dispatch } from './dispatch.ts';
import { ROUTES } from './handlers.ts';
import { SnipeState } from './state.ts';
import { Throttle } from './throttle.ts';

/** How to start an emulator. */
export interface SnipeItEmulatorOptions {
  port?: number;
  host?: string;
  /** Tokens of the admin (superuser) user; default `['snipe-test-token']`. */
  tokens?: string[];
  /** API_THROTTLE_PER_MINUTE; default 120. */
  perMinute?: number;
  seed?: number;
  clock?: () => number;
}

/** A running emulator. */
export interface SnipeItEmulator {
  /** The instance URL (the API is under `/api/v1`). */
  url: string;
  port: number;
  state: SnipeState;
  faults: FaultInjector;
  recorder: CallRecorder;
  reset(): void;
  stop(): Promise<void>;
}

let sharedValidator: OpenApiValidator | null = null;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const payload = body === undefined ? undefined : JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    ...(payload !== undefined ? { 'Content-Type': 'application/json' } : {}),
  });
  res.end(payload);
}

/** The fault's answer, shaped as Snipe-IT (or the proxy in front of it) would give it. */
function faultAnswer(
  kind: string,
  retryAfter: number,
): { status: number; body: unknown; headers: Record<string, string> } {
  if (kind === 'rate-limit' || kind === 'rate-limit-403') {
    return {
      status: 429,
      body: { status: 'error', messages: 'Too many requests', payload: null },
      headers: { 'Retry-After': String(retryAfter), 'X-RateLimit-Remaining': '0' },
    };
  }
  if (kind === 'server-error')
    return { status: 500, body: { status: 'error', messages: 'Server Error', payload: null }, headers: {} };
  return { status: 503, body: { message: 'Service Unavailable' }, headers: {} };
}

/** Starts an emulator; resolves once it listens. */
export async function startSnipeItEmulator(opts: SnipeItEmulatorOptions = {}): Promise<SnipeItEmulator> {
  const clock = opts.clock ?? Date.now;
  const seed = opts.seed ?? 42;
  const state = new SnipeState(opts.tokens ?? ['snipe-test-token']);
  const faults = new FaultInjector(seed);
  const recorder = new CallRecorder();
  const throttle = new Throttle(opts.perMinute ?? 120, clock);
  sharedValidator ??= snipeItValidator();
  const validator = sharedValidator;
  const reset = () => {
    state.reset();
    recorder.clear();
    faults.clear(seed);
    throttle.reset();
  };

  function control(method: string, path: string, body: unknown): { status: number; body?: unknown } {
    const route = `${method} ${path.replace(/\/$/, '')}`;
    if (route === 'GET /__emulator/calls') return { status: 200, body: { calls: recorder.calls } };
    if (route === 'GET /__emulator/state') return { status: 200, body: state.snapshot() };
    if (route === 'POST /__emulator/reset') {
      reset();
      return { status: 204 };
    }
    if (route === 'POST /__emulator/faults') {
      try {
        faults.add(ruleFromJson(body));
        return { status: 201, body: { ok: true } };
      } catch (error) {
        return { status: 400, body: { error: error instanceof Error ? error.message : String(error) } };
      }
    }
    if (route === 'DELETE /__emulator/faults') {
      faults.clear(seed);
      return { status: 204 };
    }
    return { status: 404, body: { error: `no control operation ${route}` } };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    const path = url.pathname;
    const raw = await readBody(req);
    let body: unknown;
    let badJson = false;
    try {
      body = raw.trim() === '' ? undefined : JSON.parse(raw);
    } catch {
      badJson = true;
      body = raw;
    }
    if (path.startsWith('/__emulator/')) {
      const answer = control(method, path, body);
      send(res, answer.status, answer.body);
      return;
    }
    const query: Record<string, string | string[]> = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    const apiPath = path.startsWith(API_BASE) ? path.slice(API_BASE.length) || '/' : null;
    const lookup = apiPath === null ? ({ kind: 'no-path' } as const) : validator.lookup(method, apiPath);
    const template = lookup.kind === 'match' ? lookup.operation.template : (apiPath ?? path);
    const route = ROUTES[`${method} ${template}`];
    const operation = route?.operation ?? `${method} ${template}`;
    const record = (status: number, extra: { violation?: string; fault?: string } = {}) =>
      recorder.record({ method, path, query, body, status, operation, ...extra });

    const decision = faults.next({ method, path });
    let fault: string | undefined;
    if (decision.kind === 'reset') {
      record(0, { fault: 'reset' });
      req.socket.destroy();
      return;
    }
    if (
      decision.kind === 'rate-limit' ||
      decision.kind === 'rate-limit-403' ||
      decision.kind === 'server-error' ||
      decision.kind === 'unavailable'
    ) {
      const answer = faultAnswer(
        decision.kind,
        'retryAfterSeconds' in decision ? decision.retryAfterSeconds : 1,
      );
      send(res, answer.status, answer.body, answer.headers);
      record(answer.status, { fault: decision.kind });
      return;
    }
    if (decision.kind === 'latency') {
      await delay(decision.latencyMs);
      fault = 'latency';
    } else if (decision.kind === 'hold') {
      await decision.released;
      fault = 'hold';
    }
    const withFault = fault === undefined ? {} : { fault };

    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const userId = token === undefined ? undefined : state.tokens.get(token);
    const user = userId === undefined ? undefined : state.user(userId);
    const wantsJson = (req.headers.accept ?? '').includes('json');
    if (!user) {
      if (!wantsJson) {
        send(res, 302, undefined, { Location: '/login' });
        record(302, {
          ...withFault,
          violation: 'no Accept: application/json: Snipe-IT redirects to its login page',
        });
      } else {
        send(res, 401, { error: 'Unauthorized or unauthenticated.' });
        record(401, withFault);
      }
      return;
    }
    const limit = throttle.hit(user.id);
    if (!limit.allowed) {
      send(res, 429, { status: 'error', messages: 'Too many requests', payload: null }, limit.headers);
      record(429, withFault);
      return;
    }
    const out = dispatch({
      state,
      validator,
      user,
      method,
      template,
      lookup,
      ...(route ? { route } : {}),
      operation,
      url,
      body,
      badJson,
      ...(req.headers['content-type'] !== undefined ? { contentType: req.headers['content-type'] } : {}),
    });
    send(res, out.status, out.body, limit.headers);
    record(out.status, {
      ...withFault,
      ...(out.violation !== undefined ? { violation: out.violation } : {}),
    });
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      send(res, 500, {
        status: 'error',
        messages: `Emulator failure: ${error instanceof Error ? error.message : String(error)}`,
        payload: null,
      });
    });
  });
  const { url, port } = await listenOn(server, opts.host ?? '127.0.0.1', opts.port ?? 0);
  return {
    url,
    port,
    state,
    faults,
    recorder,
    reset,
    stop: () => {
      faults.clear(seed);
      return closeServer(server);
    },
  };
}
