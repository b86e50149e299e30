/**
 * The HubSpot CRM emulator's HTTP server: a `node:http` server that the real `@hubspot/api-client`
 * talks to over loopback (`new Client({ accessToken, basePath: emulator.url })`). Each API call
 * passes the fault injector, then the pipeline (auth, limits, contract, handler), and is recorded.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { FaultInjector } from '../shared/faults.ts';
import { closeServer, listenOn } from '../shared/listen.ts';
import type { OpenApiValidator } from '../shared/openapi.ts';
import { CallRecorder } from '../shared/recorder.ts';
import { ALL_SCOPES, TokenRegistry } from './auth.ts';
import { hubSpotValidator } from './contract.ts';
import { control } from './control.ts';
import { newCorrelationId } from './errors.ts';
import { Pipeline, rateLimitBody } from './pipeline.ts';
import { RateLimiter } from './rate-limit.ts';
import { routeTable } from './routes.ts';
import { loadHubSpotSpecs } from './specs.ts';
import { CrmState } from './state.ts';

/** How to start an emulator. */
export interface HubSpotEmulatorOptions {
  /** Port to listen on; 0 or absent picks a free one. */
  port?: number;
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  /** Bearer tokens the portal accepts; default `['hs-test-token']`. */
  accessTokens?: string[];
  /** The portal (hub) id; default 12345. */
  portalId?: number;
  /** Calls per rolling ten seconds; default 190. */
  limitPer10s?: number;
  /** The rolling window of `limitPer10s`; default 10 s (HubSpot's). Shrink both together in tests. */
  windowMs?: number;
  /** Calls per day; default 1,000,000. */
  dailyLimit?: number;
  /** CRM search calls per second; default 4. */
  searchPerSecond?: number;
  /** Seed of the fault injector's random draws. */
  seed?: number;
  /** Scopes every accepted token has; default all scopes the emulator knows. */
  scopes?: string[];
  /** Clock in epoch milliseconds for timestamps and rate windows; default `Date.now`. */
  clock?: () => number;
  /** A folder with the OpenAPI files, searched before the default locations. */
  specsDir?: string;
}

/** A running emulator. */
export interface HubSpotEmulator {
  /** The `basePath` for the client, without a trailing slash. */
  url: string;
  port: number;
  state: CrmState;
  faults: FaultInjector;
  recorder: CallRecorder;
  /** Fresh state, no recorded calls, no fault rules, empty rate windows, zeroed stats. */
  reset(): void;
  /** Releases held calls, closes every connection and stops listening. */
  stop(): Promise<void>;
  /** API calls received (control calls excluded) and calls the rate limiter refused. */
  stats(): { calls: number; rateLimited: number };
}

const validators = new Map<string, OpenApiValidator>();

/** The validator is immutable and costly to build, so emulators in one process share it. */
function validatorFor(specsDir: string | undefined): OpenApiValidator {
  const key = specsDir ?? '';
  let validator = validators.get(key);
  if (!validator) {
    validator = hubSpotValidator(loadHubSpotSpecs(specsDir));
    validators.set(key, validator);
  }
  return validator;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseBody(raw: string): { present: boolean; value: unknown; parseError?: string } {
  if (raw.trim() === '') return { present: false, value: undefined };
  try {
    return { present: true, value: JSON.parse(raw) as unknown };
  } catch (error) {
    return { present: true, value: raw, parseError: error instanceof Error ? error.message : 'not JSON' };
  }
}

function queryOf(params: URLSearchParams): {
  all: Map<string, string[]>;
  recorded: Record<string, string | string[]>;
} {
  const all = new Map<string, string[]>();
  for (const [key, value] of params) all.set(key, [...(all.get(key) ?? []), value]);
  const recorded: Record<string, string | string[]> = {};
  for (const [key, values] of all) recorded[key] = values.length === 1 ? (values[0] ?? '') : values;
  return { all, recorded };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
  if (res.headersSent || res.destroyed) return;
  const payload = status === 204 || body === undefined ? undefined : JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    ...(payload !== undefined ? { 'Content-Type': 'application/json;charset=utf-8' } : {}),
  });
  res.end(payload);
}

/** Starts an emulator; resolves once it listens. */
export async function startHubSpotEmulator(opts: HubSpotEmulatorOptions = {}): Promise<HubSpotEmulator> {
  const clock = opts.clock ?? Date.now;
  const portalId = opts.portalId ?? 12345;
  const seed = opts.seed ?? 42;
  const state = new CrmState({ portalId, clock });
  const faults = new FaultInjector(seed);
  const recorder = new CallRecorder();
  const tokens = new TokenRegistry(
    opts.accessTokens ?? ['hs-test-token'],
    opts.scopes ?? ALL_SCOPES,
    portalId,
  );
  const limiter = new RateLimiter({
    limitPer10s: opts.limitPer10s ?? 190,
    ...(opts.windowMs !== undefined ? { windowMs: opts.windowMs } : {}),
    dailyLimit: opts.dailyLimit ?? 1_000_000,
    searchPerSecond: opts.searchPerSecond ?? 4,
    clock,
  });
  const counters = { calls: 0, rateLimited: 0 };
  const pipeline = new Pipeline({
    validator: validatorFor(opts.specsDir),
    routes: routeTable(),
    state,
    tokens,
    limiter,
    onRateLimited: () => {
      counters.rateLimited += 1;
    },
  });
  const stats = () => ({ ...counters });
  const reset = () => {
    state.reset();
    recorder.clear();
    faults.clear(seed);
    limiter.reset();
    counters.calls = 0;
    counters.rateLimited = 0;
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    const path = url.pathname;
    const raw = await readBody(req);
    const body = parseBody(raw);
    if (path.startsWith('/__emulator/')) {
      const answer = control(
        { state, faults, recorder, reset, stats, clearFaults: () => faults.clear(seed) },
        method,
        path,
        body.value,
      );
      send(res, answer.status, answer.body, {});
      return;
    }
    counters.calls += 1;
    const query = queryOf(url.searchParams);
    const base = { method, path, query: query.recorded, body: body.value };
    const headers = () => ({ 'X-HubSpot-Correlation-Id': newCorrelationId(), ...limiter.headers() });
    const decision = faults.next({ method, path });
    let fault: string | undefined;
    switch (decision.kind) {
      case 'reset':
        recorder.record({
          ...base,
          status: 0,
          operation: pipeline.operationFor(method, path),
          fault: 'reset',
        });
        req.socket.destroy();
        return;
      case 'rate-limit':
      case 'rate-limit-403':
      case 'server-error':
      case 'unavailable': {
        const status = { 'rate-limit': 429, 'rate-limit-403': 403, 'server-error': 500, unavailable: 503 }[
          decision.kind
        ];
        const answer =
          decision.kind === 'rate-limit' || decision.kind === 'rate-limit-403'
            ? rateLimitBody('TEN_SECONDLY_ROLLING')
            : {
                status: 'error',
                message: decision.kind === 'server-error' ? 'Internal error' : 'Service Unavailable',
                correlationId: newCorrelationId(),
                category: decision.kind === 'server-error' ? 'INTERNAL_ERROR' : 'SERVICE_UNAVAILABLE',
              };
        const extra: Record<string, string> =
          'retryAfterSeconds' in decision ? { 'Retry-After': String(decision.retryAfterSeconds) } : {};
        send(res, status, answer, { ...headers(), ...extra });
        recorder.record({
          ...base,
          status,
          operation: pipeline.operationFor(method, path),
          fault: decision.kind,
        });
        return;
      }
      case 'latency':
        await delay(decision.latencyMs);
        fault = 'latency';
        break;
      case 'hold':
        await decision.released;
        fault = 'hold';
        break;
      default:
        break;
    }
    const outcome = pipeline.serve({
      method,
      path,
      query: query.all,
      body,
      ...(req.headers.authorization !== undefined ? { authorization: req.headers.authorization } : {}),
      ...(req.headers['content-type'] !== undefined ? { contentType: req.headers['content-type'] } : {}),
    });
    send(res, outcome.status, outcome.body, { ...headers(), ...outcome.headers });
    recorder.record({
      ...base,
      status: outcome.status,
      operation: outcome.operation,
      ...(outcome.violation !== undefined ? { violation: outcome.violation } : {}),
      ...(fault !== undefined ? { fault } : {}),
    });
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      send(
        res,
        500,
        { status: 'error', message: `Emulator failure: ${message}`, category: 'INTERNAL_ERROR' },
        {},
      );
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
    stats,
    stop: () => {
      faults.clear(seed);
      return closeServer(server);
    },
  };
}
