/** `directory.tokens.*`, `directory.asps.*`, `directory.verificationCodes.*`: the offboarding playbook's targets. */
import { notFound } from './errors.ts';
import { type Handler, listBody, noContent, ok, param } from './handler-kit.ts';

const listTokens: Handler = (ctx) =>
  ok(listBody('admin#directory#tokenList', 'items', ctx.state.listTokens(param(ctx, 'userKey'))));

const getToken: Handler = (ctx) => {
  const token = ctx.state
    .listTokens(param(ctx, 'userKey'))
    .find((t) => t.clientId === param(ctx, 'clientId'));
  if (!token) throw notFound('clientId');
  return ok(token);
};

const deleteToken: Handler = (ctx) => {
  ctx.state.deleteToken(param(ctx, 'userKey'), param(ctx, 'clientId'));
  return noContent();
};

const listAsps: Handler = (ctx) =>
  ok(listBody('admin#directory#aspList', 'items', ctx.state.listAsps(param(ctx, 'userKey'))));

const getAsp: Handler = (ctx) => {
  const asp = ctx.state
    .listAsps(param(ctx, 'userKey'))
    .find((a) => a.codeId === Number(param(ctx, 'codeId')));
  if (!asp) throw notFound('codeId');
  return ok(asp);
};

const deleteAsp: Handler = (ctx) => {
  ctx.state.deleteAsp(param(ctx, 'userKey'), Number(param(ctx, 'codeId')));
  return noContent();
};

const listCodes: Handler = (ctx) =>
  ok(
    listBody(
      'admin#directory#verificationCodesList',
      'items',
      ctx.state.listVerificationCodes(param(ctx, 'userKey')),
    ),
  );

const generateCodes: Handler = (ctx) => {
  ctx.state.generateVerificationCodes(param(ctx, 'userKey'));
  return noContent();
};

const invalidateCodes: Handler = (ctx) => {
  ctx.state.invalidateVerificationCodes(param(ctx, 'userKey'));
  return noContent();
};

/** Handlers by discovery method id. */
export const securityHandlers: Record<string, Handler> = {
  'directory.tokens.list': listTokens,
  'directory.tokens.get': getToken,
  'directory.tokens.delete': deleteToken,
  'directory.asps.list': listAsps,
  'directory.asps.get': getAsp,
  'directory.asps.delete': deleteAsp,
  'directory.verificationCodes.list': listCodes,
  'directory.verificationCodes.generate': generateCodes,
  'directory.verificationCodes.invalidate': invalidateCodes,
};
