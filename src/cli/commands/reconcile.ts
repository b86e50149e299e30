import { SyncError } from '../../errors.ts';
import { createLogger } from '../../log.ts';
import { renderReport } from '../../reconcile/render.ts';
import { reconcile } from '../../reconcile/run.ts';
import type { RunReport } from '../../reconcile/types.ts';
import { openStore } from '../../store/open.ts';
import { createConnectorRuntime } from '../../sync/runtime.ts';
import { parseArgs } from '../args.ts';
import { type Command, EXIT } from '../io.ts';
import { progressBar } from '../progress.ts';

const USAGE = 'growrk-sync reconcile [--dry-run] [--summary] [--connector NAME] [--yes] [--json]';

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
 * The report without its change-by-change plan: each connector's listing line and the totals
 * (plan, not changed, budget, apply, calls, verdict). What `--summary` prints.
 */
export function summaryLines(report: RunReport): string[] {
  return renderReport(report).filter((line) => line !== '' && !/^\s/.test(line));
}

/** The report as data without the changes themselves (`--summary --json`): their count instead. */
export function summaryJson(report: RunReport): Record<string, unknown> {
  return {
    ...report,
    connectors: report.connectors.map(({ changes: _sample, ...c }) => ({ ...c, changes: c.changeCount })),
  };
}

/**
 * `reconcile`: plans every enabled connector (or `--connector NAME`) against a full listing of its
 * target, prints the plan like `terraform plan`, and applies it unless `--dry-run`. `--yes` applies
 * destructive changes past the budget; `--summary` prints the totals only, without each change.
 * One run at a time: a second one exits 1 naming the holder. On a terminal, a progress bar.
 */
export const reconcileCommand: Command = async (argv, ctx) => {
  const { values, positionals } = parseArgs(
    argv,
    {
      'dry-run': { type: 'boolean', default: false },
      connector: { type: 'string' },
      yes: { type: 'boolean', default: false },
      summary: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
    USAGE,
  );
  if (positionals.length > 0) throw new SyncError('USAGE', `reconcile takes no arguments\nusage: ${USAGE}`);
  const config = ctx.config();
  if (values.connector !== undefined && !config.connectors.includes(values.connector)) {
    throw new SyncError(
      'USAGE',
      `connector "${values.connector}" is not enabled (CONNECTORS=${config.connectors.join(',') || 'none'})\nusage: ${USAGE}`,
    );
  }
  if (config.connectors.length === 0)
    throw new SyncError('CONFIG_INVALID', 'no connector is enabled (set CONNECTORS)');
  // Logs go to stderr so that stdout carries only the plan (or the JSON).
  const logger = createLogger(config.log.level === 'info' ? 'warn' : config.log.level, ctx.deps.stderr);
  // No HTTP to keep responsive here: the store runs on this thread (one V8 isolate, not two).
  const store = await openStore(config, ctx.deps.cwd, undefined, { ownThread: false });
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
      { config, store, runtime, logger, progress: progressBar(ctx.deps.stderr) },
    );
    if (!outcome.ran) {
      if (values.json)
        ctx.out(
          JSON.stringify({
            ran: false,
            reason: outcome.message,
            holder: outcome.holder,
            ...new SyncError('RECONCILE_RUNNING', outcome.message).toBody(),
          }),
        );
      else ctx.err(`growrk-sync reconcile: not started: ${outcome.message}`);
      return EXIT.failure;
    }
    const code = exitCodeOf(outcome.report);
    const report = outcome.report;
    if (values.json)
      ctx.out(JSON.stringify({ ...(values.summary ? summaryJson(report) : report), exitCode: code }));
    else for (const line of values.summary ? summaryLines(report) : renderReport(report)) ctx.out(line);
    return code;
  } finally {
    await store.close();
  }
};
