/**
 * HubSpot's error answers. Every non-2xx answer of the CRM API carries a JSON body
 * `{"status":"error","message":...,"correlationId":...,"category":...}`; handlers throw
 * `HubSpotError` and the server turns it into that body.
 */
import { randomUUID } from 'node:crypto';

/** One entry of the `errors` list HubSpot adds to some error bodies. */
export interface ErrorDetail {
  message: string;
  code?: string;
  in?: string;
  context?: Record<string, string[]>;
}

/** Optional parts of a HubSpot error body. */
export interface HubSpotErrorExtras {
  subCategory?: string;
  errors?: ErrorDetail[];
  context?: Record<string, string[]>;
  links?: Record<string, string>;
}

/** An error answer: status, HubSpot category and message. */
export class HubSpotError extends Error {
  readonly status: number;
  readonly category: string;
  readonly extras: HubSpotErrorExtras;

  constructor(status: number, category: string, message: string, extras: HubSpotErrorExtras = {}) {
    super(message);
    this.name = 'HubSpotError';
    this.status = status;
    this.category = category;
    this.extras = extras;
  }

  /** The JSON body HubSpot sends for this error. */
  body(correlationId: string): Record<string, unknown> {
    return { status: 'error', message: this.message, correlationId, category: this.category, ...this.extras };
  }
}

/** A fresh correlation id (HubSpot sends a UUID). */
export function newCorrelationId(): string {
  return randomUUID();
}

/** 400 VALIDATION_ERROR. */
export function validationError(message: string, extras: HubSpotErrorExtras = {}): HubSpotError {
  return new HubSpotError(400, 'VALIDATION_ERROR', message, extras);
}

/** 404 OBJECT_NOT_FOUND. */
export function notFound(message = 'resource not found'): HubSpotError {
  return new HubSpotError(404, 'OBJECT_NOT_FOUND', message);
}

/** 409 CONFLICT. */
export function conflict(message: string, extras: HubSpotErrorExtras = {}): HubSpotError {
  return new HubSpotError(409, 'CONFLICT', message, extras);
}

/** One failed property value, in the shape HubSpot lists inside "Property values were not valid". */
export interface PropertyProblem {
  name: string;
  error: string;
  message: string;
}

/** 400 for invalid property values (PROPERTY_DOESNT_EXIST, INVALID_OPTION, READ_ONLY_VALUE, ...). */
export function propertyValuesError(problems: readonly PropertyProblem[]): HubSpotError {
  const listed = problems.map((p) => ({
    isValid: false,
    message: p.message,
    error: p.error,
    name: p.name,
    localizedErrorMessage: p.message,
  }));
  return validationError(`Property values were not valid: ${JSON.stringify(listed)}`, {
    errors: problems.map((p) => ({ message: p.message, code: p.error, context: { propertyName: [p.name] } })),
  });
}
