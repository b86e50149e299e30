import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { toSyncError } from '../errors.ts';
import type { HeldChange, Job, Store } from '../store/types.ts';
import { type Alert, type AlertSink, capped, deliver } from './notify.ts';

/** The `alerts` block of the configuration. */
export interface AlertConfig {
  /** Slack incoming-webhook URL, or ''. */
  slackWebhookUrl: string;
  /** Generic webhook URL (a JSON POST per alert), or ''. */
  webhookUrl: string;
  /** Alert when no GroWrk event arrived for this long (ms); 0: no dead-man switch. */
  noEventAfter: number;
  /** How often the store is checked (ms). */
  interval: number;
}

/** What one sink has been told, kept in the store so a restart neither repeats nor forgets. */
interface SinkState {
  /** The newest dead job's `updatedAt` already reported. */
  deadUntil: number;
  /** The newest held change's `createdAt` already reported. */
  heldUntil: number;
  /** True while a "no event" alert stands (until events come back). */
  silent: boolean;
  /** When this sink was first watched: the start of silence while no event has ever arrived. */
  since: number;
}

/** State key scope in the store's connector_state. */
const SCOPE = 'alerts';
const LEASE = 'alerts';

/** The sinks a configuration names. */
export function sinksOf(config: AlertConfig): AlertSink[] {
  const sinks: AlertSink[] = [];
  if (config.slackWebhookUrl) sinks.push({ name: 'slack', url: config.slackWebhookUrl });
  if (config.webhookUrl) sinks.push({ name: 'webhook', url: config.webhookUrl });
  return sinks;
}

function deadAlert(jobs: readonly Job[], at: number): Alert {
  return {
    kind: 'job.dead',
    title: `${jobs.length} sync job(s) died and need a look (replay from /admin or \`events replay --status dead\`)`,
    lines: capped(
      jobs.map(
        (j) =>
          `${j.connector}: ${j.kind} ${j.entityId} after ${j.attempts} attempt(s)${j.lastError ? `: ${j.lastError.code}: ${j.lastError.message}` : ''}`,
      ),
    ),
    details: {
      jobs: jobs.map((j) => ({
        id: j.id,
        connector: j.connector,
        kind: j.kind,
        entityId: j.entityId,
        error: j.lastError,
      })),
    },
    at,
  };
}

function heldAlert(held: readonly HeldChange[], at: number): Alert {
  const ops = (h: HeldChange) =>
    ((h.plan as { ops?: Array<{ description?: string; type?: string }> } | null)?.ops ?? [])
      .map((o) => o.description ?? o.type)
      .join('; ');
  return {
    kind: 'change.held',
    title: `${held.length} destructive change(s) held for approval (/admin, or \`held list\`)`,
    lines: capped(
      held.map((h) => `${h.connector}: ${h.kind} ${h.entityId}: ${ops(h) || 'change'} (${h.reason})`),
    ),
    details: {
      held: held.map((h) => ({
        id: h.id,
        connector: h.connector,
        kind: h.kind,
        entityId: h.entityId,
        reason: h.reason,
      })),
    },
    at,
  };
}

/** What the monitor needs; tests pass their own `fetch` and clock. */
export interface AlertDeps {
  store: Store;
  config: AlertConfig;
  logger: Logger;
  fetch?: typeof fetch;
  now?: () => number;
}

const hours = (ms: number) => `${(ms / 3_600_000).toFixed(ms < 3_600_000 ? 2 : 1)} h`;

/**
 * Tells people what needs them: a sync job that died, a destructive change held for approval,
 * and silence (no GroWrk event for `noEventAfter`: GroWrk has no API to pull from, so silence is
 * the only sign of a broken endpoint). It reads the store every `interval`, so it sees what every
 * instance did; one instance at a time sends (a lease in the store), and what each sink was told
 * is stored, so a restart does not repeat it. A sink that fails is tried again at the next check.
 */
export class AlertMonitor {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private readonly owner = `alerts-${randomUUID()}`;

  private readonly deps: AlertDeps;

  constructor(deps: AlertDeps) {
    this.deps = deps;
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  /** Checks every `interval` until {@link stop}. */
  start(): void {
    this.timer = setInterval(
      () => {
        this.running ??= this.tick().finally(() => {
          this.running = null;
        });
      },
      Math.max(1000, this.deps.config.interval),
    );
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
    await this.deps.store.releaseLease(LEASE, this.owner).catch(() => undefined);
  }

  /** One check: every sink is told what it has not been told yet. Resolves with the alerts sent. */
  async tick(): Promise<Alert[]> {
    const { store, config } = this.deps;
    const now = this.now();
    const sinks = sinksOf(config);
    if (sinks.length === 0) return [];
    if (!(await store.acquireLease(LEASE, this.owner, Math.max(1000, config.interval) * 3, now))) return [];
    const [dead, held, newest] = await Promise.all([
      store.listJobs({ state: 'dead', limit: 1000 }),
      store.listHeld({ status: 'held', limit: 1000 }),
      config.noEventAfter > 0 ? store.listEvents({ limit: 1 }) : Promise.resolve([]),
    ]);
    const lastEventAt = newest[0]?.receivedAt ?? null;
    const sent: Alert[] = [];
    for (const sink of sinks) {
      const key = `sink:${sink.name}`;
      const state = (await store.getState<SinkState>(SCOPE, key)) ?? {
        deadUntil: 0,
        heldUntil: 0,
        silent: false,
        since: now,
      };
      // What was delivered before a failure is kept; the rest is tried again at the next check.
      const next = { ...state };
      try {
        await this.tellSink(sink, next, { dead, held, lastEventAt, now }, sent);
      } catch (err) {
        const error = toSyncError(err);
        this.deps.logger.warn(
          { sink: sink.name, code: error.code, err: error.message },
          'alert not delivered; tried again at the next check',
        );
      } finally {
        await store.setState(SCOPE, key, next, now);
      }
    }
    return sent;
  }

  /** Sends what `next` says this sink has not had, moving `next` on after each send. Throws when a send fails. */
  private async tellSink(
    sink: AlertSink,
    next: SinkState,
    seen: { dead: Job[]; held: HeldChange[]; lastEventAt: number | null; now: number },
    sent: Alert[],
  ): Promise<void> {
    const state = { ...next };
    const send = async (alert: Alert) => {
      await deliver(sink, alert, this.deps.fetch);
      sent.push(alert);
    };
    const newDead = seen.dead
      .filter((j) => j.updatedAt > state.deadUntil)
      .sort((a, b) => a.updatedAt - b.updatedAt);
    if (newDead.length > 0) {
      await send(deadAlert(newDead, seen.now));
      next.deadUntil = newDead.at(-1)!.updatedAt;
    }
    const newHeld = seen.held
      .filter((h) => h.createdAt > state.heldUntil)
      .sort((a, b) => a.createdAt - b.createdAt);
    if (newHeld.length > 0) {
      await send(heldAlert(newHeld, seen.now));
      next.heldUntil = newHeld.at(-1)!.createdAt;
    }
    const { noEventAfter } = this.deps.config;
    if (noEventAfter > 0) {
      const since = seen.lastEventAt ?? state.since;
      const quiet = seen.now - since;
      const last =
        seen.lastEventAt === null
          ? 'none since this service started'
          : `the last at ${new Date(since).toISOString()}`;
      if (quiet > noEventAfter && !state.silent) {
        await send({
          kind: 'events.silent',
          title: `no GroWrk event for ${hours(quiet)} (${last}): check the webhook endpoint in GroWrk`,
          lines: [`Alert after ${hours(noEventAfter)} of silence (ALERT_NO_EVENT_AFTER).`],
          details: {
            lastEventAt: seen.lastEventAt === null ? null : new Date(since).toISOString(),
            quietMs: quiet,
          },
          at: seen.now,
        });
        next.silent = true;
      } else if (quiet <= noEventAfter && state.silent) {
        await send({
          kind: 'events.resumed',
          title: `GroWrk events arrive again (the last at ${new Date(since).toISOString()})`,
          lines: [],
          details: { lastEventAt: new Date(since).toISOString() },
          at: seen.now,
        });
        next.silent = false;
      }
    }
  }
}

/** Starts the monitor when a sink is configured; null otherwise. */
export function startAlertMonitor(deps: AlertDeps): AlertMonitor | null {
  if (sinksOf(deps.config).length === 0) return null;
  const monitor = new AlertMonitor(deps);
  monitor.start();
  return monitor;
}
