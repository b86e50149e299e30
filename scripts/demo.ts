/**
 * `npm run demo`: the whole service on a laptop in under a minute. It starts both vendor
 * emulators and the service (on a temporary SQLite store), runs `init`, plays a short story of
 * signed GroWrk events (a hire, a laptop assigned and shipped, the offboarding, the laptop
 * returned) and, after each one, prints in plain words what changed in Google Workspace and
 * HubSpot, read from the emulators' call logs and state. Everything it starts, it stops.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../src/cli/main.ts';
import { loadConfig } from '../src/config/load.ts';
import { signBody } from '../src/growrk/signature.ts';
import { createLogger } from '../src/log.ts';
import { type RunningService, startService } from '../src/service.ts';
import { startGoogleEmulator } from '../test/fakes/google-directory/index.ts';
import { startHubSpotEmulator } from '../test/fakes/hubspot/index.ts';
import { describeState, googleWords, hubspotWords } from './demo-words.ts';

const SECRET = 'demo-secret';
const out = (line = '') => process.stdout.write(`${line}\n`);

function fixture(type: string): Record<string, unknown> {
  const text = readFileSync(new URL(`../test/fixtures/growrk/${type}.json`, import.meta.url), 'utf8');
  return JSON.parse(text) as Record<string, unknown>;
}

/** The story: each step one signed event, as GroWrk would send it, a minute apart. */
function story(start: number): Array<{ title: string; body: Record<string, unknown> }> {
  const at = (minutes: number) => new Date(start + minutes * 60_000).toISOString();
  const hire = fixture('employee.created');
  const assigned = fixture('product.assigned');
  const shipped = fixture('product.shipped');
  const offboarded = fixture('employee.offboarded');
  const returned = fixture('product.statusChange');
  const laptop = (returned.products as Array<Record<string, unknown>>)[0]!;
  Object.assign(laptop, { status: 'In inventory', assigned: false, employee: null, location: 'Warehouse' });
  return [
    { title: 'John Doe is hired (employee.created)', body: { ...hire, timestamp: at(0) } },
    { title: 'A MacBook Pro is assigned to him (product.assigned)', body: { ...assigned, timestamp: at(1) } },
    { title: 'The laptop ships (product.shipped)', body: { ...shipped, timestamp: at(2) } },
    { title: 'John Doe is offboarded (employee.offboarded)', body: { ...offboarded, timestamp: at(3) } },
    {
      title: 'The laptop comes back to the warehouse (product.statusChange)',
      body: { ...returned, timestamp: at(4) },
    },
  ];
}

async function idle(service: RunningService, deadline: number): Promise<void> {
  for (;;) {
    const counts = await service.store.countJobs();
    if (counts.pending + counts.running === 0) return;
    if (Date.now() > deadline)
      throw new Error(`the worker did not finish in time (${JSON.stringify(counts)})`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function main(): Promise<number> {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'growrk-sync-demo-'));
  const google = await startGoogleEmulator();
  const hubspot = await startHubSpotEmulator();
  let service: RunningService | null = null;
  try {
    google.state.addUser({
      primaryEmail: 'johndoe@example.com',
      name: { givenName: 'John', familyName: 'Doe' },
    });
    google.state.addUser({
      primaryEmail: 'maria.nunez@example.com',
      name: { givenName: 'María', familyName: 'Núñez' },
    });
    const env: Record<string, string> = {
      NODE_ENV: 'demo',
      CONNECTORS: 'google-workspace,hubspot',
      GOOGLE_API_ROOT_URL: google.url,
      GOOGLE_ACCESS_TOKEN: 'test-token',
      HUBSPOT_BASE_URL: hubspot.url,
      HUBSPOT_ACCESS_TOKEN: 'hs-test-token',
      GROWRK_WEBHOOK_SECRET: SECRET,
      DATABASE_URL: `sqlite:${join(dir, 'demo.db')}`,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      RECONCILE_SCHEDULE: 'off',
      JOB_POLL_INTERVAL: '100ms',
      JOB_BACKOFF_BASE: '100ms',
      JOB_BACKOFF_MAX: '1s',
    };
    out('growrk-sync demo: Google Workspace and HubSpot emulators, the service on a temporary SQLite store');
    out(`  Google Directory emulator ${google.url}   HubSpot emulator ${hubspot.url}`);
    out();
    out('$ growrk-sync init');
    let printed = '';
    const init = await runCli(['init'], {
      env,
      cwd: dir,
      stdout: { write: (s: string) => (printed += s) },
      stderr: { write: (s: string) => process.stderr.write(s) },
      fetch: globalThis.fetch,
      untilSignal: () => new Promise(() => {}),
    });
    for (const line of printed.trimEnd().split('\n')) out(`  ${line}`);
    if (init !== 0) throw new Error(`init exited ${init}`);
    const config = loadConfig({ env, cwd: dir });
    service = await startService({ config, logger: createLogger('silent'), cwd: dir });
    out();
    out(`The service listens on ${service.url}; GroWrk's events follow, signed as GroWrk signs them.`);
    let seen = { google: google.recorder.calls.length, hubspot: hubspot.recorder.calls.length };
    for (const [i, step] of story(Date.now() - 10 * 60_000).entries()) {
      const body = JSON.stringify(step.body);
      const res = await fetch(`${service.url}/webhooks/growrk`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-growrk-signature': signBody(body, SECRET) },
        body,
      });
      out();
      out(`${i + 1}. ${step.title}: HTTP ${res.status}`);
      if (res.status !== 200) throw new Error(`the service answered ${res.status}: ${await res.text()}`);
      await idle(service, Date.now() + 20_000);
      const calls = {
        google: google.recorder.calls.slice(seen.google),
        hubspot: hubspot.recorder.calls.slice(seen.hubspot),
      };
      seen = { google: google.recorder.calls.length, hubspot: hubspot.recorder.calls.length };
      printChanges('Google Workspace', googleWords(google, calls.google));
      printChanges('HubSpot', hubspotWords(hubspot, calls.hubspot));
    }
    out();
    out('Where things stand:');
    for (const line of describeState(google, hubspot)) out(`  ${line}`);
    const violations = [...google.recorder.violations(), ...hubspot.recorder.violations()];
    if (violations.length > 0)
      throw new Error(`calls outside the vendor contracts: ${violations.map((v) => v.violation).join('; ')}`);
    out();
    out(
      `Done in ${((Date.now() - started) / 1000).toFixed(1)} s. Every call fitted the vendors' published contracts.`,
    );
    return 0;
  } finally {
    await service?.close();
    await Promise.all([google.stop(), hubspot.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

function printChanges(target: string, lines: readonly string[]): void {
  out(`   ${target}:${lines.length === 0 ? ' nothing changed' : ''}`);
  for (const line of lines) out(`     - ${line}`);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
