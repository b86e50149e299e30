/** `directory.users.*`: get, list, insert, update, patch, delete, undelete, makeAdmin, signOut. */
import { ApiError, invalid, notAuthorized } from './errors.ts';
import {
  checkCustomer,
  type Handler,
  type HandlerContext,
  listBody,
  noContent,
  ok,
  param,
  requireBoolean,
} from './handler-kit.ts';
import { listingFingerprint, page } from './paging.ts';
import type { DirectoryUser } from './types.ts';
import { compileUserQuery } from './user-query.ts';
import { checkViewOptions, renderUser, type UserViewOptions } from './user-view.ts';

function viewOptions(ctx: HandlerContext): UserViewOptions {
  return {
    projection: ctx.query.get('projection'),
    customFieldMask: ctx.query.get('customFieldMask'),
    viewType: ctx.query.get('viewType'),
  };
}

function render(ctx: HandlerContext, user: DirectoryUser, options: UserViewOptions = viewOptions(ctx)) {
  return renderUser(user, options, (name) => ctx.state.getSchema(name));
}

const FULL: UserViewOptions = { projection: 'full' };

function sortKey(user: DirectoryUser, orderBy: string): string {
  if (orderBy === 'familyName') return (user.name.familyName ?? '').toLowerCase();
  if (orderBy === 'givenName') return (user.name.givenName ?? '').toLowerCase();
  return user.primaryEmail;
}

const list: Handler = (ctx) => {
  const { query, state } = ctx;
  const customer = query.get('customer');
  const domain = query.get('domain');
  if (!customer && !domain)
    throw invalid('Bad Request: users.list needs the customer or the domain parameter');
  if (customer) checkCustomer(ctx, customer);
  if (domain && domain.toLowerCase() !== state.domain) throw notAuthorized();
  const options = viewOptions(ctx);
  checkViewOptions(options);
  const deleted = query.get('showDeleted') === 'true';
  let users = deleted ? state.listDeletedUsers() : state.listUsers();
  const q = query.get('query');
  if (q) {
    const predicate = compileUserQuery(q, (name) => state.getSchema(name));
    users = users.filter(predicate);
  }
  const orderBy = query.get('orderBy');
  if (orderBy) {
    const factor = query.get('sortOrder') === 'DESCENDING' ? -1 : 1;
    users = [...users].sort((a, b) => factor * sortKey(a, orderBy).localeCompare(sortKey(b, orderBy)));
  }
  const { items, nextPageToken } = page(users, query, 100, listingFingerprint(query, []));
  return ok(
    listBody(
      'admin#directory#users',
      'users',
      items.map((u) => render(ctx, u, options)),
      nextPageToken ? { nextPageToken } : {},
    ),
  );
};

const get: Handler = (ctx) => {
  const options = viewOptions(ctx);
  checkViewOptions(options);
  return ok(render(ctx, ctx.state.requireUser(param(ctx, 'userKey')), options));
};

const insert: Handler = (ctx) => ok(render(ctx, ctx.state.insertUser(ctx.body), FULL));

const update: Handler = (ctx) =>
  ok(
    render(ctx, ctx.state.writeUser(ctx.state.requireUser(param(ctx, 'userKey')), ctx.body, 'update'), FULL),
  );

const patch: Handler = (ctx) =>
  ok(render(ctx, ctx.state.writeUser(ctx.state.requireUser(param(ctx, 'userKey')), ctx.body, 'patch'), FULL));

const remove: Handler = (ctx) => {
  ctx.state.deleteUser(param(ctx, 'userKey'));
  return noContent();
};

const undelete: Handler = (ctx) => {
  const ou = typeof ctx.body.orgUnitPath === 'string' ? ctx.body.orgUnitPath : '/';
  if (!ctx.state.getOrgUnit(ou))
    throw invalid(`Invalid Input: INVALID_OU_ID (orgUnitPath '${ou}' does not exist)`);
  ctx.state.undeleteUser(param(ctx, 'userKey'), ou);
  return noContent();
};

const makeAdmin: Handler = (ctx) => {
  ctx.state.makeAdmin(param(ctx, 'userKey'), requireBoolean(ctx, 'status'));
  return noContent();
};

const signOut: Handler = (ctx) => {
  ctx.state.signOut(param(ctx, 'userKey'));
  return noContent();
};

const insertAlias: Handler = (ctx) => {
  const user = ctx.state.requireUser(param(ctx, 'userKey'));
  const alias = typeof ctx.body.alias === 'string' ? ctx.body.alias.toLowerCase() : '';
  if (!alias.endsWith(`@${ctx.state.domain}`)) throw invalid(`Invalid Input: alias '${alias}'`);
  if (ctx.state.getUser(alias) || ctx.state.getGroup(alias))
    throw new ApiError(409, 'Entity already exists.', 'duplicate');
  ctx.state.updateUser(user.id, { aliases: [...(user.aliases ?? []), alias] });
  return ok({ kind: 'admin#directory#alias', id: user.id, primaryEmail: user.primaryEmail, alias });
};

const listAliases: Handler = (ctx) => {
  const user = ctx.state.requireUser(param(ctx, 'userKey'));
  const aliases = (user.aliases ?? []).map((alias) => ({
    kind: 'admin#directory#alias',
    id: user.id,
    primaryEmail: user.primaryEmail,
    alias,
  }));
  return ok(listBody('admin#directory#aliases', 'aliases', aliases));
};

/** Handlers by discovery method id. */
export const userHandlers: Record<string, Handler> = {
  'directory.users.list': list,
  'directory.users.get': get,
  'directory.users.insert': insert,
  'directory.users.update': update,
  'directory.users.patch': patch,
  'directory.users.delete': remove,
  'directory.users.undelete': undelete,
  'directory.users.makeAdmin': makeAdmin,
  'directory.users.signOut': signOut,
  'directory.users.aliases.insert': insertAlias,
  'directory.users.aliases.list': listAliases,
};
