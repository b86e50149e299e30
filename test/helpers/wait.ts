/**
 * Waits until `probe` answers something truthy, checking every `everyMs`; fails after `timeoutMs`
 * naming `what` (a text, or a function that describes the state at the time of failure). A
 * condition wait for work another process or a polling worker does, never a fixed sleep.
 */
export async function until<T>(
  what: string | (() => string | Promise<string>),
  probe: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  options: { timeoutMs?: number; everyMs?: number } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) {
      const text = typeof what === 'string' ? what : await what();
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${text}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.everyMs ?? 25));
  }
}
