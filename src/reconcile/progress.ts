/**
 * Progress of a long reconciliation on a terminal: one status line on stderr, rewritten in place
 * at most a few times a second, and only when stderr is a TTY (never in logs, pipes or `--json`).
 */

/** Where a run reports progress. */
export interface Progress {
  /** Sets the status of one part of the run (e.g. a connector) and redraws when due. */
  update(part: string, status: string): void;
  /** Clears the line. */
  done(): void;
}

/** A progress that shows nothing. */
export const NO_PROGRESS: Progress = { update: () => {}, done: () => {} };

/** A status line on `stream` when it is a TTY, else {@link NO_PROGRESS}. */
export function terminalProgress(
  stream: { write(chunk: string): unknown; isTTY?: boolean | undefined },
  intervalMs = 200,
): Progress {
  if (!stream.isTTY) return NO_PROGRESS;
  const parts = new Map<string, string>();
  let last = 0;
  let shown = false;
  const draw = () => {
    const line = [...parts.entries()].map(([part, status]) => `${part}: ${status}`).join(' | ');
    stream.write(`\r\x1b[K${line.slice(0, 200)}`);
    shown = true;
  };
  return {
    update(part, status) {
      parts.set(part, status);
      const now = Date.now();
      if (now - last >= intervalMs) {
        last = now;
        draw();
      }
    },
    done() {
      if (shown) stream.write('\r\x1b[K');
      shown = false;
    },
  };
}
