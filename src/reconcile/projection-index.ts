/**
 * The projection, read in pages, and the compact key index reconciliation matches target records
 * against: lookup key (`ext:<growrk id>`, `email:<e-mail>`) -> entity id, built from the
 * connector's `keysOfDesired`. Only key fingerprints and ids are kept, never snapshots: the
 * snapshots are read again by id when a listed record matches.
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
  /** The key that matched (to confirm against the entity's own keys). */
  key: string;
}

/** Ranks kept per key (a key's position in `keysOfDesired`, capped). */
const RANKS = 16;
/** "Not matched yet" in the per-entity rank array. */
const UNMATCHED = 255;
/** An empty slot of the hash table. */
const EMPTY = -1;

/** Two independent 32-bit hashes of a key (FNV-1a and a multiply-rotate one): a 64-bit fingerprint. */
function fingerprint(key: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < key.length; i += 1) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return [a >>> 0, b >>> 0];
}

/**
 * Lookup key -> entity, compactly: the keys are not kept, only a 64-bit fingerprint of each in an
 * open-addressing table of typed arrays, mapping to `ordinal * 16 + rank` (about 12 bytes a key
 * instead of a string and a map entry: a few MiB for 100,000 entities, not tens). Each entity's id
 * is stored once, and which entities a listed record matched is one byte per entity. The rank of a
 * key (its position in `keysOfDesired`, most specific first) lets a record found by GroWrk id beat
 * one found by e-mail. A fingerprint can, in theory, collide: callers confirm a match against the
 * entity's own keys ({@link KeyMatch.key}).
 */
export class KeyIndex {
  private readonly ids: string[] = [];
  private matchedRanks = new Uint8Array(1024).fill(UNMATCHED);
  private hashA = new Uint32Array(1024);
  private hashB = new Uint32Array(1024);
  private values = new Int32Array(1024).fill(EMPTY);
  private size = 0;

  /** Entities indexed. */
  get entities(): number {
    return this.ids.length;
  }

  /** Keys indexed. */
  get keys(): number {
    return this.size;
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
      const [a, b] = fingerprint(key);
      if (this.find(a, b) === EMPTY) this.insert(a, b, ordinal * RANKS + Math.min(rank, RANKS - 1));
    });
  }

  /** The slot value of a fingerprint, or EMPTY. */
  private find(a: number, b: number): number {
    const mask = this.values.length - 1;
    for (let slot = a & mask; ; slot = (slot + 1) & mask) {
      const value = this.values[slot]!;
      if (value === EMPTY) return EMPTY;
      if (this.hashA[slot] === a && this.hashB[slot] === b) return value;
    }
  }

  private insert(a: number, b: number, value: number): void {
    if ((this.size + 1) * 10 > this.values.length * 7) this.grow();
    const mask = this.values.length - 1;
    let slot = a & mask;
    while (this.values[slot] !== EMPTY) slot = (slot + 1) & mask;
    this.hashA[slot] = a;
    this.hashB[slot] = b;
    this.values[slot] = value;
    this.size += 1;
  }

  private grow(): void {
    const [oldA, oldB, oldValues] = [this.hashA, this.hashB, this.values];
    this.hashA = new Uint32Array(oldValues.length * 2);
    this.hashB = new Uint32Array(oldValues.length * 2);
    this.values = new Int32Array(oldValues.length * 2).fill(EMPTY);
    this.size = 0;
    for (let slot = 0; slot < oldValues.length; slot += 1) {
      if (oldValues[slot] !== EMPTY) this.insert(oldA[slot]!, oldB[slot]!, oldValues[slot]!);
    }
  }

  /** The first of `keys` that an entity has, or null. */
  match(keys: readonly string[]): KeyMatch | null {
    for (const key of keys) {
      const [a, b] = fingerprint(key);
      const value = this.find(a, b);
      if (value === EMPTY) continue;
      const ordinal = Math.floor(value / RANKS);
      return { ordinal, entityId: this.ids[ordinal]!, rank: value % RANKS, key };
    }
    return null;
  }

  /** The ordinal of an indexed entity, found through its own keys, or null (not indexed). */
  ordinalOf(entityId: string, keys: readonly string[]): number | null {
    for (const key of keys) {
      const [a, b] = fingerprint(key);
      const value = this.find(a, b);
      if (value === EMPTY) continue;
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

  /** Calls `visit` with every indexed entity id and its ordinal. */
  forEachId(visit: (entityId: string, ordinal: number) => void): void {
    this.ids.forEach(visit);
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
