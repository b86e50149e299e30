/**
 * The Google Admin SDK Directory API emulator: a node:http server that the real `@googleapis/admin`
 * client talks to over loopback (pass `url` as `rootUrl`). Every call goes through fault injection,
 * then the token endpoint, the control API or the Directory API pipeline, and is recorded.
 */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { FaultInjector } from '../shared/faults.ts';
import { closeServer, listenOn } from '../shared/listen.ts';
import { CallRecorder, type RecordedCall } from '../shared/recorder.ts';
import { type ApiDeps, type Outcome, parseJsonBody, serveApi, unknownPath } from './api.ts';
import { accessTokenOf, TokenRegistry } from './auth.ts';
import { serveControl } from './control.ts';
import { loadGoogleDiscovery } from './discovery.ts';
import { ApiError, googleErrorBody } from './errors.ts';
import { queryRecord, readBody, sendJson } from './http-util.ts';
import { IdGenerator } from './ids.ts';
import { RollingQuota } from './quota.ts';
import { ContractChecker } from './spec.ts';
import { DirectoryState } from './state.ts';
import { serveTokenRequest } from './token-endpoint.ts';

/** How to start the emulator. */
export interface GoogleEmulatorOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
  /** Bearer tokens accepted with every scope; default `['test-token']`. */
  accessTokens?: string[];
  /** Calls allowed per principal in any rolling 60 s; default 2400 (Google's per-user quota). */
  quotaPerMinute?: number;
  /** The customer id (`my_customer` also works); default `C0test`. */
  customerId?: string;
  /** The primary domain; default `example.com`. */
  domain?: string;
  /** Seed for ids and probabilistic faults, so runs repeat. */
  seed?: number;
  /** Clock in milliseconds (quota window, token expiry, timestamps); default `Date.now`. */
  clock?: () => number;
  /** Path of the discovery document; default `test/fakes/contracts/google/admin-directory_v1.json`. */
  discoveryPath?: string;
}

/** A running emulator. */
export interface GoogleEmulator {
  /** E.g. `http://127.0.0.1:PORT/`, with the trailing slash: pass it as the client's `rootUrl`. */
  url: string;
  /** The OAuth token endpoint (`${url}token`). */
  tokenUrl: string;
  port: number;
  state: DirectoryState;
  faults: FaultInjector;
  recorder: CallRecorder;
  /** Accepted access tokens (static and issued by the token endpoint). */
  tokens: TokenRegistry;
  /** The contract checker (the discovery document, parsed). */
  checker: ContractChecker;
  /** Back to the seeded state: directory, calls, faults (held calls are released) and quota. Issued tokens stay valid. */
  reset(): void;
  /** Releases held calls, closes every connection and stops listening. */
  stop(): Promise<void>;
}

function safeDecode(pathname: string): string {
  try {
    return decodeURIComponent(pathname);
  } catch {
    return pathname;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const FAULT_BODIES = {
  'rate-limit': [429, 'Rate Limit Exceeded', 'rateLimitExceeded'],
  'rate-limit-403': [403, 'Rate Limit Exceeded', 'userRateLimitExceeded'],
  'server-error': [500, 'Internal error encountered.', 'backendError'],
  unavailable: [503, 'The service is currently unavailable.', 'backendError'],
} as const;

/** Starts an emulator; resolves once it listens. */
export async function startGoogleEmulator(opts: GoogleEmulatorOptions = {}): Promise<GoogleEmulator> {
  const clock = opts.clock ?? Date.now;
  const seed = opts.seed ?? 42;
  const doc = loadGoogleDiscovery(opts.discoveryPath);
  const userSchema = doc.schemas.User;
  if (!userSchema) throw new Error('discovery document has no User schema');
  const checker = new ContractChecker(doc);
  const state = new DirectoryState({
    customerId: opts.customerId ?? 'C0test',
    domain: (opts.domain ?? 'example.com').toLowerCase(),
    seed,
    userSchema,
    clock,
  });
  const faults = new FaultInjector(seed);
  const recorder = new CallRecorder();
  const tokens = new TokenRegistry(opts.accessTokens ?? ['test-token']);
  const quota = new RollingQuota(opts.quotaPerMinute ?? 2400, clock);
  const tokenIds = new IdGenerator(seed + 1);
  const deps: ApiDeps = { checker, tokens, quota, state, clock };
  let url = '';

  const reset = (): void => {
    state.reset();
    recorder.clear();
    faults.clear(seed);
    quota.reset();
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const parsed = new URL(req.url ?? '/', 'http://emulator.invalid');
    const method = (req.method ?? 'GET').toUpperCase();
    const { pathname, searchParams: query } = parsed;
    const raw = await readBody(req);
    // Recorded and fault-matched in decoded form (`/users/jane@example.com`), routed in raw form.
    const path = safeDecode(pathname);

    if (pathname === '/__emulator' || pathname.startsWith('/__emulator/')) {
      let body: unknown;
      try {
        body = parseJsonBody(raw, undefined);
      } catch {
        sendJson(res, 400, { error: 'control API bodies are JSON' });
        return;
      }
      const outcome = serveControl({ state, faults, recorder, reset }, method, pathname, body);
      sendJson(res, outcome.status, outcome.body, outcome.headers);
      return;
    }

    const isToken = pathname === '/token';
    const route = isToken ? undefined : checker.match(method, pathname);
    const operation = isToken ? 'oauth2.token' : route && 'method' in route ? route.method.id : 'unknown';
    let recordedBody: unknown;
    if (isToken) recordedBody = Object.fromEntries(new URLSearchParams(raw));
    else {
      try {
        recordedBody = parseJsonBody(raw, undefined);
      } catch {
        recordedBody = raw;
      }
    }
    const record = (status: number, extra: Pick<RecordedCall, 'violation' | 'fault'>): void => {
      const call: Omit<RecordedCall, 'seq' | 'at'> = {
        method,
        path,
        query: queryRecord(query),
        body: recordedBody,
        status,
        operation,
      };
      if (extra.violation !== undefined) call.violation = extra.violation;
      if (extra.fault !== undefined) call.fault = extra.fault;
      recorder.record(call);
    };

    let fault: string | undefined;
    const token = accessTokenOf(req.headers, query);
    const decision = faults.next(token === undefined ? { method, path } : { method, path, token });
    switch (decision.kind) {
      case 'none':
        break;
      case 'latency':
        fault = 'latency';
        await delay(decision.latencyMs);
        break;
      case 'hold':
        fault = 'hold';
        await decision.released;
        break;
      case 'reset':
        record(0, { fault: 'reset' });
        req.socket.destroy();
        return;
      case 'rate-limit':
      case 'rate-limit-403':
      case 'server-error':
      case 'unavailable': {
        const [status, message, reason] = FAULT_BODIES[decision.kind];
        const headers: Record<string, string> =
          'retryAfterSeconds' in decision ? { 'Retry-After': String(decision.retryAfterSeconds) } : {};
        sendJson(res, status, googleErrorBody(status, message, reason), headers);
        record(status, { fault: decision.kind });
        return;
      }
    }

    let outcome: Outcome;
    if (isToken) {
      outcome =
        method === 'POST'
          ? serveTokenRequest(new URLSearchParams(raw), tokens, tokenIds, clock(), `${url}token`)
          : { status: 405, body: { error: 'invalid_request', error_description: 'POST only' } };
    } else if (route && 'method' in route) {
      outcome = serveApi(deps, { method, pathname, query, headers: req.headers, raw }, route);
    } else {
      outcome = unknownPath(method, pathname, route?.allowed ?? []);
    }
    sendJson(
      res,
      outcome.status,
      outcome.body,
      outcome.headers,
      query.get('prettyPrint') !== 'false' && !isToken,
    );
    record(outcome.status, { violation: outcome.violation, fault });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      const message = e instanceof Error ? e.message : String(e);
      const status = e instanceof ApiError ? e.status : 500;
      sendJson(res, status, googleErrorBody(status, `Emulator error: ${message}`, 'backendError'));
    });
  });
  const listening = await listenOn(server, opts.host ?? '127.0.0.1', opts.port ?? 0);
  url = `${listening.url}/`;

  return {
    url,
    tokenUrl: `${url}token`,
    port: listening.port,
    state,
    faults,
    recorder,
    tokens,
    checker,
    reset,
    stop: async () => {
      faults.clear(seed);
      await closeServer(server);
    },
  };
}
