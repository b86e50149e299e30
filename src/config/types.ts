/** The Google Workspace connector's configuration. */
export interface GoogleConfig {
  credentials: string;
  adminSubject: string;
  accessToken: string;
  customer: string;
  apiRootUrl: string;
  tokenUrl: string;
  createAccounts: boolean;
  accountDomain: string;
  offboardOrgUnit: string;
  offboardRemoveGroups: boolean;
  customSchema: string;
  callsPerMinute: number;
}

/** The HubSpot connector's configuration. */
export interface HubSpotConfig {
  accessToken: string;
  baseUrl: string;
  callsPer10s: number;
  searchPerSecond: number;
  idProperty: string;
  assetObjectType: string;
  assetIdProperty: string;
  /** Contact property -> employee field (dot path or `@firstName`/`@lastName`); '' = unmanaged. */
  contactProperties: Record<string, string>;
  /** Asset property -> product field (dot path such as `specs.ram`); '' = unmanaged. */
  assetProperties: Record<string, string>;
  syncOrders: boolean;
  /** Unique deal property holding the GroWrk order id. */
  dealIdProperty: string;
  /** Deal property -> order field (dot path or `@dealName`); '' = unmanaged. */
  dealProperties: Record<string, string>;
  dealPipeline: string;
  dealStages: Record<string, string>;
}

/** The validated configuration, as the rest of the service reads it. */
export interface AppConfig {
  env: string;
  port: number;
  host: string;
  webhook: { secrets: string[]; bodyLimit: number; maxDepth: number; maxArrayLength: number };
  database: { url: string; poolSize: number; connectTimeout: number; statementTimeout: number };
  connectors: string[];
  dryRun: boolean;
  worker: {
    concurrency: number;
    maxAttempts: number;
    quickRetries: number;
    backoffBase: number;
    backoffMax: number;
    lease: number;
    pollInterval: number;
  };
  guardrails: {
    protectedEmails: string[];
    protectedOrgUnits: string[];
    destructiveLimit: number;
    destructiveWindow: number;
  };
  reconcile: { schedule: string; maxDestructive: number; maxDestructiveShare: number };
  privacy: { dropFields: string[] };
  admin: { token: string };
  log: { level: string };
  google: GoogleConfig;
  hubspot: HubSpotConfig;
}
