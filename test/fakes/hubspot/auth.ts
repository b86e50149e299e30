/**
 * Bearer token authentication and scopes. The OpenAPI files list, per operation, every scope of
 * every object type as alternatives, so they cannot say which scope one call needs; the emulator
 * applies HubSpot's per-object model instead (crm.objects.<kind>.read/write, crm.schemas.<kind>.*).
 */
import { HubSpotError } from './errors.ts';
import type { ObjectTypeDef } from './model.ts';

/** Scopes any of which satisfies one requirement. */
export type ScopeNeed = readonly string[];

/** Every scope the emulator knows; a token has all of them unless configured otherwise. */
export const ALL_SCOPES: readonly string[] = [
  'oauth',
  'crm.objects.contacts.read',
  'crm.objects.contacts.write',
  'crm.objects.deals.read',
  'crm.objects.deals.write',
  'crm.objects.custom.read',
  'crm.objects.custom.write',
  'crm.schemas.contacts.read',
  'crm.schemas.contacts.write',
  'crm.schemas.deals.read',
  'crm.schemas.deals.write',
  'crm.schemas.custom.read',
  'crm.schemas.custom.write',
];

/** What the introspection endpoints report about a token. */
export interface TokenInfo {
  token: string;
  scopes: readonly string[];
  hubId: number;
  userId: number;
  appId: number;
}

function kind(type: ObjectTypeDef): string {
  return type.custom ? 'custom' : type.name;
}

/** Scope needed to read or write records of a type (none when the type is unknown: the handler answers 400). */
export function objectScopes(type: ObjectTypeDef | undefined, access: 'read' | 'write'): ScopeNeed[] {
  return type ? [[`crm.objects.${kind(type)}.${access}`]] : [];
}

/** Scope needed to read or change property definitions of a type. */
export function propertyScopes(type: ObjectTypeDef | undefined, access: 'read' | 'write'): ScopeNeed[] {
  if (!type) return [];
  return access === 'read'
    ? [[`crm.schemas.${kind(type)}.read`, `crm.objects.${kind(type)}.read`]]
    : [[`crm.schemas.${kind(type)}.write`]];
}

/** Scope needed for the custom object schemas API. */
export function schemaScopes(access: 'read' | 'write'): ScopeNeed[] {
  return [[`crm.schemas.custom.${access}`]];
}

/** Known tokens of the emulated portal. */
export class TokenRegistry {
  private readonly tokens: ReadonlyMap<string, TokenInfo>;

  constructor(tokens: readonly string[], scopes: readonly string[], portalId: number) {
    this.tokens = new Map(
      tokens.map((token, i) => [
        token,
        { token, scopes, hubId: portalId, userId: 1000 + i, appId: 2000 + i },
      ]),
    );
  }

  info(token: string): TokenInfo | undefined {
    return this.tokens.get(token);
  }

  /** Checks an Authorization header; throws HubSpot's 401. */
  authenticate(header: string | undefined): TokenInfo {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    const info = match?.[1] ? this.tokens.get(match[1]) : undefined;
    if (info) return info;
    throw new HubSpotError(
      401,
      'INVALID_AUTHENTICATION',
      'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview',
    );
  }
}

/** Throws HubSpot's 403 MISSING_SCOPES when a requirement has none of its scopes granted. */
export function requireScopes(info: TokenInfo, needs: readonly ScopeNeed[]): void {
  const unmet = needs.filter((need) => !need.some((scope) => info.scopes.includes(scope)));
  if (unmet.length === 0) return;
  const required = [...new Set(unmet.flat())];
  throw new HubSpotError(
    403,
    'MISSING_SCOPES',
    "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.",
    {
      errors: [
        {
          message: 'One or more of the following scopes are required.',
          context: { requiredGranularScopes: required },
        },
      ],
      links: { scopes: 'https://developers.hubspot.com/scopes' },
    },
  );
}
