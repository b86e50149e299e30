import { SyncError } from '../../errors.ts';
import { openStore } from '../../store/open.ts';
import type { EventStatus, Store } from '../../store/types.ts';
import { parseArgs, positiveInt } from '../args.ts';
import { type Command, type CommandContext, EXIT, jsonOrText, table } from '../io.ts';

const USAGE =
  'growrk-sync events list [--status S] [--type T] [--limit N] [--json] | events show ID [--json] | events replay ID... | events replay --status dead';
const STATUSES: EventStatus[] = ['accepted', 'ignored', 'rejected'];

/** `events list|show|replay`. */
export const eventsCommand: Command = async (argv, ctx) => {
  const [sub, ...rest] = argv;
  if (sub !== 'list' && sub !== 'show' && sub !== 'replay') throw new SyncError('USAGE', `usage: ${USAGE}`);
  const { values, positionals } = parseArgs(
    rest,
    {
      status: { type: 'string' },
      type: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    USAGE,
  );
  const config = ctx.config();
  const store = await openStore(config, ctx.deps.cwd);
  try {
    if (sub === 'list') return await list(store, ctx, values);
    if (sub === 'show') {
      if (positionals.length !== 1)
        throw new SyncError('USAGE', `events show takes one event id\nusage: ${USAGE}`);
      return await show(store, ctx, positionals[0]!, values.json === true);
    }
    return await replay(store, ctx, positionals, values.status, config.connectors);
  } finally {
    await store.close();
  }
};

async function list(
  store: Store,
  ctx: CommandContext,
  values: {
    status?: string | undefined;
    type?: string | undefined;
    limit?: string | undefined;
    json?: boolean | undefined;
  },
): Promise<number> {
  if (values.status !== undefined && !STATUSES.includes(values.status as EventStatus)) {
    throw new SyncError('USAGE', `--status must be one of ${STATUSES.join(', ')}`);
  }
  const events = await store.listEvents({
    status: values.status as EventStatus | undefined,
    type: values.type,
    limit: positiveInt(values.limit, '--limit', 50),
  });
  if (values.json) {
    ctx.out(JSON.stringify(events.map(({ body: _body, ...meta }) => meta)));
    return EXIT.ok;
  }
  if (events.length === 0) {
    ctx.out('no events');
    return EXIT.ok;
  }
  ctx.out(
    table(
      ['ID', 'RECEIVED', 'TYPE', 'STATUS', 'ENTITIES', 'ERROR'],
      events.map((e) => [
        e.id,
        new Date(e.receivedAt).toISOString(),
        e.type ?? '-',
        e.status,
        e.entityKeys.join(',') || '-',
        e.error ? `${e.error.code}` : '',
      ]),
    ),
  );
  return EXIT.ok;
}

async function show(store: Store, ctx: CommandContext, id: string, json: boolean): Promise<number> {
  const event = await store.getEvent(id);
  if (!event) throw new SyncError('NOT_FOUND', `no event ${id}`);
  const [jobs, outcomes] = await Promise.all([
    store.listJobs({ eventId: id }),
    store.listOutcomes({ eventId: id }),
  ]);
  if (json) {
    ctx.out(JSON.stringify({ event: { ...event, body: jsonOrText(event.body) }, jobs, outcomes }));
    return EXIT.ok;
  }
  ctx.out(`event     ${event.id}`);
  ctx.out(`type      ${event.type ?? '-'}`);
  ctx.out(`status    ${event.status}${event.error ? ` (${event.error.code}: ${event.error.message})` : ''}`);
  ctx.out(`received  ${new Date(event.receivedAt).toISOString()}`);
  ctx.out(`growrk ts ${event.timestamp ?? '-'}`);
  ctx.out(`entities  ${event.entityKeys.join(', ') || '-'}`);
  ctx.out('');
  ctx.out('jobs');
  ctx.out(
    jobs.length === 0
      ? '  none'
      : table(
          ['  JOB', 'CONNECTOR', 'ENTITY', 'STATE', 'ATTEMPTS', 'LAST ERROR'],
          jobs.map((j) => [
            `  ${j.id}`,
            j.connector,
            `${j.kind}:${j.entityId}`,
            j.state,
            String(j.attempts),
            j.lastError ? `${j.lastError.code}: ${j.lastError.message}` : '',
          ]),
        ),
  );
  ctx.out('');
  ctx.out('outcomes');
  ctx.out(
    outcomes.length === 0
      ? '  none yet'
      : table(
          ['  AT', 'CONNECTOR', 'ENTITY', 'RESULT', 'SUMMARY'],
          outcomes.map((o) => [
            `  ${new Date(o.at).toISOString()}`,
            o.connector,
            `${o.kind}:${o.entityId}`,
            o.result,
            o.error ? `${o.summary} [${o.error.code}: ${o.error.message}]` : o.summary,
          ]),
        ),
  );
  ctx.out('');
  ctx.out('body (as stored, sensitive fields removed)');
  ctx.out(event.body);
  return EXIT.ok;
}

async function replay(
  store: Store,
  ctx: CommandContext,
  ids: string[],
  status: string | undefined,
  connectors: readonly string[],
): Promise<number> {
  if (status !== undefined) {
    if (status !== 'dead' || ids.length > 0) throw new SyncError('USAGE', `usage: ${USAGE}`);
    const n = await store.replay({ deadJobs: true }, Date.now());
    ctx.out(`queued ${n} dead job(s) again`);
    return EXIT.ok;
  }
  if (ids.length === 0) throw new SyncError('USAGE', `usage: ${USAGE}`);
  if (connectors.length === 0) {
    throw new SyncError('BAD_REQUEST', 'no connector is enabled (CONNECTORS): nothing to replay into');
  }
  let failed = 0;
  for (const id of ids) {
    const event = await store.getEvent(id);
    if (!event) {
      ctx.err(`no event ${id}`);
      failed += 1;
      continue;
    }
    const n = await store.replay({ eventId: id, connectors }, Date.now());
    ctx.out(`${id}: queued ${n} job(s)`);
  }
  return failed > 0 ? EXIT.failure : EXIT.ok;
}
