import type { Logger } from 'pino';
import type { AppConfig } from '../../config/types.ts';
import { CONNECTOR_IDS, isConnectorId } from '../../connector/registry.ts';
import type { CheckFinding } from '../../connector/types.ts';
import { isSyncError, SyncError } from '../../errors.ts';
import { createLogger } from '../../log.ts';
import { openStore, parseDatabaseUrl } from '../../store/open.ts';
import { SqliteStore } from '../../store/sqlite/store.ts';
import type { Store } from '../../store/types.ts';
import { createConnectorRuntime, type LoadedConnector } from '../../sync/runtime.ts';
import { parseArgs } from '../args.ts';
import { type Command, type CommandContext, EXIT } from '../io.ts';

const USAGE = 'growrk-sync check [--connector NAME] [--json]';

/** The findings of one connector (what `check` and `init` print per connector). */
export interface ConnectorReport {
  connector: string;
  ok: boolean;
  findings: CheckFinding[];
}

/** The enabled connectors a command runs on: all, or the one `--connector` names (usage error otherwise). */
export function selectConnectors(
  config: AppConfig,
  wanted: string | undefined,
  usage: string,
  verb: string,
): string[] {
  if (wanted === undefined) return config.connectors.filter(isConnectorId);
  if (!isConnectorId(wanted))
    throw new SyncError(
      'USAGE',
      `unknown connector "${wanted}" (known: ${CONNECTOR_IDS.join(', ')})\nusage: ${usage}`,
    );
  if (!config.connectors.includes(wanted))
    throw new SyncError(
      'USAGE',
      `connector ${wanted} is not enabled (CONNECTORS=${config.connectors.join(',') || 'none'}); enable it to ${verb} it`,
    );
  return [wanted];
}

/** A logger for commands whose stdout is their answer: warnings and errors go to stderr. */
export function commandLogger(ctx: CommandContext, config: AppConfig): Logger {
  const level = ['debug', 'trace', 'silent', 'error', 'fatal'].includes(config.log.level)
    ? config.log.level
    : 'warn';
  return createLogger(level, { write: (line: string) => void ctx.deps.stderr.write(line) });
}

/**
 * Loads each connector on its own (so one misconfigured connector does not hide the others' findings)
 * and runs `task` on it. A failure to load or a thrown error becomes a finding that is not ok.
 */
export async function forEachConnector(
  ids: readonly string[],
  deps: { config: AppConfig; store: Store; logger: Logger },
  task: (loaded: LoadedConnector) => Promise<CheckFinding[]>,
  verb: string,
): Promise<ConnectorReport[]> {
  const reports: ConnectorReport[] = [];
  for (const id of ids) {
    let findings: CheckFinding[];
    try {
      const runtime = await createConnectorRuntime({ ...deps, only: [id] });
      const loaded = runtime.connectors.get(id);
      findings = loaded
        ? await task(loaded)
        : [{ ok: false, message: `The connector ${id} could not be loaded.` }];
    } catch (err) {
      const reason = isSyncError(err) ? `${err.code}: ${err.message}` : (err as Error).message;
      findings = [{ ok: false, message: `Could not ${verb} ${id}: ${reason}` }];
    }
    reports.push({ connector: id, ok: findings.every((f) => f.ok), findings });
  }
  return reports;
}

/** Prints connector reports as indented plain-word findings. */
export function printReports(ctx: CommandContext, reports: readonly ConnectorReport[]): void {
  for (const report of reports) {
    ctx.out(`${report.connector}: ${report.ok ? 'ok' : 'PROBLEMS'}`);
    if (report.findings.length === 0) ctx.out('  (nothing to report)');
    for (const f of report.findings) ctx.out(`  ${f.ok ? 'ok  ' : 'FAIL'}  ${f.message}`);
  }
}

/** `promise`, or a rejection with `message` after `ms` (a diagnostic must answer, not hang). */
async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Where the store is, in words safe to print (never a PostgreSQL URL, which may carry a password). */
function storeLabel(config: AppConfig, cwd: string): string {
  try {
    const target = parseDatabaseUrl(config.database.url, cwd);
    return target.kind === 'sqlite' ? `SQLite ${target.path}` : 'PostgreSQL';
  } catch {
    return 'the configured store';
  }
}

/**
 * `check`: validates the configuration (a bad one exits 2 with every bad key named), opens the
 * store, then runs each enabled connector's `check` (credentials, scopes, target setup; never a
 * write) and prints the findings in plain words. Exit 0 all ok, 1 any problem, 2 bad config.
 */
export const checkCommand: Command = async (argv, ctx) => {
  const { values, positionals } = parseArgs(
    argv,
    { connector: { type: 'string' }, json: { type: 'boolean', default: false } },
    USAGE,
  );
  if (positionals.length > 0) throw new SyncError('USAGE', `usage: ${USAGE}`);
  const config = ctx.config();
  const ids = selectConnectors(config, values.connector, USAGE, 'check');
  const logger = commandLogger(ctx, config);
  const label = storeLabel(config, ctx.deps.cwd);
  let store: Store;
  let storeFinding: CheckFinding;
  try {
    store = await withTimeout(
      openStore(config, ctx.deps.cwd),
      config.database.connectTimeout,
      `no answer within ${config.database.connectTimeout} ms`,
    );
    storeFinding = { ok: true, message: `The store (${label}) opens and is migrated.` };
  } catch (err) {
    // The connectors' checks never need stored state: they still run, on a throwaway store.
    store = new SqliteStore({ path: ':memory:' });
    await store.migrate();
    storeFinding = {
      ok: false,
      message: `The store (${label}) cannot be opened: ${(err as Error).message}`,
    };
  }
  let reports: ConnectorReport[];
  try {
    reports = await forEachConnector(
      ids,
      { config, store, logger },
      (loaded) => loaded.definition.check(loaded.ctx),
      'check',
    );
  } finally {
    await store.close();
  }
  const ok = storeFinding.ok && reports.every((r) => r.ok);
  if (values.json) {
    ctx.out(
      JSON.stringify({
        ok,
        configuration: { ok: true, connectors: config.connectors },
        store: storeFinding,
        connectors: reports,
      }),
    );
  } else {
    ctx.out(`configuration: ok (connectors: ${config.connectors.join(', ') || 'none enabled'})`);
    ctx.out(`store: ${storeFinding.ok ? 'ok' : 'PROBLEM'}`);
    ctx.out(`  ${storeFinding.ok ? 'ok  ' : 'FAIL'}  ${storeFinding.message}`);
    printReports(ctx, reports);
    const problems =
      (storeFinding.ok ? 0 : 1) + reports.reduce((n, r) => n + r.findings.filter((f) => !f.ok).length, 0);
    ctx.out('');
    ctx.out(ok ? 'all checks passed' : `${problems} problem(s) found`);
  }
  return ok ? EXIT.ok : EXIT.failure;
};
