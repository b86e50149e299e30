/**
 * `init` (create, idempotently, what the portal needs) and `check` (verify token, permissions and
 * setup without writing). A second `init` finds everything in place and writes nothing.
 */
import type { CheckFinding } from '../../src/connector/types.ts';
import { isSyncError, type SyncError, toSyncError } from '../../src/errors.ts';
import type { EntityKind } from '../../src/growrk/types.ts';
import type { PropertyInfo, SchemaInfo } from './client.ts';
import { CONTACTS, type HubSpotContext } from './contacts.ts';
import { type PropertySpec, propertySpecs, targetSpec } from './mapping.ts';

/** The property group init creates for its properties on existing object types. */
export const PROPERTY_GROUP = 'growrk';

const CONTACT_TYPE_ID = '0-1';

const STANDARD = new Set(['contacts', 'companies', 'deals', 'tickets', 'products', 'line_items', 'quotes']);

/** Whether an object type name is a standard one (or a standard type id). */
function isStandard(objectType: string): boolean {
  return STANDARD.has(objectType.toLowerCase()) || /^0-\d+$/.test(objectType);
}

function findSchema(schemas: readonly SchemaInfo[], objectType: string): SchemaInfo | undefined {
  const key = objectType.toLowerCase();
  return schemas.find((s) =>
    [s.name, s.fullyQualifiedName, s.objectTypeId].some((alias) => alias.toLowerCase() === key),
  );
}

/** Properties of `wanted` that `existing` lacks, and the unique one that exists without being unique. */
function compare(
  wanted: readonly PropertySpec[],
  existing: readonly PropertyInfo[],
): { missing: PropertySpec[]; notUnique: string[] } {
  const byName = new Map(existing.map((p) => [p.name, p]));
  return {
    missing: wanted.filter((w) => !byName.has(w.name)),
    notUnique: wanted
      .filter((w) => w.unique && byName.has(w.name) && !byName.get(w.name)?.hasUniqueValue)
      .map((w) => w.name),
  };
}

function notUniqueFindings(objectType: string, names: readonly string[]): CheckFinding[] {
  return names.map((name) => ({
    ok: false,
    message: `The ${objectType} property ${name} exists but does not require unique values; HubSpot cannot change that on an existing property, so set another name in the configuration (upserts by it would fail).`,
  }));
}

/** Ensures a kind's properties on a standard (or non-custom) object type. */
async function ensureProperties(
  ctx: HubSpotContext,
  kind: EntityKind,
  objectType: string,
  dryRun: boolean,
): Promise<CheckFinding[]> {
  const { client, config } = ctx;
  const wanted = propertySpecs(kind, config);
  const { missing, notUnique } = compare(wanted, await client.listProperties(objectType));
  const findings = notUniqueFindings(objectType, notUnique);
  if (missing.length === 0) {
    findings.push({
      ok: true,
      message: `The ${objectType} properties are in place (${wanted.length} checked).`,
    });
    return findings;
  }
  const names = missing.map((m) => `${m.name}${m.unique ? ' (unique)' : ''}`).join(', ');
  if (dryRun) {
    findings.push({ ok: true, message: `Would create ${objectType} properties: ${names}.` });
    return findings;
  }
  const groups = await client.listPropertyGroups(objectType);
  if (!groups.includes(PROPERTY_GROUP))
    await client.createPropertyGroup(objectType, PROPERTY_GROUP, 'GroWrk');
  await client.createProperties(objectType, PROPERTY_GROUP, missing);
  findings.push({ ok: true, message: `Created ${objectType} properties: ${names}.` });
  return findings;
}

/** Ensures the asset custom object: schema, its properties and its association with contacts. */
async function ensureAssetObject(ctx: HubSpotContext, dryRun: boolean): Promise<CheckFinding[]> {
  const { client, config } = ctx;
  const objectType = config.assetObjectType;
  const wanted = propertySpecs('product', config);
  const schema = findSchema(await client.listSchemas(), objectType);
  if (!schema) {
    if (dryRun) {
      return [
        {
          ok: true,
          message: `Would create the custom object ${objectType} with ${wanted.length} properties (unique ${config.assetIdProperty}) and an association with contacts.`,
        },
      ];
    }
    const primary = wanted.some((w) => w.name === 'serial_number') ? 'serial_number' : config.assetIdProperty;
    const secondary = wanted.some((w) => w.name === 'title') ? ['title'] : [];
    const created = await client.createSchema({
      name: objectType,
      labels: { singular: 'IT asset', plural: 'IT assets' },
      primaryDisplayProperty: primary,
      secondaryDisplayProperties: secondary,
      searchableProperties: [...new Set([primary, config.assetIdProperty, ...secondary])],
      properties: wanted,
      associatedObjects: ['CONTACT'],
    });
    const findings: CheckFinding[] = [
      {
        ok: true,
        message: `Created the custom object ${objectType} (${created.objectTypeId}) with ${wanted.length} properties and an association with contacts.`,
      },
    ];
    if (!created.associatedTypeIds.includes(CONTACT_TYPE_ID)) {
      await client.createSchemaAssociation(created.objectTypeId, CONTACT_TYPE_ID, `${objectType}_to_contact`);
    }
    return findings;
  }
  const { missing, notUnique } = compare(wanted, schema.properties);
  const findings = notUniqueFindings(objectType, notUnique);
  const names = missing.map((m) => m.name).join(', ');
  if (missing.length > 0) {
    if (dryRun) findings.push({ ok: true, message: `Would create ${objectType} properties: ${names}.` });
    else {
      await client.createProperties(schema.objectTypeId, customGroupOf(schema), missing);
      findings.push({ ok: true, message: `Created ${objectType} properties: ${names}.` });
    }
  }
  if (!schema.associatedTypeIds.includes(CONTACT_TYPE_ID)) {
    if (dryRun)
      findings.push({
        ok: true,
        message: `Would define the association between ${objectType} and contacts.`,
      });
    else {
      await client.createSchemaAssociation(schema.objectTypeId, CONTACT_TYPE_ID, `${objectType}_to_contact`);
      findings.push({ ok: true, message: `Defined the association between ${objectType} and contacts.` });
    }
  }
  if (findings.length === 0) {
    findings.push({
      ok: true,
      message: `The custom object ${objectType} is in place with its properties and its association with contacts.`,
    });
  }
  return findings;
}

/** A custom object's own property group (HubSpot names it `<name>_information`). */
function customGroupOf(schema: SchemaInfo): string {
  return `${schema.name.toLowerCase()}_information`;
}

/**
 * Creates what is missing: the contact properties (GroWrk id, unique; status), the asset custom
 * object (or the asset properties on the configured standard object) with its association to
 * contacts, and, when orders are synced, the deal properties. Reads first; writes only what lacks.
 */
export async function initPortal(ctx: HubSpotContext, options: { dryRun: boolean }): Promise<CheckFinding[]> {
  const { config } = ctx;
  const findings: CheckFinding[] = [];
  findings.push(...(await ensureProperties(ctx, 'employee', CONTACTS, options.dryRun)));
  const assetType = config.assetObjectType;
  if (isStandard(assetType))
    findings.push(...(await ensureProperties(ctx, 'product', assetType, options.dryRun)));
  else findings.push(...(await ensureAssetObject(ctx, options.dryRun)));
  if (config.syncOrders) findings.push(...(await ensureProperties(ctx, 'order', 'deals', options.dryRun)));
  return findings;
}

/** The scopes the configuration needs, with what each is for. */
function neededScopes(ctx: HubSpotContext): Array<{ scope: string; why: string }> {
  const { config } = ctx;
  const custom = !isStandard(config.assetObjectType);
  const assetScope = custom ? 'custom' : config.assetObjectType.toLowerCase();
  const needs = [
    { scope: 'crm.objects.contacts.read', why: 'to find employees’ contacts' },
    { scope: 'crm.objects.contacts.write', why: 'to create and update contacts' },
    { scope: 'crm.schemas.contacts.read', why: 'to check the contact properties' },
    { scope: 'crm.schemas.contacts.write', why: 'for init to create the contact properties' },
    { scope: `crm.objects.${assetScope}.read`, why: 'to read asset records' },
    { scope: `crm.objects.${assetScope}.write`, why: 'to write asset records' },
    { scope: `crm.schemas.${assetScope}.read`, why: 'to check the asset object' },
    { scope: `crm.schemas.${assetScope}.write`, why: 'for init to create the asset object' },
  ];
  if (config.syncOrders) {
    needs.push(
      { scope: 'crm.objects.deals.read', why: 'to read order deals' },
      { scope: 'crm.objects.deals.write', why: 'to write order deals' },
      { scope: 'crm.schemas.deals.read', why: 'to check the deal properties' },
    );
  }
  return [...new Map(needs.map((n) => [n.scope, n])).values()];
}

/** Plain words for an error of one probe. */
function probeProblem(err: unknown, what: string): CheckFinding {
  const error: SyncError = toSyncError(err);
  const status = /HTTP (\d{3})/.exec(error.message)?.[1];
  if (status === '401')
    return { ok: false, message: `HubSpot refused the access token (HTTP 401) when ${what}.` };
  if (status === '403') {
    return {
      ok: false,
      message: `The token lacks the permission (scope) needed when ${what} (HTTP 403: ${error.message}).`,
    };
  }
  if (error.code === 'CONNECTOR_MISCONFIGURED') return { ok: false, message: error.message };
  return { ok: false, message: `Could not finish ${what}: ${error.message}` };
}

/**
 * Verifies, without writing: the token (and its scopes, from HubSpot's private-app token
 * introspection when offered, else inferred from 401/403 answers of the reads below), the contact
 * properties, the asset object with its properties and association, and the deal properties.
 */
export async function checkPortal(ctx: HubSpotContext): Promise<CheckFinding[]> {
  const { client, config } = ctx;
  const findings: CheckFinding[] = [];
  try {
    const info = await client.tokenInfo();
    if (info) {
      const lacking = neededScopes(ctx).filter((n) => !info.scopes.includes(n.scope));
      if (lacking.length === 0)
        findings.push({ ok: true, message: 'The access token works and has every scope needed.' });
      for (const n of lacking)
        findings.push({ ok: false, message: `The access token lacks the ${n.scope} scope (${n.why}).` });
    } else {
      findings.push({
        ok: true,
        message: 'HubSpot did not describe the token; permissions are judged from the reads below.',
      });
    }
  } catch (err) {
    if (isSyncError(err, 'VENDOR_AUTH')) {
      findings.push({ ok: false, message: `HubSpot refused the access token: ${err.message}.` });
      return findings;
    }
    findings.push(probeProblem(err, 'asking HubSpot about the token'));
  }

  const probe = async (what: string, run: () => Promise<CheckFinding[]>): Promise<void> => {
    try {
      findings.push(...(await run()));
    } catch (err) {
      findings.push(probeProblem(err, what));
    }
  };
  await probe('reading contacts', async () => {
    await client.listPage(CONTACTS, { limit: 1, properties: [config.idProperty] });
    return [{ ok: true, message: 'Contacts can be read.' }];
  });
  await probe('reading contact properties', async () =>
    propertyFindings(CONTACTS, propertySpecs('employee', config), await client.listProperties(CONTACTS)),
  );
  const assetType = config.assetObjectType;
  await probe(`checking the asset object ${assetType}`, async () => {
    const wanted = propertySpecs('product', config);
    if (isStandard(assetType))
      return propertyFindings(assetType, wanted, await client.listProperties(assetType));
    const schema = findSchema(await client.listSchemas(), assetType);
    if (!schema) {
      return [
        { ok: false, message: `The custom object ${assetType} does not exist; run \`growrk-sync init\`.` },
      ];
    }
    const out = propertyFindings(assetType, wanted, schema.properties);
    out.push(
      schema.associatedTypeIds.includes(CONTACT_TYPE_ID)
        ? { ok: true, message: `${assetType} records can be associated with contacts.` }
        : { ok: false, message: `${assetType} has no association with contacts; run \`growrk-sync init\`.` },
    );
    return out;
  });
  await probe(`reading ${assetType} records`, async () => {
    const type = await client.resolveType(targetSpec('product', config).objectType);
    await client.listPage(type.path, { limit: 1, properties: [config.assetIdProperty] });
    return [{ ok: true, message: `${assetType} records can be read.` }];
  });
  if (config.syncOrders) {
    await probe('reading deal properties', async () =>
      propertyFindings('deals', propertySpecs('order', config), await client.listProperties('deals')),
    );
  }
  findings.push({
    ok: true,
    message:
      'Write permissions are only proven by a write; check never writes, so they show on the first sync.',
  });
  return findings;
}

function propertyFindings(
  objectType: string,
  wanted: readonly PropertySpec[],
  existing: readonly PropertyInfo[],
): CheckFinding[] {
  const { missing, notUnique } = compare(wanted, existing);
  const out = notUniqueFindings(objectType, notUnique);
  if (missing.length > 0) {
    out.push({
      ok: false,
      message: `The ${objectType} properties ${missing.map((m) => m.name).join(', ')} are missing; run \`growrk-sync init\`.`,
    });
  } else if (notUnique.length === 0) {
    out.push({ ok: true, message: `The ${objectType} properties are in place.` });
  }
  return out;
}
