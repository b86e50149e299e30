import { resolve } from 'node:path';
import { SyncError } from '../../errors.ts';
import type { EntityKind } from '../../growrk/types.ts';
import { type ImportSummary, importFile } from '../../reconcile/import.ts';
import { openStore } from '../../store/open.ts';
import { parseArgs } from '../args.ts';
import { type Command, EXIT } from '../io.ts';
import { progressBar } from '../progress.ts';

const kib = (bytes: number) => Math.ceil(bytes / 1024);

const USAGE =
  'growrk-sync import FILE [--format jsonl|csv] [--kind employee|product] [--timestamp ISO] [--company-id ID] [--json]';

function lines(s: ImportSummary): string[] {
  const what =
    s.format === 'jsonl'
      ? 'JSON lines of GroWrk events'
      : `CSV of ${s.kind ?? '?'}s, GroWrk timestamp ${s.timestamp ?? '?'}`;
  const out = [
    `Imported ${s.file} (${what}):`,
    `  read       ${s.read} row(s)`,
    `  imported   ${s.imported}${
      Object.keys(s.entities).length
        ? ` (${Object.entries(s.entities)
            .map(([k, n]) => `${n} ${k}`)
            .join(', ')})`
        : ''
    }`,
    `  duplicate  ${s.duplicate} (the same body was stored before)`,
    `  skipped    ${s.skipped}`,
  ];
  for (const [reason, n] of Object.entries(s.skippedReasons)) out.push(`             ${n}: ${reason}`);
  out.push(`  bad        ${s.bad}${s.bad > 0 ? ' (not stored)' : ''}`);
  if (s.droppedColumns.length > 0) {
    out.push(`  sensitive columns dropped before storing: ${s.droppedColumns.join(', ')}`);
  }
  if (s.problems.length > 0) {
    out.push('bad rows:');
    for (const p of s.problems) out.push(`  line ${p.line}: ${p.reason}`);
    if (s.bad > s.problems.length) out.push(`  ... ${s.bad - s.problems.length} more`);
  }
  out.push('No sync jobs were queued: `growrk-sync reconcile --dry-run` shows what the targets need.');
  return out;
}

/**
 * `import FILE`: seeds the projection from a GroWrk export; exits 1 when any row was bad. On a
 * terminal, a progress bar (rows read, share of the file) on stderr.
 */
export const importCommand: Command = async (argv, ctx) => {
  const { values, positionals } = parseArgs(
    argv,
    {
      format: { type: 'string' },
      kind: { type: 'string' },
      timestamp: { type: 'string' },
      'company-id': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    USAGE,
  );
  if (positionals.length !== 1) throw new SyncError('USAGE', `import takes one FILE\nusage: ${USAGE}`);
  if (values.format !== undefined && values.format !== 'jsonl' && values.format !== 'csv') {
    throw new SyncError('USAGE', `--format must be jsonl or csv\nusage: ${USAGE}`);
  }
  if (values.kind !== undefined && values.kind !== 'employee' && values.kind !== 'product') {
    throw new SyncError('USAGE', `--kind must be employee or product\nusage: ${USAGE}`);
  }
  const config = ctx.config();
  const store = await openStore(config, ctx.deps.cwd);
  const bar = progressBar(ctx.deps.stderr);
  try {
    const summary = await importFile(
      {
        file: resolve(ctx.deps.cwd, positionals[0]!),
        format: values.format as 'jsonl' | 'csv' | undefined,
        kind: values.kind as EntityKind | undefined,
        timestamp: values.timestamp,
        companyId: values['company-id'],
      },
      {
        store,
        config,
        onProgress: (p) =>
          bar.count(`import: ${p.rows.toLocaleString('en-US')} rows`, kib(p.bytes), kib(p.totalBytes), 'KiB'),
      },
    );
    bar.done();
    if (values.json) ctx.out(JSON.stringify(summary));
    else for (const line of lines(summary)) ctx.out(line);
    return summary.bad > 0 ? EXIT.failure : EXIT.ok;
  } finally {
    bar.done();
    await store.close();
  }
};
