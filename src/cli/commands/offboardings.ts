import { findOffboarding, type OffboardingView, offboardingView } from '../../core/offboarding.ts';
import { SyncError } from '../../errors.ts';
import { openStore } from '../../store/open.ts';
import { parseArgs, positiveInt } from '../args.ts';
import { type Command, type CommandContext, EXIT, table } from '../io.ts';

const USAGE = 'growrk-sync offboardings list [--open] [--limit N] [--json] | offboardings show ID [--json]';

/**
 * `offboardings list|show`: one timeline per person. `show` takes an offboarding id or an employee
 * id (their newest offboarding).
 */
export const offboardingsCommand: Command = async (argv, ctx) => {
  const [sub, ...rest] = argv;
  if (sub !== 'list' && sub !== 'show') throw new SyncError('USAGE', `usage: ${USAGE}`);
  const { values, positionals } = parseArgs(
    rest,
    {
      open: { type: 'boolean', default: false },
      limit: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    USAGE,
  );
  if (sub === 'list' && positionals.length > 0)
    throw new SyncError('USAGE', `list takes no ids\nusage: ${USAGE}`);
  if (sub === 'show' && positionals.length !== 1)
    throw new SyncError('USAGE', `show takes one id\nusage: ${USAGE}`);
  const limit = positiveInt(values.limit, '--limit', 1000);
  const store = await openStore(ctx.config(), ctx.deps.cwd);
  try {
    if (sub === 'list') {
      const records = await store.listOffboardings({ ...(values.open ? { status: 'open' } : {}), limit });
      const views = records.map(offboardingView);
      if (values.json) ctx.out(JSON.stringify(views));
      else printList(ctx, views, values.open === true);
      return EXIT.ok;
    }
    const id = positionals[0] ?? '';
    const record = await findOffboarding(store, id);
    if (!record) throw new SyncError('NOT_FOUND', `no offboarding ${id}`);
    const view = offboardingView(record);
    if (values.json) ctx.out(JSON.stringify(view));
    else printOne(ctx, view);
    return EXIT.ok;
  } finally {
    await store.close();
  }
};

function printList(ctx: CommandContext, views: OffboardingView[], open: boolean): void {
  if (views.length === 0) {
    ctx.out(open ? 'no offboarding is open' : 'no offboardings');
    return;
  }
  ctx.out(
    table(
      ['ID', 'EMPLOYEE', 'WHO', 'STATUS', 'SUSPENDED AT', 'WAITING FOR'],
      views.map((v) => [
        v.id,
        v.employeeId,
        v.label ?? '-',
        v.status,
        v.suspendedAt ?? '-',
        v.status === 'open' ? (v.blockedBy ?? 'the playbook') : '-',
      ]),
    ),
  );
}

function printOne(ctx: CommandContext, v: OffboardingView): void {
  ctx.out(`offboarding ${v.id}: ${v.employeeId} (${v.label ?? 'no label'}), ${v.status}`);
  ctx.out(`  opened at:           ${v.openedAt}`);
  ctx.out(`  suspended at:        ${v.suspendedAt ?? '-'}`);
  for (const s of v.steps) ctx.out(`  ${`${s.step}:`.padEnd(20)} ${s.at}${s.detail ? ` (${s.detail})` : ''}`);
  const h = v.handover;
  ctx.out(
    `  handover:            ${h ? `${h.state} to ${h.to} (${h.source}${h.transferId ? `, transfer ${h.transferId}` : ''}, ${h.attempts} request(s))` : '-'}`,
  );
  ctx.out(
    `  devices wiped:       ${v.devicesWiped.length === 0 ? '-' : v.devicesWiped.map((d) => `${d.model ?? d.resourceId} at ${d.at}`).join('; ')}`,
  );
  ctx.out(
    `  equipment out:       ${
      v.equipmentOutstanding.length === 0
        ? '-'
        : v.equipmentOutstanding
            .map(
              (e) =>
                `${e.serial ?? e.productId} (${e.status ?? 'no status'}${e.wiped === false ? ', not wiped' : ''}, legal hold ${e.legalHold ?? 'none'})`,
            )
            .join('; ')
    }`,
  );
  if (v.blockedBy) ctx.out(`  waiting for:         ${v.blockedBy}`);
  ctx.out(`  licence released at: ${v.licenceReleasedAt ?? '-'}${v.licence ? ` (${v.licence})` : ''}`);
  if (v.closedAt)
    ctx.out(`  closed at:           ${v.closedAt}${v.closedReason ? ` (${v.closedReason})` : ''}`);
  if (v.cancelledReason) ctx.out(`  cancelled:           ${v.cancelledReason}`);
}
