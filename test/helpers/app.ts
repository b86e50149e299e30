import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/config/load.ts';
import type { AppConfig } from '../../src/config/types.ts';
import { createLogger } from '../../src/log.ts';
import { createMetrics } from '../../src/metrics.ts';
import { buildServiceApp, type RunningService, startService } from '../../src/service.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import type { Store } from '../../src/store/types.ts';

/** Log lines captured from a logger, for privacy assertions. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
  text(): string {
    return this.lines.join('\n');
  }
}

/** An app on a store of its own (SQLite in a file when `path` is given, else in memory). */
export async function testApp(
  env: Record<string, string> = {},
  options: { path?: string; store?: Store } = {},
): Promise<{
  app: FastifyInstance;
  store: Store;
  config: AppConfig;
  logs: LogCapture;
  close(): Promise<void>;
}> {
  const config = loadConfig({
    env: { GROWRK_WEBHOOK_SECRET: 'test-secret', LOG_LEVEL: 'info', ...env },
    cwd: '/nonexistent',
  });
  const store = options.store ?? new SqliteStore({ path: options.path ?? ':memory:' });
  await store.migrate();
  const logs = new LogCapture();
  const logger = createLogger(config.log.level, logs);
  const metrics = createMetrics(store);
  const app = buildServiceApp({ config, store, metrics, logger, jobConnectors: {} });
  await app.ready();
  return {
    app,
    store,
    config,
    logs,
    close: async () => {
      await app.close();
      await store.close();
    },
  };
}

/**
 * Starts the service in this process from environment variables alone, as `serve` would with no
 * configuration file (nothing read from a working directory), logging nothing.
 */
export function startServiceFromEnv(env: Record<string, string>): Promise<RunningService> {
  const config = loadConfig({ env, cwd: '/nonexistent' });
  return startService({ config, logger: createLogger('silent'), cwd: '/nonexistent' });
}
