/** `directory.groups.*` and `directory.members.*`. */
import { invalid, notAuthorized, notFound } from './errors.ts';
import { checkCustomer, type Handler, listBody, noContent, ok, param } from './handler-kit.ts';
import { listingFingerprint, page } from './paging.ts';
import type { DirectoryGroup } from './types.ts';

/** Google caps group and member pages at 200 whatever `maxResults` says. */
const MAX_PAGE = 200;

const ROLES = ['OWNER', 'MANAGER', 'MEMBER'];

function capped(query: URLSearchParams): URLSearchParams {
  const copy = new URLSearchParams(query);
  const size = Number(copy.get('maxResults') ?? MAX_PAGE);
  copy.set('maxResults', String(Math.min(size, MAX_PAGE)));
  return copy;
}

/** `email:`/`name:` clauses (a trailing `*` is a prefix match), as the group search supports. */
function groupQuery(query: string): (g: DirectoryGroup) => boolean {
  const clauses = query
    .split(/\s+/)
    .filter(Boolean)
    .map((term) => {
      const m = /^(email|name)(:|=)'?([^']*)'?$/.exec(term);
      if (!m) throw invalid(`Invalid Input: unsupported group query clause '${term}'`);
      const value = (m[3] ?? '').toLowerCase();
      const field = m[1] === 'email' ? 'email' : 'name';
      return (g: DirectoryGroup) => {
        const actual = g[field].toLowerCase();
        return value.endsWith('*') ? actual.startsWith(value.slice(0, -1)) : actual === value;
      };
    });
  return (g) => clauses.every((c) => c(g));
}

const listGroups: Handler = (ctx) => {
  const { query, state } = ctx;
  const customer = query.get('customer');
  const domain = query.get('domain');
  const userKey = query.get('userKey');
  if (userKey && customer) throw invalid('Bad Request: userKey cannot be used with the customer parameter');
  if (!userKey && !customer && !domain)
    throw invalid('Bad Request: groups.list needs the customer, domain or userKey parameter');
  if (customer) checkCustomer(ctx, customer);
  if (domain && domain.toLowerCase() !== state.domain) throw notAuthorized();
  let groups = userKey ? state.groupsOf(userKey) : state.listGroups();
  if (domain) groups = groups.filter((g) => g.email.endsWith(`@${domain.toLowerCase()}`));
  const q = query.get('query');
  if (q) groups = groups.filter(groupQuery(q));
  if (query.get('orderBy') === 'email') {
    const factor = query.get('sortOrder') === 'DESCENDING' ? -1 : 1;
    groups = [...groups].sort((a, b) => factor * a.email.localeCompare(b.email));
  }
  const { items, nextPageToken } = page(groups, capped(query), MAX_PAGE, listingFingerprint(query, []));
  return ok(listBody('admin#directory#groups', 'groups', items, nextPageToken ? { nextPageToken } : {}));
};

const getGroup: Handler = (ctx) => {
  const group = ctx.state.getGroup(param(ctx, 'groupKey'));
  if (!group) throw notFound('groupKey');
  return ok(group);
};

const insertGroup: Handler = (ctx) => {
  const email = String(ctx.body.email ?? '').toLowerCase();
  if (!email.endsWith(`@${ctx.state.domain}`)) throw invalid(`Invalid Input: email '${email}'`);
  const seed: Parameters<typeof ctx.state.addGroup>[0] = { email };
  if (typeof ctx.body.name === 'string') seed.name = ctx.body.name;
  if (typeof ctx.body.description === 'string') seed.description = ctx.body.description;
  return ok(ctx.state.addGroup(seed));
};

const listMembers: Handler = (ctx) => {
  let members = ctx.state.listMembers(param(ctx, 'groupKey'));
  const roles = ctx.query.get('roles');
  if (roles) {
    const wanted = roles.split(',').map((r) => r.trim().toUpperCase());
    const unknown = wanted.find((r) => !ROLES.includes(r));
    if (unknown !== undefined) throw invalid(`Invalid Input: roles '${unknown}'`);
    members = members.filter((m) => wanted.includes(m.role));
  }
  const { items, nextPageToken } = page(
    members,
    capped(ctx.query),
    MAX_PAGE,
    listingFingerprint(ctx.query, []),
  );
  return ok(listBody('admin#directory#members', 'members', items, nextPageToken ? { nextPageToken } : {}));
};

const getMember: Handler = (ctx) => ok(ctx.state.getMember(param(ctx, 'groupKey'), param(ctx, 'memberKey')));

const hasMember: Handler = (ctx) => {
  try {
    ctx.state.getMember(param(ctx, 'groupKey'), param(ctx, 'memberKey'));
    return ok({ isMember: true });
  } catch {
    if (!ctx.state.getGroup(param(ctx, 'groupKey'))) throw notFound('groupKey');
    return ok({ isMember: false });
  }
};

const insertMember: Handler = (ctx) => {
  const role = typeof ctx.body.role === 'string' ? ctx.body.role.toUpperCase() : 'MEMBER';
  if (!ROLES.includes(role)) throw invalid(`Invalid Input: role '${role}'`);
  const seed: Parameters<typeof ctx.state.addMember>[1] = { role };
  if (typeof ctx.body.email === 'string') seed.email = ctx.body.email;
  if (typeof ctx.body.id === 'string') seed.id = ctx.body.id;
  if (!seed.email && !seed.id) throw invalid('Invalid Input: memberKey (the body needs email or id)');
  return ok(ctx.state.addMember(param(ctx, 'groupKey'), seed));
};

const deleteMember: Handler = (ctx) => {
  ctx.state.removeMember(param(ctx, 'groupKey'), param(ctx, 'memberKey'));
  return noContent();
};

/** Handlers by discovery method id. */
export const groupHandlers: Record<string, Handler> = {
  'directory.groups.list': listGroups,
  'directory.groups.get': getGroup,
  'directory.groups.insert': insertGroup,
  'directory.members.list': listMembers,
  'directory.members.get': getMember,
  'directory.members.hasMember': hasMember,
  'directory.members.insert': insertMember,
  'directory.members.delete': deleteMember,
};
