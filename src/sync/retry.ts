import pRetry, { AbortError } from 'p-retry';
import { type SyncError, toSyncError } from '../errors.ts';

/** Longest Retry-After honoured inside one attempt; longer waits reschedule the job instead. */
export const MAX_INLINE_WAIT_MS = 30_000;

/**
 * Runs `task` with a few quick retries for retryable errors (p-retry, exponential with jitter),
 * waiting at least what the vendor's Retry-After asked. Non-retryable errors and waits longer than
 * {@link MAX_INLINE_WAIT_MS} end the attempt at once. Always rejects with a SyncError.
 */
export async function withQuickRetries<T>(
  task: () => Promise<T>,
  options: { retries: number; minTimeoutMs?: number; onRetryAfter?: (ms: number) => void },
): Promise<T> {
  try {
    return await pRetry(
      async () => {
        try {
          return await task();
        } catch (err) {
          const error = toSyncError(err);
          if (!error.retryable || (error.retryAfterMs ?? 0) > MAX_INLINE_WAIT_MS) throw new AbortError(error);
          throw error;
        }
      },
      {
        retries: options.retries,
        minTimeout: options.minTimeoutMs ?? 200,
        maxTimeout: 5_000,
        randomize: true,
        onFailedAttempt: async ({ error }) => {
          const wait = (error as SyncError).retryAfterMs;
          if (wait !== undefined && wait > 0) {
            options.onRetryAfter?.(wait);
            await new Promise((resolve) => setTimeout(resolve, wait));
          }
        },
      },
    );
  } catch (err) {
    throw toSyncError(err);
  }
}

/** Delay before attempt `attempts + 1`: exponential from `baseMs`, full jitter, capped, never under `floorMs`. */
export function backoffDelay(
  attempts: number,
  baseMs: number,
  maxMs: number,
  floorMs = 0,
  random = Math.random,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.max(floorMs, Math.round(ceiling / 2 + (random() * ceiling) / 2));
}
