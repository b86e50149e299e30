/** One request an emulator served (or refused), as tests read it back. */
export interface RecordedCall {
  /** Sequence number within the emulator's life. */
  seq: number;
  at: number;
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string | string[]>;
  /** Parsed JSON body, if any. */
  body: unknown;
  status: number;
  /** A name for the operation, e.g. `directory.users.update` or `crm.objects.batch.upsert`. */
  operation: string;
  /** Set when the request broke the vendor's contract (the emulator answered 400). */
  violation?: string;
  /** Set when an injected fault decided the answer. */
  fault?: string;
}

/**
 * Operations that change nothing although they may be POSTs: HubSpot's search and batch read,
 * reads and listings, and the token endpoints (minting or inspecting a token).
 */
const READ_ONLY_OPERATION = /\.(get|list|read|search)$|^oauth/;

/** Whether a call changed state: answered 2xx, and neither a GET nor a read sent as POST. */
export function isWriteCall(c: RecordedCall): boolean {
  return c.method !== 'GET' && c.status >= 200 && c.status < 300 && !READ_ONLY_OPERATION.test(c.operation);
}

/** Keeps the calls an emulator served. */
export class CallRecorder {
  private seq = 0;
  readonly calls: RecordedCall[] = [];

  record(call: Omit<RecordedCall, 'seq' | 'at'>): RecordedCall {
    const full: RecordedCall = { ...call, seq: ++this.seq, at: Date.now() };
    this.calls.push(full);
    return full;
  }

  /** Calls matching an operation name (exact, or prefix ending in `*`). */
  byOperation(pattern: string): RecordedCall[] {
    if (pattern.endsWith('*')) {
      const prefix = pattern.slice(0, -1);
      return this.calls.filter((c) => c.operation.startsWith(prefix));
    }
    return this.calls.filter((c) => c.operation === pattern);
  }

  /** Calls that changed state: answered 2xx, and neither a GET nor a read sent as POST. */
  writes(): RecordedCall[] {
    return this.calls.filter(isWriteCall);
  }

  /** Calls the emulator refused as outside the vendor contract. */
  violations(): RecordedCall[] {
    return this.calls.filter((c) => c.violation !== undefined);
  }

  clear(): void {
    this.calls.length = 0;
  }
}
