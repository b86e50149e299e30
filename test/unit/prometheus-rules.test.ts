/**
 * docs/prometheus-alerts.yml may only name metrics the service serves: every metric selector in
 * every rule's `expr` is looked up in the registry /metrics is made from.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/metrics.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';

const RULES = readFileSync(new URL('../../docs/prometheus-alerts.yml', import.meta.url), 'utf8');

/** Metric names in a PromQL expression: identifiers that are not functions, keywords or inside {} / []. */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"[^"]*"/g, '')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without)\s*\([^)]*\)/g, ' ');
  const names = [...bare.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()/g)].map((m) => m[1]!);
  return names.filter((n) => !/^(and|or|unless|on|ignoring|group_left|group_right|bool|offset)$/.test(n));
}

describe('Prometheus alerting rules', () => {
  it('name only metrics that /metrics serves', async () => {
    const store = new SqliteStore({ path: ':memory:' });
    await store.migrate();
    const served = new Set((await createMetrics(store).registry.getMetricsAsJSON()).map((m) => m.name));
    await store.close();
    const exprs = [...RULES.matchAll(/^\s*expr:\s*(.+)$/gm)].map((m) => m[1]!);
    expect(exprs.length).toBeGreaterThanOrEqual(3);
    const named = exprs.flatMap(metricNames).map((n) => n.replace(/_(bucket|sum|count)$/, ''));
    expect(named).toEqual(expect.arrayContaining(['sync_dead_jobs', 'sync_held_changes']));
    expect(named).toContain('growrk_last_event_received_timestamp_seconds');
    expect(named).toContain('growrk_projection_failed_events');
    expect(named.filter((n) => !served.has(n))).toEqual([]);
  });

  it('finds the metric names of an expression', () => {
    expect(metricNames('time() - max(a_seconds{x="y"}) > 6 * 3600')).toEqual(['a_seconds']);
    expect(metricNames('sum by (le) (increase(b_total{result="held"}[1h])) > 0')).toEqual(['b_total']);
  });

  it('has an alert for dead jobs, held changes and silence', () => {
    const alerts = [...RULES.matchAll(/^\s*- alert:\s*(\S+)/gm)].map((m) => m[1]);
    expect(alerts).toEqual(
      expect.arrayContaining(['GrowrkSyncDeadJobs', 'GrowrkSyncHeldChanges', 'GrowrkSyncNoEvents']),
    );
  });
});
