import { createHash } from 'node:crypto';
import { SyncError, toSyncError } from '../errors.ts';
import { parseEnvelope, parseJsonBody } from '../growrk/envelope.ts';
import { dropSensitive } from '../growrk/privacy.ts';
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
  now?: () => number;
}

/** The outcome of one webhook delivery, before HTTP. */
export type IngestOutcome =
  | { ok: true; result: IngestResult; type: string }
  | { ok: false; error: SyncError; type: string | null; stored: IngestResult | null };

/**
 * The ingest path without HTTP: verify the signature over the raw bytes, validate the envelope,
 * drop sensitive fields, and store event, projection and jobs in one durable commit.
 */
export class Ingestor {
  private readonly options: IngestOptions;
  private readonly now: () => number;

  constructor(options: IngestOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
  }

  /** Handles one signed delivery. Never throws for bad input; store failures come back as errors. */
  async receive(raw: Uint8Array, signature: string | undefined): Promise<IngestOutcome> {
    const secrets = this.options.secrets();
    if (secrets.length === 0)
      return { ok: false, error: new SyncError('WEBHOOK_SECRET_UNSET'), type: null, stored: null };
    if (signature === undefined || signature.trim() === '') {
      return { ok: false, error: new SyncError('SIGNATURE_MISSING'), type: null, stored: null };
    }
    if (verifySignature(raw, signature, secrets) < 0) {
      return { ok: false, error: new SyncError('SIGNATURE_INVALID'), type: null, stored: null };
    }
    return this.accept(raw);
  }

  /** Stores an already trusted body (verified delivery, or an import). */
  async accept(raw: Uint8Array): Promise<IngestOutcome> {
    const receivedAt = this.now();
    const bodyHash = createHash('sha256').update(raw).digest('hex');
    let json: unknown;
    let event: ParsedEvent;
    try {
      json = parseJsonBody(raw);
      event = parseEnvelope(json, this.options.dropFields);
    } catch (err) {
      const error = toSyncError(err);
      const type = readType(json);
      try {
        const stored = await this.options.store.ingest({
          id: newId('evt', receivedAt),
          bodyHash,
          receivedAt,
          status: 'rejected',
          event: null,
          type,
          body:
            json === undefined
              ? Buffer.from(raw).toString('utf8')
              : JSON.stringify(dropSensitive(json, this.options.dropFields)),
          error: { code: error.code, message: error.message },
          jobConnectors: {},
        });
        return { ok: false, error, type, stored };
      } catch (storeError) {
        return { ok: false, error: storeUnavailable(storeError), type, stored: null };
      }
    }
    try {
      const result = await this.options.store.ingest({
        id: newId('evt', receivedAt),
        bodyHash,
        receivedAt,
        status: event.known ? 'accepted' : 'ignored',
        event,
        body: JSON.stringify(dropSensitive(json, this.options.dropFields)),
        jobConnectors: this.options.jobConnectors,
      });
      return { ok: true, result, type: event.type };
    } catch (storeError) {
      return { ok: false, error: storeUnavailable(storeError), type: event.type, stored: null };
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
