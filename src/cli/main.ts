import { loadConfig } from '../config/load.ts';
import { CONNECTOR_MANIFESTS } from '../connector/registry.ts';
import { isSyncError, SyncError } from '../errors.ts';
import { type CliDeps, type Command, type CommandContext, EXIT } from './io.ts';

/**
 * Each command's module, loaded when that command runs: a `reconcile` process does not carry the
 * HTTP service (Fastify, metrics, tracing), whose modules stay in the heap for the whole run.
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('./commands/serve.ts')).serveCommand,
  events: async () => (await import('./commands/events.ts')).eventsCommand,
  'send-test': async () => (await import('./commands/send-test.ts')).sendTestCommand,
  held: async () => (await import('./commands/held.ts')).heldCommand,
  check: async () => (await import('./commands/check.ts')).checkCommand,
  init: async () => (await import('./commands/init.ts')).initCommand,
  reconcile: async () => (await import('./commands/reconcile.ts')).reconcileCommand,
  import: async () => (await import('./commands/import.ts')).importCommand,
  offboardings: async () => (await import('./commands/offboardings.ts')).offboardingsCommand,
};

const HELP = `growrk-sync: GroWrk webhooks into ${CONNECTOR_MANIFESTS.map((m) => m.title).join(', ')}

usage: growrk-sync <command> [options]

commands:
  serve [--dry-run]                         run the service (what npm start runs)
  events list [--status S] [--type T] [--limit N] [--json]
  events show ID [--json]                   an event, its jobs and outcomes
  events replay ID... | --status dead       queue sync jobs again
  held list [--status S] [--json]           changes the guardrails hold for approval
  held approve ID... | held reject ID...    apply (without the budget) or drop held changes
  check [--connector NAME] [--json]         validate config; try each connector's credentials and scopes
  init [--connector NAME] [--dry-run] [--json]   create what the targets need (idempotent)
  send-test EVENT_TYPE [--url] [--secret] [--file]   sign a sample as GroWrk does and post it
  reconcile [--dry-run] [--summary] [--connector NAME] [--yes] [--json]
                                            plan every entity against each target; apply unless --dry-run;
                                            --summary: the totals only, not each change
  import FILE [--kind employee|product] [--timestamp ISO] [--json]
                                            seed the projection from JSON lines of events or a CSV
  offboardings list [--open] [--json]       one timeline per offboarded person
  offboardings show ID [--json]             suspension, playbook, handover, devices, equipment, licence

--json: machine-readable output; an error is {"error": {"code", "message"}} on stdout
exit codes: 0 success, 1 failure, 2 bad usage or configuration; reconcile --dry-run: 3 drift found`;

/** Runs one command line; returns the exit code. Never calls process.exit. */
export async function runCli(argv: string[], deps: CliDeps): Promise<number> {
  const [name, ...rest] = argv;
  const ctx: CommandContext = {
    deps,
    config: (overrides) => loadConfig({ env: deps.env, cwd: deps.cwd, ...(overrides ? { overrides } : {}) }),
    out: (line = '') => deps.stdout.write(`${line}\n`),
    err: (line) => deps.stderr.write(`${line}\n`),
  };
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    ctx.out(HELP);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  // With --json, an error is a JSON object on stdout; the exit code is the same either way.
  const json = rest.includes('--json');
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) {
    if (json) ctx.out(errorJson(new SyncError('USAGE', `unknown command "${name}"`)));
    else ctx.err(`unknown command "${name}"\n\n${HELP}`);
    return EXIT.usage;
  }
  try {
    const command = await load();
    return await command(rest, ctx);
  } catch (err) {
    const usage = isSyncError(err, 'USAGE', 'CONFIG_INVALID');
    if (json) ctx.out(errorJson(isSyncError(err) ? err : new SyncError('INTERNAL', (err as Error).message)));
    else if (usage) ctx.err(err.message);
    else ctx.err(`growrk-sync ${name}: ${isSyncError(err) ? `${err.code}: ` : ''}${(err as Error).message}`);
    return usage ? EXIT.usage : EXIT.failure;
  }
}

/** `{"error": {"code", "message"}}`, as the HTTP API answers errors. */
export function errorJson(error: SyncError): string {
  return JSON.stringify(error.toBody());
}

/** Process entry: real environment, stdio and signals. */
export function main(argv: string[]): Promise<number> {
  return runCli(argv, {
    env: process.env,
    cwd: process.cwd(),
    stdout: process.stdout,
    stderr: process.stderr,
    fetch: globalThis.fetch,
    untilSignal: () =>
      new Promise((resolve) => {
        const onSignal = (signal: NodeJS.Signals) => resolve(signal);
        process.once('SIGTERM', onSignal);
        process.once('SIGINT', onSignal);
      }),
  });
}
