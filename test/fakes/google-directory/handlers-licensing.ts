/** `licensing.licenseAssignments.*`: who holds which Google Workspace licence. */
import { checkCustomer, type Handler, listBody, noContent, ok, param } from './handler-kit.ts';

const key = (ctx: Parameters<Handler>[0]) =>
  [param(ctx, 'productId'), param(ctx, 'skuId'), param(ctx, 'userId')] as const;

const get: Handler = (ctx) => ok(ctx.state.licences.get(...key(ctx)));

const remove: Handler = (ctx) => {
  ctx.state.licences.delete(...key(ctx));
  return noContent();
};

const insert: Handler = (ctx) =>
  ok(
    ctx.state.licences.assign(
      param(ctx, 'productId'),
      param(ctx, 'skuId'),
      typeof ctx.body.userId === 'string' ? ctx.body.userId : '',
    ),
  );

const reassign: Handler = (ctx) => ok(ctx.state.licences.reassign(...key(ctx), ctx.body));

const listForProduct: Handler = (ctx) => {
  checkCustomer(ctx, param(ctx, 'customerId'));
  return ok(
    listBody('licensing#licenseAssignmentList', 'items', ctx.state.licences.list(param(ctx, 'productId'))),
  );
};

const listForProductAndSku: Handler = (ctx) => {
  checkCustomer(ctx, param(ctx, 'customerId'));
  return ok(
    listBody(
      'licensing#licenseAssignmentList',
      'items',
      ctx.state.licences.list(param(ctx, 'productId'), param(ctx, 'skuId')),
    ),
  );
};

/** Handlers by discovery method id. */
export const licensingHandlers: Record<string, Handler> = {
  'licensing.licenseAssignments.get': get,
  'licensing.licenseAssignments.delete': remove,
  'licensing.licenseAssignments.insert': insert,
  'licensing.licenseAssignments.patch': reassign,
  'licensing.licenseAssignments.update': reassign,
  'licensing.licenseAssignments.listForProduct': listForProduct,
  'licensing.licenseAssignments.listForProductAndSku': listForProductAndSku,
};
