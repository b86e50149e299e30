import type { AppConfig } from '../config/types.ts';

/** What the CLI needs from the outside world; tests pass their own. */
export interface CliDeps {
  env: Record<string, string | undefined>;
  cwd: string;
  stdout: { write(chunk: string): unknown; isTTY?: boolean | undefined };
  stderr: { write(chunk: string): unknown; isTTY?: boolean | undefined };
  fetch: typeof fetch;
  /** Resolves with the signal name when the process is asked to stop (serve). */
  untilSignal: () => Promise<string>;
}

/** Exit codes of the contract. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** A command's view: parsed flags, the deps, and a lazily loaded configuration. */
export interface CommandContext {
  deps: CliDeps;
  /** Loads and validates configuration (throws CONFIG_INVALID). */
  config(overrides?: Record<string, unknown>): AppConfig;
  out(line?: string): void;
  err(line: string): void;
}

/** A command: parses its own arguments and returns an exit code. */
export type Command = (argv: string[], ctx: CommandContext) => Promise<number>;

/** Parses JSON text, or keeps the text as it is when it is not JSON (for --json output). */
export function jsonOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Formats rows as an aligned text table. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}
