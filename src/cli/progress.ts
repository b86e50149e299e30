/**
 * Progress bars for long commands (`import`, `reconcile`), on stderr and only when stderr is a
 * terminal: never in logs, pipes, CI or `--json` output. One line, redrawn in place at most five
 * times a second, cleared at the end. Hand-rolled (about fifty lines) rather than a dependency.
 */
import type { Progress } from '../reconcile/progress.ts';

/** Where the CLI writes; `isTTY` decides whether anything is drawn. */
export interface TerminalStream {
  write(chunk: string): unknown;
  isTTY?: boolean | undefined;
  columns?: number | undefined;
}

/** A bar for one task, plus the reconciliation's {@link Progress} (parts with a status each). */
export interface ProgressBar extends Progress {
  /** Sets the bar: `done` of `total` units (`unit` as people read it, e.g. "rows"). */
  count(label: string, done: number, total: number, unit?: string): void;
}

const WIDTH = 24;

/** `[#########---------------]  37%` for `done` of `total`. */
export function bar(done: number, total: number, width = WIDTH): string {
  const share = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
  const full = Math.round(share * width);
  return `[${'#'.repeat(full)}${'-'.repeat(width - full)}] ${String(Math.floor(share * 100)).padStart(3)}%`;
}

/** One part's status as drawn: a bar when it says `N/M` (e.g. "applying 40/100"), else as it is. */
export function partText(part: string, status: string): string {
  const m = /(\d+)\/(\d+)/.exec(status);
  return m ? `${part}: ${bar(Number(m[1]), Number(m[2]), 16)} ${status}` : `${part}: ${status}`;
}

const NONE: ProgressBar = { update: () => {}, count: () => {}, done: () => {} };

/** A progress bar on `stream` when it is a TTY; otherwise one that draws nothing. */
export function progressBar(
  stream: TerminalStream,
  intervalMs = 200,
  now: () => number = Date.now,
): ProgressBar {
  if (!stream.isTTY) return NONE;
  const started = now();
  const parts = new Map<string, string>();
  let last = Number.NEGATIVE_INFINITY;
  let shown = false;
  const draw = (line: string) => {
    const t = now();
    if (t - last < intervalMs) return;
    last = t;
    const max = Math.max(20, (stream.columns ?? 100) - 1);
    stream.write(`\r\x1b[K${line.slice(0, max)}`);
    shown = true;
  };
  return {
    update(part, status) {
      parts.set(part, status);
      draw([...parts].map(([p, s]) => partText(p, s)).join(' | '));
    },
    count(label, done, total, unit = '') {
      const secs = ((now() - started) / 1000).toFixed(1);
      const figures = `${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')}${unit ? ` ${unit}` : ''}`;
      draw(`${label} ${bar(done, total)} ${figures}  ${secs} s`);
    },
    done() {
      if (shown) stream.write('\r\x1b[K');
      shown = false;
    },
  };
}
