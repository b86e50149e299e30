/**
 * Level-triggered reads: the current HubSpot record of one entity with its current contact
 * associations (`read`), and every record of a kind, 100 a page (`list`). Reads never write to
 * HubSpot; they keep the employee -> contact links in connector state up to date.
 */
import type { ListPosition } from '../../src/connector/types.ts';
import type { EntitySnapshot } from '../../src/core/projection.ts';
import type { EntityKind } from '../../src/growrk/types.ts';
import {
  CONTACTS,
  emailOf,
  findContact,
  findContactId,
  type HubSpotContext,
  managedContacts,
} from './contacts.ts';
import { assigneeIdOf, readPropertyNames, targetSpec } from './mapping.ts';
import type { Assignee, HubSpotActual, HubSpotRecord } from './model.ts';

/** Records a list page holds (HubSpot's maximum for list and a sensible one for search). */
export const PAGE_SIZE = 100;

/**
 * Reads the record of one entity. Employees: the contact by link, GroWrk id or e-mail (1 call when
 * linked, else up to 3). Products and orders: the record by the unique GroWrk id with its contact
 * associations in the same call, plus the assignee's contact when it is not among them and not
 * linked yet (0 to 2 calls).
 */
export async function readEntity(
  ctx: HubSpotContext,
  desired: EntitySnapshot,
): Promise<HubSpotActual | null> {
  const { config, client } = ctx;
  const kind = desired.kind;
  if (kind === 'order' && !config.syncOrders) return null;
  const properties = readPropertyNames(kind, config);
  if (kind === 'employee') {
    const found = await findContact(ctx, desired.id, emailOf(desired.data), properties);
    if (!found) return null;
    return {
      kind,
      record: found.record,
      foundBy: found.foundBy,
      growrkId: found.record.properties[config.idProperty] ?? null,
      managedContacts: {},
    };
  }
  const spec = targetSpec(kind, config);
  const type = await client.resolveType(spec.objectType);
  const record = await client.getObject(type.path, desired.id, {
    idProperty: spec.idProperty,
    properties,
    associations: [CONTACTS],
  });
  if (!record) return null;
  const managed = await managedContacts(ctx, record.contactIds);
  const employeeId = assigneeIdOf(kind, desired);
  let assignee: Assignee | null = null;
  if (employeeId) {
    const associated = record.contactIds.find((id) => managed[id] === employeeId);
    assignee = { employeeId, contactId: associated ?? (await findContactId(ctx, employeeId)) };
  }
  return {
    kind,
    record,
    foundBy: 'idProperty',
    growrkId: record.properties[spec.idProperty] ?? null,
    managedContacts: managed,
    assignee,
  };
}

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
