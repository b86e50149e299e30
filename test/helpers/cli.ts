import { runCli } from '../../src/cli/main.ts';

/** What one in-process CLI run answered and printed. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `growrk-sync ARGV` in this process with `env` (and `cwd`), collecting its output. */
export async function runCliCaptured(
  argv: string[],
  env: Record<string, string>,
  cwd = '/nonexistent',
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    env,
    cwd,
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    fetch: globalThis.fetch,
    untilSignal: () => new Promise(() => {}),
  });
  return { code, stdout, stderr };
}
