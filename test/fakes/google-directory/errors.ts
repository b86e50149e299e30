/** Google-style API errors: `{"error":{"code":400,"message":"...","errors":[{"reason":"invalid",...}]}}`. */

/** The JSON body Google sends with an error. */
export interface GoogleErrorBody {
  error: {
    code: number;
    message: string;
    errors: Array<{
      message: string;
      domain: string;
      reason: string;
      location?: string;
      locationType?: string;
    }>;
    status: string;
  };
}

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  412: 'FAILED_PRECONDITION',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  501: 'UNIMPLEMENTED',
  503: 'UNAVAILABLE',
};

/** An error a handler throws; the server turns it into a Google-style answer. */
export class ApiError extends Error {
  readonly status: number;
  readonly reason: string;
  /** Set when the request broke the API contract (recorded as the call's `violation`). */
  readonly violation: boolean;
  /** Extra response headers (e.g. `Retry-After`). */
  readonly headers: Record<string, string>;
  /** One message per problem (the body's `errors` array); defaults to `[message]`. */
  readonly details: string[];

  constructor(
    status: number,
    message: string,
    reason: string,
    extra: { violation?: boolean; headers?: Record<string, string>; details?: string[] } = {},
  ) {
    super(message);
    this.status = status;
    this.reason = reason;
    this.violation = extra.violation ?? status === 400;
    this.headers = extra.headers ?? {};
    this.details = extra.details ?? [message];
  }

  /** The Google-style JSON body. */
  body(): GoogleErrorBody {
    return googleErrorBody(this.status, this.message, this.reason, this.details);
  }
}

/** Builds a Google-style error body. */
export function googleErrorBody(
  code: number,
  message: string,
  reason: string,
  details: string[] = [message],
): GoogleErrorBody {
  return {
    error: {
      code,
      message,
      errors: details.map((d) => ({ message: d, domain: 'global', reason })),
      status: STATUS_NAMES[code] ?? 'UNKNOWN',
    },
  };
}

/** 400 for a request outside the contract. */
export function invalid(message: string, details?: string[]): ApiError {
  return new ApiError(400, message, 'invalid', details ? { details } : {});
}

/** 404 the way the Directory API words it: `Resource Not Found: userKey`. */
export function notFound(what: string): ApiError {
  return new ApiError(404, `Resource Not Found: ${what}`, 'notFound');
}

/** 409 for a duplicate. */
export function duplicate(message = 'Entity already exists.'): ApiError {
  return new ApiError(409, message, 'duplicate');
}

/** 403 for a resource outside the caller's customer or domain. */
export function notAuthorized(): ApiError {
  return new ApiError(403, 'Not Authorized to access this resource/api', 'forbidden');
}
