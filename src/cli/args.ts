import { parseArgs as nodeParseArgs, type ParseArgsConfig } from 'node:util';
import { SyncError } from '../errors.ts';

/** node:util parseArgs, with unknown flags reported as a usage error (exit 2). */
export function parseArgs<T extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: T,
  usage: string,
) {
  try {
    return nodeParseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new SyncError('USAGE', `${(err as Error).message}\nusage: ${usage}`);
  }
}

/** Parses a positive integer flag. */
export function positiveInt(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new SyncError('USAGE', `${flag} must be a positive whole number`);
  return n;
}
