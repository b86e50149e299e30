import { SyncError } from '../errors.ts';

/** Structural limits on a webhook payload, checked right after parsing, before any walk over it. */
export interface PayloadLimits {
  /** Deepest nesting of objects and arrays (the body itself is level 1). */
  maxDepth: number;
  /** Most items in any one array. */
  maxArrayLength: number;
}

/** The defaults (`WEBHOOK_MAX_DEPTH`, `WEBHOOK_MAX_ARRAY_LENGTH`). */
export const DEFAULT_PAYLOAD_LIMITS: PayloadLimits = { maxDepth: 64, maxArrayLength: 10_000 };

/**
 * Checks `value` against `limits` without recursion (an explicit stack), so a hostile body can
 * neither overflow the call stack here nor reach a walk that could.
 * @throws SyncError PAYLOAD_LIMIT_EXCEEDED naming the limit, never the content.
 */
export function checkPayloadLimits(value: unknown, limits: PayloadLimits = DEFAULT_PAYLOAD_LIMITS): void {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 1 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { value: current, depth } = item;
    if (current === null || typeof current !== 'object') continue;
    if (depth > limits.maxDepth) {
      throw new SyncError(
        'PAYLOAD_LIMIT_EXCEEDED',
        `the body nests objects or arrays deeper than ${limits.maxDepth} levels (WEBHOOK_MAX_DEPTH)`,
      );
    }
    const children = Array.isArray(current) ? current : Object.values(current);
    if (Array.isArray(current) && current.length > limits.maxArrayLength) {
      throw new SyncError(
        'PAYLOAD_LIMIT_EXCEEDED',
        `the body has an array of ${current.length} items, over the limit of ${limits.maxArrayLength} (WEBHOOK_MAX_ARRAY_LENGTH)`,
      );
    }
    for (const child of children) {
      if (child !== null && typeof child === 'object') stack.push({ value: child, depth: depth + 1 });
    }
  }
}
