/**
 * Token introspection. Neither endpoint is in the CRM OpenAPI files, so each carries a small
 * hand-written contract here. `@hubspot/api-client` has a call for the OAuth one
 * (`oauth.accessTokensApi.get(token)`, GET /oauth/v1/access-tokens/{token}); the private-app one
 * (POST /oauth/v2/private-apps/get/access-token-info with `{tokenKey}`) it lacks, so callers use
 * `client.apiRequest`.
 */

import type { ContractViolation } from '../../shared/openapi.ts';
import type { TokenRegistry } from '../auth.ts';
import { HubSpotError, notFound } from '../errors.ts';
import type { HandlerResult } from './types.ts';

/** A route outside the OpenAPI files. */
export interface HandRoute {
  operation: string;
  /** Checks the body; returns the violations. */
  check(body: unknown, hasBody: boolean): ContractViolation[];
  serve(
    tokens: TokenRegistry,
    portalId: number,
    params: Readonly<Record<string, string>>,
    body: unknown,
  ): HandlerResult;
}

const accessTokenInfo: HandRoute = {
  operation: 'oauth.accessTokens.get',
  check: (_body, hasBody) =>
    hasBody ? [{ field: '(body)', message: 'this operation takes no request body' }] : [],
  serve(tokens, portalId, params) {
    const info = tokens.info(params.token ?? '');
    if (!info) throw notFound('Token not found');
    return {
      status: 200,
      body: {
        token: info.token,
        user: 'emulator@example.com',
        hub_domain: `emulator-${portalId}.hubspot.test`,
        scopes: info.scopes,
        hub_id: info.hubId,
        app_id: info.appId,
        expires_in: 1800,
        user_id: info.userId,
        token_type: 'access',
        is_private_distribution: false,
      },
    };
  },
};

const privateAppTokenInfo: HandRoute = {
  operation: 'oauth.privateApps.accessTokenInfo',
  check(body, hasBody) {
    if (!hasBody || typeof body !== 'object' || body === null || Array.isArray(body)) {
      return [{ field: '(body)', message: 'must be an object with tokenKey' }];
    }
    const violations: ContractViolation[] = [];
    const fields = body as Record<string, unknown>;
    if (typeof fields.tokenKey !== 'string')
      violations.push({ field: 'tokenKey', message: 'required string is missing' });
    for (const key of Object.keys(fields)) {
      if (key !== 'tokenKey') violations.push({ field: key, message: 'unrecognized field' });
    }
    return violations;
  },
  serve(tokens, _portalId, _params, body) {
    const tokenKey = String((body as { tokenKey: unknown }).tokenKey);
    const info = tokens.info(tokenKey);
    if (!info)
      throw new HubSpotError(401, 'INVALID_AUTHENTICATION', 'The access token provided is not valid');
    return {
      status: 200,
      body: { userId: info.userId, hubId: info.hubId, appId: info.appId, scopes: info.scopes },
    };
  },
};

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment; // a malformed escape is looked up as sent and matches no token
  }
}

/** Finds a hand-contract route. */
export function findHandRoute(
  method: string,
  path: string,
): { route: HandRoute; params: Record<string, string> } | undefined {
  const token = /^\/oauth\/v1\/access-tokens\/([^/]+)$/.exec(path);
  if (method === 'GET' && token?.[1])
    return { route: accessTokenInfo, params: { token: safeDecode(token[1]) } };
  if (method === 'POST' && path === '/oauth/v2/private-apps/get/access-token-info') {
    return { route: privateAppTokenInfo, params: {} };
  }
  return undefined;
}
