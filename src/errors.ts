/**
 * The one error catalogue. Every error the service raises on purpose carries a code from here.
 * Connectors throw these (or let vendor errors be classified by {@link classifyVendorError});
 * only the core decides what happens next: retry, hold, dead-letter, or an HTTP 4xx/5xx.
 */

/** What the core does with an error of a code. */
export type ErrorDisposition = 'retry' | 'dead' | 'hold' | 'reject';

/** One catalogue entry. */
export interface ErrorSpec {
  /** HTTP status when the error reaches an HTTP client. */
  readonly status: number;
  /** Whether a sync job failing with it should be retried later. */
  readonly retryable: boolean;
  /** One line that explains the code to an operator. */
  readonly summary: string;
}

export const ERROR_CATALOGUE = {
  SIGNATURE_MISSING: { status: 401, retryable: false, summary: 'The x-growrk-signature header is missing.' },
  SIGNATURE_INVALID: {
    status: 401,
    retryable: false,
    summary: 'The x-growrk-signature header does not match the body for any configured secret.',
  },
  BODY_TOO_LARGE: {
    status: 413,
    retryable: false,
    summary: 'The request body is over the configured limit.',
  },
  BODY_NOT_JSON: { status: 400, retryable: false, summary: 'The signed body is not valid JSON.' },
  ENVELOPE_INVALID: {
    status: 400,
    retryable: false,
    summary: 'The signed body is JSON but not a valid GroWrk event envelope.',
  },
  PAYLOAD_LIMIT_EXCEEDED: {
    status: 400,
    retryable: false,
    summary: 'The signed body breaks a structural limit (nesting depth or array length).',
  },
  TIMESTAMP_IN_FUTURE: {
    status: 400,
    retryable: false,
    summary:
      'The signed event is dated further in the future than the allowed clock skew (WEBHOOK_MAX_CLOCK_SKEW); it is kept as rejected.',
  },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, retryable: false, summary: 'The body must be application/json.' },
  WEBHOOK_SECRET_UNSET: {
    status: 503,
    retryable: true,
    summary: 'No webhook secret is configured, so no event can be verified.',
  },
  RECEIVER_BUSY: {
    status: 503,
    retryable: true,
    summary:
      'The receiver holds as many unverified body bytes as it allows (WEBHOOK_UNVERIFIED_BYTES); retry after the Retry-After pause.',
  },
  STORE_UNAVAILABLE: { status: 503, retryable: true, summary: 'The store cannot be reached or written.' },
  PROJECTION_FAILED: {
    status: 500,
    retryable: false,
    summary:
      'An acknowledged event could not be projected (our bug, not the payload): it is kept with this error, projects nothing, and the rest of the inbox goes on. `growrk_projection_failed_events` counts it; `events replay ID` projects it again after a fix (and answers this error while it still fails).',
  },
  NOT_FOUND: { status: 404, retryable: false, summary: 'No such resource.' },
  UNAUTHORIZED: { status: 401, retryable: false, summary: 'Missing or wrong bearer token.' },
  TOO_MANY_ATTEMPTS: {
    status: 429,
    retryable: true,
    summary:
      'Too many wrong admin tokens from this address (ADMIN_MAX_FAILED_ATTEMPTS per ADMIN_FAILED_ATTEMPTS_WINDOW); wait for Retry-After.',
  },
  BAD_REQUEST: { status: 400, retryable: false, summary: 'The request is not valid.' },
  CONFIG_INVALID: { status: 500, retryable: false, summary: 'The configuration is not valid.' },
  USAGE: { status: 400, retryable: false, summary: 'The command line is not valid.' },
  // Vendor / connector errors: thrown by connectors, classified by the core.
  VENDOR_RATE_LIMITED: {
    status: 503,
    retryable: true,
    summary: 'The target API rate-limited the call; it is retried after the advised wait.',
  },
  VENDOR_QUOTA_EXHAUSTED: {
    status: 503,
    retryable: true,
    summary: 'A daily vendor quota is used up; work waits until it resets.',
  },
  VENDOR_UNAVAILABLE: {
    status: 503,
    retryable: true,
    summary: 'The target API failed transiently (5xx, reset, timeout).',
  },
  VENDOR_AUTH: {
    status: 502,
    retryable: false,
    summary: 'The target API refused the credentials or lacks a scope or permission.',
  },
  VENDOR_REJECTED: {
    status: 502,
    retryable: false,
    summary: 'The target API rejected the request as invalid.',
  },
  VENDOR_CONFLICT: {
    status: 409,
    retryable: true,
    summary: 'The target changed under us; the plan is redone.',
  },
  TARGET_NOT_FOUND: {
    status: 404,
    retryable: false,
    summary: 'No matching record exists in the target for this entity.',
  },
  CONNECTOR_MISCONFIGURED: {
    status: 500,
    retryable: false,
    summary: 'The connector is enabled but its configuration is incomplete.',
  },
  LEASE_LOST: {
    status: 503,
    retryable: false,
    summary:
      'This worker could not renew its lease on a job in time; it stops, and another worker takes the job over.',
  },
  RECONCILE_RUNNING: {
    status: 409,
    retryable: false,
    summary: 'Another reconciliation run holds the lease, so this one did not start.',
  },
  UNREACHABLE: {
    status: 502,
    retryable: false,
    summary: 'A URL could not be reached or did not answer 2xx (send-test, alert sinks).',
  },
  INTERNAL: { status: 500, retryable: true, summary: 'An unexpected internal error.' },
} as const satisfies Record<string, ErrorSpec>;

/** Every known error code. */
export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** An error with a catalogue code. `details` must never hold secrets or personal data. */
export class SyncError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;
  /** Milliseconds the caller should wait before trying again, when the source said so. */
  readonly retryAfterMs: number | undefined;

  constructor(
    code: ErrorCode,
    message?: string,
    options: { details?: Record<string, unknown>; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(
      message ?? ERROR_CATALOGUE[code].summary,
      options.cause === undefined ? {} : { cause: options.cause },
    );
    this.name = 'SyncError';
    this.code = code;
    this.details = options.details;
    this.retryAfterMs = options.retryAfterMs;
  }

  get status(): number {
    return ERROR_CATALOGUE[this.code].status;
  }

  get retryable(): boolean {
    return ERROR_CATALOGUE[this.code].retryable;
  }

  /** The JSON error body of the public contract. */
  toBody(): { error: { code: ErrorCode; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

/** True when `err` is a {@link SyncError}, optionally of one of `codes`. */
export function isSyncError(err: unknown, ...codes: ErrorCode[]): err is SyncError {
  return err instanceof SyncError && (codes.length === 0 || codes.includes(err.code));
}

/** Wraps anything thrown into a SyncError, keeping SyncErrors as they are. */
export function toSyncError(err: unknown): SyncError {
  if (err instanceof SyncError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new SyncError('INTERNAL', message, { cause: err });
}

/**
 * Maps an HTTP failure from a vendor API to a catalogue error. Connectors' clients call it with
 * the status, the Retry-After header (seconds or HTTP date) and a short reason; it never sees bodies.
 */
export function classifyVendorError(input: {
  status?: number | undefined;
  retryAfter?: string | null | undefined;
  reason?: string | undefined;
  networkCode?: string | undefined;
  cause?: unknown;
}): SyncError {
  const { status, reason, networkCode, cause } = input;
  const retryAfterMs = parseRetryAfter(input.retryAfter);
  const msg = (fallback: string) =>
    `${fallback}${status ? ` (HTTP ${status})` : ''}${reason ? `: ${reason}` : ''}`;
  const opts = { cause, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  if (status === undefined) {
    return new SyncError('VENDOR_UNAVAILABLE', msg(`network error ${networkCode ?? ''}`.trim()), opts);
  }
  if (status === 429) return new SyncError('VENDOR_RATE_LIMITED', msg('rate limited'), opts);
  if (status === 403 && reason && /rate ?limit|quota|userRateLimitExceeded|rateLimitExceeded/i.test(reason)) {
    return new SyncError('VENDOR_RATE_LIMITED', msg('rate limited'), opts);
  }
  if (status === 401 || status === 403) return new SyncError('VENDOR_AUTH', msg('access denied'), opts);
  if (status === 404) return new SyncError('TARGET_NOT_FOUND', msg('not found'), opts);
  if (status === 409 || status === 412) return new SyncError('VENDOR_CONFLICT', msg('conflict'), opts);
  if (status >= 500 || status === 408) return new SyncError('VENDOR_UNAVAILABLE', msg('server error'), opts);
  return new SyncError('VENDOR_REJECTED', msg('rejected'), opts);
}

/** Parses a Retry-After value (delta seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
