import { SyncError } from '../../errors.ts';
import { openStore } from '../../store/open.ts';
import { parseArgs } from '../args.ts';
import { type Command, EXIT } from '../io.ts';
import { commandLogger, forEachConnector, printReports, selectConnectors } from './check.ts';

const USAGE = 'growrk-sync init [--connector NAME] [--dry-run] [--json]';

/**
 * `init`: runs each enabled connector's `init`, which creates what its target needs (Google's custom
 * schema for the suspension record, HubSpot's properties and asset object) or finds it in place;
 * a second run changes nothing. `--dry-run` says what it would create. Exit 0 when every connector
 * is set up, 1 when any failed, 2 for bad usage or configuration.
 */
export const initCommand: Command = async (argv, ctx) => {
  const { values, positionals } = parseArgs(
    argv,
    {
      connector: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
    USAGE,
  );
  if (positionals.length > 0) throw new SyncError('USAGE', `usage: ${USAGE}`);
  const config = ctx.config();
  const ids = selectConnectors(config, values.connector, USAGE, 'initialise');
  const dryRun = values['dry-run'] === true;
  if (ids.length === 0) {
    if (values.json) ctx.out(JSON.stringify({ ok: true, dryRun, connectors: [] }));
    else ctx.out('no connector is enabled (CONNECTORS): nothing to initialise');
    return EXIT.ok;
  }
  const logger = commandLogger(ctx, config);
  const store = await openStore(config, ctx.deps.cwd);
  let reports: Awaited<ReturnType<typeof forEachConnector>>;
  try {
    reports = await forEachConnector(
      ids,
      { config, store, logger },
      (loaded) => loaded.definition.init(loaded.ctx, { dryRun }),
      'initialise',
    );
  } finally {
    await store.close();
  }
  const ok = reports.every((r) => r.ok);
  if (values.json) {
    ctx.out(JSON.stringify({ ok, dryRun, connectors: reports }));
  } else {
    if (dryRun) ctx.out('dry run: nothing is created');
    printReports(ctx, reports);
  }
  return ok ? EXIT.ok : EXIT.failure;
};
