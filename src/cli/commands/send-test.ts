import { readFile } from 'node:fs/promises';
import { SyncError } from '../../errors.ts';
import { sampleEvent } from '../../growrk/samples.ts';
import { signBody } from '../../growrk/signature.ts';
import { EVENT_TYPES, type EventType, isKnownEventType } from '../../growrk/types.ts';
import { parseArgs } from '../args.ts';
import { type Command, EXIT, jsonOrText } from '../io.ts';

const USAGE = `growrk-sync send-test EVENT_TYPE [--url URL] [--secret S] [--file PAYLOAD] [--json]
  EVENT_TYPE: ${EVENT_TYPES.join(', ')}`;

/**
 * `send-test`: signs a sample (or `--file`) exactly as GroWrk does and posts it. Defaults: the
 * local service's URL and the first configured secret.
 */
export const sendTestCommand: Command = async (argv, ctx) => {
  const { values, positionals } = parseArgs(
    argv,
    {
      url: { type: 'string' },
      secret: { type: 'string' },
      file: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    USAGE,
  );
  const type = positionals[0];
  if (positionals.length !== 1 || type === undefined) throw new SyncError('USAGE', `usage: ${USAGE}`);
  if (!isKnownEventType(type) && values.file === undefined) {
    throw new SyncError('USAGE', `unknown event type "${type}"\nusage: ${USAGE}`);
  }
  const needsConfig = values.url === undefined || values.secret === undefined;
  const config = needsConfig ? ctx.config() : null;
  const secret = values.secret ?? config?.webhook.secrets[0];
  if (!secret) throw new SyncError('CONFIG_INVALID', 'no secret: pass --secret or set GROWRK_WEBHOOK_SECRET');
  const host = config && (config.host === '0.0.0.0' || config.host === '::') ? '127.0.0.1' : config?.host;
  const url = values.url ?? `http://${host}:${config?.port}/webhooks/growrk`;
  let body: string;
  if (values.file !== undefined) {
    try {
      body = await readFile(values.file, 'utf8');
    } catch (err) {
      throw new SyncError('BAD_REQUEST', `cannot read ${values.file}: ${(err as Error).message}`);
    }
  } else {
    body = JSON.stringify(sampleEvent(type as EventType));
  }
  let response: Response;
  try {
    response = await ctx.deps.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-growrk-signature': signBody(body, secret) },
      body,
    });
  } catch (err) {
    throw new SyncError(
      'UNREACHABLE',
      `could not reach ${url}: ${(err as Error).cause ?? (err as Error).message}`,
    );
  }
  const text = await response.text();
  if (values.json) ctx.out(JSON.stringify({ status: response.status, body: jsonOrText(text) }));
  else ctx.out(`${type} -> ${url}: HTTP ${response.status} ${text}`);
  return response.ok ? EXIT.ok : EXIT.failure;
};
