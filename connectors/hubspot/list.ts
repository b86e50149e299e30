/**
 * Listing for reconciliation: every record of a kind that carries a GroWrk id, 100 a page
 * (`list`), resumable from a position. Never writes to HubSpot.
 */
import type { ListPosition } from '../../src/connector/types.ts';
import type { EntityKind } from '../../src/growrk/types.ts';
import { CONTACTS, type HubSpotContext, managedContacts } from './contacts.ts';
import { readPropertyNames, targetSpec } from './mapping.ts';
import type { HubSpotActual, HubSpotRecord } from './model.ts';

/** Records a list page holds (HubSpot's maximum for list and a sensible one for search). */
export const PAGE_SIZE = 100;

async function toActuals(
  ctx: HubSpotContext,
  kind: EntityKind,
  idProperty: string,
  records: readonly HubSpotRecord[],
): Promise<HubSpotActual[]> {
  const out: HubSpotActual[] = [];
  for (const record of records) {
    const growrkId = record.properties[idProperty] ?? null;
    if (!growrkId) continue;
    out.push({
      kind,
      record,
      foundBy: 'list',
      growrkId,
      managedContacts: kind === 'employee' ? {} : await managedContacts(ctx, record.contactIds),
    });
  }
  return out;
}

/**
 * Searches every record that carries the GroWrk id property, 100 a call. Pages by
 * `hs_object_id > last id` rather than `after`, so it is not capped at search's 10,000 results.
 */
async function* searchAll(
  ctx: HubSpotContext,
  objectType: string,
  idProperty: string,
  properties: readonly string[],
  position?: ListPosition,
): AsyncGenerator<HubSpotRecord[]> {
  let last: string | null = position?.after ?? null;
  for (;;) {
    const page = await ctx.client.search(objectType, {
      filters: [
        { propertyName: idProperty, operator: 'HAS_PROPERTY' },
        ...(last === null ? [] : [{ propertyName: 'hs_object_id', operator: 'GT' as const, value: last }]),
      ],
      properties,
      limit: PAGE_SIZE,
      sorts: ['hs_object_id'],
    });
    if (page.records.length === 0) {
      if (position) position.next = null;
      return;
    }
    const more = page.after !== null && page.records.length === PAGE_SIZE;
    last = page.records[page.records.length - 1]!.id;
    if (position) position.next = more ? last : null;
    yield page.records;
    if (!more) return;
  }
}

/**
 * Every record of a kind that carries a GroWrk id, one page (up to 100) at a time, with only the
 * mapped properties. Contacts and deals: search on the id property (never the whole CRM); assets
 * of a custom object: the object's list with contact associations; assets kept on a standard
 * object: search plus one batch association read per page.
 */
export async function* listEntities(
  ctx: HubSpotContext,
  kind: EntityKind,
  position?: ListPosition,
): AsyncGenerator<HubSpotActual[]> {
  const { config, client } = ctx;
  if (kind === 'order' && !config.syncOrders) return;
  const spec = targetSpec(kind, config);
  const properties = readPropertyNames(kind, config);
  if (kind === 'employee') {
    for await (const records of searchAll(ctx, CONTACTS, spec.idProperty, properties, position)) {
      yield await toActuals(ctx, kind, spec.idProperty, records);
    }
    return;
  }
  const type = await client.resolveType(spec.objectType);
  if (type.custom) {
    let after: string | undefined = position?.after ?? undefined;
    do {
      const page = await client.listPage(type.path, {
        limit: PAGE_SIZE,
        properties,
        associations: [CONTACTS],
        ...(after ? { after } : {}),
      });
      after = page.after ?? undefined;
      const actuals = await toActuals(ctx, kind, spec.idProperty, page.records);
      if (position) position.next = after ?? null;
      yield actuals;
    } while (after);
    return;
  }
  for await (const records of searchAll(ctx, type.path, spec.idProperty, properties, position)) {
    const associated = await client.batchReadAssociations(
      type.path,
      CONTACTS,
      records.map((r) => r.id),
    );
    const withContacts = records.map((r) => ({ ...r, contactIds: associated.get(r.id) ?? [] }));
    yield await toActuals(ctx, kind, spec.idProperty, withContacts);
  }
}
