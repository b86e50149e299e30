import pg from 'pg';
import { asError } from './connection.ts';

/** The channel every instance LISTENs on; the payload names the schema and the sending instance. */
export const JOBS_CHANNEL = 'growrk_sync_jobs';

/** Builds the NOTIFY payload: `<schema> <instance>`. */
export function jobsPayload(schema: string, instanceId: string): string {
  return `${schema} ${instanceId}`;
}

/** Options for {@link JobsListener}. */
export interface JobsListenerOptions {
  client: pg.ClientConfig;
  /** Only notifications for this schema count (several deployments or test runs may share a database). */
  schema: string;
  /** This store's instance id: its own notifications are skipped (it wakes its listeners directly). */
  instanceId: string;
  /** Called for each notification from another instance, and after a reconnect. */
  onWake: () => void;
  /** Told about every connection failure (the listener keeps retrying). */
  onError: (err: Error, context: string) => void;
  /** First reconnect delay; doubles up to `maxBackoffMs`. Defaults 100 and 10 000. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /**
   * How often the idle connection is probed with `SELECT 1` (default 30 000 ms). A peer that
   * vanished without closing the socket is otherwise noticed only by TCP keepalive, many minutes
   * later, and every notification in between would be lost.
   */
  heartbeatMs?: number;
}

/**
 * A dedicated connection (not from the pool: a pooled connection cannot keep a LISTEN) that
 * LISTENs on {@link JOBS_CHANNEL} and wakes the store's job listeners. When the connection drops it
 * reconnects with exponential backoff and jitter; after a reconnect it wakes the listeners once,
 * because notifications sent while it was away are lost.
 */
export class JobsListener {
  private readonly options: JobsListenerOptions;
  private client: pg.Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private backoffMs: number;
  private closed = false;
  private everConnected = false;
  private connecting: Promise<void> | null = null;
  private waiters: Array<() => void> = [];

  constructor(options: JobsListenerOptions) {
    this.options = options;
    this.backoffMs = options.minBackoffMs ?? 100;
  }

  /** True while the LISTEN connection is up. */
  get listening(): boolean {
    return this.client !== null;
  }

  /** Makes the first attempt; resolves when it succeeded or failed (then retries run in the background). */
  start(): Promise<void> {
    return this.attempt();
  }

  /** Resolves once the LISTEN connection is up (immediately if it is). */
  whenListening(): Promise<void> {
    if (this.client !== null) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Stops reconnecting and ends the connection. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.stopHeartbeat();
    await this.connecting?.catch(() => undefined);
    const client = this.client;
    this.client = null;
    if (client)
      await client.end().catch((err: unknown) => this.options.onError(asError(err), 'listener close'));
  }

  private attempt(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.timer = null;
    const run = this.connect().finally(() => {
      this.connecting = null;
    });
    this.connecting = run;
    return run;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client(this.options.client);
    client.on('error', (err) => {
      this.options.onError(err, 'listener connection');
      this.lost(client);
    });
    client.on('end', () => this.lost(client));
    client.on('notification', (message) => {
      if (message.channel !== JOBS_CHANNEL || this.client !== client) return;
      const [schema, from] = (message.payload ?? '').split(' ');
      if (schema !== this.options.schema || from === this.options.instanceId) return;
      this.options.onWake();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${JOBS_CHANNEL}`);
    } catch (err) {
      this.options.onError(asError(err), 'listener connect');
      client.removeAllListeners('end');
      client.end().catch(() => {
        // The connection never came up; ending it can only fail the same way, already reported.
      });
      this.schedule();
      return;
    }
    if (this.closed) {
      await client.end().catch((err: unknown) => this.options.onError(asError(err), 'listener close'));
      return;
    }
    this.client = client;
    this.backoffMs = this.options.minBackoffMs ?? 100;
    this.startHeartbeat(client);
    const reconnected = this.everConnected;
    this.everConnected = true;
    for (const resolve of this.waiters.splice(0)) resolve();
    if (reconnected) this.options.onWake();
  }

  private startHeartbeat(client: pg.Client): void {
    this.stopHeartbeat();
    let inFlight = false;
    this.heartbeat = setInterval(() => {
      // One probe at a time: a probe still waiting says enough, and pg warns about queued queries.
      if (inFlight) return;
      inFlight = true;
      client
        .query('SELECT 1')
        .catch((err: unknown) => {
          this.options.onError(asError(err), 'listener heartbeat');
          this.lost(client);
        })
        .finally(() => {
          inFlight = false;
        });
    }, this.options.heartbeatMs ?? 30_000);
    this.heartbeat.unref();
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  private lost(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = null;
    this.stopHeartbeat();
    client.end().catch(() => {
      // Already broken; the error that broke it was reported by the 'error' handler.
    });
    this.schedule();
  }

  private schedule(): void {
    if (this.closed || this.timer) return;
    const delay = this.backoffMs / 2 + Math.random() * (this.backoffMs / 2);
    this.backoffMs = Math.min(this.backoffMs * 2, this.options.maxBackoffMs ?? 10_000);
    this.timer = setTimeout(() => void this.attempt(), delay);
    this.timer.unref();
  }
}
