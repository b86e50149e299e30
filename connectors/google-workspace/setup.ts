/**
 * `check` (one cheap read per scope, never a write) and `init` (creates the custom schema that
 * holds the suspension record, idempotently). Findings are plain words for an administrator.
 */
import type { CheckFinding } from '../../src/connector/types.ts';
import { isSyncError, type SyncError } from '../../src/errors.ts';
import { type SchemaDefinition, type SchemaFieldDefinition, scopesFor, statusOf } from './client.ts';
import type { GoogleContext } from './matching.ts';
import { RECORD_FIELDS, SCOPES } from './model.ts';

/** The custom schema `init` creates: one string field per record field, admins-only. */
export function schemaDefinition(schemaName: string): SchemaDefinition {
  return {
    schemaName,
    displayName: 'GroWrk sync',
    fields: RECORD_FIELDS.map(
      (f): SchemaFieldDefinition => ({
        fieldName: f.fieldName,
        fieldType: 'STRING',
        displayName: f.displayName,
        indexed: true,
        multiValued: false,
        readAccessType: 'ADMINS_AND_SELF',
      }),
    ),
  };
}

/** What each scope is for, in an administrator's words. */
const SCOPE_PURPOSE: Record<string, string> = {
  [SCOPES.user]: 'read users and suspend them',
  [SCOPES.security]: 'sign users out and revoke their tokens, app passwords and backup codes',
  [SCOPES.schema]: 'read and create the custom schema that records suspensions',
  [SCOPES.group]: 'remove offboarded users from their groups',
  [SCOPES.datatransfer]: "transfer an offboarded user's Drive and Calendar to their manager",
  [SCOPES.mobileAction]: 'remove the work account from mobile devices',
  [SCOPES.licensing]: 'release or switch the licence when an offboarding closes',
};

function grantAdvice(ctx: GoogleContext, scope: string): string {
  return ctx.client.authMode === 'service-account'
    ? `add ${scope} to the service account's domain-wide delegation (Admin console > Security > API controls > Domain-wide delegation)`
    : `issue GOOGLE_ACCESS_TOKEN with the scope ${scope}`;
}

/** A finding for a failed probe: scope, permission, or anything else in plain words. */
function probeFailure(ctx: GoogleContext, scope: string, err: SyncError): CheckFinding {
  const purpose = SCOPE_PURPOSE[scope] ?? 'this check';
  const reason = typeof err.details?.reason === 'string' ? err.details.reason : undefined;
  const status = statusOf(err);
  if (status === 401) {
    return {
      ok: false,
      message:
        ctx.client.authMode === 'service-account'
          ? `Google refused the service account's credentials (${reason ?? 'HTTP 401'}); check GOOGLE_CREDENTIALS, GOOGLE_ADMIN_SUBJECT and that domain-wide delegation is set up for its client id.`
          : `Google refused GOOGLE_ACCESS_TOKEN (${reason ?? 'HTTP 401'}); it is invalid or expired.`,
    };
  }
  if (status === 403 && reason === 'insufficientPermissions') {
    return {
      ok: false,
      message: `Missing scope ${scope} (needed to ${purpose}): ${grantAdvice(ctx, scope)}.`,
    };
  }
  if (err.code === 'VENDOR_AUTH') {
    return {
      ok: false,
      message: `The admin the service acts as may not ${purpose} (${reason ?? `HTTP ${status ?? '?'}`}): give ${ctx.config.adminSubject || 'that admin'} an admin role with that privilege.`,
    };
  }
  return { ok: false, message: `Could not check the permission to ${purpose}: ${err.message}` };
}

async function probe(
  ctx: GoogleContext,
  scope: string,
  task: () => Promise<void>,
  findings: CheckFinding[],
): Promise<boolean> {
  try {
    await task();
    findings.push({ ok: true, message: `Can ${SCOPE_PURPOSE[scope] ?? 'read'} (${scope}).` });
    return true;
  } catch (err) {
    if (!isSyncError(err)) throw err;
    findings.push(probeFailure(ctx, scope, err));
    return false;
  }
}

/** Verifies credentials, scopes and the custom schema. Never writes. */
export async function checkConnector(ctx: GoogleContext): Promise<CheckFinding[]> {
  const findings: CheckFinding[] = [];
  const scopes = scopesFor(ctx.config);
  if (ctx.client.authMode === 'service-account') {
    for (const result of await ctx.client.probeScopes(scopes)) {
      if (!result.ok) {
        findings.push({
          ok: false,
          message: `The token endpoint refused ${result.scope} for ${ctx.config.adminSubject} (${result.reason ?? 'refused'}): ${grantAdvice(ctx, result.scope)}.`,
        });
      }
    }
  }
  let firstUser: string | null = null;
  const usersOk = await probe(
    ctx,
    SCOPES.user,
    async () => {
      firstUser = await ctx.client.probeUsers();
    },
    findings,
  );
  if (usersOk && firstUser !== null) {
    const userKey: string = firstUser;
    await probe(ctx, SCOPES.security, () => ctx.client.probeSecurity(userKey), findings);
  } else if (usersOk) {
    findings.push({ ok: true, message: 'The directory has no users: the security scope was not checked.' });
  }
  const schemaName = ctx.config.customSchema;
  await probe(
    ctx,
    SCOPES.schema,
    async () => {
      const schema = await ctx.client.getSchema(schemaName);
      if (!schema) {
        findings.push({
          ok: false,
          message: `The custom schema ${schemaName} that records suspensions does not exist: run growrk-sync init.`,
        });
        return;
      }
      const missing = schemaDefinition(schemaName).fields.filter(
        (f) => !schema.fields.some((g) => g.fieldName === f.fieldName),
      );
      if (missing.length > 0) {
        findings.push({
          ok: false,
          message: `The custom schema ${schemaName} lacks ${missing.map((f) => f.fieldName).join(', ')}: run growrk-sync init.`,
        });
      }
    },
    findings,
  );
  if (ctx.config.offboardRemoveGroups)
    await probe(ctx, SCOPES.group, () => ctx.client.probeGroups(), findings);
  await checkOffboardingSteps(ctx, findings);
  return findings;
}

/** The handover, device wipe and licence steps that are on: their scopes, and the fallback recipient. */
async function checkOffboardingSteps(ctx: GoogleContext, findings: CheckFinding[]): Promise<void> {
  const { config, client } = ctx;
  if (config.handover) {
    await probe(ctx, SCOPES.datatransfer, () => client.probeTransfers(), findings);
    const fallback = config.handoverFallback.trim();
    if (fallback && (await client.userIdOf(fallback)) === null)
      findings.push({
        ok: false,
        message: 'GOOGLE_OFFBOARD_HANDOVER_FALLBACK names no user of this directory.',
      });
  }
  if (config.wipeDevices) await probe(ctx, SCOPES.mobileAction, () => client.probeDevices(), findings);
  if (config.closing && config.licenceProductId) {
    if (!config.licenceSkuId)
      findings.push({
        ok: false,
        message: 'GOOGLE_LICENCE_PRODUCT_ID is set without GOOGLE_LICENCE_SKU_ID.',
      });
    else
      await probe(
        ctx,
        SCOPES.licensing,
        () => client.probeLicences(config.licenceProductId, config.licenceSkuId),
        findings,
      );
  }
}

/** Creates the custom schema, or adds the fields it lacks; writes nothing when all is there. */
export async function initConnector(
  ctx: GoogleContext,
  options: { dryRun: boolean },
): Promise<CheckFinding[]> {
  const wanted = schemaDefinition(ctx.config.customSchema);
  const existing = await ctx.client.getSchema(wanted.schemaName);
  if (!existing) {
    if (!options.dryRun) await ctx.client.insertSchema(wanted);
    return [
      {
        ok: true,
        message: `${options.dryRun ? 'Would create' : 'Created'} the custom schema ${wanted.schemaName} (${wanted.fields.map((f) => f.fieldName).join(', ')}).`,
      },
    ];
  }
  const missing = wanted.fields.filter((f) => !existing.fields.some((g) => g.fieldName === f.fieldName));
  if (missing.length === 0) {
    return [{ ok: true, message: `The custom schema ${wanted.schemaName} is in place; nothing to do.` }];
  }
  if (!options.dryRun)
    await ctx.client.patchSchemaFields(wanted.schemaName, [...existing.fields, ...missing]);
  return [
    {
      ok: true,
      message: `${options.dryRun ? 'Would add' : 'Added'} ${missing.map((f) => f.fieldName).join(', ')} to the custom schema ${wanted.schemaName}.`,
    },
  ];
}
