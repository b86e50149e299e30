import { SyncError } from '../errors.ts';

/** What an alert is about. */
export type AlertKind = 'job.dead' | 'change.held' | 'events.silent' | 'events.resumed';

/** One notification: a title, a few lines for people, and the same as data for machines. */
export interface Alert {
  kind: AlertKind;
  title: string;
  /** At most {@link MAX_LINES} lines, one per job or change, then "... and N more". */
  lines: string[];
  details: Record<string, unknown>;
  /** Epoch ms. */
  at: number;
}

/** Where alerts go: a Slack incoming webhook, or any URL that takes a JSON POST. */
export interface AlertSink {
  name: 'slack' | 'webhook';
  url: string;
}

/** Lines listed in one alert before "... and N more". */
export const MAX_LINES = 10;

/** The first {@link MAX_LINES} lines, and how many more there were. */
export function capped(lines: readonly string[]): string[] {
  if (lines.length <= MAX_LINES) return [...lines];
  return [...lines.slice(0, MAX_LINES), `... and ${lines.length - MAX_LINES} more`];
}

/** Slack's incoming-webhook body: mrkdwn text. */
export function slackBody(alert: Alert): { text: string } {
  return { text: [`*growrk-sync: ${alert.title}*`, ...alert.lines.map((l) => `• ${l}`)].join('\n') };
}

/** The generic webhook body: the alert as data. */
export function webhookBody(alert: Alert): Record<string, unknown> {
  return {
    source: 'growrk-sync',
    kind: alert.kind,
    title: alert.title,
    lines: alert.lines,
    details: alert.details,
    at: new Date(alert.at).toISOString(),
  };
}

/**
 * POSTs one alert to one sink. Throws UNREACHABLE when the sink cannot be reached or does not
 * answer 2xx (the message names the sink, never its URL: webhook URLs are secrets).
 */
export async function deliver(
  sink: AlertSink,
  alert: Alert,
  fetchFn: typeof fetch = globalThis.fetch,
  timeoutMs = 10_000,
): Promise<void> {
  const body = JSON.stringify(sink.name === 'slack' ? slackBody(alert) : webhookBody(alert));
  let response: Response;
  try {
    response = await fetchFn(sink.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new SyncError(
      'UNREACHABLE',
      `the ${sink.name} alert sink could not be reached (${(err as Error).name})`,
    );
  }
  await response.arrayBuffer().catch(() => undefined);
  if (!response.ok)
    throw new SyncError('UNREACHABLE', `the ${sink.name} alert sink answered HTTP ${response.status}`);
}
