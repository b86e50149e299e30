/**
 * The Snipe-IT emulator's state: users (each token belongs to one), status labels, models,
 * custom fields and fieldsets, and hardware, with the answers shaped as Snipe-IT's transformers
 * shape them (only the keys the contract summary names; values HTML-escaped as `e()` does).
 */

/** A user. `permissions` as Snipe-IT stores them: permission key -> "1". */
export interface EmuUser {
  id: number;
  username: string;
  email: string | null;
  firstName: string;
  lastName: string | null;
  employeeNum: string | null;
  activated: boolean;
  permissions: Record<string, string>;
}

export interface EmuStatusLabel {
  id: number;
  name: string;
  type: 'deployable' | 'pending' | 'archived' | 'undeployable';
}

export interface EmuModel {
  id: number;
  name: string;
  fieldsetId: number | null;
}

export interface EmuField {
  id: number;
  name: string;
  /** `_snipeit_<slug>_<id>`, the slug cut to 50 characters. */
  dbColumn: string;
  element: string;
  helpText: string;
}

export interface EmuFieldset {
  id: number;
  name: string;
  fieldIds: number[];
}

export interface EmuAsset {
  id: number;
  tag: string;
  serial: string;
  name: string;
  modelId: number;
  statusId: number;
  assignedUser: number | null;
  notes: string;
  /** Custom field values by column. */
  custom: Record<string, string>;
  checkoutCounter: number;
  checkinCounter: number;
}

/** HTML-escapes as Laravel's `e()`. */
export function e(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#039;');
}

/** The column name Snipe-IT gives a custom field. */
export function dbColumnFor(name: string, id: number): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 50);
  return `_snipeit_${slug}_${id}`;
}

const DEFAULT_LABELS: Array<Omit<EmuStatusLabel, 'id'>> = [
  { name: 'Ready to Deploy', type: 'deployable' },
  { name: 'Pending', type: 'pending' },
  { name: 'Archived', type: 'archived' },
  { name: 'Broken', type: 'undeployable' },
  { name: 'Lost/Stolen', type: 'undeployable' },
  { name: 'Legal Hold', type: 'undeployable' },
];

/** The whole instance. */
export class SnipeState {
  users: EmuUser[] = [];
  labels: EmuStatusLabel[] = [];
  models: EmuModel[] = [];
  fields: EmuField[] = [];
  fieldsets: EmuFieldset[] = [];
  assets: EmuAsset[] = [];
  /** Bearer token -> user id. */
  tokens = new Map<string, number>();
  private next = { user: 1, label: 1, model: 1, field: 1, fieldset: 1, asset: 1 };

  private readonly seedTokens: readonly string[];

  constructor(seedTokens: readonly string[]) {
    this.seedTokens = seedTokens;
    this.reset();
  }

  /** A fresh instance: the admin user (holding every token), the default labels, one model. */
  reset(): void {
    this.users = [];
    this.labels = [];
    this.models = [];
    this.fields = [];
    this.fieldsets = [];
    this.assets = [];
    this.tokens.clear();
    this.next = { user: 1, label: 1, model: 1, field: 1, fieldset: 1, asset: 1 };
    const admin = this.addUser({ username: 'admin', email: 'admin@example.com', firstName: 'Admin' });
    admin.permissions = { superuser: '1' };
    for (const token of this.seedTokens) this.tokens.set(token, admin.id);
    for (const label of DEFAULT_LABELS) this.labels.push({ id: this.next.label++, ...label });
    this.addModel('MacBook Pro 14');
  }

  addUser(input: {
    username: string;
    email?: string | null;
    firstName: string;
    lastName?: string | null;
    employeeNum?: string | null;
    activated?: boolean;
    permissions?: Record<string, string>;
  }): EmuUser {
    const user: EmuUser = {
      id: this.next.user++,
      username: input.username,
      email: input.email ?? null,
      firstName: input.firstName,
      lastName: input.lastName ?? null,
      employeeNum: input.employeeNum ?? null,
      activated: input.activated ?? true,
      permissions: input.permissions ?? {},
    };
    this.users.push(user);
    return user;
  }

  addModel(name: string): EmuModel {
    const model: EmuModel = { id: this.next.model++, name, fieldsetId: null };
    this.models.push(model);
    return model;
  }

  addField(name: string, element: string, helpText: string): EmuField {
    const id = this.next.field++;
    const field: EmuField = { id, name, dbColumn: dbColumnFor(name, id), element, helpText };
    this.fields.push(field);
    return field;
  }

  addFieldset(name: string): EmuFieldset {
    const set: EmuFieldset = { id: this.next.fieldset++, name, fieldIds: [] };
    this.fieldsets.push(set);
    return set;
  }

  addAsset(input: Partial<Omit<EmuAsset, 'id'>> & { tag: string }): EmuAsset {
    const asset: EmuAsset = {
      id: this.next.asset++,
      serial: '',
      name: '',
      modelId: this.models[0]?.id ?? 1,
      statusId: this.labels[0]?.id ?? 1,
      assignedUser: null,
      notes: '',
      custom: {},
      checkoutCounter: 0,
      checkinCounter: 0,
      ...input,
    };
    this.assets.push(asset);
    return asset;
  }

  /** A token added for a user with exactly these permissions (for permission tests). */
  addToken(token: string, userId: number): void {
    this.tokens.set(token, userId);
  }

  user(id: number): EmuUser | undefined {
    return this.users.find((u) => u.id === id);
  }

  asset(id: number): EmuAsset | undefined {
    return this.assets.find((a) => a.id === id);
  }

  label(id: number): EmuStatusLabel | undefined {
    return this.labels.find((l) => l.id === id);
  }

  model(id: number): EmuModel | undefined {
    return this.models.find((m) => m.id === id);
  }

  /** Custom field columns an asset of this model may carry (its model's fieldset). */
  columnsOf(modelId: number): Set<string> {
    const set = this.fieldsets.find((s) => s.id === this.model(modelId)?.fieldsetId);
    return new Set((set?.fieldIds ?? []).map((id) => this.fields.find((f) => f.id === id)?.dbColumn ?? ''));
  }

  /** Assets by GroWrk-visible attributes, for tests. */
  assetBySerial(serial: string): EmuAsset | undefined {
    return this.assets.find((a) => a.serial === serial);
  }

  userByEmail(email: string): EmuUser | undefined {
    return this.users.find((u) => u.email === email);
  }

  /** The user as UsersTransformer shapes it (reduced). */
  viewUser(user: EmuUser): Record<string, unknown> {
    return {
      id: user.id,
      username: e(user.username),
      name: e([user.firstName, user.lastName].filter(Boolean).join(' ')),
      first_name: e(user.firstName),
      last_name: user.lastName ? e(user.lastName) : null,
      email: user.email ? e(user.email) : null,
      employee_num: user.employeeNum ? e(user.employeeNum) : null,
      activated: user.activated,
      permissions: user.permissions,
      assets_count: this.assets.filter((a) => a.assignedUser === user.id).length,
    };
  }

  /** The asset as AssetsTransformer shapes it (reduced). */
  viewAsset(asset: EmuAsset): Record<string, unknown> {
    const label = this.label(asset.statusId);
    const model = this.model(asset.modelId);
    const holder = asset.assignedUser === null ? undefined : this.user(asset.assignedUser);
    const custom: Record<string, unknown> = {};
    for (const column of this.columnsOf(asset.modelId)) {
      const field = this.fields.find((f) => f.dbColumn === column);
      if (!field) continue;
      custom[e(field.name)] = {
        field: e(field.dbColumn),
        value: e(asset.custom[column] ?? ''),
        field_format: 'ANY',
        element: field.element,
      };
    }
    return {
      id: asset.id,
      name: e(asset.name),
      asset_tag: e(asset.tag),
      serial: e(asset.serial),
      model: model ? { id: model.id, name: e(model.name) } : null,
      status_label: label
        ? {
            id: label.id,
            name: e(label.name),
            status_type: label.type,
            status_meta: holder ? 'deployed' : label.type,
          }
        : null,
      assigned_to: holder
        ? {
            id: holder.id,
            username: e(holder.username),
            name: e([holder.firstName, holder.lastName].filter(Boolean).join(' ')),
            first_name: e(holder.firstName),
            last_name: holder.lastName ? e(holder.lastName) : null,
            email: holder.email ? e(holder.email) : null,
            employee_number: holder.employeeNum ? e(holder.employeeNum) : null,
            type: 'user',
          }
        : null,
      notes: asset.notes || null,
      checkin_counter: asset.checkinCounter,
      checkout_counter: asset.checkoutCounter,
      custom_fields: custom,
    };
  }

  /** Everything, for `GET /__emulator/state`. */
  snapshot(): Record<string, unknown> {
    return {
      users: this.users,
      labels: this.labels,
      models: this.models,
      fields: this.fields,
      fieldsets: this.fieldsets,
      assets: this.assets,
    };
  }
}
