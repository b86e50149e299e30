import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import convict from 'convict';
import cron from 'node-cron';
import { CONNECTOR_IDS, connectorConfig, isConnectorId, manifestOf } from '../connector/registry.ts';
import { SyncError } from '../errors.ts';
import { registerFormats } from './formats.ts';
import { configSchema } from './schema.ts';
import type { AppConfig } from './types.ts';

/** Where configuration comes from; tests pass their own. */
export interface ConfigSources {
  env?: Record<string, string | undefined>;
  /** Working directory for relative paths (config/ folder). Default `process.cwd()`. */
  cwd?: string;
  /** Values applied after file and env (e.g. command-line flags such as `serve --dry-run`). */
  overrides?: Record<string, unknown>;
}

/** The file that will be read, if any: `GROWRK_SYNC_CONFIG`, else `config/<NODE_ENV>.json` when present. */
export function configFilePath(sources: ConfigSources = {}): string | null {
  const env = sources.env ?? process.env;
  const cwd = sources.cwd ?? process.cwd();
  const explicit = env.GROWRK_SYNC_CONFIG;
  if (explicit) return isAbsolute(explicit) ? explicit : resolve(cwd, explicit);
  const byEnv = resolve(cwd, 'config', `${env.NODE_ENV || 'development'}.json`);
  return existsSync(byEnv) ? byEnv : null;
}

/**
 * Loads and validates the configuration once. A bad configuration throws CONFIG_INVALID whose
 * message names every bad key and why, without printing any secret.
 */
export function loadConfig(sources: ConfigSources = {}): AppConfig {
  registerFormats();
  const env = Object.fromEntries(
    Object.entries(sources.env ?? process.env).filter((e): e is [string, string] => e[1] !== undefined),
  );
  const config = convict(configSchema, { env, args: [] });
  const file = configFilePath(sources);
  const problems: string[] = [];
  if (file) {
    if (!existsSync(file)) problems.push(`GROWRK_SYNC_CONFIG: file ${file} does not exist`);
    else {
      try {
        config.loadFile(file);
      } catch (err) {
        problems.push(`config file ${file}: ${(err as Error).message}`);
      }
    }
  }
  for (const [key, value] of Object.entries(sources.overrides ?? {})) {
    (config as unknown as { set(k: string, v: unknown): void }).set(key, value);
  }
  try {
    config.validate({ allowed: 'strict' });
  } catch (err) {
    problems.push(...(err as Error).message.split('\n').filter(Boolean));
  }
  problems.push(...crossChecks(config.getProperties() as unknown as AppConfig));
  if (problems.length > 0) {
    const named = problems.map((p) => nameVariable(p, env));
    throw new SyncError('CONFIG_INVALID', named.map((p) => `invalid configuration: ${p}`).join('\n'), {
      details: { problems: named },
    });
  }
  return config.getProperties() as unknown as AppConfig;
}

interface SchemaLeaf {
  env?: string;
  sensitive?: boolean;
  format?: unknown;
}

/** Every schema key (dot path) with its environment variable and whether it is a secret. */
function schemaLeaves(node: Record<string, unknown>, prefix = '', out = new Map<string, SchemaLeaf>()) {
  for (const [key, value] of Object.entries(node)) {
    if (value === null || typeof value !== 'object') continue;
    const path = prefix ? `${prefix}.${key}` : key;
    if ('format' in value || 'default' in value) out.set(path, value as SchemaLeaf);
    else schemaLeaves(value as Record<string, unknown>, path, out);
  }
  return out;
}

/**
 * Puts the environment variable first in a problem about a key (`PORT (port): ...`), what an
 * operator sets; a secret's value is never repeated.
 */
function nameVariable(problem: string, env: Record<string, string>): string {
  const match = /^([A-Za-z0-9_.]+): (.*)$/s.exec(problem);
  const leaf = match
    ? schemaLeaves(configSchema as unknown as Record<string, unknown>).get(match[1]!)
    : undefined;
  if (!match || !leaf?.env) return problem;
  if (leaf.sensitive) return `${leaf.env} (${match[1]}): ${match[2]!.replace(/: value was .*$/s, '')}`;
  const given = env[leaf.env];
  const shown =
    /value was/.test(match[2]!) || given === undefined ? '' : `: value was ${JSON.stringify(given)}`;
  return `${leaf.env} (${match[1]}): ${match[2]}${shown}`;
}

/** Smallest old generation a scheduled reconciliation's thread may be given (MiB). */
export const MIN_THREAD_HEAP_MB = 64;

/** Rules that span keys or need more than a format. */
function crossChecks(c: AppConfig): string[] {
  const problems: string[] = [];
  for (const id of Array.isArray(c.connectors) ? c.connectors : []) {
    if (!isConnectorId(id))
      problems.push(`connectors: unknown connector "${id}" (known: ${CONNECTOR_IDS.join(', ')})`);
  }
  for (const id of Array.isArray(c.connectors) ? c.connectors.filter(isConnectorId) : []) {
    const manifest = manifestOf(id);
    problems.push(...manifest.crossCheck(connectorConfig(c, id)));
  }
  if (
    typeof c.reconcile.schedule === 'string' &&
    c.reconcile.schedule !== 'off' &&
    !cron.validate(c.reconcile.schedule)
  ) {
    problems.push(`reconcile.schedule: "${c.reconcile.schedule}" is not a cron expression (or "off")`);
  }
  const heap = c.reconcile.threadHeapMb;
  if (heap !== 0 && heap < MIN_THREAD_HEAP_MB) {
    // Far below, V8 cannot even start the thread's isolate (and aborts the whole process).
    problems.push(
      `RECONCILE_THREAD_HEAP_MB: must be 0 (the service thread) or at least ${MIN_THREAD_HEAP_MB} MiB, not ${heap}`,
    );
  }
  if (c.http.headersTimeout > c.http.bodyTimeout) {
    problems.push(
      `HTTP_HEADERS_TIMEOUT: ${c.http.headersTimeout} ms is longer than HTTP_BODY_TIMEOUT (${c.http.bodyTimeout} ms), which covers headers and body`,
    );
  }
  if (c.webhook.maxDepth < 4 || c.webhook.maxDepth > 1000) {
    problems.push(
      `WEBHOOK_MAX_DEPTH: must be 4 to 1000 (an envelope needs 3 levels), not ${c.webhook.maxDepth}`,
    );
  }
  if (c.admin.token !== '' && c.admin.token.length < 32) {
    problems.push(
      'ADMIN_TOKEN: must be at least 32 characters, or unset to turn the admin routes off (e.g. openssl rand -hex 32)',
    );
  }
  const db = String(c.database.url);
  if (!/^(sqlite:|postgres:\/\/|postgresql:\/\/)/.test(db) && /^[a-z]+:\/\//i.test(db)) {
    problems.push('database.url: must be sqlite:<path>, a file path, or postgres://...');
  }
  return problems;
}
