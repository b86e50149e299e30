import { createHash } from 'node:crypto';
import type { RateLimitPolicy } from '../connector/manifest.ts';
import type { Store } from '../store/types.ts';
import type { RateLimiter } from './rate-limiter.ts';

/**
 * A stable budget key from a connector's limit scope: `<connector>:<sha256 of the parts>`, so a
 * token or an admin's e-mail that names the scope never reaches the store in clear.
 */
export function budgetKey(connector: string, ...parts: string[]): string {
  return `${connector}:${createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 24)}`;
}

/** A shared budget: at most `limit` calls per `intervalMs` for everything that shares `key`. */
export type CallBudget = Required<RateLimitPolicy>;

/** Timing of a shared budget's grants, from the vendor's window. */
export interface SharedBudgetTiming {
  /** Granted calls must start within this long, else they are dropped. */
  holdMs: number;
  /**
   * Extra time a grant keeps counting, for the gap between our call start and the vendor's
   * arrival stamp (latency, event-loop lag): the vendor's window must never see more than we did.
   */
  marginMs: number;
  /** Calls asked for at once (fewer round trips; unused ones expire with the hold). */
  grant: number;
  /** Wait before asking again when the window is full. */
  retryMs: number;
}

/** Sensible timing for a budget: a tenth of the window to spend a grant, a twentieth of the limit per grant. */
export function sharedBudgetTiming(budget: CallBudget): SharedBudgetTiming {
  return {
    holdMs: Math.max(50, Math.floor(budget.intervalMs / 10)),
    marginMs: Math.max(500, Math.floor(budget.intervalMs / 20)),
    grant: Math.max(1, Math.floor(budget.limit / 20)),
    retryMs: Math.max(25, Math.floor(budget.intervalMs / 50)),
  };
}

/**
 * A limiter for several instances on one database: each call takes a slot of `local` (which keeps
 * pauses after a 429 and the vendor's remaining-call headers, as on one instance), then, right
 * before it starts, a call of the budget every instance shares (`Store.takeCallBudget`, granted a
 * few calls at a time). A grant counts against the window from when it is made until `holdMs +
 * marginMs + intervalMs` later, and its calls start within `holdMs`: whatever the instances do,
 * the vendor never sees more than `limit` calls in any window.
 */
export function createSharedRateLimiter(options: {
  local: RateLimiter;
  store: Store;
  budget: CallBudget;
  timing?: SharedBudgetTiming;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}): RateLimiter {
  const { local, store, budget } = options;
  const timing = options.timing ?? sharedBudgetTiming(budget);
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let tokens = 0;
  let tokensUntil = 0;
  let chain: Promise<void> = Promise.resolve();

  const acquire = async (cost: number): Promise<void> => {
    for (;;) {
      if (now() >= tokensUntil) tokens = 0;
      if (tokens >= cost) {
        tokens -= cost;
        return;
      }
      const t = now();
      const granted = await store.takeCallBudget({
        key: budget.key,
        want: Math.max(cost - tokens, timing.grant),
        limit: budget.limit,
        windowMs: budget.intervalMs,
        holdMs: timing.holdMs + timing.marginMs,
        now: t,
      });
      if (granted > 0) {
        // Calls left from an older grant keep its (earlier) end: every call starts within the hold
        // of the grant it came from.
        tokensUntil = tokens > 0 ? Math.min(tokensUntil, t + timing.holdMs) : t + timing.holdMs;
        tokens += granted;
        continue;
      }
      await sleep(timing.retryMs);
    }
  };

  const sharedSlot = (cost: number): Promise<void> => {
    const slot = chain.then(() => acquire(cost));
    chain = slot.catch(() => undefined);
    return slot;
  };

  return {
    schedule<T>(task: () => Promise<T>, cost = 1): Promise<T> {
      if (budget.limit <= 0) return local.schedule(task, cost);
      return local.schedule(async () => {
        await sharedSlot(cost);
        return task();
      }, cost);
    },
    pauseUntil: (until) => local.pauseUntil(until),
    observe: (remaining, intervalMs) => local.observe(remaining, intervalMs),
    get started() {
      return local.started;
    },
  };
}
