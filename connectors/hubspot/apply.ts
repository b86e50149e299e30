/**
 * The write path: plans (one plan is a batch of one) written with HubSpot's batch endpoints, 100
 * inputs a call. Every write is idempotent (upsert by the GroWrk id, update with the same values,
 * association create/archive), so a retried plan simply runs again.
 */
import type { ApplyOutcome, ApplyReport } from '../../src/connector/types.ts';
import { isSyncError, SyncError, toSyncError } from '../../src/errors.ts';
import type { EntityKind } from '../../src/growrk/types.ts';
import type { BatchWriteResult } from './client.ts';
import { CONTACTS, emailOf, forgetContact, type HubSpotContext, rememberContact } from './contacts.ts';
import { contactValues, targetSpec } from './mapping.ts';
import {
  type AssociateArgs,
  type CreateOp,
  type HubSpotOp,
  isCreate,
  isUpdate,
  stateKeys,
  type UpdateOp,
} from './model.ts';
import type { HubSpotPlan } from './plan.ts';

/** HubSpot's documented batch size. */
export const BATCH_SIZE = 100;

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
 * Applies plans (as `planEntity` makes them, any kinds; one plan is a batch of one) with batch
 * calls: the worker's batches of jobs, reconciliation's plans, and a single job alike.
 *
 * Order: contacts first (so that associations find them), then assets, then deals; within a kind:
 * creates as batch upserts by the unique GroWrk id property, updates as batch updates by record id,
 * then association removals (v4 batch archive) and additions (v4 batch associate/default). A
 * contact an association needs is taken from the stored link, else found with batch reads (by
 * GroWrk id, then e-mail; skipped when `read` just looked and found none), else created with a
 * batch upsert from the employee snapshot. A linked contact HubSpot no longer has is forgotten,
 * found or created again, and associated in a second round. New contacts are first looked up by
 * e-mail in one batch read per 100, so a contact that exists without the GroWrk id is linked, not
 * duplicated.
 *
 * Calls for n plans of one kind: ceil(creates/100) + ceil(updates/100) + ceil(removals/100) +
 * ceil(additions/100), plus up to 3 * ceil(unlinked contacts/100), plus one e-mail lookup per 100
 * new contacts; e.g. 250 new assets = 3 calls, one new contact = 2.
 *
 * @param ctx the connector context.
 * @param plans the plans to carry out; plans without ops are reported done.
 * @returns one outcome per plan, in the order given: `ok` with the ops done and the record id, or
 *   the error of the batch call or batch input that failed (the ops done before it are listed).
 *   A failed call fails only the plans in its batch; the rest go on.
 * @throws VENDOR_QUOTA_EXHAUSTED when HubSpot's daily limit is reached (nothing more can be done
 *   today), and errors that are no single plan's (e.g. CONNECTOR_MISCONFIGURED).
 */
export async function applyPlans(
  ctx: HubSpotContext,
  plans: readonly HubSpotPlan[],
): Promise<ApplyOutcome<HubSpotOp>[]> {
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
  await associateAll(ctx, type.path, additions);
}

/**
 * Associates records with their employees' contacts: known contacts as planned, the others found
 * or created first ({@link resolveContacts}). A contact HubSpot reports missing (a stale link: the
 * contact was deleted or merged away) is forgotten, found or created again, and associated in a
 * second round.
 */
async function associateAll(
  ctx: HubSpotContext,
  objectType: string,
  additions: ReadonlyArray<{ item: Item; args: AssociateArgs }>,
): Promise<void> {
  let open = additions.filter((a) => !a.item.error);
  for (let round = 0; round < 2 && open.length > 0; round += 1) {
    const unknown = open.filter((a) => a.args.contactId === null);
    const lookedUp = new Set(unknown.filter((a) => a.args.missing).map((a) => a.args.employeeId));
    const contacts = new Map<string, string>();
    await guarded(
      unknown.map((a) => a.item),
      async () => {
        const wanted = [...new Set(unknown.map((a) => a.args.employeeId))];
        for (const [employeeId, contactId] of await resolveContacts(ctx, wanted, lookedUp))
          contacts.set(employeeId, contactId);
      },
    );
    const pairs = open
      .filter((a) => !a.item.error)
      .flatMap((a) => {
        const toId = a.args.contactId ?? contacts.get(a.args.employeeId);
        return toId ? [{ ...a, fromId: a.item.recordId!, toId }] : [];
      });
    const again: Array<{ item: Item; args: AssociateArgs }> = [];
    for (const chunk of chunks(pairs)) {
      await guarded(
        chunk.map((p) => p.item),
        async () => {
          const { missing } = await ctx.client.batchAssociate(objectType, CONTACTS, chunk);
          const gone = new Set(missing);
          for (const p of chunk) {
            if (gone.has(p.fromId)) {
              p.item.error ??= new SyncError('TARGET_NOT_FOUND', `HubSpot has no record ${p.fromId}`);
            } else if (gone.has(p.toId)) {
              await forgetContact(ctx, p.args.employeeId, p.toId);
              if (round === 0)
                again.push({ item: p.item, args: { ...p.args, contactId: null, missing: false } });
              else p.item.error ??= new SyncError('TARGET_NOT_FOUND', `HubSpot has no contact ${p.toId}`);
            } else p.item.done.push('associate-contact');
          }
        },
      );
    }
    open = again;
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
 * Contact ids of employees: stored links, then batch reads by GroWrk id and by e-mail (not for
 * those in `lookedUp`, which `read` just looked for in vain), then batch upserts (from the
 * employee snapshots) for those HubSpot lacks. Stores every link found.
 */
export async function resolveContacts(
  ctx: HubSpotContext,
  employeeIds: readonly string[],
  lookedUp: ReadonlySet<string> = new Set(),
): Promise<Map<string, string>> {
  const { client, config } = ctx;
  const out = new Map<string, string>();
  const unlinked: string[] = [];
  let missing: string[];
  for (const id of employeeIds) {
    const linked = await ctx.state.get<string>(stateKeys.contactOf(id));
    if (linked) out.set(id, linked);
    else unlinked.push(id);
  }
  for (const chunk of chunks(unlinked.filter((id) => !lookedUp.has(id)))) {
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
  missing = unlinked.filter((id) => !out.has(id));
  const snapshots = new Map<string, Record<string, string>>();
  const emails = new Map<string, string>();
  for (const id of missing) {
    const snapshot = await ctx.entity('employee', id);
    const values = snapshot ? contactValues(snapshot, config) : { [config.idProperty]: id };
    snapshots.set(id, values);
    const email = emailOf(values);
    if (email && !lookedUp.has(id)) emails.set(email, id);
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
