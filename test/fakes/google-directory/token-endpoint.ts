/**
 * `POST /token`: Google's OAuth 2.0 token endpoint for service accounts with domain-wide
 * delegation (`grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`, `assertion=<JWT>`). The
 * JWT's signature is not checked; its claims are: `iss`, `scope`, `sub` (the impersonated admin)
 * are required, `aud` must be Google's token URL or this endpoint, and it must not have expired.
 */
import type { TokenRegistry } from './auth.ts';
import type { IdGenerator } from './ids.ts';

/** Google's token URL, which google-auth-library puts in `aud`. */
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

const GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** The answer of the token endpoint. */
export interface TokenEndpointResult {
  status: number;
  body: Record<string, unknown>;
  /** Why a request was refused (recorded as the call's `violation`). */
  violation?: string;
}

function fail(error: string, description: string): TokenEndpointResult {
  return {
    status: 400,
    body: { error, error_description: description },
    violation: `${error}: ${description}`,
  };
}

function decodeSegment(segment: string | undefined): Record<string, unknown> | undefined {
  if (segment === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Serves one token request (`form` is the decoded form body). */
export function serveTokenRequest(
  form: URLSearchParams,
  registry: TokenRegistry,
  ids: IdGenerator,
  now: number,
  ownUrl: string,
): TokenEndpointResult {
  const grantType = form.get('grant_type');
  if (grantType !== GRANT_TYPE)
    return fail('unsupported_grant_type', `Invalid grant_type: ${grantType ?? '(missing)'}`);
  const assertion = form.get('assertion');
  if (!assertion) return fail('invalid_request', 'Missing required parameter: assertion');
  const parts = assertion.split('.');
  const header = decodeSegment(parts[0]);
  const claims = decodeSegment(parts[1]);
  if (parts.length !== 3 || !header || !claims) return fail('invalid_grant', 'Invalid JWT: not a signed JWT');
  for (const claim of ['iss', 'scope', 'sub'] as const) {
    const value = claims[claim];
    if (typeof value !== 'string' || value.trim() === '')
      return fail('invalid_grant', `Invalid JWT: the '${claim}' claim is required`);
  }
  if (claims.aud !== GOOGLE_TOKEN_URL && claims.aud !== ownUrl)
    return fail('invalid_grant', `Invalid JWT audience: ${String(claims.aud)}`);
  const seconds = Math.floor(now / 1000);
  if (typeof claims.exp !== 'number' || claims.exp <= seconds)
    return fail(
      'invalid_grant',
      'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.',
    );
  const token = ids.accessToken();
  registry.add({
    token,
    scopes: new Set(String(claims.scope).split(/\s+/).filter(Boolean)),
    principal: String(claims.sub).toLowerCase(),
    expiresAt: now + 3600_000,
    issuer: String(claims.iss),
  });
  return { status: 200, body: { access_token: token, token_type: 'Bearer', expires_in: 3600 } };
}
