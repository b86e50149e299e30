/**
 * Reading Snipe-IT for one entity, and listing it for reconciliation. A product's asset is found
 * by serial, then by asset tag (the GroWrk product id); an offboarded employee's user by e-mail,
 * with the assets still checked out to them. Hardware is listed in pages of 500 (Snipe-IT's
 * maximum).
 */
import type { ConnectorContext } from '../../src/connector/types.ts';
import type { EntitySnapshot } from '../../src/core/projection.ts';
import type { EntityKind } from '../../src/growrk/types.ts';
import type { SnipeItClient } from './client.ts';
import type { SnipeItConfig } from './config.ts';
import { assigneeOf, desiredAsset, employeeEmail, parseAsset, parseUser } from './mapping.ts';
import { PAGE_SIZE, type SnipeActual, type SnipeAsset, type SnipeUser } from './model.ts';

/** The connector's context. */
export type SnipeContext = ConnectorContext<SnipeItConfig, SnipeItClient>;

function assets(ctx: SnipeContext, rows: readonly unknown[]): SnipeAsset[] {
  return rows.map((r) => parseAsset(r, ctx.config)).filter((a): a is SnipeAsset => a !== null);
}

/** Of several assets with one serial, the one carrying this product's id, else one without any. */
function pick(candidates: readonly SnipeAsset[], productId: string): SnipeAsset | null {
  return (
    candidates.find((a) => a.growrkId === productId) ?? candidates.find((a) => a.growrkId === null) ?? null
  );
}

/** The first user with this e-mail, or null. */
export async function userByEmail(ctx: SnipeContext, email: string): Promise<SnipeUser | null> {
  const users = (await ctx.client.usersByEmail(email)).map(parseUser);
  return users.find((u) => u !== null && u.email === email) ?? null;
}

async function findAsset(ctx: SnipeContext, desired: EntitySnapshot): Promise<SnipeAsset | null> {
  const { serial, tag } = desiredAsset(desired, ctx.config);
  if (serial !== '') {
    const bySerial = pick(assets(ctx, await ctx.client.hardwareBySerial(serial)), desired.id);
    if (bySerial) return bySerial;
  }
  return pick(assets(ctx, await ctx.client.hardwareByTag(tag)), desired.id);
}

/** The target's state for one entity. */
export async function readEntity(ctx: SnipeContext, desired: EntitySnapshot): Promise<SnipeActual | null> {
  if (desired.kind === 'employee') {
    const email = employeeEmail(desired);
    if (desired.data.status !== 'offboarded' || email === null) return null;
    const user = await userByEmail(ctx, email);
    if (!user) return null;
    return { kind: 'employee', user, assets: assets(ctx, await ctx.client.userAssets(user.id)) };
  }
  if (desired.kind !== 'product') return null;
  const asset = await findAsset(ctx, desired);
  const wanted = assigneeOf(desired.data);
  const holder = asset?.assignedTo ?? null;
  // Look the assignee up only when the asset is not already with them.
  const lookup =
    wanted && !(holder?.type === 'user' && holder.email === wanted.email)
      ? { email: wanted.email, user: await userByEmail(ctx, wanted.email) }
      : null;
  return { kind: 'product', asset, assignee: lookup };
}

async function* hardwarePages(ctx: SnipeContext): AsyncIterable<SnipeAsset[]> {
  for (let offset = 0; ; offset += PAGE_SIZE) {
    const page = await ctx.client.listHardware(offset, PAGE_SIZE);
    yield assets(ctx, page.rows);
    if (page.rows.length < PAGE_SIZE || offset + page.rows.length >= page.total) return;
  }
}

/** The holder of a listed asset, as a user lookup would give it. */
function holderLookup(asset: SnipeAsset): { email: string; user: SnipeUser } | null {
  const holder = asset.assignedTo;
  if (holder?.type !== 'user' || !holder.email) return null;
  return { email: holder.email, user: { id: holder.id, email: holder.email, username: '' } };
}

/**
 * Every target record of `kind`: products are the hardware; employees are the users something is
 * checked out to, each with those assets (what an offboarding's returns list needs).
 */
export async function* listEntities(ctx: SnipeContext, kind: EntityKind): AsyncIterable<SnipeActual[]> {
  if (kind === 'product') {
    for await (const page of hardwarePages(ctx)) {
      yield page.map((asset) => ({ kind: 'product', asset, assignee: holderLookup(asset) }));
    }
    return;
  }
  if (kind !== 'employee') return;
  const byUser = new Map<number, { user: SnipeUser; assets: SnipeAsset[] }>();
  for await (const page of hardwarePages(ctx)) {
    for (const asset of page) {
      const holder = holderLookup(asset);
      if (!holder) continue;
      const entry = byUser.get(holder.user.id) ?? { user: holder.user, assets: [] };
      entry.assets.push(asset);
      byUser.set(holder.user.id, entry);
    }
  }
  yield [...byUser.values()].map((e) => ({ kind: 'employee', ...e }));
}

/** Keys of a listed record. */
export function keysOfActual(actual: SnipeActual): string[] {
  if (actual.kind === 'employee') return actual.user.email ? [`email:${actual.user.email}`] : [];
  if (!actual.asset) return [];
  const keys: string[] = [];
  const { asset } = actual;
  if (asset.growrkId) keys.push(`ext:${asset.growrkId}`);
  if (asset.serial) keys.push(`serial:${asset.serial.toLowerCase()}`);
  keys.push(`tag:${asset.tag.toLowerCase()}`, `snipe:${asset.id}`);
  return keys;
}
