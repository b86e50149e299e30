import { loadConfig } from '../config/load.ts';
import { isSyncError } from '../errors.ts';
import { eventsCommand } from './commands/events.ts';
import { sendTestCommand } from './commands/send-test.ts';
import { serveCommand } from './commands/serve.ts';
import { type CliDeps, type Command, type CommandContext, EXIT } from './io.ts';

const COMMANDS: Record<string, Command> = {
  serve: serveCommand,
  events: eventsCommand,
  'send-test': sendTestCommand,
};

const HELP = `growrk-sync: GroWrk webhooks into Google Workspace and HubSpot

usage: growrk-sync <command> [options]

commands:
  serve [--dry-run]                         run the service (what npm start runs)
  events list [--status S] [--type T] [--limit N] [--json]
  events show ID [--json]                   an event, its jobs and outcomes
  events replay ID... | --status dead       queue sync jobs again
  send-test EVENT_TYPE [--url] [--secret] [--file]   sign a sample as GroWrk does and post it

exit codes: 0 success, 1 failure, 2 bad usage or configuration`;

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
  const command = COMMANDS[name];
  if (!command) {
    ctx.err(`unknown command "${name}"\n\n${HELP}`);
    return EXIT.usage;
  }
  try {
    return await command(rest, ctx);
  } catch (err) {
    if (isSyncError(err, 'USAGE', 'CONFIG_INVALID')) {
      ctx.err(err.message);
      return EXIT.usage;
    }
    ctx.err(`growrk-sync ${name}: ${isSyncError(err) ? `${err.code}: ` : ''}${(err as Error).message}`);
    return EXIT.failure;
  }
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
