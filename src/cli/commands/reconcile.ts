import { createLogger } from '../../log.ts';
import { terminalProgress } from '../../reconcile/progress.ts';
import { renderReport } from '../../reconcile/render.ts';
import { reconcile } from '../../reconcile/run.ts';
import type { RunReport } from '../../reconcile/types.ts';
import { openStore } from '../../store/open.ts';
import { createConnectorRuntime } from '../../sync/runtime.ts';
import { parseArgs } from '../args.ts';
import { type Command, EXIT } from '../io.ts';

const USAGE = 'growrk-sync reconcile [--dry-run] [--connector NAME] [--yes] [--json]';

/** `reconcile --dry-run` found drift (the targets differ from the projection). */
export const EXIT_DRIFT = 3;

/**
 * Exit code of a finished run: a dry run answers 0 (no drift) or 3 (drift); a run answers 0 when
 * everything planned was applied. Either answers 1 when a listing failed or something was not
 * applied (failed, withheld over the budget, held, waiting for approval).
 */
export function exitCodeOf(report: RunReport): number {
  if (report.errors.length > 0 || report.status === 'partial' || report.status === 'failed')
    return EXIT.failure;
  if (report.dryRun) return report.drift ? EXIT_DRIFT : EXIT.ok;
  return report.status === 'held' ? EXIT.failure : EXIT.ok;
}

/**
 * `reconcile`: plans every enabled connector (or `--connector NAME`) against a full listing of its
 * target, prints the plan like `terraform plan`, and applies it unless `--dry-run`. `--yes` applies
 * destructive changes past the budget. One run at a time: a second one exits 1 naming the holder.
 */
export const reconcileCommand: Command = async (argv, ctx) => {
  const { values, positionals } = parseArgs(
    argv,
    {
      'dry-run': { type: 'boolean', default: false },
      connector: { type: 'string' },
      yes: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
    USAGE,
  );
  if (positionals.length > 0) {
    ctx.err(`reconcile takes no arguments\nusage: ${USAGE}`);
    return EXIT.usage;
  }
  const config = ctx.config();
  if (values.connector !== undefined && !config.connectors.includes(values.connector)) {
    ctx.err(
      `connector "${values.connector}" is not enabled (CONNECTORS=${config.connectors.join(',') || 'none'})\nusage: ${USAGE}`,
    );
    return EXIT.usage;
  }
  if (config.connectors.length === 0) {
    ctx.err('no connector is enabled (set CONNECTORS)');
    return EXIT.usage;
  }
  // Logs go to stderr so that stdout carries only the plan (or the JSON).
  const logger = createLogger(config.log.level === 'info' ? 'warn' : config.log.level, ctx.deps.stderr);
  const store = await openStore(config, ctx.deps.cwd);
  try {
    const runtime = await createConnectorRuntime({
      config,
      store,
      logger,
      ...(values.connector ? { only: [values.connector] } : {}),
    });
    const outcome = await reconcile(
      {
        trigger: 'manual',
        dryRun: values['dry-run'] === true,
        connector: values.connector,
        yes: values.yes === true,
      },
      { config, store, runtime, logger, progress: terminalProgress(ctx.deps.stderr) },
    );
    if (!outcome.ran) {
      if (values.json)
        ctx.out(JSON.stringify({ ran: false, reason: outcome.message, holder: outcome.holder }));
      ctx.err(`growrk-sync reconcile: not started: ${outcome.message}`);
      return EXIT.failure;
    }
    const code = exitCodeOf(outcome.report);
    if (values.json) ctx.out(JSON.stringify({ ...outcome.report, exitCode: code }));
    else for (const line of renderReport(outcome.report)) ctx.out(line);
    return code;
  } finally {
    await store.close();
  }
};
