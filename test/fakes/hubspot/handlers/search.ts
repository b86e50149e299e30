/** POST /crm/v3/objects/{objectType}/search */
import { validationError } from '../errors.ts';
import type { SearchInput } from '../inputs.ts';
import { checkSearch, matchesSearch, parseSorts, sortRecords } from '../search.ts';
import { recordView } from '../views.ts';
import { typeOf } from './objects.ts';
import { bodyOf, type Handler } from './types.ts';

/** HubSpot returns at most 10,000 results for one query. */
const MAX_SEARCH_DEPTH = 10_000;

/** Filters, sorts and pages live records; `after` is an offset into the result list. */
export const searchObjects: Handler = (ctx) => {
  const type = typeOf(ctx);
  const input = bodyOf<SearchInput>(ctx);
  checkSearch(type, input);
  const offset = input.after === undefined || input.after === '' ? 0 : Number(input.after);
  if (!Number.isInteger(offset) || offset < 0)
    throw validationError(`after must be a paging cursor, got "${input.after}"`);
  const limit = input.limit ?? 10;
  if (offset + limit > MAX_SEARCH_DEPTH)
    throw validationError('Search results are limited to 10,000 per query');
  const matching = sortRecords(
    type,
    ctx.state.list(type).filter((r) => matchesSearch(type, r, input)),
    parseSorts(input.sorts),
  );
  const page = matching.slice(offset, offset + limit);
  const body: Record<string, unknown> = {
    total: matching.length,
    results: page.map((r) => recordView(type, r, input.properties)),
  };
  if (offset + limit < matching.length) {
    const after = String(offset + limit);
    body.paging = { next: { after, link: `?after=${after}` } };
  }
  return { status: 200, body };
};
