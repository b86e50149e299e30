/**
 * `import FILE`: seeds the projection from a GroWrk export, through the same path as webhooks
 * (`Ingestor.accept`: envelope validation, sensitive fields dropped before anything is stored,
 * dedupe by body hash). Two formats:
 *
 * - JSON lines: one webhook body per line, taken as it is (so a line GroWrk also delivered is a
 *   duplicate);
 * - CSV of employees or products: a header row of GroWrk field names, each row made into a
 *   synthetic event (`employee.updated`, `employee.offboarded` for status offboarded,
 *   `product.statusChange`) with the file's modification time (or `--timestamp`) as the GroWrk
 *   timestamp, so newer webhooks always win over it.
 *
 * Rows are validated first: a bad row is reported with its line number and never stored. The file
 * is streamed, with up to {@link IMPORT_CONCURRENCY} rows in flight (they share commits). No sync
 * jobs are queued: `reconcile` brings the targets in step afterwards, in bulk.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { AppConfig } from '../config/types.ts';
import { Ingestor } from '../core/ingest.ts';
import { ingestSettingsFor } from '../core/privacy-policy.ts';
import { SyncError } from '../errors.ts';
import { checkTimestamp, parseEnvelope, parseJsonBody } from '../growrk/envelope.ts';
import { ENTITY_ARRAY_KEY, type EntityKind } from '../growrk/types.ts';
import type { Store } from '../store/types.ts';
import { eventTypeOf, readCsv, readHeader, rowEntity } from './import-csv.ts';

/** Rows stored at once (concurrent ingests share one durable commit). */
export const IMPORT_CONCURRENCY = 64;

/** Bad rows listed in a summary (all are counted). */
export const MAX_PROBLEMS = 1000;

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/** What to import. */
export interface ImportRequest {
  file: string;
  /** `jsonl` or `csv`; from the extension, else from the first character. */
  format?: 'jsonl' | 'csv' | undefined;
  /** CSV only: the rows' kind; inferred from the header when absent. */
  kind?: EntityKind | undefined;
  /** CSV only: the GroWrk timestamp of every row (ISO 8601 with zone); the file's mtime otherwise. */
  timestamp?: string | undefined;
  /** CSV only: `companyId` of rows without a `companyId` column. */
  companyId?: string | undefined;
}

/** What an import did. */
export interface ImportSummary {
  file: string;
  format: 'jsonl' | 'csv';
  kind: EntityKind | null;
  /** The GroWrk timestamp given to CSV rows. */
  timestamp: string | null;
  /** Rows read (blank lines not counted). */
  read: number;
  imported: number;
  duplicate: number;
  skipped: number;
  bad: number;
  /** Why rows were skipped, with counts. */
  skippedReasons: Record<string, number>;
  /** Bad rows, by line (the first {@link MAX_PROBLEMS}). */
  problems: Array<{ line: number; reason: string }>;
  /** Entities stored, by kind. */
  entities: Partial<Record<EntityKind, number>>;
  /** CSV columns that are sensitive fields: dropped before anything was stored. */
  droppedColumns: string[];
}

/** One row ready to store. */
interface Row {
  line: number;
  body: Buffer;
  kind: EntityKind | null;
  entities: number;
}

/** How far an import has read, for a progress bar. */
export interface ImportProgress {
  /** Rows read so far. */
  rows: number;
  /** Bytes of the file read so far, and its size. */
  bytes: number;
  totalBytes: number;
}

/** Imports a file into the projection. Throws USAGE for an unusable file, STORE_UNAVAILABLE when storing fails. */
export async function importFile(
  request: ImportRequest,
  deps: { store: Store; config: AppConfig; now?: () => number; onProgress?: (p: ImportProgress) => void },
): Promise<ImportSummary> {
  const info = await stat(request.file).catch(() => null);
  if (!info?.isFile()) throw new SyncError('USAGE', `import: ${request.file} is not a readable file`);
  const format = request.format ?? (await detectFormat(request.file));
  if (request.timestamp !== undefined && !validTimestamp(request.timestamp)) {
    throw new SyncError(
      'USAGE',
      '--timestamp must be an ISO 8601 date-time with a zone, e.g. 2024-08-17T12:34:56Z',
    );
  }
  const now = deps.now ?? Date.now;
  const clock: Clock = { now, maxSkewMs: deps.config.webhook.maxClockSkew };
  const summary: ImportSummary = {
    file: request.file,
    format,
    kind: request.kind ?? null,
    timestamp: null,
    read: 0,
    imported: 0,
    duplicate: 0,
    skipped: 0,
    bad: 0,
    skippedReasons: {},
    problems: [],
    entities: {},
    droppedColumns: [],
  };
  const ingestor = new Ingestor({
    store: deps.store,
    secrets: () => [],
    jobConnectors: {},
    ...ingestSettingsFor(deps.config),
    now,
  });
  const input = createReadStream(request.file, 'utf8');
  const rows =
    format === 'jsonl'
      ? jsonRows(input, deps.config, clock, summary)
      : csvRows(input, request, new Date(info.mtimeMs).toISOString(), deps.config, clock, summary);
  const progress = deps.onProgress;
  const onRow = progress
    ? () => progress({ rows: summary.read, bytes: input.bytesRead, totalBytes: info.size })
    : undefined;
  await storeRows(rows, ingestor, summary, onRow);
  summary.problems.sort((a, b) => a.line - b.line);
  return summary;
}

/** The clock rows are checked against: a row dated further ahead than the skew is a bad row. */
interface Clock {
  now: () => number;
  maxSkewMs: number;
}

function validTimestamp(value: string): boolean {
  return ISO_TIMESTAMP.test(value) && !Number.isNaN(Date.parse(value));
}

async function detectFormat(file: string): Promise<'jsonl' | 'csv'> {
  const ext = extname(file).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return 'jsonl';
  if (ext === '.csv') return 'csv';
  for await (const chunk of createReadStream(file, { encoding: 'utf8', start: 0, end: 4095 })) {
    const first = String(chunk)
      .replace(/^\uFEFF/, '')
      .trimStart()[0];
    return first === '{' ? 'jsonl' : 'csv';
  }
  return 'csv';
}

function bad(summary: ImportSummary, line: number, reason: string): void {
  summary.bad += 1;
  if (summary.problems.length < MAX_PROBLEMS) summary.problems.push({ line, reason });
}

async function* jsonRows(
  input: Readable,
  config: AppConfig,
  clock: Clock,
  summary: ImportSummary,
): AsyncGenerator<Row> {
  const lines = createInterface({
    input,
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let line = 0;
  for await (const text of lines) {
    line += 1;
    const trimmed = (line === 1 ? text.replace(/^\uFEFF/, '') : text).trim();
    if (trimmed === '') continue;
    summary.read += 1;
    const body = Buffer.from(trimmed, 'utf8');
    if (body.length > config.webhook.bodyLimit) {
      bad(summary, line, `${body.length} bytes, over the body limit of ${config.webhook.bodyLimit}`);
      continue;
    }
    try {
      const event = parseEnvelope(parseJsonBody(body), config.privacy.dropFields);
      checkTimestamp(event, clock.now(), clock.maxSkewMs);
      yield { line, body, kind: event.kind, entities: event.entities.length };
    } catch (err) {
      bad(summary, line, (err as Error).message);
    }
  }
}

async function* csvRows(
  input: Readable,
  request: ImportRequest,
  mtime: string,
  config: AppConfig,
  clock: Clock,
  summary: ImportSummary,
): AsyncGenerator<Row> {
  const timestamp = request.timestamp ?? mtime;
  summary.timestamp = timestamp;
  try {
    checkTimestamp({ timestamp, timestampMs: Date.parse(timestamp) }, clock.now(), clock.maxSkewMs);
  } catch (err) {
    // Every row would carry it (and overrule the real events after it): refuse the file.
    const source = request.timestamp === undefined ? "the file's modification time" : '--timestamp';
    throw new SyncError('USAGE', `import: ${source}: ${(err as Error).message}`);
  }
  const companyId = request.companyId ?? 'import';
  const sensitive = new Set(config.privacy.dropFields.map((f) => f.toLowerCase()));
  let header: ReturnType<typeof readHeader> | null = null;
  for await (const item of readCsv(input)) {
    if (header === null) {
      if (!item.ok) throw new SyncError('USAGE', `import: line ${item.line}: the header row: ${item.error}`);
      header = readHeader(item.fields, request.kind);
      if (typeof header === 'string') throw new SyncError('USAGE', `import: line ${item.line}: ${header}`);
      summary.kind = header.kind;
      summary.droppedColumns = header.columns.filter((c) =>
        c.split('.').some((s) => sensitive.has(s.toLowerCase())),
      );
      continue;
    }
    if (item.ok && item.fields.length === 1 && item.fields[0]!.trim() === '') continue;
    summary.read += 1;
    if (!item.ok) {
      bad(summary, item.line, item.error);
      continue;
    }
    if (typeof header === 'string') continue;
    const row = rowEntity(header, item.fields);
    if (typeof row === 'string') {
      bad(summary, item.line, row);
      continue;
    }
    const envelope = {
      event: eventTypeOf(header.kind, row.entity),
      timestamp,
      companyId: row.companyId ?? companyId,
      [ENTITY_ARRAY_KEY[header.kind]]: [row.entity],
    };
    const body = Buffer.from(JSON.stringify(envelope), 'utf8');
    try {
      parseEnvelope(envelope, config.privacy.dropFields);
    } catch (err) {
      bad(summary, item.line, (err as Error).message);
      continue;
    }
    yield { line: item.line, body, kind: header.kind, entities: 1 };
  }
  if (header === null) throw new SyncError('USAGE', `import: ${request.file} is empty (no header row)`);
}

/** Stores rows with up to {@link IMPORT_CONCURRENCY} in flight; a store failure stops the import. */
async function storeRows(
  rows: AsyncIterable<Row>,
  ingestor: Ingestor,
  summary: ImportSummary,
  onRow?: () => void,
): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  let failure: SyncError | null = null;
  const one = async (row: Row) => {
    const outcome = await ingestor.accept(row.body);
    if (!outcome.ok) {
      if (outcome.error.code === 'STORE_UNAVAILABLE') failure ??= outcome.error;
      else bad(summary, row.line, outcome.error.message);
      return;
    }
    if (outcome.result.duplicate) summary.duplicate += 1;
    else if (outcome.result.status === 'ignored') {
      summary.skipped += 1;
      const reason = `event type "${outcome.type}" is not one GroWrk documents (stored as ignored)`;
      summary.skippedReasons[reason] = (summary.skippedReasons[reason] ?? 0) + 1;
    } else {
      summary.imported += 1;
      if (row.kind) summary.entities[row.kind] = (summary.entities[row.kind] ?? 0) + row.entities;
    }
  };
  for await (const row of rows) {
    if (failure) break;
    const p: Promise<void> = one(row).finally(() => inFlight.delete(p));
    inFlight.add(p);
    onRow?.();
    if (inFlight.size >= IMPORT_CONCURRENCY) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (failure) throw failure;
}
