import { createLogger } from '../../log.ts';
import { startService } from '../../service.ts';
import { parseArgs } from '../args.ts';
import { type Command, EXIT } from '../io.ts';

const USAGE = 'growrk-sync serve [--dry-run]';

/** `serve`: runs the service until SIGTERM/SIGINT, then stops gracefully. */
export const serveCommand: Command = async (argv, ctx) => {
  const { values } = parseArgs(argv, { 'dry-run': { type: 'boolean', default: false } }, USAGE);
  const config = ctx.config(values['dry-run'] ? { dryRun: true } : {});
  const logger = createLogger(config.log.level);
  const service = await startService({ config, logger, cwd: ctx.deps.cwd });
  // Always said, whatever the level: operators and supervisors wait for this line.
  logger.child({}, { level: 'info' }).info(
    {
      url: service.url,
      store: service.store.kind,
      connectors: [...service.runtime.connectors.keys()],
      dryRun: config.dryRun,
      webhookSecrets: config.webhook.secrets.length,
    },
    'growrk-sync listening',
  );
  if (config.webhook.secrets.length === 0) {
    logger.warn('GROWRK_WEBHOOK_SECRET is not set: the webhook route answers 503 until it is');
  }
  const signal = await ctx.deps.untilSignal();
  logger.info({ signal }, 'stopping: no new requests, finishing in-flight work');
  await service.close();
  logger.info('stopped');
  return EXIT.ok;
};
