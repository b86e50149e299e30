import { loadConfig } from '../config/load.ts';
import { CONNECTOR_MANIFESTS } from '../connector/registry.ts';
import { isSyncError, SyncError } from '../errors.ts';
import { checkCommand } from './commands/check.ts';
import { eventsCommand } from './commands/events.ts';
import { heldCommand } from './commands/held.ts';
import { importCommand } from './commands/import.ts';
import { initCommand } from './commands/init.ts';
import { offboardingsCommand } from './commands/offboardings.ts';
import { reconcileCommand } from './commands/reconcile.ts';
import { sendTestCommand } from './commands/send-test.ts';
import { serveCommand } from './commands/serve.ts';
import { type CliDeps, type Command, type CommandContext, EXIT } from './io.ts';

const COMMANDS: Record<string, Command> = {
  serve: serveCommand,
  events: eventsCommand,
  'send-test': sendTestCommand,
  held: heldCommand,
  check: checkCommand,
  init: initCommand,
  reconcile: reconcileCommand,
  import: importCommand,
  offboardings: offboardingsCommand,
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
  const command = COMMANDS[name];
  if (!command) {
    if (json) ctx.out(errorJson(new SyncError('USAGE', `unknown command "${name}"`)));
    else ctx.err(`unknown command "${name}"\n\n${HELP}`);
    return EXIT.usage;
  }
  try {
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
