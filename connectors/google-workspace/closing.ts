/**
 * The closing gate, pure: is every product GroWrk assigned to the person back, and is none under a
 * legal hold? Back means a returned status (configured) or unassigned, and wiped where the product
 * reports `wiped`. A legal hold always blocks; the grace period (off by default) closes anyway
 * with equipment out, never over a legal hold.
 */

import type { EquipmentItem } from '../../src/core/offboarding.ts';
import type { EntitySnapshot } from '../../src/core/projection.ts';
import type { GoogleConfig } from './config.ts';
import { text } from './mapping.ts';

/** Legal-hold values that mean "no hold". */
const NO_HOLD = new Set(['', 'none', 'no', 'released', 'inactive', 'false']);

/** What the gate decided. */
export type ClosingDecision =
  | { kind: 'close'; reason: string; equipment: EquipmentItem[] }
  | { kind: 'blocked'; blockedBy: string; equipment: EquipmentItem[]; recheckAfterMs?: number };

/** One product as the gate sees it. */
export function equipmentItem(
  product: EntitySnapshot,
  employeeId: string,
  config: GoogleConfig,
): EquipmentItem {
  const data = product.data;
  const status = text(data.status);
  const employee = data.employee as { id?: unknown } | null | undefined;
  const assignedTo =
    typeof employee?.id === 'string' || typeof employee?.id === 'number' ? String(employee.id) : null;
  const unassigned = data.assigned === false || assignedTo !== employeeId;
  const returned =
    status !== undefined &&
    config.closingReturnedStatuses.some((s) => s.toLowerCase() === status.toLowerCase());
  const wiped = typeof data.wiped === 'boolean' ? data.wiped : undefined;
  const hold = text(data.legalHoldStatus);
  const back = (unassigned || returned) && (!config.closingRequireWiped || wiped !== false);
  return {
    productId: product.id,
    serial: text(data.serialNumber),
    status,
    wiped,
    legalHold: hold,
    back,
  };
}

/** True when the product's legal-hold status is a hold. */
export function onLegalHold(item: EquipmentItem): boolean {
  return item.legalHold !== undefined && !NO_HOLD.has(item.legalHold.toLowerCase());
}

function describe(item: EquipmentItem): string {
  const parts = [item.status ?? 'no status'];
  if (item.wiped === false) parts.push('not wiped');
  return `${item.serial ?? item.productId} (${parts.join(', ')})`;
}

/**
 * Decides the closing of one offboarding. `suspendedAt` (epoch ms) and `now` drive the grace period.
 */
export function decideClosing(input: {
  products: readonly EntitySnapshot[];
  employeeId: string;
  config: GoogleConfig;
  suspendedAt: number | null;
  now: number;
}): ClosingDecision {
  const { config } = input;
  const equipment = input.products.map((p) => equipmentItem(p, input.employeeId, config));
  const holds = equipment.filter(onLegalHold);
  if (holds.length > 0) {
    const list = holds.map((h) => `${h.serial ?? h.productId} (${h.legalHold})`).join(', ');
    return { kind: 'blocked', blockedBy: `legal hold on ${list}`, equipment };
  }
  const out = equipment.filter((e) => !e.back);
  if (out.length === 0) return { kind: 'close', reason: 'every product is back', equipment };
  const blockedBy = `${out.length} product(s) not back: ${out.map(describe).join(', ')}`;
  if (config.closingGrace > 0 && input.suspendedAt !== null) {
    const left = input.suspendedAt + config.closingGrace - input.now;
    if (left <= 0) return { kind: 'close', reason: `grace period over with ${blockedBy}`, equipment };
    return { kind: 'blocked', blockedBy, equipment, recheckAfterMs: left };
  }
  return { kind: 'blocked', blockedBy, equipment };
}
