/**
 * Bearer-token authentication and OAuth scopes. Static tokens (the emulator's `accessTokens`) carry
 * every scope; tokens issued by the `/token` endpoint carry the scopes of their JWT. A method is
 * allowed when the token holds any one of the scopes the discovery document lists for it.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { DiscoveryMethod } from './discovery.ts';
import { ApiError } from './errors.ts';

/** What the emulator knows about one access token. */
export interface TokenGrant {
  token: string;
  /** `all` for the configured static tokens. */
  scopes: 'all' | ReadonlySet<string>;
  /** Whom quota is counted against: the impersonated admin (`sub`), or the token itself. */
  principal: string;
  /** Milliseconds since the epoch after which the token is refused. */
  expiresAt?: number;
  /** The JWT `iss` (service account) for issued tokens. */
  issuer?: string;
}

/** The accepted access tokens. */
export class TokenRegistry {
  private readonly grants = new Map<string, TokenGrant>();

  constructor(staticTokens: readonly string[]) {
    for (const token of staticTokens) this.grants.set(token, { token, scopes: 'all', principal: token });
  }

  /** Accepts a token from now on. */
  add(grant: TokenGrant): void {
    this.grants.set(grant.token, grant);
  }

  /** The grant for a token that is known and not expired. */
  lookup(token: string, now: number): TokenGrant | undefined {
    const grant = this.grants.get(token);
    if (!grant || (grant.expiresAt !== undefined && grant.expiresAt <= now)) return undefined;
    return grant;
  }

  /** Every grant (static and issued). */
  list(): TokenGrant[] {
    return [...this.grants.values()];
  }
}

/** The access token of a request: `Authorization: Bearer ...`, or `access_token` / `oauth_token` in the query. */
export function accessTokenOf(headers: IncomingHttpHeaders, query: URLSearchParams): string | undefined {
  const header = headers.authorization;
  if (typeof header === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return m ? m[1] : '';
  }
  return query.get('access_token') ?? query.get('oauth_token') ?? undefined;
}

/** Authenticates a request; throws Google's 401 answers. */
export function authenticate(registry: TokenRegistry, token: string | undefined, now: number): TokenGrant {
  const wwwAuth = { 'WWW-Authenticate': 'Bearer realm="https://accounts.google.com/"' };
  if (token === undefined)
    throw new ApiError(
      401,
      'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
      'required',
      { headers: wwwAuth, details: ['Login Required.'] },
    );
  const grant = registry.lookup(token, now);
  if (!grant)
    throw new ApiError(
      401,
      'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
      'authError',
      {
        headers: { 'WWW-Authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' },
        details: ['Invalid Credentials'],
      },
    );
  return grant;
}

/** Throws Google's 403 `insufficientPermissions` when the token lacks every scope the method accepts. */
export function checkScopes(grant: TokenGrant, method: DiscoveryMethod): void {
  if (grant.scopes === 'all' || method.scopes.length === 0) return;
  const scopes = grant.scopes;
  if (method.scopes.some((s) => scopes.has(s))) return;
  throw new ApiError(403, 'Request had insufficient authentication scopes.', 'insufficientPermissions', {
    details: [`Insufficient Permission: ${method.id} needs one of ${method.scopes.join(' ')}`],
  });
}
