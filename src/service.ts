import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { type AlertMonitor, startAlertMonitor } from './alerts/monitor.ts';
import type { AppConfig } from './config/types.ts';
import { createReceiver } from './core/ingest.ts';
import { ingestSettingsFor } from './core/privacy-policy.ts';
import { buildApp } from './http/app.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { type ReconcileScheduler, startReconcileScheduler } from './reconcile/scheduler.ts';
import { openStore } from './store/open.ts';
import type { PostgresStoreLogger } from './store/postgres/store.ts';
import { proveWritable, storeStartError } from './store/readiness.ts';
import type { Store } from './store/types.ts';
import { type ConnectorRuntime, createConnectorRuntime } from './sync/runtime.ts';
import { Worker } from './sync/worker.ts';

/** A started service. */
export interface RunningService {
  app: FastifyInstance;
  store: Store;
  worker: Worker;
  runtime: ConnectorRuntime;
  metrics: Metrics;
  /** Scheduled reconciliation (null when `reconcile.schedule` is `off` or no connector is enabled). */
  reconcile?: ReconcileScheduler | null;
  /** Alerts to Slack or a webhook (null when no sink is configured). */
  alerts?: AlertMonitor | null;
  /** The address it listens on, e.g. http://127.0.0.1:3000. */
  url: string;
  /** Graceful stop: no new requests, in-flight commits and jobs finish, the store closes. */
  close(): Promise<void>;
}

/**
 * The HTTP app as configured: webhook ingest through the store's receiver (on the SQLite store's
 * thread when it offers one), health, metrics, and the admin routes when ADMIN_TOKEN is set.
 */
export function buildServiceApp(deps: {
  config: AppConfig;
  store: Store;
  metrics: Metrics;
  logger: Logger;
  jobConnectors: ConnectorRuntime['jobConnectors'];
}): FastifyInstance {
  const { config, store } = deps;
  return buildApp({
    store,
    ingestor: createReceiver({
      store,
      secrets: () => config.webhook.secrets,
      jobConnectors: deps.jobConnectors,
      ...ingestSettingsFor(config),
    }),
    metrics: deps.metrics,
    logger: deps.logger,
    bodyLimit: config.webhook.bodyLimit,
    unverifiedBytes: config.webhook.unverifiedBytes,
    http: config.http,
    admin: config.admin.token
      ? {
          store,
          token: config.admin.token,
          enabledConnectors: config.connectors,
          throttle: {
            maxFailures: config.admin.maxFailedAttempts,
            windowMs: config.admin.failedAttemptsWindow,
          },
        }
      : undefined,
  });
}

/**
 * Opens and migrates the store and proves it can commit, or throws one STORE_UNAVAILABLE line
 * naming DATABASE_URL. Until the store is open its recoverable errors are not logged: the start
 * error reports the cause once.
 */
async function openWritableStore(config: AppConfig, cwd: string | undefined, logger: Logger): Promise<Store> {
  const storeLog = logger.child({ component: 'store' });
  let opened = false;
  const reports: PostgresStoreLogger = { warn: (obj, msg) => (opened ? storeLog.warn(obj, msg) : undefined) };
  let store: Store | null = null;
  try {
    store = await openStore(config, cwd, reports);
    await proveWritable(store);
    opened = true;
    return store;
  } catch (err) {
    await store?.close().catch(() => {});
    throw storeStartError(config.database.url, cwd, err);
  }
}

/** Wires store, connectors, worker and HTTP app from a validated configuration, and listens. */
export async function startService(options: {
  config: AppConfig;
  logger: Logger;
  cwd?: string;
  listen?: boolean;
}): Promise<RunningService> {
  const { config, logger } = options;
  const store = await openWritableStore(config, options.cwd, logger);
  try {
    const metrics = createMetrics(store, { defaultMetrics: true });
    const runtime = await createConnectorRuntime({ config, store, logger });
    const app = buildServiceApp({ config, store, metrics, logger, jobConnectors: runtime.jobConnectors });
    const worker = new Worker({
      store,
      runtime,
      logger,
      metrics,
      config: config.worker,
      engine: { guardrails: config.guardrails, dryRun: config.dryRun },
      now: Date.now,
    });
    worker.start();
    let url = '';
    if (options.listen !== false) {
      url = await app.listen({ port: config.port, host: config.host });
    }
    const reconcile = startReconcileScheduler({ config, store, runtime, logger, cwd: options.cwd });
    const alerts = startAlertMonitor({
      store,
      config: config.alerts,
      logger: logger.child({ component: 'alerts' }),
    });
    return {
      app,
      store,
      worker,
      runtime,
      metrics,
      url,
      reconcile,
      alerts,
      close: async () => {
        await app.close();
        if (reconcile) await reconcile.stop();
        if (alerts) await alerts.stop();
        await worker.stop();
        await store.close();
      },
    };
  } catch (err) {
    await store.close();
    throw err;
  }
}
