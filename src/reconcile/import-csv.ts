/**
 * CSV for `import`: an RFC 4180 reader that streams records with the line each starts on (quoted
 * fields may hold commas, doubled quotes and line breaks; CRLF, LF and a UTF-8 BOM are accepted),
 * and the mapping of a header row of GroWrk field names onto entities (`manager.email` -> nested).
 */
import type { EntityKind } from '../growrk/types.ts';

/** One record, or why it could not be read. `line` is the line the record starts on (1-based). */
export type CsvItem =
  | { ok: true; line: number; fields: string[] }
  | { ok: false; line: number; error: string };

type State = 'start' | 'field' | 'quoted' | 'quote' | 'skip';

/** Reads CSV records from text chunks. A broken record is reported and skipped to its line end. */
export async function* readCsv(chunks: AsyncIterable<string>): AsyncGenerator<CsvItem> {
  let state: State = 'start';
  let field = '';
  let fields: string[] = [];
  let line = 1;
  let recordLine = 1;
  let error: string | null = null;
  let afterCr = false;
  let first = true;
  const out: CsvItem[] = [];

  const endRecord = () => {
    if (error !== null) out.push({ ok: false, line: recordLine, error });
    else {
      fields.push(field);
      out.push({ ok: true, line: recordLine, fields });
    }
    fields = [];
    field = '';
    error = null;
    state = 'start';
  };

  for await (let chunk of chunks) {
    if (first) {
      first = false;
      if (chunk.startsWith('\uFEFF')) chunk = chunk.slice(1);
    }
    for (const ch of chunk) {
      if (afterCr) {
        afterCr = false;
        if (ch === '\n') continue;
      }
      const newline = ch === '\n' || ch === '\r';
      if (newline) afterCr = ch === '\r';
      if (state === 'quoted') {
        if (ch === '"') state = 'quote';
        else {
          field += ch === '\r' ? '\n' : ch;
          if (newline) line += 1;
        }
        continue;
      }
      if (state === 'quote') {
        if (ch === '"') {
          field += '"';
          state = 'quoted';
          continue;
        }
        if (ch === ',') {
          fields.push(field);
          field = '';
          state = 'start';
          continue;
        }
        if (newline) {
          line += 1;
          endRecord();
          recordLine = line;
          continue;
        }
        error = `unexpected character after a closing quote (field ${fields.length + 1})`;
        state = 'skip';
        continue;
      }
      if (newline) {
        line += 1;
        endRecord();
        recordLine = line;
        continue;
      }
      if (state === 'skip') continue;
      if (ch === '"' && state === 'start') {
        state = 'quoted';
        continue;
      }
      if (ch === '"') {
        error = `a quote inside an unquoted field (field ${fields.length + 1}); quote the whole field and double the quote`;
        state = 'skip';
        continue;
      }
      if (ch === ',') {
        fields.push(field);
        field = '';
        state = 'start';
        continue;
      }
      field += ch;
      state = 'field';
    }
    yield* out.splice(0);
  }
  if (state === 'quoted') {
    out.push({
      ok: false,
      line: recordLine,
      error: `unterminated quoted field (field ${fields.length + 1}); the rest of the file was read into it`,
    });
  } else if (state !== 'start' || fields.length > 0 || error !== null) {
    endRecord();
  }
  yield* out.splice(0);
}

/** Field names that would reach the prototype; refused in a header. */
const UNSAFE_SEGMENTS = new Set(['__proto__', 'prototype', 'constructor']);

/** Columns that show a header is of employees or of products (when `--kind` is not given). */
const KIND_HINTS: Record<'employee' | 'product', readonly string[]> = {
  employee: [
    'email',
    'displayname',
    'jobtitle',
    'department',
    'secondaryemail',
    'manager.email',
    'manager.id',
  ],
  product: [
    'serialnumber',
    'model',
    'manufacturer',
    'assigned',
    'employee.id',
    'employee.email',
    'mdm',
    'condition',
  ],
};

/** A validated header: column names (GroWrk field names, dot paths for nested fields). */
export interface CsvHeader {
  columns: string[];
  kind: 'employee' | 'product';
}

/** Validates a header row and settles the kind (given, or inferred from the columns). Returns an error text or the header. */
export function readHeader(fields: readonly string[], kind: EntityKind | undefined): CsvHeader | string {
  const columns = fields.map((f) => f.trim());
  const seen = new Set<string>();
  for (const [i, column] of columns.entries()) {
    if (column === '') return `column ${i + 1} of the header has no name`;
    if (seen.has(column)) return `column "${column}" appears twice in the header`;
    seen.add(column);
    if (column.split('.').some((s) => s === '' || UNSAFE_SEGMENTS.has(s))) {
      return `column "${column}" is not a usable field name`;
    }
  }
  if (!seen.has('id')) return 'the header has no "id" column (the GroWrk id of each row)';
  if (kind === 'order') return 'CSV import takes employees or products (orders come as JSON lines of events)';
  if (kind) return { columns, kind };
  const lower = columns.map((c) => c.toLowerCase());
  const score = (k: 'employee' | 'product') => KIND_HINTS[k].filter((h) => lower.includes(h)).length;
  const employee = score('employee');
  const product = score('product');
  if (employee === product) {
    return 'cannot tell whether the rows are employees or products from the header; pass --kind employee|product';
  }
  return { columns, kind: employee > product ? 'employee' : 'product' };
}

/** A CSV cell as a GroWrk value: `true`/`false` become booleans, everything else stays text. */
function cellValue(cell: string): string | boolean {
  if (cell === 'true') return true;
  if (cell === 'false') return false;
  return cell;
}

/**
 * One row as a GroWrk entity: each non-empty cell set at its column's path. Returns the entity and
 * the `companyId` cell (not part of the entity), or an error text.
 */
export function rowEntity(
  header: CsvHeader,
  fields: readonly string[],
): { entity: Record<string, unknown>; companyId: string | null } | string {
  if (fields.length > header.columns.length) {
    return `${fields.length} cells, but the header has ${header.columns.length} columns`;
  }
  const entity: Record<string, unknown> = {};
  let companyId: string | null = null;
  for (const [i, column] of header.columns.entries()) {
    const cell = (fields[i] ?? '').trim();
    if (cell === '') continue;
    if (column === 'companyId') {
      companyId = cell;
      continue;
    }
    const path = column.split('.');
    let node = entity;
    for (const segment of path.slice(0, -1)) {
      const next = node[segment];
      if (next === undefined) node[segment] = {};
      else if (typeof next !== 'object' || next === null) {
        return `column "${column}" conflicts with column "${path.slice(0, path.indexOf(segment) + 1).join('.')}"`;
      }
      node = node[segment] as Record<string, unknown>;
    }
    const leaf = path[path.length - 1]!;
    if (typeof node[leaf] === 'object' && node[leaf] !== null) {
      return `column "${column}" conflicts with the nested columns under it`;
    }
    node[leaf] = cellValue(cell);
  }
  if (typeof entity.id !== 'string' || entity.id === '') return 'missing id';
  return { entity, companyId };
}

/** The GroWrk event a row of `kind` stands for. */
export function eventTypeOf(kind: 'employee' | 'product', entity: Record<string, unknown>): string {
  if (kind === 'product') return 'product.statusChange';
  const status = typeof entity.status === 'string' ? entity.status.toLowerCase() : '';
  return status === 'offboarded' ? 'employee.offboarded' : 'employee.updated';
}
