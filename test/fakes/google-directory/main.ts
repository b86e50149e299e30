/**
 * Runs the Directory API emulator as a process:
 *
 *   node test/fakes/google-directory/main.ts --port 4010 [--host 127.0.0.1] [--quota N] [--token T]...
 *     [--customer C0test] [--domain example.com] [--seed N]
 *
 * Prints the root URL (with trailing slash) on stdout once listening; stops on SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { type GoogleEmulatorOptions, startGoogleEmulator } from './server.ts';

function integer(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new Error(`--${name} must be a non-negative integer, got ${value}`);
  return Number(value);
}

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '4010' },
    host: { type: 'string' },
    quota: { type: 'string' },
    token: { type: 'string', multiple: true },
    customer: { type: 'string' },
    domain: { type: 'string' },
    seed: { type: 'string' },
  },
  strict: true,
});

const options: GoogleEmulatorOptions = {};
const port = integer('port', values.port);
if (port !== undefined) options.port = port;
if (values.host !== undefined) options.host = values.host;
const quota = integer('quota', values.quota);
if (quota !== undefined) options.quotaPerMinute = quota;
if (values.token !== undefined && values.token.length > 0) options.accessTokens = values.token;
if (values.customer !== undefined) options.customerId = values.customer;
if (values.domain !== undefined) options.domain = values.domain;
const seed = integer('seed', values.seed);
if (seed !== undefined) options.seed = seed;

const emulator = await startGoogleEmulator(options);
process.stdout.write(`${emulator.url}\n`);

let stopping = false;
const shutdown = (): void => {
  if (stopping) return;
  stopping = true;
  emulator.stop().then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(`google-directory emulator: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
