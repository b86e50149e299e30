/**
 * Pure mapping between GroWrk products and Snipe-IT hardware: what an asset should look like for a
 * product snapshot, and the API's JSON read back into {@link SnipeAsset} / {@link SnipeUser}.
 */
import type { EntitySnapshot } from '../../src/core/projection.ts';
import type { SnipeItConfig } from './config.ts';
import type { AssetFields, SnipeAsset, SnipeUser } from './model.ts';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
}

/** Snipe-IT HTML-escapes what it sends back (`e()`); undo the entities it produces. */
export function unescapeHtml(value: string): string {
  return value
    .replace(/&quot;/g, '"')
    .replace(/&#0?39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** The status label a product should have: legal hold first, then the map, then the default. */
export function statusFor(product: Json, config: SnipeItConfig): string {
  const hold = text(product.legalHoldStatus).trim().toLowerCase();
  if (hold !== '' && hold !== 'none' && config.statusMap['Legal hold']) return config.statusMap['Legal hold'];
  return config.statusMap[text(product.status)] ?? config.defaultStatus;
}

/** Who a product is assigned to, when it is (GroWrk's `assigned` and `employee`). */
export function assigneeOf(product: Json): { email: string; displayName: string; employeeId: string } | null {
  const employee = product.employee;
  if (product.assigned !== true || !isObject(employee)) return null;
  const email = text(employee.email).trim().toLowerCase();
  if (email === '') return null;
  return { email, displayName: text(employee.displayName) || email, employeeId: text(employee.id) };
}

/** The asset a product snapshot asks for: tag, managed fields, assignee. */
export function desiredAsset(
  snapshot: EntitySnapshot,
  config: SnipeItConfig,
): { tag: string; serial: string; fields: AssetFields } {
  const product = snapshot.data;
  const custom: Record<string, string> = { [config.productIdField]: snapshot.id };
  const orderId = text(product.orderId);
  if (orderId !== '') custom[config.orderIdField] = orderId;
  const fields: AssetFields = { status: statusFor(product, config), custom };
  const name = text(product.title);
  if (name !== '') fields.name = name;
  const serial = text(product.serialNumber).trim();
  if (serial !== '') fields.serial = serial;
  return { tag: snapshot.id, serial, fields };
}

/** The values of an asset's custom fields, by field name (`custom_fields` is keyed by name). */
function customValues(raw: Json): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isObject(raw.custom_fields)) return out;
  for (const [name, field] of Object.entries(raw.custom_fields)) {
    if (isObject(field)) out[unescapeHtml(name)] = unescapeHtml(text(field.value));
  }
  return out;
}

/** An asset as the API transforms it, reduced to what the connector compares. */
export function parseAsset(raw: unknown, config: SnipeItConfig): SnipeAsset | null {
  if (!isObject(raw) || typeof raw.id !== 'number') return null;
  const custom = customValues(raw);
  const status = isObject(raw.status_label) ? unescapeHtml(text(raw.status_label.name)) : null;
  const model = isObject(raw.model) && typeof raw.model.id === 'number' ? raw.model.id : null;
  const assigned = isObject(raw.assigned_to) ? raw.assigned_to : null;
  return {
    id: raw.id,
    tag: unescapeHtml(text(raw.asset_tag)),
    serial: unescapeHtml(text(raw.serial)),
    name: unescapeHtml(text(raw.name)),
    modelId: model,
    status,
    assignedTo:
      assigned && typeof assigned.id === 'number'
        ? {
            id: assigned.id,
            type: text(assigned.type) || 'user',
            email: text(assigned.email).toLowerCase() || null,
          }
        : null,
    growrkId: custom[config.productIdField] || null,
    orderId: custom[config.orderIdField] || null,
  };
}

/** A user as the API transforms it. */
export function parseUser(raw: unknown): SnipeUser | null {
  if (!isObject(raw) || typeof raw.id !== 'number') return null;
  return {
    id: raw.id,
    email: text(raw.email).toLowerCase() || null,
    username: unescapeHtml(text(raw.username)),
  };
}

/** The e-mail an employee snapshot carries (lower case), or null. */
export function employeeEmail(snapshot: EntitySnapshot): string | null {
  const email = text(snapshot.data.email).trim().toLowerCase();
  return email === '' ? null : email;
}

/** Keys of a product: its GroWrk id, its serial, its asset tag (the GroWrk id), in that order. */
export function productKeys(snapshot: EntitySnapshot): string[] {
  const keys = [`ext:${snapshot.id}`];
  const serial = text(snapshot.data.serialNumber).trim().toLowerCase();
  if (serial !== '') keys.push(`serial:${serial}`);
  keys.push(`tag:${snapshot.id.toLowerCase()}`);
  return keys;
}
