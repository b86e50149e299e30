/** `directory.mobiledevices.*`: a user's phones and tablets, and the account wipe of offboarding. */
import { checkCustomer, type Handler, listBody, noContent, ok, param } from './handler-kit.ts';

const list: Handler = (ctx) => {
  checkCustomer(ctx, param(ctx, 'customerId'));
  return ok(
    listBody(
      'admin#directory#mobiledevices',
      'mobiledevices',
      ctx.state.devices.list(ctx.query.get('query')),
    ),
  );
};

const get: Handler = (ctx) => {
  checkCustomer(ctx, param(ctx, 'customerId'));
  return ok(ctx.state.devices.get(param(ctx, 'resourceId')));
};

const action: Handler = (ctx) => {
  checkCustomer(ctx, param(ctx, 'customerId'));
  ctx.state.devices.action(param(ctx, 'resourceId'), ctx.body.action);
  return noContent();
};

const remove: Handler = (ctx) => {
  checkCustomer(ctx, param(ctx, 'customerId'));
  ctx.state.devices.delete(param(ctx, 'resourceId'));
  return noContent();
};

/** Handlers by discovery method id. */
export const deviceHandlers: Record<string, Handler> = {
  'directory.mobiledevices.list': list,
  'directory.mobiledevices.get': get,
  'directory.mobiledevices.action': action,
  'directory.mobiledevices.delete': remove,
};
