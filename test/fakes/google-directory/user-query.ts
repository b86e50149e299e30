/**
 * The `users.list` `query` language (a subset of Google's "Search for users"): space-separated
 * clauses, all of which must hold. Supported: `email:` / `email=` (primary address or alias; a
 * trailing `*` is a prefix match), `givenName`, `familyName`, `name`, `externalId`, `isSuspended`,
 * `isAdmin`, `isDelegatedAdmin`, `isEnrolledIn2Sv`, `isEnforcedIn2Sv`, `isArchived`, `orgUnitPath=`
 * (the unit and everything below it), `directManager=`, custom fields `Schema.field=value` (or `:`
 * for a prefix, `<` `>` `<=` `>=` for numbers and dates), and bare words (prefix of an e-mail or
 * name). Anything else is a 400, as from Google.
 */
import { invalid } from './errors.ts';
import type { DirectorySchema, DirectoryUser } from './types.ts';

/** One clause. */
interface Clause {
  field: string | undefined;
  op: string;
  value: string;
}

/** A compiled query: a predicate over users. */
export type UserPredicate = (user: DirectoryUser) => boolean;

function tokenize(query: string): string[] {
  const out: string[] = [];
  let current = '';
  let quote: string | undefined;
  for (const ch of query) {
    if (quote) {
      current += ch;
      if (ch === quote) quote = undefined;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      current += ch;
    } else if (/\s/.test(ch)) {
      if (current !== '') out.push(current);
      current = '';
    } else current += ch;
  }
  if (quote) throw invalid(`Invalid Input: unterminated quote in query ${JSON.stringify(query)}`);
  if (current !== '') out.push(current);
  return out;
}

function unquote(value: string): string {
  const first = value.charAt(0);
  if ((first === "'" || first === '"') && value.endsWith(first) && value.length >= 2)
    return value.slice(1, -1);
  return value;
}

function parseClause(term: string): Clause {
  const m = /^([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)?)(<=|>=|=|:|<|>)(.*)$/.exec(term);
  if (!m) return { field: undefined, op: ':', value: unquote(term) };
  return { field: m[1], op: m[2] ?? '=', value: unquote(m[3] ?? '') };
}

function textMatch(candidate: string | undefined, value: string, op: string): boolean {
  if (candidate === undefined) return false;
  const c = candidate.toLowerCase();
  const v = value.toLowerCase();
  if (v.endsWith('*')) return c.startsWith(v.slice(0, -1));
  if (op === '=') return c === v;
  return c === v || c.startsWith(v) || c.split(/\s+/).some((word) => word.startsWith(v));
}

function listOf(value: unknown): Array<Record<string, unknown>> {
  return Array.isArray(value)
    ? value.filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null)
    : [];
}

function compare(actual: unknown, op: string, value: string, fieldType: string): boolean {
  if (actual === undefined || actual === null) return false;
  if (fieldType === 'INT64' || fieldType === 'DOUBLE' || fieldType === 'DATE') {
    const a = fieldType === 'DATE' ? String(actual) : Number(actual);
    const b = fieldType === 'DATE' ? value : Number(value);
    if (op === '<') return a < b;
    if (op === '>') return a > b;
    if (op === '<=') return a <= b;
    if (op === '>=') return a >= b;
    return a === b;
  }
  if (fieldType === 'BOOL') return String(actual) === value;
  return textMatch(String(actual), value, op);
}

function booleanClause(clause: Clause, get: (u: DirectoryUser) => boolean): UserPredicate {
  if (clause.op !== '=' || (clause.value !== 'true' && clause.value !== 'false'))
    throw invalid(
      `Invalid Input: ${clause.field}${clause.op}${clause.value} (use ${clause.field}=true|false)`,
    );
  const want = clause.value === 'true';
  return (u) => get(u) === want;
}

function compileClause(
  clause: Clause,
  schemaOf: (name: string) => DirectorySchema | undefined,
): UserPredicate {
  const { field, op, value } = clause;
  switch (field) {
    case undefined:
      return (u) =>
        textMatch(u.primaryEmail, value, ':') ||
        textMatch(u.name.givenName, value, ':') ||
        textMatch(u.name.familyName, value, ':');
    case 'email':
      return (u) => [u.primaryEmail, ...(u.aliases ?? [])].some((e) => textMatch(e, value, '='));
    case 'givenName':
      return (u) => textMatch(u.name.givenName, value, op);
    case 'familyName':
      return (u) => textMatch(u.name.familyName, value, op);
    case 'name':
      return (u) => textMatch(u.name.fullName, value, op);
    case 'externalId':
      return (u) =>
        listOf(u.externalIds).some((e) => String(e.value ?? '').toLowerCase() === value.toLowerCase());
    case 'isSuspended':
      return booleanClause(clause, (u) => u.suspended);
    case 'isAdmin':
      return booleanClause(clause, (u) => u.isAdmin);
    case 'isDelegatedAdmin':
      return booleanClause(clause, (u) => u.isDelegatedAdmin);
    case 'isEnrolledIn2Sv':
      return booleanClause(clause, (u) => u.isEnrolledIn2Sv);
    case 'isEnforcedIn2Sv':
      return booleanClause(clause, (u) => u.isEnforcedIn2Sv);
    case 'isArchived':
      return booleanClause(clause, (u) => u.archived);
    case 'orgUnitPath': {
      if (op !== '=') throw invalid(`Invalid Input: orgUnitPath${op}${value} (use orgUnitPath=)`);
      const path = `/${value.replace(/^\/+|\/+$/g, '')}`;
      return (u) => path === '/' || u.orgUnitPath === path || u.orgUnitPath.startsWith(`${path}/`);
    }
    case 'directManager':
      return (u) =>
        listOf(u.relations).some(
          (r) => r.type === 'manager' && String(r.value ?? '').toLowerCase() === value.toLowerCase(),
        );
    default:
      break;
  }
  const [schemaName = '', fieldName] = field.split('.');
  const schema = fieldName === undefined ? undefined : schemaOf(schemaName);
  const spec = schema?.fields.find((f) => f.fieldName === fieldName);
  if (!schema || !spec) throw invalid(`Invalid Input: unknown search field '${field}' in query`);
  if (!spec.indexed) throw invalid(`Invalid Input: custom field '${field}' is not indexed`);
  return (u) => {
    const actual = u.customSchemas?.[schemaName]?.[spec.fieldName];
    const values = Array.isArray(actual) ? listOf(actual).map((e) => e.value) : [actual];
    return values.some((v) => compare(v, op, value, spec.fieldType));
  };
}

/** Compiles a `query` string; throws a 400 `ApiError` for clauses it does not understand. */
export function compileUserQuery(
  query: string,
  schemaOf: (name: string) => DirectorySchema | undefined,
): UserPredicate {
  const predicates = tokenize(query).map((term) => compileClause(parseClause(term), schemaOf));
  return (user) => predicates.every((p) => p(user));
}
