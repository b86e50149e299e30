/**
 * Mobile devices (Directory `mobiledevices`): the phones and tablets where a user's work account
 * is, and the actions taken on them. `admin_account_wipe` removes the account from the device
 * (`status` becomes `ACCOUNT_WIPED` in this emulator); every action is kept for tests.
 */
import { invalid, notFound } from './errors.ts';
import { etagOf } from './ids.ts';

/** The actions `mobiledevices.action` accepts. */
export const DEVICE_ACTIONS = [
  'admin_remote_wipe',
  'admin_account_wipe',
  'approve',
  'block',
  'cancel_remote_wipe_then_activate',
  'cancel_remote_wipe_then_block',
] as const;

/** A mobile device as the API shows it (the fields this emulator models). */
export interface MobileDeviceRecord {
  kind: 'admin#directory#mobiledevice';
  etag: string;
  resourceId: string;
  deviceId: string;
  email: string[];
  name: string[];
  model: string;
  os: string;
  type: string;
  status: string;
}

/** What a test seeds. */
export interface MobileDeviceSeed {
  email: string;
  model?: string;
  type?: string;
}

/** Devices and actions of one emulator. */
export class DeviceState {
  private devices = new Map<string, MobileDeviceRecord>();
  private actions: Array<{ resourceId: string; action: string }> = [];
  private nextId = 1;

  reset(): void {
    this.devices.clear();
    this.actions = [];
    this.nextId = 1;
  }

  add(seed: MobileDeviceSeed): MobileDeviceRecord {
    const n = this.nextId++;
    const device: MobileDeviceRecord = {
      kind: 'admin#directory#mobiledevice',
      etag: '',
      resourceId: `AFiQxQ8device${n}`,
      deviceId: `device-${n}`,
      email: [seed.email.toLowerCase()],
      name: [seed.email.split('@')[0] ?? seed.email],
      model: seed.model ?? 'Pixel 8',
      os: 'Android 15',
      type: seed.type ?? 'ANDROID',
      status: 'APPROVED',
    };
    device.etag = etagOf(device);
    this.devices.set(device.resourceId, device);
    return structuredClone(device);
  }

  get(resourceId: string): MobileDeviceRecord {
    const device = this.devices.get(resourceId);
    if (!device) throw notFound('resourceId');
    return structuredClone(device);
  }

  /** `list` with the search query this emulator understands: `email:<address>` (or none). */
  list(query: string | null): MobileDeviceRecord[] {
    const all = [...this.devices.values()];
    if (!query || query.trim() === '') return all.map((d) => structuredClone(d));
    const m = /^email:(\S+)$/i.exec(query.trim());
    if (!m?.[1]) throw invalid(`Invalid Input: query '${query}' (this emulator understands email:<address>)`);
    const email = m[1].replace(/^['"]|['"]$/g, '').toLowerCase();
    return all.filter((d) => d.email.includes(email)).map((d) => structuredClone(d));
  }

  action(resourceId: string, action: unknown): void {
    const device = this.devices.get(resourceId);
    if (!device) throw notFound('resourceId');
    if (typeof action !== 'string' || !(DEVICE_ACTIONS as readonly string[]).includes(action))
      throw invalid(`Invalid Input: action '${String(action)}'`);
    this.actions.push({ resourceId, action });
    if (action === 'admin_account_wipe') device.status = 'ACCOUNT_WIPED';
    if (action === 'admin_remote_wipe') device.status = 'WIPED';
    if (action === 'block') device.status = 'BLOCKED';
    if (action === 'approve') device.status = 'APPROVED';
    device.etag = etagOf({ ...device, etag: undefined });
  }

  delete(resourceId: string): void {
    if (!this.devices.delete(resourceId)) throw notFound('resourceId');
  }

  /** Every action taken, in order (for tests). */
  actionLog(): Array<{ resourceId: string; action: string }> {
    return this.actions.map((a) => ({ ...a }));
  }
}
