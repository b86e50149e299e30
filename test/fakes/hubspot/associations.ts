/**
 * Association definitions (type ids per direction of an object type pair) and the associations
 * between records. Every association is stored in both directions, as HubSpot reports it.
 */
import type { AssociationCategory, AssociationTypeDef } from './model.ts';

/** One associated record as a list call reports it. */
export interface AssociatedRecord {
  toObjectId: string;
  typeIds: number[];
}

function key(objectTypeId: string, id: string): string {
  return `${objectTypeId}:${id}`;
}

/** Holds association types and links. */
export class AssociationStore {
  private readonly types = new Map<number, AssociationTypeDef>();
  /** `from` record key -> `to` record key -> type ids. */
  private readonly links = new Map<string, Map<string, Set<number>>>();
  private readonly firstCustomTypeId: number;
  private nextTypeId: number;

  constructor(firstCustomTypeId = 100) {
    this.firstCustomTypeId = firstCustomTypeId;
    this.nextTypeId = firstCustomTypeId;
  }

  /** Forgets every definition and link. */
  clear(): void {
    this.types.clear();
    this.links.clear();
    this.nextTypeId = this.firstCustomTypeId;
  }

  /** Registers a definition with given type ids for both directions (standard pairs). */
  defineFixed(
    from: { objectTypeId: string; singular: string },
    to: { objectTypeId: string; singular: string },
    typeId: number,
    inverseTypeId: number,
    now: string,
  ): void {
    this.types.set(typeId, {
      typeId,
      inverseTypeId,
      category: 'HUBSPOT_DEFINED',
      fromObjectTypeId: from.objectTypeId,
      toObjectTypeId: to.objectTypeId,
      label: null,
      name: `${from.singular}_to_${to.singular}`,
      createdAt: now,
      updatedAt: now,
    });
    this.types.set(inverseTypeId, {
      typeId: inverseTypeId,
      inverseTypeId: typeId,
      category: 'HUBSPOT_DEFINED',
      fromObjectTypeId: to.objectTypeId,
      toObjectTypeId: from.objectTypeId,
      label: null,
      name: `${to.singular}_to_${from.singular}`,
      createdAt: now,
      updatedAt: now,
    });
  }

  /** Creates a definition (and its inverse) with fresh type ids; returns the forward direction. */
  define(
    fromObjectTypeId: string,
    toObjectTypeId: string,
    category: AssociationCategory,
    label: string | null,
    name: string,
    inverseName: string,
    now: string,
  ): AssociationTypeDef {
    const typeId = this.nextTypeId;
    const inverseTypeId = this.nextTypeId + 1;
    this.nextTypeId += 2;
    const forward: AssociationTypeDef = {
      typeId,
      inverseTypeId,
      category,
      fromObjectTypeId,
      toObjectTypeId,
      label,
      name,
      createdAt: now,
      updatedAt: now,
    };
    this.types.set(typeId, forward);
    this.types.set(inverseTypeId, {
      ...forward,
      typeId: inverseTypeId,
      inverseTypeId: typeId,
      fromObjectTypeId: toObjectTypeId,
      toObjectTypeId: fromObjectTypeId,
      name: inverseName,
    });
    return forward;
  }

  /** Removes a definition, both directions, and every link that used it. */
  undefine(typeId: number): boolean {
    const def = this.types.get(typeId);
    if (!def) return false;
    const gone = new Set([typeId, def.inverseTypeId]);
    for (const id of gone) this.types.delete(id);
    for (const targets of this.links.values()) {
      for (const [target, set] of targets) {
        for (const id of gone) set.delete(id);
        if (set.size === 0) targets.delete(target);
      }
    }
    return true;
  }

  type(typeId: number): AssociationTypeDef | undefined {
    return this.types.get(typeId);
  }

  /** Definitions from one object type to another. */
  between(fromObjectTypeId: string, toObjectTypeId: string): AssociationTypeDef[] {
    return [...this.types.values()]
      .filter((t) => t.fromObjectTypeId === fromObjectTypeId && t.toObjectTypeId === toObjectTypeId)
      .sort((a, b) => a.typeId - b.typeId);
  }

  /** Every definition touching an object type, in either direction. */
  touching(objectTypeId: string): AssociationTypeDef[] {
    return [...this.types.values()].filter(
      (t) => t.fromObjectTypeId === objectTypeId || t.toObjectTypeId === objectTypeId,
    );
  }

  /** The unlabelled type of a pair, if the pair has one. */
  defaultType(fromObjectTypeId: string, toObjectTypeId: string): AssociationTypeDef | undefined {
    return this.between(fromObjectTypeId, toObjectTypeId).find((t) => t.label === null);
  }

  /** Links two records with the given types (from the `from` side); stores the inverse too. */
  link(fromType: string, fromId: string, toType: string, toId: string, typeIds: readonly number[]): void {
    for (const typeId of typeIds) {
      const def = this.types.get(typeId);
      if (!def) continue;
      this.add(key(fromType, fromId), key(toType, toId), typeId);
      this.add(key(toType, toId), key(fromType, fromId), def.inverseTypeId);
    }
  }

  private add(from: string, to: string, typeId: number): void {
    let targets = this.links.get(from);
    if (!targets) {
      targets = new Map();
      this.links.set(from, targets);
    }
    let set = targets.get(to);
    if (!set) {
      set = new Set();
      targets.set(to, set);
    }
    set.add(typeId);
  }

  /** Removes the given types (all types when `typeIds` is undefined) between two records. */
  unlink(fromType: string, fromId: string, toType: string, toId: string, typeIds?: readonly number[]): void {
    const forward = this.links.get(key(fromType, fromId))?.get(key(toType, toId));
    const backward = this.links.get(key(toType, toId))?.get(key(fromType, fromId));
    const drop = typeIds ?? [...(forward ?? [])];
    for (const typeId of drop) {
      forward?.delete(typeId);
      const inverse = this.types.get(typeId)?.inverseTypeId;
      if (inverse !== undefined) backward?.delete(inverse);
    }
    if (forward?.size === 0) this.links.get(key(fromType, fromId))?.delete(key(toType, toId));
    if (backward?.size === 0) this.links.get(key(toType, toId))?.delete(key(fromType, fromId));
  }

  /** Removes every link of a record (when it is archived). */
  unlinkAll(objectTypeId: string, id: string): void {
    const mine = key(objectTypeId, id);
    for (const target of this.links.get(mine)?.keys() ?? []) this.links.get(target)?.delete(mine);
    this.links.delete(mine);
  }

  /** Records of `toType` associated with a record, ordered by id. */
  list(fromType: string, fromId: string, toType: string): AssociatedRecord[] {
    const targets = this.links.get(key(fromType, fromId));
    if (!targets) return [];
    const prefix = `${toType}:`;
    return [...targets.entries()]
      .filter(([target, set]) => target.startsWith(prefix) && set.size > 0)
      .map(([target, set]) => ({
        toObjectId: target.slice(prefix.length),
        typeIds: [...set].sort((a, b) => a - b),
      }))
      .sort((a, b) => Number(a.toObjectId) - Number(b.toObjectId));
  }

  /** Every definition, for snapshots. */
  allTypes(): AssociationTypeDef[] {
    return [...this.types.values()].sort((a, b) => a.typeId - b.typeId);
  }

  /** Every link as `[from, to, typeIds]`, for snapshots. */
  allLinks(): Array<{ from: string; to: string; typeIds: number[] }> {
    const out: Array<{ from: string; to: string; typeIds: number[] }> = [];
    for (const [from, targets] of this.links) {
      for (const [to, set] of targets) out.push({ from, to, typeIds: [...set].sort((a, b) => a - b) });
    }
    return out;
  }
}
