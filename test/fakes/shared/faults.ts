/**
 * Fault injection shared by the vendor emulators: each emulator asks `next(call)` before serving a
 * request and obeys the answer. Rules are matched in order; a rule with `count` stops after that
 * many hits; a rule with `probability` fires on that share of matching calls (seeded, repeatable).
 */

/** What an injected fault does to one call. */
export type FaultKind =
  /** HTTP 429 with Retry-After. */
  | 'rate-limit'
  /** HTTP 403 with a rate-limit reason (Google's userRateLimitExceeded style). */
  | 'rate-limit-403'
  /** HTTP 500. */
  | 'server-error'
  /** HTTP 503. */
  | 'unavailable'
  /** The TCP connection is destroyed before any answer. */
  | 'reset'
  /** The call is served normally after `latencyMs`. */
  | 'latency'
  /** The call waits until the test releases it through `held()` (for crash tests). */
  | 'hold';

/** One rule. */
export interface FaultRule {
  kind: FaultKind;
  /** Only calls with this HTTP method (upper case). */
  method?: string;
  /** Only calls whose path matches. */
  path?: RegExp | string;
  /** Only calls made with this access token (to tell apart clients that share an emulator). */
  token?: string;
  /** Fire on at most this many calls, then the rule is spent. */
  count?: number;
  /** Fire on this share (0..1) of matching calls. Default 1. */
  probability?: number;
  /** For `latency`: delay in milliseconds. */
  latencyMs?: number;
  /** For rate-limit faults: the Retry-After value in seconds. Default 1. */
  retryAfterSeconds?: number;
}

/** The call as the injector sees it. */
export interface FaultCall {
  method: string;
  path: string;
  /** The caller's access token, where the emulator knows it. */
  token?: string;
}

/** A call that a `hold` rule is keeping waiting. */
export interface HeldCall extends FaultCall {
  /** Let the call proceed normally. */
  release(): void;
}

/** The decision for one call. */
export type FaultDecision =
  | { kind: 'none' }
  | { kind: 'latency'; latencyMs: number }
  | { kind: 'rate-limit' | 'rate-limit-403'; retryAfterSeconds: number }
  | { kind: 'server-error' | 'unavailable' | 'reset' }
  | { kind: 'hold'; released: Promise<void> };

interface ActiveRule extends FaultRule {
  fired: number;
}

/** Deterministic PRNG (mulberry32) so that probabilistic faults repeat run to run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Holds the fault rules of one emulator. */
export class FaultInjector {
  private rules: ActiveRule[] = [];
  private readonly heldCalls: HeldCall[] = [];
  private readonly holdWaiters: Array<(call: HeldCall) => void> = [];
  private random: () => number;
  /** How many faults fired, by kind. */
  readonly fired: Record<FaultKind, number> = {
    'rate-limit': 0,
    'rate-limit-403': 0,
    'server-error': 0,
    unavailable: 0,
    reset: 0,
    latency: 0,
    hold: 0,
  };

  constructor(seed = 42) {
    this.random = rng(seed);
  }

  /** Adds a rule; returns a function that removes it. */
  add(rule: FaultRule): () => void {
    const active: ActiveRule = { ...rule, fired: 0 };
    this.rules.push(active);
    return () => {
      this.rules = this.rules.filter((r) => r !== active);
    };
  }

  /** Removes every rule and releases every held call. */
  clear(seed = 42): void {
    this.rules = [];
    this.random = rng(seed);
    for (const call of this.heldCalls.splice(0)) call.release();
    for (const key of Object.keys(this.fired) as FaultKind[]) this.fired[key] = 0;
  }

  /** Calls currently held by a `hold` rule. */
  held(): readonly HeldCall[] {
    return this.heldCalls;
  }

  /** Resolves with the next call that a `hold` rule catches (or one already held). */
  waitForHeld(): Promise<HeldCall> {
    const first = this.heldCalls[0];
    if (first) return Promise.resolve(first);
    return new Promise((resolve) => this.holdWaiters.push(resolve));
  }

  /** Decides what happens to one call. */
  next(call: FaultCall): FaultDecision {
    for (const rule of this.rules) {
      if (rule.count !== undefined && rule.fired >= rule.count) continue;
      if (rule.method && rule.method !== call.method) continue;
      if (rule.token !== undefined && rule.token !== call.token) continue;
      if (rule.path !== undefined) {
        const ok = typeof rule.path === 'string' ? call.path.includes(rule.path) : rule.path.test(call.path);
        if (!ok) continue;
      }
      if (rule.probability !== undefined && this.random() >= rule.probability) continue;
      rule.fired += 1;
      this.fired[rule.kind] += 1;
      switch (rule.kind) {
        case 'latency':
          return { kind: 'latency', latencyMs: rule.latencyMs ?? 50 };
        case 'rate-limit':
        case 'rate-limit-403':
          return { kind: rule.kind, retryAfterSeconds: rule.retryAfterSeconds ?? 1 };
        case 'hold': {
          let release: () => void = () => {};
          const released = new Promise<void>((resolve) => {
            release = resolve;
          });
          const held: HeldCall = {
            ...call,
            release: () => {
              const i = this.heldCalls.indexOf(held);
              if (i >= 0) this.heldCalls.splice(i, 1);
              release();
            },
          };
          this.heldCalls.push(held);
          for (const waiter of this.holdWaiters.splice(0)) waiter(held);
          return { kind: 'hold', released };
        }
        default:
          return { kind: rule.kind };
      }
    }
    return { kind: 'none' };
  }
}

/** Parses a rule sent over the emulators' control API (`path` as a regular expression source). */
export function ruleFromJson(input: unknown): FaultRule {
  if (typeof input !== 'object' || input === null) throw new Error('fault rule must be an object');
  const raw = input as Record<string, unknown>;
  const kinds: FaultKind[] = [
    'rate-limit',
    'rate-limit-403',
    'server-error',
    'unavailable',
    'reset',
    'latency',
    'hold',
  ];
  if (!kinds.includes(raw.kind as FaultKind))
    throw new Error(`fault kind must be one of ${kinds.join(', ')}`);
  const rule: FaultRule = { kind: raw.kind as FaultKind };
  if (typeof raw.method === 'string') rule.method = raw.method.toUpperCase();
  if (typeof raw.path === 'string') rule.path = new RegExp(raw.path);
  if (typeof raw.token === 'string') rule.token = raw.token;
  for (const key of ['count', 'probability', 'latencyMs', 'retryAfterSeconds'] as const) {
    if (typeof raw[key] === 'number') rule[key] = raw[key];
  }
  return rule;
}
