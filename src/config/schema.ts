import { CONNECTOR_IDS, CONNECTOR_MANIFESTS } from '../connector/registry.ts';
import { DEFAULT_KEEP_FIELDS, keepFieldsEntries } from '../growrk/allowlist.ts';
import { DEFAULT_PAYLOAD_LIMITS } from '../growrk/limits.ts';
import { DEFAULT_SENSITIVE_FIELDS } from '../growrk/privacy.ts';
import { DEFAULT_ADMIN_THROTTLE } from '../http/admin-auth.ts';

/**
 * The one configuration schema (convict): defaults, then the JSON file named by
 * `GROWRK_SYNC_CONFIG` (or `config/<NODE_ENV>.json`), then environment variables. Connector keys
 * come from each connector's manifest through the registry, each under its `configKey`.
 */
const coreSchema = {
  env: {
    doc: 'Runtime environment; picks config/<env>.json.',
    format: String,
    default: 'development',
    env: 'NODE_ENV',
  },
  port: { doc: 'HTTP port.', format: 'port', default: 3000, env: 'PORT' },
  host: { doc: 'HTTP listen address.', format: String, default: '0.0.0.0', env: 'HOST' },
  webhook: {
    secrets: {
      doc: 'GroWrk webhook secret(s), comma-separated during rotation. Unset: the webhook route answers 503.',
      format: 'comma-list',
      default: [] as string[],
      env: 'GROWRK_WEBHOOK_SECRET',
      sensitive: true,
    },
    maxClockSkew: {
      doc: 'How far in the future a GroWrk timestamp may be (clock skew); an event dated later is refused (400 TIMESTAMP_IN_FUTURE, kept as rejected).',
      format: 'duration',
      default: 300_000,
      env: 'WEBHOOK_MAX_CLOCK_SKEW',
    },
    bodyLimit: {
      doc: 'Largest accepted webhook body, in bytes.',
      format: 'nat',
      default: 1_048_576,
      env: 'WEBHOOK_BODY_LIMIT',
    },
    unverifiedBytes: {
      doc: 'Bytes of webhook bodies held, all requests together, before their signature is checked; past it a delivery is answered 503 RECEIVER_BUSY with Retry-After.',
      format: 'nat',
      default: 64 * 1024 * 1024,
      env: 'WEBHOOK_UNVERIFIED_BYTES',
    },
    maxDepth: {
      doc: 'Deepest nesting of objects and arrays in a webhook body; deeper is refused (400 PAYLOAD_LIMIT_EXCEEDED, kept as rejected).',
      format: 'nat',
      default: DEFAULT_PAYLOAD_LIMITS.maxDepth,
      env: 'WEBHOOK_MAX_DEPTH',
    },
    maxArrayLength: {
      doc: 'Most items in any one array of a webhook body; more is refused (400 PAYLOAD_LIMIT_EXCEEDED, kept as rejected).',
      format: 'nat',
      default: DEFAULT_PAYLOAD_LIMITS.maxArrayLength,
      env: 'WEBHOOK_MAX_ARRAY_LENGTH',
    },
  },
  http: {
    headersTimeout: {
      doc: 'Time a client has to send the request headers; then the connection is closed (408).',
      format: 'duration',
      default: 5000,
      env: 'HTTP_HEADERS_TIMEOUT',
    },
    bodyTimeout: {
      doc: 'Time a client has to send a whole request, headers and body; then the connection is closed (408) and its bytes given back.',
      format: 'duration',
      default: 10_000,
      env: 'HTTP_BODY_TIMEOUT',
    },
    keepAliveTimeout: {
      doc: 'How long an idle keep-alive connection stays open.',
      format: 'duration',
      default: 5000,
      env: 'HTTP_KEEP_ALIVE_TIMEOUT',
    },
    maxConnections: {
      doc: 'Most open HTTP connections; more are closed as they arrive.',
      format: 'nat',
      default: 1024,
      env: 'HTTP_MAX_CONNECTIONS',
    },
  },
  database: {
    url: {
      doc: 'sqlite:<path> or a plain path for SQLite; postgres://... for PostgreSQL.',
      format: String,
      default: 'sqlite:./data/growrk-sync.db',
      env: 'DATABASE_URL',
      sensitive: true,
    },
    poolSize: { doc: 'PostgreSQL pool size.', format: 'nat', default: 10, env: 'DATABASE_POOL_SIZE' },
    connectTimeout: {
      doc: 'PostgreSQL connection timeout.',
      format: 'duration',
      default: 5000,
      env: 'DATABASE_CONNECT_TIMEOUT',
    },
    statementTimeout: {
      doc: 'PostgreSQL statement timeout.',
      format: 'duration',
      default: 30_000,
      env: 'DATABASE_STATEMENT_TIMEOUT',
    },
  },
  connectors: {
    doc: `Enabled connectors, comma-separated: ${CONNECTOR_IDS.join(', ')}.`,
    format: 'comma-list',
    default: [] as string[],
    env: 'CONNECTORS',
  },
  dryRun: {
    doc: 'Record plans without applying them (serve --dry-run).',
    format: Boolean,
    default: false,
    env: 'DRY_RUN',
  },
  worker: {
    concurrency: {
      doc: 'Sync jobs (or batches) run at once in each connector lane, unless the connector or WORKER_LANES says otherwise.',
      format: 'nat',
      default: 16,
      env: 'WORKER_CONCURRENCY',
    },
    lanes: {
      doc: 'Per-connector lane settings, as JSON: {"<connector>": {"concurrency": N, "inFlight": N}} (units run at once; jobs claimed and not finished). Each connector claims and runs its own jobs.',
      format: 'lanes',
      default: {} as Record<string, { concurrency?: number; inFlight?: number }>,
      env: 'WORKER_LANES',
    },
    maxAttempts: {
      doc: 'Attempts before a sync job is dead.',
      format: 'nat',
      default: 10,
      env: 'JOB_MAX_ATTEMPTS',
    },
    quickRetries: {
      doc: 'Quick retries inside one attempt for transient vendor errors.',
      format: 'nat',
      default: 3,
      env: 'JOB_QUICK_RETRIES',
    },
    backoffBase: {
      doc: 'First retry delay; doubles per attempt, with jitter.',
      format: 'duration',
      default: 2000,
      env: 'JOB_BACKOFF_BASE',
    },
    backoffMax: {
      doc: 'Longest retry delay.',
      format: 'duration',
      default: 3_600_000,
      env: 'JOB_BACKOFF_MAX',
    },
    lease: {
      doc: 'How long a claimed job is reserved before another worker may take it over; renewed every third of it while the job runs.',
      format: 'duration',
      default: 30_000,
      env: 'JOB_LEASE',
    },
    pollInterval: {
      doc: 'Fallback poll for jobs written by other processes.',
      format: 'duration',
      default: 1000,
      env: 'JOB_POLL_INTERVAL',
    },
  },
  guardrails: {
    protectedEmails: {
      doc: 'E-mails never changed by any connector, comma-separated.',
      format: 'comma-list',
      default: [] as string[],
      env: 'PROTECTED_EMAILS',
    },
    protectedOrgUnits: {
      doc: 'Organisational units (and their children) never changed, comma-separated.',
      format: 'comma-list',
      default: [] as string[],
      env: 'PROTECTED_ORG_UNITS',
    },
    destructiveLimit: {
      doc: 'Destructive changes allowed per window on the event stream; more are held.',
      format: 'nat',
      default: 10,
      env: 'DESTRUCTIVE_BUDGET',
    },
    destructiveWindow: {
      doc: 'The window of the event-stream budget.',
      format: 'duration',
      default: 3_600_000,
      env: 'DESTRUCTIVE_BUDGET_WINDOW',
    },
  },
  reconcile: {
    schedule: {
      doc: 'Cron expression for scheduled reconciliation, or "off".',
      format: String,
      default: '0 */6 * * *',
      env: 'RECONCILE_SCHEDULE',
    },
    maxDestructive: {
      doc: 'Destructive changes one reconciliation may apply without --yes.',
      format: 'nat',
      default: 10,
      env: 'RECONCILE_MAX_DESTRUCTIVE',
    },
    maxDestructiveShare: {
      doc: 'Share of the directory one reconciliation may change destructively without --yes.',
      format: 'ratio',
      default: 0.05,
      env: 'RECONCILE_MAX_DESTRUCTIVE_SHARE',
    },
    threadHeapMb: {
      doc: 'Old-generation heap limit (MiB) of the thread a scheduled reconciliation in serve runs on, beside a 48 MiB young generation; 0 runs it on the service thread with V8 defaults.',
      format: 'nat',
      default: 128,
      env: 'RECONCILE_THREAD_HEAP_MB',
    },
  },
  privacy: {
    keepFields: {
      doc: 'Entity fields kept, comma-separated: kind:path (employee:startDate) or a path for every kind; path.* keeps all below. Everything else is dropped before anything is stored. Enabled connectors add the fields their mappings name.',
      format: 'comma-list',
      default: keepFieldsEntries(DEFAULT_KEEP_FIELDS),
      env: 'PRIVACY_KEEP_FIELDS',
    },
    dropFields: {
      doc: 'Field names never stored, at any depth and whatever PRIVACY_KEEP_FIELDS says, comma-separated (case-insensitive).',
      format: 'comma-list',
      default: [...DEFAULT_SENSITIVE_FIELDS],
      env: 'PRIVACY_DROP_FIELDS',
    },
  },
  admin: {
    token: {
      doc: 'Bearer token for the admin page and API; unset: admin routes are off.',
      format: String,
      default: '',
      env: 'ADMIN_TOKEN',
      sensitive: true,
    },
    maxFailedAttempts: {
      doc: 'Wrong admin tokens one client address may send per window; past it the address gets 429 until the window ends.',
      format: 'nat',
      default: DEFAULT_ADMIN_THROTTLE.maxFailures,
      env: 'ADMIN_MAX_FAILED_ATTEMPTS',
    },
    failedAttemptsWindow: {
      doc: 'The window in which wrong admin tokens are counted per client address.',
      format: 'duration',
      default: DEFAULT_ADMIN_THROTTLE.windowMs,
      env: 'ADMIN_FAILED_ATTEMPTS_WINDOW',
    },
  },
  alerts: {
    slackWebhookUrl: {
      doc: 'Slack incoming-webhook URL for alerts (a job died, a destructive change is held, no GroWrk event for ALERT_NO_EVENT_AFTER); unset: no Slack alerts.',
      format: 'optional-url',
      default: '',
      env: 'ALERT_SLACK_WEBHOOK_URL',
      sensitive: true,
    },
    webhookUrl: {
      doc: 'URL that gets each alert as a JSON POST; unset: none.',
      format: 'optional-url',
      default: '',
      env: 'ALERT_WEBHOOK_URL',
      sensitive: true,
    },
    noEventAfter: {
      doc: 'Dead-man switch: alert when no GroWrk event arrived for this long (0: off).',
      format: 'duration',
      default: 0,
      env: 'ALERT_NO_EVENT_AFTER',
    },
    interval: {
      doc: 'How often the store is checked for something to alert about.',
      format: 'duration',
      default: 30_000,
      env: 'ALERT_CHECK_INTERVAL',
    },
  },
  log: {
    level: {
      doc: 'pino log level.',
      format: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
      default: 'info',
      env: 'LOG_LEVEL',
    },
  },
};

export const configSchema = {
  ...coreSchema,
  ...Object.fromEntries(CONNECTOR_MANIFESTS.map((m) => [m.configKey, m.config])),
};
