import convict from 'convict';
import { isConnectorId } from '../connector/registry.ts';

let registered = false;

/** Parses a comma-separated list, dropping blanks. */
export function splitList(value: unknown): string[] {
  if (Array.isArray(value))
    return value
      .map(String)
      .map((s) => s.trim())
      .filter(Boolean);
  if (typeof value !== 'string') return [];
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Parses a duration such as `90s`, `15m`, `1h`, `2d`, or plain milliseconds. */
export function parseDuration(value: unknown): number {
  if (typeof value === 'number') return value;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(String(value));
  if (!match) return Number.NaN;
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] ?? 'ms'] ?? 1;
  return Math.round(Number(match[1]) * factor);
}

/**
 * Parses a JSON string (an environment variable); anything else, or text that is not JSON, is kept
 * as it is, so that `validate` names the bad value instead of a parse error hiding it.
 */
function parseJsonOrKeep(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/** Registers the project's convict formats once. */
export function registerFormats(): void {
  if (registered) return;
  registered = true;
  convict.addFormat({
    name: 'comma-list',
    validate(value: unknown) {
      if (!Array.isArray(value)) throw new Error('must be a comma-separated list');
    },
    coerce: splitList,
  });
  convict.addFormat({
    name: 'url',
    validate(value: unknown) {
      try {
        const url = new URL(String(value));
        if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('x');
      } catch {
        throw new Error('must be an http(s) URL');
      }
    },
  });
  convict.addFormat({
    name: 'optional-url',
    validate(value: unknown) {
      if (value === '' || value === undefined || value === null) return;
      try {
        const url = new URL(String(value));
        if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('x');
      } catch {
        throw new Error('must be an http(s) URL, or empty');
      }
    },
  });
  convict.addFormat({
    name: 'duration',
    validate(value: unknown) {
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
        throw new Error('must be a duration such as 500ms, 30s, 15m, 1h or 2d');
      }
    },
    coerce: parseDuration,
  });
  convict.addFormat({
    name: 'ratio',
    validate(value: unknown) {
      if (typeof value !== 'number' || !(value >= 0 && value <= 1))
        throw new Error('must be a number from 0 to 1');
    },
    coerce: (v: unknown) => Number(v),
  });
  convict.addFormat({
    name: 'lanes',
    validate(value: unknown) {
      if (value === null || typeof value !== 'object' || Array.isArray(value))
        throw new Error('must be a JSON object of connector -> {"concurrency": N, "inFlight": N}');
      for (const [connector, lane] of Object.entries(value)) {
        if (!isConnectorId(connector)) throw new Error(`"${connector}" is not a known connector`);
        if (lane === null || typeof lane !== 'object' || Array.isArray(lane))
          throw new Error(`"${connector}" must be an object`);
        for (const [key, n] of Object.entries(lane)) {
          if (key !== 'concurrency' && key !== 'inFlight')
            throw new Error(`"${connector}.${key}" is not a lane setting (concurrency, inFlight)`);
          if (!Number.isInteger(n) || (n as number) < 1)
            throw new Error(`"${connector}.${key}" must be a positive integer`);
        }
      }
    },
    coerce: parseJsonOrKeep,
  });
  convict.addFormat({
    name: 'json-object',
    validate(value: unknown) {
      if (value === null || typeof value !== 'object' || Array.isArray(value))
        throw new Error('must be a JSON object');
    },
    coerce: parseJsonOrKeep,
  });
}
