/**
 * The projection, read in pages, and the compact key index reconciliation matches target records
 * against: lookup key (`ext:<growrk id>`, `email:<e-mail>`) -> entity id, built from the
 * connector's `keysOfDesired`. Only keys and ids are kept, never snapshots: the snapshots are read
 * again by id when a listed record matches, so memory grows with the number of keys only.
 */
import type { EntitySnapshot } from '../core/projection.ts';
import type { EntityKind } from '../growrk/types.ts';
import type { Store } from '../store/types.ts';

/** Entities read per page of the projection. */
export const PROJECTION_PAGE = 1000;

/** Every entity of a kind, one page at a time, in id order. */
export async function* projectionPages(
  store: Store,
  kind: EntityKind,
  signal?: AbortSignal,
): AsyncGenerator<EntitySnapshot[]> {
  let afterId: string | undefined;
  for (;;) {
    signal?.throwIfAborted();
    const page = await store.listEntities(kind, { afterId, limit: PROJECTION_PAGE });
    if (page.length === 0) return;
    yield page;
    if (page.length < PROJECTION_PAGE) return;
    afterId = page[page.length - 1]!.id;
  }
}

/** A match of a listed record: the entity and how specific the key was (0 = the most). */
export interface KeyMatch {
  /** The entity's position in the index. */
  ordinal: number;
  entityId: string;
  rank: number;
}

/** Ranks kept per key (a key's position in `keysOfDesired`, capped). */
const RANKS = 16;
/** "Not matched yet" in the per-entity rank array. */
const UNMATCHED = 255;

/**
 * Lookup key -> entity, compactly: each entity gets an ordinal (its id stored once), each key maps
 * to `ordinal * 16 + rank` (a small integer, no string per value), and which entities a listed
 * record matched is one byte per entity. The rank of a key (its position in `keysOfDesired`, most
 * specific first) lets a record found by GroWrk id beat one found by e-mail.
 */
export class KeyIndex {
  private readonly map = new Map<string, number>();
  private readonly ids: string[] = [];
  private matchedRanks = new Uint8Array(1024).fill(UNMATCHED);

  /** Entities indexed. */
  get entities(): number {
    return this.ids.length;
  }

  /** Keys indexed. */
  get keys(): number {
    return this.map.size;
  }

  /** Adds an entity's keys; a key already taken by another entity keeps its first owner. */
  add(entityId: string, keys: readonly string[]): void {
    const ordinal = this.ids.push(entityId) - 1;
    if (ordinal >= this.matchedRanks.length) {
      const grown = new Uint8Array(this.matchedRanks.length * 2).fill(UNMATCHED);
      grown.set(this.matchedRanks);
      this.matchedRanks = grown;
    }
    keys.forEach((key, rank) => {
      if (!this.map.has(key)) this.map.set(key, ordinal * RANKS + Math.min(rank, RANKS - 1));
    });
  }

  /** The first of `keys` that an entity has, or null. */
  match(keys: readonly string[]): KeyMatch | null {
    for (const key of keys) {
      const value = this.map.get(key);
      if (value === undefined) continue;
      const ordinal = Math.floor(value / RANKS);
      return { ordinal, entityId: this.ids[ordinal]!, rank: value % RANKS };
    }
    return null;
  }

  /** The ordinal of an indexed entity, found through its own keys, or null (not indexed). */
  ordinalOf(entityId: string, keys: readonly string[]): number | null {
    for (const key of keys) {
      const value = this.map.get(key);
      if (value === undefined) continue;
      const ordinal = Math.floor(value / RANKS);
      if (this.ids[ordinal] === entityId) return ordinal;
    }
    return null;
  }

  /** The rank a listed record matched the entity with, or null when none matched it yet. */
  matchedRank(ordinal: number): number | null {
    const rank = this.matchedRanks[ordinal];
    return rank === undefined || rank === UNMATCHED ? null : rank;
  }

  setMatched(ordinal: number, rank: number): void {
    this.matchedRanks[ordinal] = rank;
  }

  /** Entities a listed record matched. */
  get matched(): number {
    let n = 0;
    for (let i = 0; i < this.ids.length; i += 1) if (this.matchedRanks[i] !== UNMATCHED) n += 1;
    return n;
  }
}

/** Builds the key index of one kind from the projection. */
export async function indexProjection(input: {
  store: Store;
  kind: EntityKind;
  keysOf: (desired: EntitySnapshot) => string[];
  signal?: AbortSignal | undefined;
}): Promise<KeyIndex> {
  const index = new KeyIndex();
  for await (const page of projectionPages(input.store, input.kind, input.signal)) {
    for (const entity of page) index.add(entity.id, input.keysOf(entity));
  }
  return index;
}
