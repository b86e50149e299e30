import { SyncError } from '../../errors.ts';
import { type EntityLabel, labelOf } from '../../http/admin-views.ts';
import { openStore } from '../../store/open.ts';
import type { HeldChange, Store } from '../../store/types.ts';
import { decideHeldChange, type HeldDecision } from '../../sync/held.ts';
import { parseArgs, positiveInt } from '../args.ts';
import { type Command, type CommandContext, EXIT, table } from '../io.ts';

const USAGE =
  'growrk-sync held list [--status S] [--limit N] [--json] | held approve ID... [--json] | held reject ID... [--json]';
const STATUSES: HeldChange['status'][] = ['held', 'approved', 'rejected', 'applied'];

/** One planned operation of a held change, as `held list` shows it. */
interface HeldOp {
  type: string;
  description: string;
}

/** The operations of a stored plan (plans are connector JSON; only `ops[].type/description` are read). */
function opsOf(plan: unknown): HeldOp[] {
  if (typeof plan !== 'object' || plan === null) return [];
  const ops = (plan as { ops?: unknown }).ops;
  if (!Array.isArray(ops)) return [];
  return ops.flatMap((op: unknown) => {
    if (typeof op !== 'object' || op === null) return [];
    const { type, description } = op as { type?: unknown; description?: unknown };
    return typeof type === 'string'
      ? [{ type, description: typeof description === 'string' ? description : type }]
      : [];
  });
}

/** "3m", "2h 5m", "4d 1h": how long a change has waited. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/**
 * `held list|approve|reject`: the changes the guardrails kept back. Approving marks the change
 * approved and queues a sync job for its entity: the worker (of this or any other process on the
 * same store) plans again from the current state and applies, without taking the budget.
 * Rejecting applies nothing.
 */
export const heldCommand: Command = async (argv, ctx) => {
  const [sub, ...rest] = argv;
  if (sub !== 'list' && sub !== 'approve' && sub !== 'reject')
    throw new SyncError('USAGE', `usage: ${USAGE}`);
  const { values, positionals } = parseArgs(
    rest,
    {
      status: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    USAGE,
  );
  if (sub === 'list') {
    if (positionals.length > 0) throw new SyncError('USAGE', `held list takes no ids\nusage: ${USAGE}`);
    if (values.status !== undefined && !STATUSES.includes(values.status as HeldChange['status']))
      throw new SyncError('USAGE', `--status must be one of ${STATUSES.join(', ')}`);
  } else {
    if (positionals.length === 0)
      throw new SyncError('USAGE', `held ${sub} takes one or more ids\nusage: ${USAGE}`);
    if (values.status !== undefined || values.limit !== undefined)
      throw new SyncError('USAGE', `--status and --limit are for held list\nusage: ${USAGE}`);
  }
  const limit = positiveInt(values.limit, '--limit', 1000);
  const config = ctx.config();
  const store = await openStore(config, ctx.deps.cwd);
  try {
    if (sub === 'list') {
      const status = (values.status ?? 'held') as HeldChange['status'];
      return await list(store, ctx, status, limit, values.json === true);
    }
    return await decide(store, ctx, sub, positionals, values.json === true, config.connectors);
  } finally {
    await store.close();
  }
};

async function list(
  store: Store,
  ctx: CommandContext,
  status: HeldChange['status'],
  limit: number,
  json: boolean,
): Promise<number> {
  const held = await store.listHeld({ status, limit });
  // Who each change is about, from the projection (this output is for the admin who decides).
  const people = new Map<string, EntityLabel>();
  for (const h of held) {
    const key = `${h.kind}:${h.entityId}`;
    if (!people.has(key))
      people.set(key, labelOf(h.kind, h.entityId, await store.getEntity(h.kind, h.entityId)));
  }
  const person = (h: HeldChange) => people.get(`${h.kind}:${h.entityId}`);
  const now = Date.now();
  if (json) {
    ctx.out(
      JSON.stringify(
        held.map((h) => ({
          id: h.id,
          connector: h.connector,
          kind: h.kind,
          entityId: h.entityId,
          name: person(h)?.name ?? null,
          email: person(h)?.email ?? null,
          status: h.status,
          reason: h.reason,
          ops: opsOf(h.plan),
          eventIds: h.eventIds,
          createdAt: new Date(h.createdAt).toISOString(),
          ageMs: Math.max(0, now - h.createdAt),
          decidedAt: h.decidedAt === null ? null : new Date(h.decidedAt).toISOString(),
          decidedBy: h.decidedBy,
          plan: h.plan,
        })),
      ),
    );
    return EXIT.ok;
  }
  if (held.length === 0) {
    ctx.out(status === 'held' ? 'no change is waiting for approval' : `no ${status} changes`);
    return EXIT.ok;
  }
  ctx.out(
    table(
      ['ID', 'CONNECTOR', 'ENTITY', 'NAME', 'E-MAIL', 'AGE', 'PLANNED OPS', 'REASON'],
      held.map((h) => [
        h.id,
        h.connector,
        `${h.kind}:${h.entityId}`,
        person(h)?.name ?? '-',
        person(h)?.email ?? '-',
        formatAge(now - h.createdAt),
        opsOf(h.plan)
          .map((op) => op.type)
          .join(', ') || '-',
        h.reason,
      ]),
    ),
  );
  if (status === 'held') {
    ctx.out('');
    ctx.out(`${held.length} change(s) waiting; growrk-sync held approve ID... | held reject ID...`);
  }
  return EXIT.ok;
}

async function decide(
  store: Store,
  ctx: CommandContext,
  sub: 'approve' | 'reject',
  ids: string[],
  json: boolean,
  enabled: readonly string[],
): Promise<number> {
  const by = `cli:${ctx.deps.env.USER ?? ctx.deps.env.USERNAME ?? 'unknown'}`;
  const decisions: HeldDecision[] = [];
  for (const id of new Set(ids)) decisions.push(await decideHeldChange(store, id, sub, by, enabled));
  if (json) ctx.out(JSON.stringify(decisions));
  for (const d of decisions) {
    if (!d.ok) ctx.err(d.message);
    else if (!json) ctx.out(d.message);
  }
  return decisions.every((d) => d.ok) ? EXIT.ok : EXIT.failure;
}
