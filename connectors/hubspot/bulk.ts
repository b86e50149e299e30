/**
 * The bulk write path for reconciliation: many plans, written with HubSpot's batch endpoints
 * (100 inputs a call) instead of one call per record.
 */
import type { ApplyReport } from '../../src/connector/types.ts';
import { isSyncError, SyncError, toSyncError } from '../../src/errors.ts';
import type { EntityKind } from '../../src/growrk/types.ts';
import type { BatchWriteResult } from './client.ts';
import { CONTACTS, emailOf, type HubSpotContext, rememberContact } from './contacts.ts';
import { contactValues, targetSpec } from './mapping.ts';
import { type AssociateArgs, type CreateOp, isCreate, isUpdate, stateKeys, type UpdateOp } from './model.ts';
import type { HubSpotPlan } from './plan.ts';

/** HubSpot's documented batch size. */
export const BATCH_SIZE = 100;

/** The outcome of one plan in {@link applyMany}. */
export type BulkOutcome =
  | { plan: HubSpotPlan; ok: true; report: ApplyReport }
  | { plan: HubSpotPlan; ok: false; error: SyncError; report: ApplyReport };

/** Splits a list into chunks of at most `size`. */
export function chunks<T>(items: readonly T[], size = BATCH_SIZE): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

interface Item {
  plan: HubSpotPlan;
  done: string[];
  recordId: string | null;
  error: SyncError | null;
}

const KIND_ORDER: readonly EntityKind[] = ['employee', 'product', 'order'];

/**
 * Applies many plans (as `planEntity` makes them, any kinds) with batch calls, for reconciliation.
 *
 * Order: contacts first (so that associations find them), then assets, then deals; within a kind:
 * creates as batch upserts by the unique GroWrk id property, updates as batch updates by record id,
 * then association removals (v4 batch archive) and additions (v4 batch associate/default). A
 * contact an association needs is taken from the stored link, else found with batch reads (by
 * GroWrk id, then e-mail), else created with a batch upsert from the employee snapshot. New
 * contacts are first looked up by e-mail in one batch read per 100, so a contact that exists
 * without the GroWrk id is linked, not duplicated.
 *
 * Calls for n plans of one kind: ceil(creates/100) + ceil(updates/100) + ceil(removals/100) +
 * ceil(additions/100), plus up to 3 * ceil(unlinked contacts/100); e.g. 250 new assets = 3 calls.
 *
 * @param ctx the connector context, as `apply` gets it.
 * @param plans the plans to carry out; plans without ops are reported done.
 * @returns one outcome per plan, in the order given: `ok` with the ops done and the record id, or
 *   the error of the batch call or batch input that failed (the ops done before it are listed).
 *   A failed call fails only the plans in its batch; the rest go on.
 * @throws VENDOR_QUOTA_EXHAUSTED when HubSpot's daily limit is reached (nothing more can be done
 *   today), and errors that are no single plan's (e.g. CONNECTOR_MISCONFIGURED).
 */
export async function applyMany(ctx: HubSpotContext, plans: readonly HubSpotPlan[]): Promise<BulkOutcome[]> {
  const items: Item[] = plans.map((plan) => ({
    plan,
    done: [],
    recordId: plan.target?.id ?? null,
    error: null,
  }));
  for (const kind of KIND_ORDER) {
    const ofKind = items.filter((i) => i.plan.kind === kind && i.plan.ops.length > 0);
    if (ofKind.length === 0) continue;
    await applyKind(ctx, kind, ofKind);
  }
  return items.map((i) => {
    const report: ApplyReport = { done: i.done, skipped: [], targetId: i.recordId };
    return i.error ? { plan: i.plan, ok: false, error: i.error, report } : { plan: i.plan, ok: true, report };
  });
}

/** Runs one batch call for some items; a failure fails those items (the daily limit stops all). */
async function guarded(items: readonly Item[], run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (err) {
    if (isSyncError(err, 'VENDOR_QUOTA_EXHAUSTED')) throw err;
    const error = toSyncError(err);
    if (error.code === 'CONNECTOR_MISCONFIGURED') throw error;
    for (const item of items) item.error ??= error;
  }
}

/** The item's `create-*` op, if it has one. */
function createOf(item: Item): CreateOp | undefined {
  return item.plan.ops.find(isCreate);
}

/** The item's `update-*` op, if it has one. */
function updateOf(item: Item): UpdateOp | undefined {
  return item.plan.ops.find(isUpdate);
}

/** Marks the inputs of a batch write done or failed, matching results by key. */
function settle(
  batch: ReadonlyArray<{ item: Item; key: string; opType: string }>,
  result: BatchWriteResult,
  what: string,
): void {
  const byKey = new Map(result.results.map((r) => [r.key, r]));
  const firstError = result.errors[0];
  for (const { item, key, opType } of batch) {
    const written = byKey.get(key);
    if (written) {
      item.recordId = written.id;
      item.done.push(opType);
      continue;
    }
    const own = result.errors.find((e) => e.keys.includes(key)) ?? firstError;
    item.error ??= new SyncError(
      own?.category === 'CONFLICT' ? 'VENDOR_CONFLICT' : 'VENDOR_REJECTED',
      `HubSpot refused ${what}: ${own?.message ?? 'no result for this input'}`,
    );
  }
}

async function applyKind(ctx: HubSpotContext, kind: EntityKind, items: Item[]): Promise<void> {
  const { client, config } = ctx;
  const spec = targetSpec(kind, config);
  const type = await client.resolveType(spec.objectType);

  // Creates: upserts by the GroWrk id (contacts that exist by e-mail become updates).
  let creates = items.filter((i) => createOf(i));
  const updates: Array<{ item: Item; id: string; properties: Record<string, string>; opType: string }> = [];
  if (kind === 'employee') creates = await adoptByEmail(ctx, creates, updates);
  for (const chunk of chunks(creates)) {
    const batch = chunk.flatMap((item) => {
      const op = createOf(item);
      return op ? [{ item, key: op.args.idValue, opType: op.type, args: op.args }] : [];
    });
    await guarded(chunk, async () => {
      const result = await client.batchUpsert(
        type.path,
        spec.idProperty,
        batch.map((b) => ({ idValue: b.args.idValue, properties: b.args.properties })),
      );
      settle(batch, result, `a ${kind} record`);
    });
  }

  // Updates: by record id.
  for (const item of items) {
    const op = updateOf(item);
    if (op && !item.error)
      updates.push({ item, id: op.args.id, properties: op.args.properties, opType: op.type });
  }
  for (const chunk of chunks(updates)) {
    const batch = chunk.map((u) => ({ item: u.item, key: u.id, opType: u.opType }));
    await guarded(
      chunk.map((u) => u.item),
      async () => {
        const result = await client.batchUpdate(
          type.path,
          chunk.map((u) => ({ id: u.id, properties: u.properties })),
        );
        settle(batch, result, `a ${kind} record`);
      },
    );
  }
  if (kind === 'employee') {
    for (const item of items) {
      if (!item.error && item.recordId) await rememberContact(ctx, item.plan.entityId, item.recordId);
    }
    return;
  }

  // Associations: removals, then additions.
  const removals: Array<{ item: Item; fromId: string; toId: string }> = [];
  const additions: Array<{ item: Item; args: AssociateArgs }> = [];
  for (const item of items) {
    if (item.error || !item.recordId) continue;
    for (const op of item.plan.ops) {
      if (op.type === 'dissociate-contact') {
        removals.push({ item, fromId: item.recordId, toId: op.args.contactId });
      } else if (op.type === 'associate-contact') {
        additions.push({ item, args: op.args });
      }
    }
  }
  for (const chunk of chunks(removals)) {
    const chunkItems = chunk.map((r) => r.item);
    await guarded(chunkItems, async () => {
      await client.batchDissociate(type.path, CONTACTS, chunk);
      for (const r of chunk) r.item.done.push('dissociate-contact');
    });
  }
  const wanted = [
    ...new Set(additions.filter((a) => a.args.contactId === null).map((a) => a.args.employeeId)),
  ];
  const contacts = new Map<string, string>();
  await guarded(
    additions.filter((a) => a.args.contactId === null).map((a) => a.item),
    async () => {
      for (const [employeeId, contactId] of await resolveContacts(ctx, wanted))
        contacts.set(employeeId, contactId);
    },
  );
  const pairs = additions
    .filter((a) => !a.item.error)
    .map((a) => ({
      item: a.item,
      fromId: a.item.recordId!,
      toId: a.args.contactId ?? contacts.get(a.args.employeeId),
    }))
    .filter((p): p is { item: Item; fromId: string; toId: string } => p.toId !== undefined);
  for (const chunk of chunks(pairs)) {
    await guarded(
      chunk.map((p) => p.item),
      async () => {
        await client.batchAssociate(type.path, CONTACTS, chunk);
        for (const p of chunk) p.item.done.push('associate-contact');
      },
    );
  }
}

/**
 * Looks up, with one batch read per 100 e-mails, contacts that exist without the GroWrk id; those
 * become updates by id (which set the id). Returns the creates that remain.
 */
async function adoptByEmail(
  ctx: HubSpotContext,
  creates: Item[],
  updates: Array<{ item: Item; id: string; properties: Record<string, string>; opType: string }>,
): Promise<Item[]> {
  const { client, config } = ctx;
  const byEmail = new Map<string, Item>();
  for (const item of creates) {
    const email = emailOf(createOf(item)?.args.properties);
    if (email) byEmail.set(email, item);
  }
  const adopted = new Set<Item>();
  for (const chunk of chunks([...byEmail.keys()])) {
    await guarded(
      chunk.map((e) => byEmail.get(e)!),
      async () => {
        const found = await client.batchRead(CONTACTS, {
          idProperty: 'email',
          ids: chunk,
          properties: ['email', config.idProperty],
        });
        for (const record of found) {
          const item = byEmail.get((record.properties.email ?? '').toLowerCase());
          if (!item) continue;
          const owner = record.properties[config.idProperty];
          if (owner && owner !== item.plan.entityId) {
            item.error = new SyncError(
              'VENDOR_CONFLICT',
              `contact ${record.id} has this employee's e-mail but GroWrk id ${owner}`,
            );
            continue;
          }
          const op = createOf(item);
          if (!op) continue;
          updates.push({ item, id: record.id, properties: op.args.properties, opType: op.type });
          adopted.add(item);
        }
      },
    );
  }
  return creates.filter((i) => !adopted.has(i) && !i.error);
}

/**
 * Contact ids of employees: stored links, then batch reads by GroWrk id and by e-mail, then batch
 * upserts (from the employee snapshots) for those HubSpot lacks. Stores every link found.
 */
export async function resolveContacts(
  ctx: HubSpotContext,
  employeeIds: readonly string[],
): Promise<Map<string, string>> {
  const { client, config } = ctx;
  const out = new Map<string, string>();
  let missing: string[] = [];
  for (const id of employeeIds) {
    const linked = await ctx.state.get<string>(stateKeys.contactOf(id));
    if (linked) out.set(id, linked);
    else missing.push(id);
  }
  for (const chunk of chunks(missing)) {
    const found = await client.batchRead(CONTACTS, {
      idProperty: config.idProperty,
      ids: chunk,
      properties: [config.idProperty],
    });
    for (const record of found) {
      const employeeId = record.properties[config.idProperty];
      if (employeeId && chunk.includes(employeeId)) {
        out.set(employeeId, record.id);
        await rememberContact(ctx, employeeId, record.id);
      }
    }
  }
  missing = missing.filter((id) => !out.has(id));
  const snapshots = new Map<string, Record<string, string>>();
  const emails = new Map<string, string>();
  for (const id of missing) {
    const snapshot = await ctx.entity('employee', id);
    const values = snapshot ? contactValues(snapshot, config) : { [config.idProperty]: id };
    snapshots.set(id, values);
    const email = emailOf(values);
    if (email) emails.set(email, id);
  }
  const adopt: Array<{ id: string; properties: Record<string, string> }> = [];
  for (const chunk of chunks([...emails.keys()])) {
    const found = await client.batchRead(CONTACTS, {
      idProperty: 'email',
      ids: chunk,
      properties: ['email', config.idProperty],
    });
    for (const record of found) {
      const employeeId = emails.get((record.properties.email ?? '').toLowerCase());
      const owner = record.properties[config.idProperty];
      if (!employeeId || (owner && owner !== employeeId)) continue;
      out.set(employeeId, record.id);
      await rememberContact(ctx, employeeId, record.id);
      if (!owner) adopt.push({ id: record.id, properties: { [config.idProperty]: employeeId } });
    }
  }
  // Contacts found by e-mail get the GroWrk id, so later lookups find them by it.
  for (const chunk of chunks(adopt)) await client.batchUpdate(CONTACTS, chunk);
  const toCreate = missing.filter((id) => !out.has(id));
  for (const chunk of chunks(toCreate)) {
    const result = await client.batchUpsert(
      CONTACTS,
      config.idProperty,
      chunk.map((id) => ({ idValue: id, properties: snapshots.get(id) ?? {} })),
    );
    for (const r of result.results) {
      if (!r.key) continue;
      out.set(r.key, r.id);
      await rememberContact(ctx, r.key, r.id);
    }
  }
  return out;
}
