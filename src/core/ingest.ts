import { hash } from 'node:crypto';
import { type ErrorCode, SyncError, toSyncError } from '../errors.ts';
import { bodyFilter, DEFAULT_KEEP_FIELDS, type KeepFields } from '../growrk/allowlist.ts';
import {
  checkTimestamp,
  DEFAULT_MAX_CLOCK_SKEW_MS,
  parseEnvelope,
  parseJsonText,
} from '../growrk/envelope.ts';
import { checkPayloadLimits, DEFAULT_PAYLOAD_LIMITS, type PayloadLimits } from '../growrk/limits.ts';
import { withheldBody } from '../growrk/privacy.ts';
import { verifySignature } from '../growrk/signature.ts';
import type { EntityKind, ParsedEvent } from '../growrk/types.ts';
import type { IngestResult, Store } from '../store/types.ts';
import { newId } from './ids.ts';

/** What the ingest path needs to know. */
export interface IngestOptions {
  store: Store;
  /** Current webhook secrets (read per call, so rotation needs no restart of this object). */
  secrets: () => readonly string[];
  dropFields: readonly string[];
  /** For each entity kind, the enabled connectors that sync it. */
  jobConnectors: Partial<Record<EntityKind, readonly string[]>>;
  /** Structural limits on payloads (default {@link DEFAULT_PAYLOAD_LIMITS}). */
  limits?: PayloadLimits | undefined;
  /** The entity fields kept (default {@link DEFAULT_KEEP_FIELDS}); `dropFields` win over it. */
  keepFields?: KeepFields | undefined;
  /** How far ahead of `now` a GroWrk timestamp may be (default {@link DEFAULT_MAX_CLOCK_SKEW_MS}). */
  maxClockSkewMs?: number | undefined;
  /** The clock (injectable for tests; on the SQLite thread too, where it travels with each delivery). */
  now?: () => number;
}

/** The outcome of one webhook delivery, before HTTP. */
export type IngestOutcome =
  | { ok: true; result: IngestResult; type: string }
  | { ok: false; error: SyncError; type: string | null; stored: IngestResult | null };

/** Receives signed deliveries: the HTTP route's only dependency on the ingest path. */
export interface WebhookReceiver {
  receive(raw: Uint8Array, signature: string | undefined): Promise<IngestOutcome>;
}

/** The settings an ingest pipeline runs with, as plain data (they cross thread boundaries). */
export interface IngestSettings {
  secrets: readonly string[];
  dropFields: readonly string[];
  jobConnectors: Partial<Record<EntityKind, readonly string[]>>;
  limits?: PayloadLimits | undefined;
  keepFields?: KeepFields | undefined;
  maxClockSkewMs?: number | undefined;
}

/** An outcome as plain data (the error as code and message), for passing between threads. */
export type IngestOutcomeData =
  | { ok: true; result: IngestResult; type: string }
  | {
      ok: false;
      error: { code: ErrorCode; message: string };
      type: string | null;
      stored: IngestResult | null;
    };

export function outcomeToData(outcome: IngestOutcome): IngestOutcomeData {
  if (outcome.ok) return outcome;
  return { ...outcome, error: { code: outcome.error.code, message: outcome.error.message } };
}

export function outcomeFromData(data: IngestOutcomeData): IngestOutcome {
  if (data.ok) return data;
  return { ...data, error: new SyncError(data.error.code, data.error.message) };
}

/**
 * A store that runs the whole ingest pipeline next to its data (the threaded SQLite store does it
 * on its own thread, so verification, parsing and the commit never load the HTTP thread).
 */
export interface IngestingStore extends Store {
  /** `now`: the receipt time to use (an injected clock), or undefined for the store thread's own. */
  receiveWebhook(
    raw: Uint8Array,
    signature: string | undefined,
    settings: IngestSettings,
    now?: number,
  ): Promise<IngestOutcomeData>;
}

function isIngestingStore(store: Store): store is IngestingStore {
  return typeof (store as Partial<IngestingStore>).receiveWebhook === 'function';
}

/** The receiver for a store: on the store's own thread when it offers that, else in this thread. */
export function createReceiver(options: IngestOptions): WebhookReceiver {
  const { store } = options;
  if (!isIngestingStore(store)) return new Ingestor(options);
  return {
    receive: async (raw, signature) =>
      outcomeFromData(
        await store
          .receiveWebhook(
            raw,
            signature,
            {
              secrets: options.secrets(),
              dropFields: options.dropFields,
              jobConnectors: options.jobConnectors,
              limits: options.limits,
              keepFields: options.keepFields,
              maxClockSkewMs: options.maxClockSkewMs,
            },
            options.now?.(),
          )
          // The store's thread itself failed: an outage of the store, GroWrk redelivers.
          .catch((err: unknown): IngestOutcomeData => {
            const error = storeUnavailable(err);
            return {
              ok: false,
              error: { code: error.code, message: error.message },
              type: null,
              stored: null,
            };
          }),
      ),
  };
}

/**
 * The ingest path without HTTP: verify the signature over the raw bytes, validate the envelope,
 * drop sensitive fields, and store event, projection and jobs in one durable commit.
 */
export class Ingestor implements WebhookReceiver {
  private readonly options: IngestOptions;
  private readonly now: () => number;
  private readonly privacy: ReturnType<typeof bodyFilter>;

  constructor(options: IngestOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
    this.privacy = bodyFilter(options.keepFields ?? DEFAULT_KEEP_FIELDS, options.dropFields);
  }

  /**
   * Handles one signed delivery received at `receivedAt` (default: now). Never throws for bad
   * input; store failures come back as errors.
   */
  async receive(
    raw: Uint8Array,
    signature: string | undefined,
    receivedAt = this.now(),
  ): Promise<IngestOutcome> {
    const secrets = this.options.secrets();
    if (secrets.length === 0)
      return { ok: false, error: new SyncError('WEBHOOK_SECRET_UNSET'), type: null, stored: null };
    if (signature === undefined || signature.trim() === '') {
      return { ok: false, error: new SyncError('SIGNATURE_MISSING'), type: null, stored: null };
    }
    if (verifySignature(raw, signature, secrets) < 0) {
      return { ok: false, error: new SyncError('SIGNATURE_INVALID'), type: null, stored: null };
    }
    return this.accept(raw, receivedAt);
  }

  /**
   * Stores an already trusted body (verified delivery, or an import). A body that is not a valid
   * event, or is dated too far in the future, is kept as rejected with the reason.
   */
  async accept(raw: Uint8Array, receivedAt = this.now()): Promise<IngestOutcome> {
    const bodyHash = hash('sha256', raw, 'hex');
    const digest = { hash: bodyHash, size: raw.length };
    let json: unknown;
    let kept: Record<string, unknown> | null = null;
    let event: ParsedEvent;
    try {
      json = parseJsonText(raw);
      checkPayloadLimits(json, this.options.limits ?? DEFAULT_PAYLOAD_LIMITS);
      // One filtered copy is both what is stored and the event validated and projected (the
      // projection behind the acknowledgement parses the stored copy again: the same event).
      kept = this.privacy.body(json);
      event = parseEnvelope(kept ?? json, []);
    } catch (err) {
      return this.reject(digest, bodyHash, receivedAt, json, kept, null, toSyncError(err));
    }
    try {
      checkTimestamp(event, receivedAt, this.options.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS);
    } catch (err) {
      // Kept with what it says (type, GroWrk timestamp, entities), but it projects nothing. Its
      // row does not claim the body's hash: a redelivery is judged again, and accepted once its
      // time has come (a clock a little too far ahead must not lose the event for good).
      const rejectedHash = `${bodyHash}:future@${receivedAt}`;
      return this.reject(digest, rejectedHash, receivedAt, json, kept, event, toSyncError(err));
    }
    try {
      const result = await this.options.store.ingest({
        id: newId('evt', receivedAt),
        bodyHash,
        receivedAt,
        status: event.known ? 'accepted' : 'ignored',
        event,
        body: JSON.stringify(kept),
        jobConnectors: this.options.jobConnectors,
        clockSkewMs: this.options.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS,
      });
      return { ok: true, result, type: event.type };
    } catch (storeError) {
      return { ok: false, error: storeUnavailable(storeError), type: event.type, stored: null };
    }
  }

  /**
   * Keeps a signed body that cannot be accepted, with status `rejected` and the reason, under
   * `rowHash` (the body's hash, unless its row must not stand for the body in dedupe). `digest`:
   * the body's SHA-256 and size, all that is kept of a body that is withheld.
   */
  private async reject(
    digest: { hash: string; size: number },
    rowHash: string,
    receivedAt: number,
    json: unknown,
    filtered: Record<string, unknown> | null,
    event: ParsedEvent | null,
    error: SyncError,
  ): Promise<IngestOutcome> {
    const type = event?.type ?? readType(json);
    // A body that did not parse, broke a limit or is not an object is never kept: only its digest
    // and size. Otherwise only the envelope and the allowed fields of its entities.
    const kept = json === undefined || error.code === 'PAYLOAD_LIMIT_EXCEEDED' ? null : filtered;
    try {
      const stored = await this.options.store.ingest({
        id: newId('evt', receivedAt),
        bodyHash: rowHash,
        receivedAt,
        status: 'rejected',
        event,
        type,
        body: kept === null ? withheldBody(error.code, digest.size, digest.hash) : JSON.stringify(kept),
        error: { code: error.code, message: error.message },
        jobConnectors: {},
      });
      return { ok: false, error, type, stored };
    } catch (storeError) {
      return { ok: false, error: storeUnavailable(storeError), type, stored: null };
    }
  }
}

function storeUnavailable(cause: unknown): SyncError {
  return new SyncError('STORE_UNAVAILABLE', 'the event could not be stored; GroWrk will redeliver', {
    cause,
  });
}

function readType(json: unknown): string | null {
  if (json && typeof json === 'object' && !Array.isArray(json)) {
    const event = (json as Record<string, unknown>).event;
    if (typeof event === 'string') return event.slice(0, 100);
  }
  return null;
}
