/**
 * A run report as people read it, in the manner of `terraform plan`: per target, each change with
 * its fields (`before -> after`), suspensions with their playbook steps, what is reported but not
 * changed, and the counts at the end.
 */
import type { ChangeAction, ChangeReport, ConnectorReport, RunReport } from './types.ts';

const SYMBOL: Record<ChangeAction, string> = {
  create: '+',
  update: '~',
  suspend: '-',
  reactivate: '~',
  destructive: '-',
};

const VERB: Record<ChangeAction, [string, string]> = {
  create: ['will be created', 'create'],
  update: ['will be updated', 'update'],
  suspend: ['will be suspended', 'suspend'],
  reactivate: ['will be reactivated', 'reactivate'],
  destructive: ['will be changed destructively', 'destructive change'],
};

/** A value as the plan shows it. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function changeLines(change: ChangeReport, dryRun: boolean): string[] {
  const label = change.target?.label ? ` (${change.target.label})` : '';
  const head = `${change.kind} ${change.entityId}${label}`;
  if (change.protectedBy) {
    return [
      `  ! ${head} is a ${change.protectedBy}: never changed (planned: ${change.ops.map((o) => o.type).join(', ')})`,
    ];
  }
  const lines = [`  ${SYMBOL[change.action]} ${head} ${VERB[change.action][0]}`];
  const steps: string[] = [];
  const tagged = change.ops.filter((op) => op.changes.length > 0).length > 1;
  for (const op of change.ops) {
    if (op.changes.length > 0) {
      const creates = op.type.startsWith('create') && op.changes.every((c) => c.before === null);
      const tag = tagged ? `  (${op.type})` : '';
      for (const c of op.changes) {
        lines.push(
          creates
            ? `      + ${c.field} = ${formatValue(c.after)}${tag}`
            : `      ~ ${c.field}: ${formatValue(c.before)} -> ${formatValue(c.after)}${tag}`,
        );
      }
    } else if (op.destructive) steps.push(op.type);
    else lines.push(`      ${op.type}: ${op.description}`);
  }
  if (steps.length > 0) lines.push(`      playbook: ${steps.join(', ')}`);
  for (const note of change.notes) lines.push(`      note: ${note}`);
  if (change.reason)
    lines.push(`      destructive ops ${dryRun ? 'would not be applied' : 'not applied'}: ${change.reason}`);
  if (!dryRun) {
    const detail =
      change.result === 'failed'
        ? `failed: ${change.error?.code ?? ''} ${change.error?.message ?? ''}`.trim()
        : change.result === 'held'
          ? `held for approval (${change.heldId ?? '?'})${change.done?.length ? `; applied: ${change.done.join(', ')}` : ''}`
          : change.done?.length
            ? `${change.result}: ${change.done.join(', ')}`
            : change.result;
    lines.push(`      result: ${detail}`);
  }
  return lines;
}

function connectorLines(c: ConnectorReport, dryRun: boolean): string[] {
  const kinds = c.kinds
    .map(
      (k) => `${k.kind}: ${k.listed} listed (${plural(k.pages, 'page')}), ${k.projected} in the projection`,
    )
    .join('; ');
  const lines = [`${c.connector} (${kinds || 'nothing to list'})`];
  if (!c.listingComplete) {
    lines.push(`  LISTING INCOMPLETE: ${c.listingError?.message ?? 'a page failed'}`);
    lines.push('  -> no destructive change is applied in this run; missing records are not looked for');
  }
  const changes = [...c.changes].sort((a, b) => order(a) - order(b));
  for (const change of changes) lines.push(...changeLines(change, dryRun));
  if (c.changeCount > changes.length) {
    lines.push(
      `  ... ${plural(c.changeCount - changes.length, 'more change')} not shown (the counts below are exact; the outcome ledger has every one)`,
    );
  }
  if (c.changeCount === 0) lines.push('  no changes: the target matches the projection');
  if (c.unknownTargets.count > 0) {
    lines.push(
      `  ? ${plural(c.unknownTargets.count, 'record')} unknown to GroWrk (reported, never changed): ${sample(c.unknownTargets)}`,
    );
  }
  if (c.withoutTarget.count > 0) {
    lines.push(
      `  ? ${plural(c.withoutTarget.count, 'entity', 'entities')} without a target record (reported, not changed): ${sample(c.withoutTarget)}`,
    );
  }
  if (c.uncheckedMissing > 0) {
    lines.push(
      `  ? ${plural(c.uncheckedMissing, 'entity', 'entities')} not checked for a missing record (listing incomplete)`,
    );
  }
  if (c.referenceOnly > 0) {
    lines.push(
      `  ? ${plural(c.referenceOnly, 'entity', 'entities')} known only from references in other events (synced once GroWrk sends them in full)`,
    );
  }
  if (c.inFlight > 0) {
    lines.push(
      `  ? ${plural(c.inFlight, 'entity', 'entities')} with sync jobs in flight: left to the event path, not changed by this run`,
    );
  }
  if (c.notes.count > 0) lines.push(`  ? ${plural(c.notes.count, 'note')}: ${sample(c.notes, 5, '; ')}`);
  for (const e of c.errors) lines.push(`  ERROR ${e.code}: ${e.message}`);
  return lines;
}

function order(change: ChangeReport): number {
  if (change.protectedBy) return 5;
  return ['suspend', 'destructive', 'reactivate', 'create', 'update'].indexOf(change.action);
}

function sample(s: { count: number; sample: string[] }, max = 10, sep = ', '): string {
  const shown = s.sample.slice(0, max);
  return shown.join(sep) + (s.count > shown.length ? `${sep}... (${s.count - shown.length} more)` : '');
}

/** The `Plan: ...` line. */
export function planLine(report: RunReport): string {
  const p = report.plan;
  const steps = report.connectors.reduce((n, c) => n + c.playbookSteps, 0);
  const parts = [`${p.create} to create`, `${p.update} to update`, `${p.suspend} to suspend`];
  if (steps > 0) parts[2] += ` (with ${plural(steps, 'playbook step')})`;
  if (p.reactivate > 0) parts.push(`${p.reactivate} to reactivate`);
  if (p.destructive > 0) parts.push(`${p.destructive} other destructive`);
  return `Plan: ${parts.join(', ')}.`;
}

/** The whole report as text lines. */
export function renderReport(report: RunReport): string[] {
  const mode = report.dryRun ? 'dry run' : 'run';
  const resumed =
    report.resumed.length > 0 ? `, resumed from its checkpoint at ${report.resumed.join(', ')}` : '';
  const lines = [
    `Reconciliation ${report.runId} (${mode}, ${report.trigger}, started ${report.startedAt}${resumed})`,
    '',
  ];
  for (const c of report.connectors) lines.push(...connectorLines(c, report.dryRun), '');
  lines.push(planLine(report));
  const unknown = report.connectors.reduce((n, c) => n + c.unknownTargets.count, 0);
  const without = report.connectors.reduce((n, c) => n + c.withoutTarget.count, 0);
  lines.push(
    `Not changed: ${report.plan.protected} protected, ${unknown} unknown to GroWrk, ${without} without a target record.`,
  );
  lines.push(`Budget: ${report.budget.explanation}.`);
  if (!report.dryRun) {
    const r = report.results;
    lines.push(
      `Apply: ${r.applied} applied, ${r.partial} partly applied, ${r.held} held, ${r.withheld} withheld, ${r.failed} failed.`,
    );
  }
  for (const c of report.connectors) {
    const over = c.calls.minimum > 0 ? ((c.calls.actual - c.calls.minimum) / c.calls.minimum) * 100 : 0;
    lines.push(
      `Calls: ${c.connector} ${c.calls.actual} (minimum ${c.calls.minimum}: ${c.calls.minimumList} listing + ${c.calls.minimumWrite} writes; ${over >= 0 ? '+' : ''}${over.toFixed(1)}%); wall ${seconds(c.wallMs)}, rate-limit floor ${seconds(c.calls.floorMs)}`,
    );
  }
  const verdict = report.dryRun
    ? report.status === 'partial'
      ? 'The plan is incomplete: a target listing failed.'
      : report.drift
        ? 'Drift found (exit 3): run without --dry-run to apply.'
        : 'No drift: the targets match the projection.'
    : `Status: ${report.status}.`;
  lines.push(verdict);
  for (const e of report.errors) lines.push(`error ${e.code}: ${e.message}`);
  return lines;
}
