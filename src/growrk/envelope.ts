import { SyncError } from '../errors.ts';
import { checkPayloadLimits, DEFAULT_PAYLOAD_LIMITS, type PayloadLimits } from './limits.ts';
import { dropSensitive } from './privacy.ts';
import {
  ENTITY_ARRAY_KEY,
  type GrowrkEntity,
  isKnownEventType,
  kindOfEvent,
  type ParsedEvent,
} from './types.ts';

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/** Normalises an id that GroWrk may send as a string or a number. */
function asId(value: unknown): string | null {
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

/**
 * Parses the raw body as JSON and checks its structure against `limits` (iteratively: JSON.parse
 * copes with deep nesting, the walks after it must never see it).
 * @throws SyncError BODY_NOT_JSON (saying where, never quoting the body) or PAYLOAD_LIMIT_EXCEEDED.
 */
export function parseJsonBody(
  raw: Uint8Array | string,
  limits: PayloadLimits = DEFAULT_PAYLOAD_LIMITS,
): unknown {
  const json = parseJsonText(raw);
  checkPayloadLimits(json, limits);
  return json;
}

/** Parses the raw body as JSON, nothing more: check it with `checkPayloadLimits` before any walk. */
export function parseJsonText(raw: Uint8Array | string): unknown {
  // A view on the bytes, not Buffer.from(raw), which copies a Uint8Array before decoding it.
  const text =
    typeof raw === 'string' ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    // V8's messages quote a fragment of the input; only the position is safe to repeat.
    const position = /at position (\d+)/.exec((err as Error).message)?.[1];
    const where = position === undefined ? '' : ` (at character ${position})`;
    throw new SyncError('BODY_NOT_JSON', `body is not valid JSON${where}`);
  }
}

/**
 * Validates a GroWrk envelope: `event`, an ISO `timestamp`, `companyId`, and for the documented
 * event types the entity array of their family, each entity an object with an `id`. Inside
 * entities it is lenient: unknown keys are kept, other fields may be missing or null. Fields in
 * `dropFields` are removed here, before anything else sees the entities (each entity is then a
 * copy; with no fields to drop, it is the body's own object unless its id had to be normalised).
 * @throws SyncError ENVELOPE_INVALID naming every problem found.
 */
export function parseEnvelope(body: unknown, dropFields: readonly string[]): ParsedEvent {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new SyncError('ENVELOPE_INVALID', 'body must be a JSON object');
  }
  const record = body as Record<string, unknown>;
  const problems: string[] = [];
  const type = typeof record.event === 'string' ? record.event.trim() : '';
  if (type === '') problems.push('"event" must be a non-empty string');
  let timestampMs = Number.NaN;
  if (typeof record.timestamp !== 'string' || !ISO_TIMESTAMP.test(record.timestamp)) {
    problems.push('"timestamp" must be an ISO 8601 date-time with a zone, e.g. 2024-08-17T12:34:56Z');
  } else {
    timestampMs = Date.parse(record.timestamp);
    if (Number.isNaN(timestampMs)) problems.push('"timestamp" is not a real date');
  }
  const companyId = asId(record.companyId);
  if (companyId === null) problems.push('"companyId" must be a non-empty string or number');

  const known = isKnownEventType(type);
  const kind = known ? kindOfEvent(type) : null;
  const entities: GrowrkEntity[] = [];
  if (kind !== null) {
    const key = ENTITY_ARRAY_KEY[kind];
    const list = record[key];
    if (!Array.isArray(list) || list.length === 0) {
      problems.push(`"${key}" must be a non-empty array for a ${type} event`);
    } else {
      list.forEach((item, index) => {
        if (item === null || typeof item !== 'object' || Array.isArray(item)) {
          problems.push(`"${key}[${index}]" must be an object`);
          return;
        }
        const id = asId((item as Record<string, unknown>).id);
        if (id === null) {
          problems.push(`"${key}[${index}].id" must be a non-empty string or number`);
          return;
        }
        // Without fields to drop, the body's own object (no copy: nothing downstream mutates it).
        const cleaned =
          dropFields.length === 0
            ? (item as Record<string, unknown>)
            : dropSensitive(item as Record<string, unknown>, dropFields);
        entities.push(cleaned.id === id ? (cleaned as GrowrkEntity) : { ...cleaned, id });
      });
    }
  }
  if (problems.length > 0) {
    throw new SyncError('ENVELOPE_INVALID', `not a valid GroWrk event: ${problems.join('; ')}`, {
      details: { problems },
    });
  }
  return {
    type,
    known,
    kind,
    timestamp: new Date(timestampMs).toISOString(),
    timestampMs,
    companyId: companyId as string,
    entities,
  };
}

/** Default of `webhook.maxClockSkew`: how far ahead of this service's clock a GroWrk timestamp may be. */
export const DEFAULT_MAX_CLOCK_SKEW_MS = 5 * 60_000;

/**
 * Refuses an event dated more than `maxSkewMs` after `now`. GroWrk's timestamp orders the events of
 * an entity (the newest wins), so one dated in the future would overrule every real event after it
 * and freeze the entity; a little skew between GroWrk's clock and ours is allowed.
 * @throws SyncError TIMESTAMP_IN_FUTURE saying by how much.
 */
export function checkTimestamp(
  event: Pick<ParsedEvent, 'timestamp' | 'timestampMs'>,
  now: number,
  maxSkewMs: number,
): void {
  const ahead = event.timestampMs - now;
  if (ahead <= maxSkewMs) return;
  throw new SyncError(
    'TIMESTAMP_IN_FUTURE',
    `"timestamp" ${event.timestamp} is ${formatSpan(ahead)} ahead of this service's clock (${new Date(now).toISOString()}); at most ${formatSpan(maxSkewMs)} is allowed (WEBHOOK_MAX_CLOCK_SKEW)`,
    { details: { timestamp: event.timestamp, aheadMs: ahead, maxSkewMs } },
  );
}

/** A span of milliseconds in its largest whole unit, e.g. `7m`, `3d`. */
function formatSpan(ms: number): string {
  const units: Array<[string, number]> = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ];
  for (const [unit, size] of units) if (ms >= size) return `${Math.floor(ms / size)}${unit}`;
  return `${ms}ms`;
}
