/** `datatransfer.*`: hand a departing user's Drive and Calendar over to someone else. */
import { type Handler, listBody, ok, param } from './handler-kit.ts';

const listApplications: Handler = (ctx) =>
  ok(listBody('admin#datatransfer#applicationsList', 'applications', ctx.state.transfers.applications()));

const getApplication: Handler = (ctx) => ok(ctx.state.transfers.application(param(ctx, 'applicationId')));

const insertTransfer: Handler = (ctx) => ok(ctx.state.transfers.insert(ctx.body));

const getTransfer: Handler = (ctx) => ok(ctx.state.transfers.get(param(ctx, 'dataTransferId')));

const listTransfers: Handler = (ctx) =>
  ok(
    listBody(
      'admin#datatransfer#dataTransfersList',
      'dataTransfers',
      ctx.state.transfers.list({
        oldOwnerUserId: ctx.query.get('oldOwnerUserId'),
        newOwnerUserId: ctx.query.get('newOwnerUserId'),
        status: ctx.query.get('status'),
      }),
    ),
  );

/** Handlers by discovery method id. */
export const transferHandlers: Record<string, Handler> = {
  'datatransfer.applications.list': listApplications,
  'datatransfer.applications.get': getApplication,
  'datatransfer.transfers.insert': insertTransfer,
  'datatransfer.transfers.get': getTransfer,
  'datatransfer.transfers.list': listTransfers,
};
