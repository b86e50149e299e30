/** The ten event types GroWrk documents. */
export const EVENT_TYPES = [
  'order.created',
  'order.statusChange',
  'order.statusClosed',
  'product.created',
  'product.statusChange',
  'product.assigned',
  'product.shipped',
  'employee.created',
  'employee.updated',
  'employee.offboarded',
] as const;

/** A documented GroWrk event type. */
export type EventType = (typeof EVENT_TYPES)[number];

/** The three entity families GroWrk sends. */
export type EntityKind = 'employee' | 'product' | 'order';

export const ENTITY_KINDS: readonly EntityKind[] = ['employee', 'product', 'order'];

/** The envelope key that carries each family's entity array. */
export const ENTITY_ARRAY_KEY: Record<EntityKind, 'employees' | 'products' | 'orders'> = {
  employee: 'employees',
  product: 'products',
  order: 'orders',
};

/** A GroWrk entity as received: lenient, only `id` is guaranteed (as a string). */
export type GrowrkEntity = { id: string } & Record<string, unknown>;

/** A reference to an employee embedded in an order or product (`employee: {id, displayName, email}`). */
export interface EmployeeRef {
  id: string;
  displayName?: string | undefined;
  email?: string | undefined;
}

/** A verified, validated event, ready to be stored and projected. */
export interface ParsedEvent {
  /** The `event` field as sent. */
  type: string;
  /** Whether `type` is one of the documented {@link EVENT_TYPES}. */
  known: boolean;
  /** The entity family, from the event prefix; null for unknown families. */
  kind: EntityKind | null;
  /** The GroWrk `timestamp`, normalised to ISO 8601 UTC. */
  timestamp: string;
  /** `timestamp` in epoch milliseconds, for ordering. */
  timestampMs: number;
  companyId: string;
  /** The entities of the event's family, with sensitive fields already removed. */
  entities: GrowrkEntity[];
}

/** Returns the entity family of an event type, or null. */
export function kindOfEvent(type: string): EntityKind | null {
  const prefix = type.split('.')[0];
  return prefix === 'employee' || prefix === 'product' || prefix === 'order' ? prefix : null;
}

export function isKnownEventType(type: string): type is EventType {
  return (EVENT_TYPES as readonly string[]).includes(type);
}

/** The key of an entity everywhere it is named by kind and id: `<kind>:<id>`, e.g. `product:prod-777`. */
export function entityKey(kind: EntityKind, id: string): string {
  return `${kind}:${id}`;
}
