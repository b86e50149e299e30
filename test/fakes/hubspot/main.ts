/**
 * Runs the HubSpot emulator as a process:
 *
 *   node test/fakes/hubspot/main.ts --port 4020 [--limit 190] [--window 10000] [--daily 1000000] [--search-per-second 4]
 *                                   [--host 127.0.0.1] [--portal 12345] [--token hs-test-token]... [--seed 42]
 *
 * Prints the base URL on stdout and runs until SIGINT or SIGTERM.
 */
import { parseArgs } from 'node:util';
import { startHubSpotEmulator } from './server.ts';

function number(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`--${name} must be a non-negative integer, got ${value}`);
  return n;
}

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    limit: { type: 'string' },
    window: { type: 'string' },
    daily: { type: 'string' },
    'search-per-second': { type: 'string' },
    portal: { type: 'string' },
    token: { type: 'string', multiple: true },
    seed: { type: 'string' },
  },
  strict: true,
});

const options = {
  port: number(values.port, 'port'),
  limitPer10s: number(values.limit, 'limit'),
  windowMs: number(values.window, 'window'),
  dailyLimit: number(values.daily, 'daily'),
  searchPerSecond: number(values['search-per-second'], 'search-per-second'),
  portalId: number(values.portal, 'portal'),
  seed: number(values.seed, 'seed'),
};
const emulator = await startHubSpotEmulator({
  ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
  ...(values.host !== undefined ? { host: values.host } : {}),
  ...(values.token !== undefined ? { accessTokens: values.token } : {}),
});
process.stdout.write(`${emulator.url}\n`);

let stopping = false;
const shutdown = (): void => {
  if (stopping) return;
  stopping = true;
  emulator.stop().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
