/**
 * `check` and `init` for Snipe-IT. `check` verifies the token (`GET /users/me`), the permissions
 * this service needs, the configured model, the status labels the map names, and the custom
 * fields; it never writes. `init` creates, idempotently, the two custom fields (GroWrk product id
 * and order id), their fieldset, and attaches the fieldset to the configured model.
 */
import type { CheckFinding } from '../../src/connector/types.ts';
import { isSyncError } from '../../src/errors.ts';
import type { SnipeContext } from './read.ts';

/** Permissions the connector uses (Snipe-IT permission keys); a superuser or admin has them all. */
export const REQUIRED_PERMISSIONS = [
  'assets.view',
  'assets.create',
  'assets.edit',
  'assets.checkout',
  'assets.checkin',
  'users.view',
  'statuslabels.view',
  'models.view',
  'customfields.view',
] as const;

function granted(permissions: unknown, key: string): boolean {
  if (typeof permissions !== 'object' || permissions === null) return false;
  const p = permissions as Record<string, unknown>;
  const on = (k: string) => p[k] === '1' || p[k] === 1 || p[k] === true;
  return on('superuser') || on('admin') || on(key);
}

async function permissionFindings(ctx: SnipeContext): Promise<CheckFinding[]> {
  const me = await ctx.client.me();
  const wanted: string[] = [...REQUIRED_PERMISSIONS];
  if (ctx.config.createUsers) wanted.push('users.create');
  const missing = wanted.filter((k) => !granted(me.permissions, k));
  return [
    { ok: true, message: `the API token is valid (user ${String(me.id ?? '?')})` },
    missing.length === 0
      ? { ok: true, message: 'the token has the permissions this service needs' }
      : { ok: false, message: `the token's user lacks the permissions: ${missing.join(', ')}` },
  ];
}

async function modelFinding(ctx: SnipeContext): Promise<CheckFinding> {
  if (ctx.config.modelId <= 0)
    return { ok: false, message: 'set SNIPEIT_MODEL_ID: the model created assets get' };
  const model = await ctx.client.model(ctx.config.modelId);
  if (!model) return { ok: false, message: `no asset model ${ctx.config.modelId} (SNIPEIT_MODEL_ID)` };
  return { ok: true, message: `created assets get model ${model.id} (${model.name})` };
}

async function statusFindings(ctx: SnipeContext): Promise<CheckFinding[]> {
  const labels = new Set((await ctx.client.statusLabels(true)).map((l) => l.name.toLowerCase()));
  const names = [...new Set([...Object.values(ctx.config.statusMap), ctx.config.defaultStatus])];
  const missing = names.filter((n) => n !== '' && !labels.has(n.toLowerCase()));
  return [
    missing.length === 0
      ? { ok: true, message: `every mapped status label exists (${names.length})` }
      : {
          ok: false,
          message: `status labels missing in Snipe-IT: ${missing.join(', ')} (snipeit.statusMap)`,
        },
  ];
}

/** The names of the fields init creates, with their help texts. */
function wantedFields(ctx: SnipeContext): Array<[string, string]> {
  return [
    [ctx.config.productIdField, 'GroWrk product id, written by growrk-sync.'],
    [ctx.config.orderIdField, 'GroWrk order id, written by growrk-sync.'],
  ];
}

async function fieldFindings(ctx: SnipeContext): Promise<CheckFinding[]> {
  const fields = new Set((await ctx.client.fields(true)).map((f) => f.name));
  return wantedFields(ctx).map(([name]) =>
    fields.has(name)
      ? { ok: true, message: `custom field "${name}" exists` }
      : { ok: false, message: `custom field "${name}" is missing: run init` },
  );
}

/** A probe's findings, or one that is not ok when the token may not read what it reads. */
async function probe(what: string, run: () => Promise<CheckFinding[]>): Promise<CheckFinding[]> {
  try {
    return await run();
  } catch (err) {
    if (isSyncError(err, 'VENDOR_AUTH')) return [{ ok: false, message: `the token may not read ${what}` }];
    throw err;
  }
}

/** Verifies the token (a bad one throws VENDOR_AUTH), its permissions and the setup; never writes. */
export async function checkSnipeIt(ctx: SnipeContext): Promise<CheckFinding[]> {
  const findings = await permissionFindings(ctx);
  findings.push(...(await probe('asset models', async () => [await modelFinding(ctx)])));
  findings.push(...(await probe('status labels', () => statusFindings(ctx))));
  findings.push(...(await probe('custom fields', () => fieldFindings(ctx))));
  return findings;
}

/** Creates, idempotently, the custom fields, their fieldset, and the model's link to it. */
export async function initSnipeIt(ctx: SnipeContext, options: { dryRun: boolean }): Promise<CheckFinding[]> {
  const findings: CheckFinding[] = [];
  const verb = options.dryRun ? 'would create' : 'created';
  let sets = await ctx.client.fieldsets();
  let fieldset = sets.find((s) => s.name === ctx.config.fieldset) ?? null;
  if (!fieldset) {
    findings.push({ ok: true, message: `${verb} fieldset "${ctx.config.fieldset}"` });
    if (!options.dryRun) {
      const id = await ctx.client.createFieldset(ctx.config.fieldset);
      sets = await ctx.client.fieldsets();
      fieldset = sets.find((s) => s.id === id) ?? { id, name: ctx.config.fieldset, fieldIds: [] };
    }
  } else findings.push({ ok: true, message: `fieldset "${fieldset.name}" exists` });
  const existing = await ctx.client.fields(true);
  for (const [name, help] of wantedFields(ctx)) {
    let id = existing.find((f) => f.name === name)?.id ?? null;
    if (id === null) {
      findings.push({ ok: true, message: `${verb} custom field "${name}"` });
      if (!options.dryRun) id = await ctx.client.createField(name, help);
    } else findings.push({ ok: true, message: `custom field "${name}" exists` });
    if (id !== null && fieldset && !fieldset.fieldIds.includes(id)) {
      findings.push({
        ok: true,
        message: `${options.dryRun ? 'would add' : 'added'} "${name}" to the fieldset`,
      });
      if (!options.dryRun) await ctx.client.associateField(id, fieldset.id);
    }
  }
  if (ctx.config.modelId > 0) {
    const model = await ctx.client.model(ctx.config.modelId);
    if (!model)
      findings.push({ ok: false, message: `no asset model ${ctx.config.modelId} (SNIPEIT_MODEL_ID)` });
    else if (fieldset && model.fieldsetId !== fieldset.id) {
      findings.push({
        ok: true,
        message: `${options.dryRun ? 'would attach' : 'attached'} the fieldset to model ${model.id}`,
      });
      if (!options.dryRun) await ctx.client.setModelFieldset(model.id, fieldset.id);
    } else if (fieldset) findings.push({ ok: true, message: `model ${model.id} uses the fieldset` });
  }
  return findings;
}
