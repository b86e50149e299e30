/** The records the Directory emulator keeps, shaped as the API returns them. */

/** `User.name`. */
export interface UserName {
  givenName?: string;
  familyName?: string;
  fullName?: string;
  displayName?: string;
}

/** Custom schema values on a user: schema name -> field name -> value. */
export type CustomSchemaValues = Record<string, Record<string, unknown>>;

/** A user, as `users.get?projection=full` returns it (the password is kept apart and never returned). */
export interface DirectoryUser {
  kind: 'admin#directory#user';
  id: string;
  etag: string;
  primaryEmail: string;
  name: UserName;
  suspended: boolean;
  /** Only when suspended: `ADMIN` (by an administrator or this API) or e.g. `ABUSE` (by Google). */
  suspensionReason?: string;
  isAdmin: boolean;
  isDelegatedAdmin: boolean;
  orgUnitPath: string;
  customerId: string;
  creationTime: string;
  lastLoginTime?: string;
  /** Set once the user is deleted (`users.list?showDeleted=true` lists these). */
  deletionTime?: string;
  agreedToTerms: boolean;
  archived: boolean;
  changePasswordAtNextLogin: boolean;
  includeInGlobalAddressList: boolean;
  ipWhitelisted: boolean;
  isMailboxSetup: boolean;
  isEnrolledIn2Sv: boolean;
  isEnforcedIn2Sv: boolean;
  aliases?: string[];
  nonEditableAliases?: string[];
  recoveryEmail?: string;
  recoveryPhone?: string;
  hashFunction?: string;
  thumbnailPhotoUrl?: string;
  thumbnailPhotoEtag?: string;
  customSchemas?: CustomSchemaValues;
  // The discovery document types the following as `any`.
  externalIds?: unknown;
  relations?: unknown;
  organizations?: unknown;
  emails?: unknown;
  phones?: unknown;
  addresses?: unknown;
  ims?: unknown;
  keywords?: unknown;
  languages?: unknown;
  locations?: unknown;
  notes?: unknown;
  posixAccounts?: unknown;
  sshPublicKeys?: unknown;
  websites?: unknown;
  gender?: unknown;
}

/** What a test may give `addUser`: a primary e-mail and anything else. */
export type UserSeed = Partial<Omit<DirectoryUser, 'kind' | 'etag'>> & {
  primaryEmail: string;
  password?: string;
};

/** A group. */
export interface DirectoryGroup {
  kind: 'admin#directory#group';
  id: string;
  etag: string;
  email: string;
  name: string;
  description?: string;
  directMembersCount: string;
  adminCreated: boolean;
  aliases?: string[];
  nonEditableAliases?: string[];
}

/** What a test may give `addGroup`. */
export type GroupSeed = Partial<Omit<DirectoryGroup, 'kind' | 'etag' | 'directMembersCount'>> & {
  email: string;
};

/** A group member. */
export interface DirectoryMember {
  kind: 'admin#directory#member';
  id: string;
  etag: string;
  email: string;
  role: string;
  type: string;
  status: string;
  delivery_settings?: string;
}

/** What a test may give `addMember`: the member's e-mail or user id, and optionally a role. */
export interface MemberSeed {
  email?: string;
  id?: string;
  role?: string;
  type?: string;
}

/** An OAuth token a user granted to a third-party application. */
export interface DirectoryToken {
  kind: 'admin#directory#token';
  etag: string;
  clientId: string;
  displayText: string;
  anonymous: boolean;
  nativeApp: boolean;
  scopes: string[];
  userKey: string;
}

/** What a test may give `addToken`. */
export type TokenSeed = Partial<Omit<DirectoryToken, 'kind' | 'etag' | 'userKey'>> & { clientId: string };

/** An application-specific password. */
export interface DirectoryAsp {
  kind: 'admin#directory#asp';
  etag: string;
  codeId: number;
  name: string;
  /** Milliseconds since the epoch, as a string (int64). */
  creationTime: string;
  lastTimeUsed: string;
  userKey: string;
}

/** What a test may give `addAsp`. */
export type AspSeed = Partial<Omit<DirectoryAsp, 'kind' | 'etag' | 'userKey'>>;

/** A backup verification code. */
export interface DirectoryVerificationCode {
  kind: 'admin#directory#verificationCode';
  etag: string;
  userId: string;
  verificationCode: string;
}

/** One field of a custom schema. */
export interface SchemaField {
  kind: 'admin#directory#schema#fieldspec';
  etag: string;
  fieldId: string;
  fieldName: string;
  /** STRING, INT64, BOOL, DOUBLE, EMAIL, PHONE or DATE. */
  fieldType: string;
  displayName: string;
  multiValued: boolean;
  indexed: boolean;
  readAccessType: string;
  numericIndexingSpec?: { minValue?: number; maxValue?: number };
}

/** A custom user schema. */
export interface DirectorySchema {
  kind: 'admin#directory#schema';
  etag: string;
  schemaId: string;
  schemaName: string;
  displayName: string;
  fields: SchemaField[];
}

/** What a test may give `addSchema`. */
export interface SchemaSeed {
  schemaName: string;
  displayName?: string;
  schemaId?: string;
  fields: Array<Partial<Omit<SchemaField, 'kind' | 'etag'>> & { fieldName: string; fieldType: string }>;
}

/** An organisational unit. */
export interface DirectoryOrgUnit {
  kind: 'admin#directory#orgUnit';
  etag: string;
  orgUnitId: string;
  orgUnitPath: string;
  name: string;
  description?: string;
  parentOrgUnitId?: string;
  parentOrgUnitPath?: string;
  blockInheritance: boolean;
}
