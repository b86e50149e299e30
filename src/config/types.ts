import type { ConnectorConfigs } from '../connector/registry.ts';

/** The HTTP server's timeouts (ms) and connection cap. */
export interface HttpLimits {
  headersTimeout: number;
  bodyTimeout: number;
  keepAliveTimeout: number;
  maxConnections: number;
}

/** The core's part of the configuration. */
export interface CoreConfig {
  env: string;
  port: number;
  host: string;
  webhook: {
    secrets: string[];
    maxClockSkew: number;
    bodyLimit: number;
    unverifiedBytes: number;
    maxDepth: number;
    maxArrayLength: number;
  };
  http: HttpLimits;
  database: { url: string; poolSize: number; connectTimeout: number; statementTimeout: number };
  connectors: string[];
  dryRun: boolean;
  worker: {
    concurrency: number;
    /** Per-connector lane overrides (see `LanePolicy` in src/connector/types.ts). */
    lanes: Record<string, { concurrency?: number; inFlight?: number }>;
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
  reconcile: { schedule: string; maxDestructive: number; maxDestructiveShare: number; threadHeapMb: number };
  privacy: { keepFields: string[]; dropFields: string[] };
  admin: { token: string; maxFailedAttempts: number; failedAttemptsWindow: number };
  /** Notifications (src/alerts/); each sink is off while its URL is empty. */
  alerts: { slackWebhookUrl: string; webhookUrl: string; noEventAfter: number; interval: number };
  log: { level: string };
}

/** The validated configuration, as the rest of the service reads it: the core's and each connector's block. */
export type AppConfig = CoreConfig & ConnectorConfigs;
