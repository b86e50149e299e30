/**
 * The read path: the current HubSpot records of many entities (one entity is a batch of one) with
 * HubSpot's batch endpoints, 100 inputs a call. Reads never write to HubSpot; they keep the
 * employee -> contact links in connector state up to date.
 */
import { entityKey } from '../../src/connector/types.ts';
import type { EntitySnapshot } from '../../src/core/projection.ts';
import type { EntityKind } from '../../src/growrk/types.ts';
import { chunks } from './apply.ts';
import {
  CONTACTS,
  emailOf,
  forgetContact,
  type HubSpotContext,
  managedContacts,
  rememberContact,
} from './contacts.ts';
import { assigneeIdOf, readPropertyNames, targetSpec } from './mapping.ts';
import { type FoundBy, type HubSpotActual, type HubSpotRecord, stateKeys } from './model.ts';

/**
 * Reads the records of entities (any kinds), keyed by `entityKey(kind, id)`; null where HubSpot
 * has none. Calls, for n entities of a kind (each term is ceil(count / 100), none for 0):
 *
 * - employees: a batch read of the linked contacts by record id, then of the rest by the GroWrk
 *   id property, then of the rest by e-mail (a contact is found by e-mail only the first time);
 * - products and orders: a batch read by the unique GroWrk id property, a v4 batch read of the
 *   found records' contact associations, and, for assignees whose contact is neither associated
 *   nor linked, batch reads of contacts by GroWrk id and then by e-mail.
 *
 * E.g. 100 new assets assigned to 100 employees without contacts: 3 calls; 100 assets in step: 2;
 * one linked employee: 1.
 */
export async function readEntities(
  ctx: HubSpotContext,
  desired: readonly EntitySnapshot[],
): Promise<Map<string, HubSpotActual | null>> {
  const out = new Map<string, HubSpotActual | null>();
  const byKind = new Map<EntityKind, EntitySnapshot[]>();
  for (const snapshot of desired) {
    const list = byKind.get(snapshot.kind) ?? [];
    list.push(snapshot);
    byKind.set(snapshot.kind, list);
  }
  for (const [kind, snapshots] of byKind) {
    const actuals =
      kind === 'employee' ? await readContacts(ctx, snapshots) : await readRecords(ctx, kind, snapshots);
    for (const snapshot of snapshots) out.set(entityKey(kind, snapshot.id), actuals.get(snapshot.id) ?? null);
  }
  return out;
}

/** Batch-reads records of a type by the given ids (record ids, or values of `idProperty`). */
async function batchReadAll(
  ctx: HubSpotContext,
  objectType: string,
  ids: readonly string[],
  properties: readonly string[],
  idProperty?: string,
): Promise<HubSpotRecord[]> {
  const out: HubSpotRecord[] = [];
  for (const chunk of chunks([...new Set(ids)])) {
    out.push(
      ...(await ctx.client.batchRead(objectType, {
        ids: chunk,
        properties,
        ...(idProperty ? { idProperty } : {}),
      })),
    );
  }
  return out;
}

/** Employees' contacts: by stored link, then by GroWrk id, then by e-mail. */
async function readContacts(
  ctx: HubSpotContext,
  employees: readonly EntitySnapshot[],
): Promise<Map<string, HubSpotActual>> {
  const { config } = ctx;
  const properties = readPropertyNames('employee', config);
  const found = new Map<string, { record: HubSpotRecord; foundBy: FoundBy }>();

  // 1. Stored links, verified with one batch read by record id.
  const links = new Map<string, string>();
  for (const e of employees) {
    const linked = await ctx.state.get<string>(stateKeys.contactOf(e.id));
    if (linked) links.set(e.id, linked);
  }
  if (links.size > 0) {
    const records = new Map(
      (await batchReadAll(ctx, CONTACTS, [...links.values()], properties)).map((r) => [r.id, r]),
    );
    for (const [employeeId, contactId] of links) {
      const record = records.get(contactId);
      if (record) found.set(employeeId, { record, foundBy: 'link' });
      // Gone (or merged away): drop the link and look again by the GroWrk id and the e-mail.
      else await forgetContact(ctx, employeeId, contactId);
    }
  }

  // 2. By the unique GroWrk id property.
  let rest = employees.filter((e) => !found.has(e.id));
  if (rest.length > 0) {
    const records = await batchReadAll(
      ctx,
      CONTACTS,
      rest.map((e) => e.id),
      properties,
      config.idProperty,
    );
    for (const record of records) {
      const employeeId = record.properties[config.idProperty];
      if (!employeeId || found.has(employeeId) || !rest.some((e) => e.id === employeeId)) continue;
      await rememberContact(ctx, employeeId, record.id);
      found.set(employeeId, { record, foundBy: 'idProperty' });
    }
  }

  // 3. By e-mail; a contact that is another employee's is answered but not linked.
  rest = employees.filter((e) => !found.has(e.id));
  const byEmail = new Map<string, string[]>();
  for (const e of rest) {
    const email = emailOf(e.data);
    if (email) byEmail.set(email, [...(byEmail.get(email) ?? []), e.id]);
  }
  if (byEmail.size > 0) {
    const withEmail = [...new Set([...properties, 'email'])];
    const records = await batchReadAll(ctx, CONTACTS, [...byEmail.keys()], withEmail, 'email');
    for (const record of records) {
      const ids = byEmail.get((record.properties.email ?? '').toLowerCase()) ?? [];
      const owner = record.properties[config.idProperty];
      for (const employeeId of ids) {
        if (!owner || owner === employeeId) await rememberContact(ctx, employeeId, record.id);
        found.set(employeeId, { record, foundBy: 'email' });
      }
    }
  }

  const out = new Map<string, HubSpotActual>();
  for (const [employeeId, { record, foundBy }] of found) {
    out.set(employeeId, {
      kind: 'employee',
      record,
      foundBy,
      growrkId: record.properties[config.idProperty] ?? null,
      managedContacts: {},
    });
  }
  return out;
}

/** Products' and orders' records with their contact associations and their assignees' contacts. */
async function readRecords(
  ctx: HubSpotContext,
  kind: EntityKind,
  snapshots: readonly EntitySnapshot[],
): Promise<Map<string, HubSpotActual>> {
  const { config, client } = ctx;
  const out = new Map<string, HubSpotActual>();
  if (kind === 'order' && !config.syncOrders) return out;
  const spec = targetSpec(kind, config);
  const type = await client.resolveType(spec.objectType);
  const properties = readPropertyNames(kind, config);
  const records = await batchReadAll(
    ctx,
    type.path,
    snapshots.map((s) => s.id),
    properties,
    spec.idProperty,
  );
  const byGrowrkId = new Map<string, HubSpotRecord>();
  for (const record of records) {
    const growrkId = record.properties[spec.idProperty];
    if (growrkId) byGrowrkId.set(growrkId, record);
  }
  const associated = new Map<string, string[]>();
  for (const chunk of chunks([...byGrowrkId.values()].map((r) => r.id))) {
    for (const [id, contactIds] of await client.batchReadAssociations(type.path, CONTACTS, chunk))
      associated.set(id, contactIds);
  }

  // Assignees whose contact is not among the associations: links first, then batch lookups.
  const pending: Array<{ snapshot: EntitySnapshot; record: HubSpotRecord; managed: Record<string, string> }> =
    [];
  const lookFor = new Set<string>();
  for (const snapshot of snapshots) {
    const found = byGrowrkId.get(snapshot.id);
    if (!found) continue;
    const record: HubSpotRecord = { ...found, contactIds: associated.get(found.id) ?? [] };
    const managed = await managedContacts(ctx, record.contactIds);
    pending.push({ snapshot, record, managed });
    const employeeId = assigneeIdOf(kind, snapshot);
    if (employeeId && !record.contactIds.some((id) => managed[id] === employeeId)) lookFor.add(employeeId);
  }
  const contacts = await lookUpContacts(ctx, [...lookFor]);
  for (const { snapshot, record, managed } of pending) {
    const employeeId = assigneeIdOf(kind, snapshot);
    const associatedId = record.contactIds.find((id) => managed[id] === employeeId);
    out.set(snapshot.id, {
      kind,
      record,
      foundBy: 'idProperty',
      growrkId: record.properties[spec.idProperty] ?? null,
      managedContacts: managed,
      assignee: employeeId
        ? { employeeId, contactId: associatedId ?? contacts.get(employeeId) ?? null }
        : null,
    });
  }
  return out;
}

/**
 * The contacts of employees (without creating any): the stored link, else a batch read by GroWrk
 * id, else by the e-mail of the employee's snapshot (a contact that is another employee's does
 * not count). Links found are stored.
 */
async function lookUpContacts(
  ctx: HubSpotContext,
  employeeIds: readonly string[],
): Promise<Map<string, string>> {
  const { config } = ctx;
  const out = new Map<string, string>();
  const missing: string[] = [];
  for (const id of employeeIds) {
    const linked = await ctx.state.get<string>(stateKeys.contactOf(id));
    if (linked) out.set(id, linked);
    else missing.push(id);
  }
  if (missing.length === 0) return out;
  for (const record of await batchReadAll(ctx, CONTACTS, missing, [config.idProperty], config.idProperty)) {
    const employeeId = record.properties[config.idProperty];
    if (!employeeId || out.has(employeeId) || !missing.includes(employeeId)) continue;
    out.set(employeeId, record.id);
    await rememberContact(ctx, employeeId, record.id);
  }
  const byEmail = new Map<string, string[]>();
  for (const id of missing.filter((m) => !out.has(m))) {
    const email = emailOf((await ctx.entity('employee', id))?.data);
    if (email) byEmail.set(email, [...(byEmail.get(email) ?? []), id]);
  }
  if (byEmail.size === 0) return out;
  const records = await batchReadAll(
    ctx,
    CONTACTS,
    [...byEmail.keys()],
    ['email', config.idProperty],
    'email',
  );
  for (const record of records) {
    const owner = record.properties[config.idProperty];
    for (const employeeId of byEmail.get((record.properties.email ?? '').toLowerCase()) ?? []) {
      if (owner && owner !== employeeId) continue;
      out.set(employeeId, record.id);
      await rememberContact(ctx, employeeId, record.id);
    }
  }
  return out;
}
