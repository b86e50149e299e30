import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../src/cli/bin.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A service started as a child process, the way `npm start` starts it. */
export interface ServiceProcess {
  child: ChildProcess;
  url: string;
  /** Every stdout/stderr line so far (JSON log lines). */
  output: string[];
  /** Waits for a log line matching `predicate`. */
  waitForLine(predicate: (line: string) => boolean): Promise<string>;
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait for exit. */
  kill9(): Promise<void>;
}

/** Starts `growrk-sync serve` with `env` on a free port and waits until it listens. */
export async function startServiceProcess(
  env: Record<string, string>,
  args: string[] = [],
): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', NODE_ENV: 'test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const waiters: Array<{ predicate: (line: string) => boolean; resolve: (line: string) => void }> = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
      output.push(line);
      for (const waiter of [...waiters]) {
        if (waiter.predicate(line)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const waitForLine = (predicate: (line: string) => boolean) =>
    new Promise<string>((resolve, reject) => {
      const found = output.find(predicate);
      if (found) return resolve(found);
      waiters.push({ predicate, resolve });
      void exited.then((code) =>
        reject(new Error(`service exited (${code}) before the expected line:\n${output.join('\n')}`)),
      );
    });
  const listening = await waitForLine((l) => l.includes('"growrk-sync listening"'));
  const url = (JSON.parse(listening) as { url: string }).url;
  return {
    child,
    url,
    output,
    waitForLine,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
    kill9: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
