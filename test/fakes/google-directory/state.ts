/**
 * The directory the emulator serves: users, groups and members, third-party tokens, app passwords,
 * backup codes, custom schemas and organisational units. Tests read and seed it directly; the HTTP
 * handlers go through the same methods, which throw `ApiError`s worded as Google words them.
 */
import { checkCustomSchemaValues, checkSchemaDefinition } from './custom-schemas.ts';
import { DeviceState } from './devices-state.ts';
import type { DiscoverySchema } from './discovery.ts';
import { ApiError, duplicate, invalid, notFound } from './errors.ts';
import { etagOf, IdGenerator } from './ids.ts';
import { LicenceState } from './licences-state.ts';
import { TransferState } from './transfers-state.ts';
import type {
  AspSeed,
  DirectoryAsp,
  DirectoryGroup,
  DirectoryMember,
  DirectoryOrgUnit,
  DirectorySchema,
  DirectoryToken,
  DirectoryUser,
  DirectoryVerificationCode,
  GroupSeed,
  MemberSeed,
  SchemaSeed,
  TokenSeed,
  UserSeed,
} from './types.ts';
import { applyPlainFields, mergeCustomSchemas, type UserWriteMode } from './user-write.ts';

/** How a state is set up. */
export interface DirectoryStateOptions {
  customerId: string;
  domain: string;
  seed: number;
  /** The discovery `User` schema (tells writable from read-only fields). */
  userSchema: DiscoverySchema;
  /** Milliseconds since the epoch. */
  clock: () => number;
}

/** Org units every fresh state has. */
const SEEDED_ORG_UNITS = ['/Engineering', '/Engineering/Backend', '/Sales', '/Former employees'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function normalisePath(path: string): string {
  const trimmed = path.trim().replace(/\/+$/, '');
  if (trimmed === '') return '/';
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

/** The directory state of one emulator. */
export class DirectoryState {
  readonly customerId: string;
  readonly domain: string;
  private readonly options: DirectoryStateOptions;
  private ids: IdGenerator;
  private users = new Map<string, DirectoryUser>();
  private passwords = new Map<string, string>();
  private groups = new Map<string, DirectoryGroup>();
  private members = new Map<string, DirectoryMember[]>();
  private tokens = new Map<string, DirectoryToken[]>();
  private asps = new Map<string, DirectoryAsp[]>();
  private codes = new Map<string, DirectoryVerificationCode[]>();
  private schemas = new Map<string, DirectorySchema>();
  private orgUnits = new Map<string, DirectoryOrgUnit>();
  private signOuts = new Map<string, number>();
  private nextCodeId = 1;
  /** Data Transfer API: applications and transfers. */
  readonly transfers: TransferState;
  /** Enterprise License Manager: licence assignments (users by e-mail). */
  readonly licences: LicenceState;
  /** Mobile devices and the actions taken on them. */
  readonly devices: DeviceState;

  constructor(options: DirectoryStateOptions) {
    this.options = options;
    this.transfers = new TransferState({
      userExists: (id) => this.users.has(id),
      clock: options.clock,
    });
    this.licences = new LicenceState({ userExists: (email) => this.getUser(email) !== undefined });
    this.devices = new DeviceState();
    this.customerId = options.customerId;
    this.domain = options.domain;
    this.ids = new IdGenerator(options.seed);
    this.seedDefaults();
  }

  /** Back to the seeded state: org units and one super admin, `admin@<domain>`. */
  reset(): void {
    this.ids = new IdGenerator(this.options.seed);
    for (const map of [
      this.users,
      this.passwords,
      this.groups,
      this.members,
      this.tokens,
      this.asps,
      this.codes,
      this.schemas,
      this.orgUnits,
      this.signOuts,
    ])
      map.clear();
    this.nextCodeId = 1;
    this.transfers.reset();
    this.licences.reset();
    this.devices.reset();
    this.seedDefaults();
  }

  private seedDefaults(): void {
    const root: DirectoryOrgUnit = {
      kind: 'admin#directory#orgUnit',
      etag: '',
      orgUnitId: this.ids.orgUnitId(),
      orgUnitPath: '/',
      name: this.domain,
      blockInheritance: false,
    };
    root.etag = etagOf(root);
    this.orgUnits.set('/', root);
    for (const path of SEEDED_ORG_UNITS) this.addOrgUnit(path);
    this.addUser({
      primaryEmail: `admin@${this.domain}`,
      name: { givenName: 'Super', familyName: 'Admin' },
      isAdmin: true,
    });
  }

  private now(): string {
    return new Date(this.options.clock()).toISOString();
  }

  private touch<T extends { etag: string }>(record: T): T {
    record.etag = etagOf({ ...record, etag: undefined });
    return record;
  }

  // ---- users ----------------------------------------------------------------------------------

  /** Adds a user as a test wants it (read-only fields such as `isAdmin`, `suspensionReason` allowed). */
  addUser(seed: UserSeed): DirectoryUser {
    const email = seed.primaryEmail.toLowerCase();
    if (this.findUser(email, true)) throw duplicate();
    const { password, id, primaryEmail: _email, name: _name, ...rest } = seed;
    const [local = ''] = email.split('@');
    const name = { givenName: local, familyName: 'User', ...(seed.name ?? {}) };
    // id, primaryEmail and name come first (as Google orders them) and are set after the seed's spread.
    const user: DirectoryUser = {
      kind: 'admin#directory#user',
      id: '',
      etag: '',
      primaryEmail: email,
      name: {},
      agreedToTerms: true,
      archived: false,
      changePasswordAtNextLogin: false,
      includeInGlobalAddressList: true,
      ipWhitelisted: false,
      isMailboxSetup: true,
      isEnrolledIn2Sv: false,
      isEnforcedIn2Sv: false,
      isAdmin: false,
      isDelegatedAdmin: false,
      suspended: false,
      orgUnitPath: '/',
      customerId: this.customerId,
      creationTime: this.now(),
      ...structuredClone(rest),
    };
    user.id = id ?? this.ids.userId();
    user.name = { ...name, fullName: name.fullName ?? `${name.givenName} ${name.familyName}` };
    if (user.suspended && user.suspensionReason === undefined) user.suspensionReason = 'ADMIN';
    if (!user.suspended) delete user.suspensionReason;
    this.users.set(user.id, this.touch(user));
    this.passwords.set(user.id, password ?? 'emulator-password');
    return user;
  }

  /** A live (not deleted) user by id, primary e-mail or alias (e-mails case-insensitive). */
  getUser(key: string): DirectoryUser | undefined {
    return this.findUser(key, false);
  }

  /** Like `getUser`, optionally also finding deleted users. */
  findUser(key: string, includeDeleted: boolean): DirectoryUser | undefined {
    const lower = key.toLowerCase();
    const byId = this.users.get(key);
    const user =
      byId ??
      [...this.users.values()].find(
        (u) => u.primaryEmail === lower || (u.aliases ?? []).some((a) => a.toLowerCase() === lower),
      );
    if (!user || (user.deletionTime !== undefined && !includeDeleted)) return undefined;
    return user;
  }

  /** A user, or the Directory API's 404. */
  requireUser(key: string): DirectoryUser {
    const user = this.getUser(key);
    if (!user) throw notFound('userKey');
    return user;
  }

  /** Live users in creation order (`includeDeleted` adds deleted ones). */
  listUsers(options: { includeDeleted?: boolean } = {}): DirectoryUser[] {
    return [...this.users.values()].filter((u) => options.includeDeleted || u.deletionTime === undefined);
  }

  /** Deleted users in creation order. */
  listDeletedUsers(): DirectoryUser[] {
    return [...this.users.values()].filter((u) => u.deletionTime !== undefined);
  }

  /** Changes a user directly, bypassing API rules (e.g. `{ suspended: true, suspensionReason: 'ABUSE' }`). */
  updateUser(key: string, changes: Partial<Omit<DirectoryUser, 'kind' | 'id' | 'etag'>>): DirectoryUser {
    const user = this.requireUser(key);
    Object.assign(user, structuredClone(changes));
    if (!user.suspended) delete user.suspensionReason;
    else if (user.suspensionReason === undefined) user.suspensionReason = 'ADMIN';
    return this.touch(user);
  }

  /** The password last set for a user (never returned by the API). */
  passwordOf(key: string): string | undefined {
    const user = this.findUser(key, true);
    return user ? this.passwords.get(user.id) : undefined;
  }

  private emailTaken(email: string, exceptId?: string): boolean {
    const lower = email.toLowerCase();
    return [...this.users.values()].some(
      (u) =>
        u.id !== exceptId &&
        (u.primaryEmail === lower || (u.aliases ?? []).some((a) => a.toLowerCase() === lower)),
    );
  }

  private checkDomain(email: string): void {
    const domain = email.toLowerCase().split('@')[1];
    if (domain !== this.domain)
      throw invalid(`Invalid Input: primaryEmail '${email}' is not in domain ${this.domain}`);
  }

  /** `users.insert`: the body was already checked against the discovery schema. */
  insertUser(body: Record<string, unknown>): DirectoryUser {
    const email = typeof body.primaryEmail === 'string' ? body.primaryEmail.toLowerCase() : '';
    this.checkDomain(email);
    if (this.emailTaken(email)) throw duplicate();
    const password = typeof body.password === 'string' ? body.password : '';
    if (password.length < 8) throw invalid('Invalid Password');
    const user = this.addUser({ primaryEmail: email, password });
    try {
      this.writeUser(user, body, 'insert');
    } catch (e) {
      this.users.delete(user.id);
      throw e;
    }
    return user;
  }

  /** `users.update` / `users.patch` (and the rest of `users.insert`). */
  writeUser(user: DirectoryUser, body: Record<string, unknown>, mode: UserWriteMode): DirectoryUser {
    const problems = checkCustomSchemaValues(body.customSchemas, (name) => this.getSchema(name));
    if (problems.length > 0) throw invalid(problems[0] ?? 'Invalid Input', problems);
    if (typeof body.orgUnitPath === 'string' && !this.getOrgUnit(body.orgUnitPath))
      throw invalid(`Invalid Input: INVALID_OU_ID (orgUnitPath '${body.orgUnitPath}' does not exist)`);
    if (typeof body.primaryEmail === 'string' && body.primaryEmail.toLowerCase() !== user.primaryEmail) {
      const email = body.primaryEmail.toLowerCase();
      this.checkDomain(email);
      if (this.emailTaken(email, user.id)) throw duplicate();
      // Google keeps the old address as an alias after a rename.
      user.aliases = [...(user.aliases ?? []), user.primaryEmail];
      user.primaryEmail = email;
    }
    applyPlainFields(user, body, mode, this.options.userSchema);
    if (typeof body.orgUnitPath === 'string') user.orgUnitPath = normalisePath(body.orgUnitPath);
    if (typeof body.password === 'string') this.passwords.set(user.id, body.password);
    if (body.suspended === true && !user.suspended) {
      user.suspended = true;
      user.suspensionReason = 'ADMIN';
    } else if (body.suspended === false) {
      user.suspended = false;
      delete user.suspensionReason;
    }
    if ('customSchemas' in body) {
      const merged = mergeCustomSchemas(user.customSchemas, body.customSchemas);
      if (Object.keys(merged).length > 0) user.customSchemas = merged;
      else delete user.customSchemas;
    }
    return this.touch(user);
  }

  /** `users.makeAdmin`. */
  makeAdmin(key: string, status: boolean): void {
    const user = this.requireUser(key);
    user.isAdmin = status;
    this.touch(user);
  }

  /** `users.delete`: the user is kept as deleted and leaves every group. */
  deleteUser(key: string): void {
    const user = this.requireUser(key);
    user.deletionTime = this.now();
    for (const [groupId, list] of this.members) {
      const kept = list.filter((m) => m.id !== user.id);
      if (kept.length !== list.length) {
        this.members.set(groupId, kept);
        const group = this.groups.get(groupId);
        if (group) this.touch(Object.assign(group, { directMembersCount: String(kept.length) }));
      }
    }
  }

  /** `users.undelete`. */
  undeleteUser(key: string, orgUnitPath: string): void {
    const user = this.users.get(key);
    if (!user || user.deletionTime === undefined) throw notFound('userKey');
    delete user.deletionTime;
    user.orgUnitPath = normalisePath(orgUnitPath);
    this.touch(user);
  }

  /** `users.signOut`: counts sign-outs so tests can see them. */
  signOut(key: string): void {
    const user = this.requireUser(key);
    this.signOuts.set(user.id, (this.signOuts.get(user.id) ?? 0) + 1);
  }

  /** How often `users.signOut` ran for a user. */
  signOutCount(key: string): number {
    const user = this.findUser(key, true);
    return user ? (this.signOuts.get(user.id) ?? 0) : 0;
  }

  // ---- tokens, app passwords, backup codes ----------------------------------------------------

  /** Grants a third-party OAuth token to a user. */
  addToken(userKey: string, seed: TokenSeed | string): DirectoryToken {
    const user = this.requireUser(userKey);
    const s: TokenSeed = typeof seed === 'string' ? { clientId: seed } : seed;
    const token = this.touch<DirectoryToken>({
      kind: 'admin#directory#token',
      etag: '',
      displayText: s.clientId,
      anonymous: false,
      nativeApp: false,
      scopes: ['openid', 'email'],
      ...s,
      userKey: user.id,
    });
    const list = (this.tokens.get(user.id) ?? []).filter((t) => t.clientId !== token.clientId);
    this.tokens.set(user.id, [...list, token]);
    return token;
  }

  /** A user's third-party tokens. */
  listTokens(userKey: string): DirectoryToken[] {
    return [...(this.tokens.get(this.requireUser(userKey).id) ?? [])];
  }

  /** `tokens.delete`. */
  deleteToken(userKey: string, clientId: string): void {
    const user = this.requireUser(userKey);
    const list = this.tokens.get(user.id) ?? [];
    const kept = list.filter((t) => t.clientId !== clientId);
    if (kept.length === list.length) throw notFound('clientId');
    this.tokens.set(user.id, kept);
  }

  /** Adds an application-specific password. */
  addAsp(userKey: string, seed: AspSeed = {}): DirectoryAsp {
    const user = this.requireUser(userKey);
    const now = String(this.options.clock());
    const asp = this.touch<DirectoryAsp>({
      kind: 'admin#directory#asp',
      etag: '',
      codeId: this.nextCodeId++,
      name: 'App password',
      creationTime: now,
      lastTimeUsed: '0',
      ...seed,
      userKey: user.id,
    });
    this.asps.set(user.id, [...(this.asps.get(user.id) ?? []), asp]);
    return asp;
  }

  /** A user's application-specific passwords. */
  listAsps(userKey: string): DirectoryAsp[] {
    return [...(this.asps.get(this.requireUser(userKey).id) ?? [])];
  }

  /** `asps.delete`. */
  deleteAsp(userKey: string, codeId: number): void {
    const user = this.requireUser(userKey);
    const list = this.asps.get(user.id) ?? [];
    const kept = list.filter((a) => a.codeId !== codeId);
    if (kept.length === list.length) throw notFound('codeId');
    this.asps.set(user.id, kept);
  }

  /** `verificationCodes.generate`: ten fresh backup codes replace the old ones. */
  generateVerificationCodes(userKey: string): DirectoryVerificationCode[] {
    const user = this.requireUser(userKey);
    const codes = Array.from({ length: 10 }, () =>
      this.touch<DirectoryVerificationCode>({
        kind: 'admin#directory#verificationCode',
        etag: '',
        userId: user.id,
        verificationCode: this.ids.verificationCode(),
      }),
    );
    this.codes.set(user.id, codes);
    return codes;
  }

  /** `verificationCodes.invalidate`. */
  invalidateVerificationCodes(userKey: string): void {
    this.codes.set(this.requireUser(userKey).id, []);
  }

  /** A user's valid backup codes. */
  listVerificationCodes(userKey: string): DirectoryVerificationCode[] {
    return [...(this.codes.get(this.requireUser(userKey).id) ?? [])];
  }

  // ---- groups and members ---------------------------------------------------------------------

  /** Adds a group. */
  addGroup(seed: GroupSeed): DirectoryGroup {
    const email = seed.email.toLowerCase();
    if (this.getGroup(email) || this.emailTaken(email)) throw duplicate();
    const group = this.touch<DirectoryGroup>({
      kind: 'admin#directory#group',
      etag: '',
      name: email.split('@')[0] ?? email,
      adminCreated: true,
      ...seed,
      id: seed.id ?? this.ids.groupId(),
      email,
      directMembersCount: '0',
    });
    this.groups.set(group.id, group);
    this.members.set(group.id, []);
    return group;
  }

  /** A group by id, e-mail or alias. */
  getGroup(key: string): DirectoryGroup | undefined {
    const lower = key.toLowerCase();
    return (
      this.groups.get(key) ??
      [...this.groups.values()].find((g) => g.email === lower || (g.aliases ?? []).includes(lower))
    );
  }

  private requireGroup(key: string): DirectoryGroup {
    const group = this.getGroup(key);
    if (!group) throw notFound('groupKey');
    return group;
  }

  /** Every group in creation order. */
  listGroups(): DirectoryGroup[] {
    return [...this.groups.values()];
  }

  /** Groups a user (by id or e-mail) is a direct member of. */
  groupsOf(userKey: string): DirectoryGroup[] {
    const user = this.getUser(userKey);
    const lower = userKey.toLowerCase();
    return this.listGroups().filter((g) =>
      (this.members.get(g.id) ?? []).some((m) =>
        user ? m.id === user.id : m.email === lower || m.id === userKey,
      ),
    );
  }

  /** Adds a member (a known user or group, or an outside address). */
  addMember(groupKey: string, seed: MemberSeed): DirectoryMember {
    const group = this.requireGroup(groupKey);
    const key = seed.id ?? seed.email;
    if (!key) throw invalid('Invalid Input: memberKey (give email or id)');
    const user = this.getUser(key);
    const nested = user ? undefined : this.getGroup(key);
    const list = this.members.get(group.id) ?? [];
    const id = user?.id ?? nested?.id ?? seed.id ?? this.ids.userId();
    const email = (user?.primaryEmail ?? nested?.email ?? seed.email ?? '').toLowerCase();
    if (list.some((m) => m.id === id || (email !== '' && m.email === email)))
      throw duplicate('Member already exists.');
    const member = this.touch<DirectoryMember>({
      kind: 'admin#directory#member',
      etag: '',
      id,
      email,
      role: seed.role ?? 'MEMBER',
      type: seed.type ?? (nested ? 'GROUP' : 'USER'),
      status: 'ACTIVE',
      delivery_settings: 'ALL_MAIL',
    });
    this.members.set(group.id, [...list, member]);
    this.touch(Object.assign(group, { directMembersCount: String(list.length + 1) }));
    return member;
  }

  /** A group's direct members. */
  listMembers(groupKey: string): DirectoryMember[] {
    return [...(this.members.get(this.requireGroup(groupKey).id) ?? [])];
  }

  /** One member by id, e-mail or (for users) alias. */
  getMember(groupKey: string, memberKey: string): DirectoryMember {
    const group = this.requireGroup(groupKey);
    const user = this.getUser(memberKey);
    const lower = memberKey.toLowerCase();
    const member = (this.members.get(group.id) ?? []).find(
      (m) => m.id === memberKey || m.email === lower || (user !== undefined && m.id === user.id),
    );
    if (!member) throw notFound('memberKey');
    return member;
  }

  /** `members.delete`. */
  removeMember(groupKey: string, memberKey: string): void {
    const group = this.requireGroup(groupKey);
    const member = this.getMember(groupKey, memberKey);
    const kept = (this.members.get(group.id) ?? []).filter((m) => m !== member);
    this.members.set(group.id, kept);
    this.touch(Object.assign(group, { directMembersCount: String(kept.length) }));
  }

  // ---- custom schemas -------------------------------------------------------------------------

  /** Adds a custom schema. */
  addSchema(seed: SchemaSeed): DirectorySchema {
    const problems = checkSchemaDefinition(seed.schemaName, seed.fields);
    if (problems.length > 0) throw invalid(problems[0] ?? 'Invalid Input', problems);
    if (this.getSchema(seed.schemaName)) throw duplicate();
    const schema: DirectorySchema = {
      kind: 'admin#directory#schema',
      etag: '',
      schemaId: seed.schemaId ?? this.ids.opaqueId(),
      schemaName: seed.schemaName,
      displayName: seed.displayName ?? seed.schemaName,
      fields: [],
    };
    schema.fields = this.buildFields(seed.fields, []);
    this.schemas.set(schema.schemaId, this.touch(schema));
    return schema;
  }

  private buildFields(
    fields: SchemaSeed['fields'],
    existing: DirectorySchema['fields'],
  ): DirectorySchema['fields'] {
    return fields.map((f) => {
      const before = existing.find((e) => e.fieldName === f.fieldName);
      return this.touch({
        kind: 'admin#directory#schema#fieldspec' as const,
        etag: '',
        fieldId: before?.fieldId ?? this.ids.opaqueId(),
        displayName: f.fieldName,
        multiValued: false,
        indexed: true,
        readAccessType: 'ALL_DOMAIN_USERS',
        ...f,
      });
    });
  }

  /** A schema by id or name. */
  getSchema(key: string): DirectorySchema | undefined {
    return this.schemas.get(key) ?? [...this.schemas.values()].find((s) => s.schemaName === key);
  }

  /** Every schema in creation order. */
  listSchemas(): DirectorySchema[] {
    return [...this.schemas.values()];
  }

  /** `schemas.update` (`replace`) and `schemas.patch`: fields keep their ids by name. */
  writeSchema(key: string, body: Record<string, unknown>, replace: boolean): DirectorySchema {
    const schema = this.getSchema(key);
    if (!schema) throw notFound('schemaKey');
    const rawFields = Array.isArray(body.fields) ? body.fields.filter(isRecord) : undefined;
    const fields = rawFields?.map((f) => ({
      ...f,
      fieldName: String(f.fieldName ?? ''),
      fieldType: String(f.fieldType ?? ''),
    }));
    const name = typeof body.schemaName === 'string' ? body.schemaName : schema.schemaName;
    const problems = checkSchemaDefinition(name, fields ?? schema.fields);
    if (problems.length > 0) throw invalid(problems[0] ?? 'Invalid Input', problems);
    if (name !== schema.schemaName && this.getSchema(name)) throw duplicate();
    schema.schemaName = name;
    if (typeof body.displayName === 'string') schema.displayName = body.displayName;
    else if (replace) schema.displayName = name;
    if (fields) schema.fields = this.buildFields(fields, schema.fields);
    return this.touch(schema);
  }

  /** `schemas.delete`. */
  deleteSchema(key: string): void {
    const schema = this.getSchema(key);
    if (!schema) throw notFound('schemaKey');
    this.schemas.delete(schema.schemaId);
  }

  // ---- org units ------------------------------------------------------------------------------

  /** Adds an org unit (its parent must exist). */
  addOrgUnit(path: string, description?: string): DirectoryOrgUnit {
    const full = normalisePath(path);
    if (this.orgUnits.has(full)) throw duplicate();
    const cut = full.lastIndexOf('/');
    const parentPath = cut <= 0 ? '/' : full.slice(0, cut);
    const parent = this.orgUnits.get(parentPath);
    if (!parent)
      throw new ApiError(400, `Invalid Input: parent org unit ${parentPath} does not exist`, 'invalid');
    const unit = this.touch<DirectoryOrgUnit>({
      kind: 'admin#directory#orgUnit',
      etag: '',
      orgUnitId: this.ids.orgUnitId(),
      orgUnitPath: full,
      name: full.slice(cut + 1),
      parentOrgUnitId: parent.orgUnitId,
      parentOrgUnitPath: parent.orgUnitPath,
      blockInheritance: false,
      ...(description !== undefined ? { description } : {}),
    });
    this.orgUnits.set(full, unit);
    return unit;
  }

  /** An org unit by path (with or without the leading slash) or by `id:...`. */
  getOrgUnit(pathOrId: string): DirectoryOrgUnit | undefined {
    if (pathOrId.startsWith('id:')) return [...this.orgUnits.values()].find((u) => u.orgUnitId === pathOrId);
    return this.orgUnits.get(normalisePath(pathOrId));
  }

  /** Org units below `parent`: `children` (default), `all`, or `allIncludingParent`. */
  listOrgUnits(parent = '/', type = 'children'): DirectoryOrgUnit[] {
    const base = this.getOrgUnit(parent);
    if (!base) throw notFound('orgUnitPath');
    const prefix = base.orgUnitPath === '/' ? '/' : `${base.orgUnitPath}/`;
    const below = [...this.orgUnits.values()].filter(
      (u) => u.orgUnitPath !== '/' && u.orgUnitPath.startsWith(prefix),
    );
    if (type === 'children') return below.filter((u) => u.parentOrgUnitPath === base.orgUnitPath);
    if (type === 'allIncludingParent') return [base, ...below];
    return below;
  }

  // ---- whole state ----------------------------------------------------------------------------

  /** Everything, as plain JSON (for `GET /__emulator/state`). */
  snapshot(): Record<string, unknown> {
    const perUser = <T>(map: Map<string, T[]>): Record<string, T[]> => {
      const out: Record<string, T[]> = {};
      for (const [id, list] of map) {
        const email = this.users.get(id)?.primaryEmail ?? id;
        if (list.length > 0) out[email] = list;
      }
      return out;
    };
    const signOuts: Record<string, number> = {};
    for (const [id, n] of this.signOuts) signOuts[this.users.get(id)?.primaryEmail ?? id] = n;
    return structuredClone({
      customerId: this.customerId,
      domain: this.domain,
      users: [...this.users.values()],
      groups: this.listGroups().map((g) => ({ ...g, members: this.members.get(g.id) ?? [] })),
      schemas: this.listSchemas(),
      orgUnits: [...this.orgUnits.values()],
      tokens: perUser(this.tokens),
      asps: perUser(this.asps),
      verificationCodes: perUser(this.codes),
      signOuts,
      transfers: this.transfers.all(),
      licences: this.licences.all(),
      devices: this.devices.list(null),
      deviceActions: this.devices.actionLog(),
    });
  }
}
