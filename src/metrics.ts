import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { ProjectionBacklog, Store } from './store/types.ts';

/** The service's Prometheus metrics, on a registry of its own (one per app, so tests do not collide). */
export interface Metrics {
  registry: Registry;
  eventsReceived: Counter<'type' | 'result'>;
  /** Signed deliveries refused with a 400 (kept as rejected), by error code. */
  eventsRejected: Counter<'code'>;
  httpDuration: Histogram<'route' | 'method' | 'status'>;
  vendorCalls: Counter<'connector' | 'status'>;
  syncDuration: Histogram<'connector' | 'result'>;
  jobOutcomes: Counter<'connector' | 'result'>;
}

/** Creates the metrics; `store` feeds the jobs-by-state gauge at scrape time. */
export function createMetrics(store: Store | null, options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry });
  const eventsReceived = new Counter({
    name: 'growrk_events_received_total',
    help: 'Webhook deliveries by event type and result (accepted, duplicate, ignored, rejected, unauthorized, error).',
    labelNames: ['type', 'result'] as const,
    registers: [registry],
  });
  const eventsRejected = new Counter({
    name: 'growrk_events_rejected_total',
    help: 'Signed webhook deliveries refused with 400 and kept as rejected, by error code (e.g. TIMESTAMP_IN_FUTURE).',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency.',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const vendorCalls = new Counter({
    name: 'vendor_calls_total',
    help: 'Calls to target APIs by connector and HTTP status (or "network").',
    labelNames: ['connector', 'status'] as const,
    registers: [registry],
  });
  const syncDuration = new Histogram({
    name: 'sync_job_duration_seconds',
    help: 'Time to run one sync job.',
    labelNames: ['connector', 'result'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const jobOutcomes = new Counter({
    name: 'sync_outcomes_total',
    help: 'Sync outcomes by connector and result.',
    labelNames: ['connector', 'result'] as const,
    registers: [registry],
  });
  if (store) {
    // The dead-man switch's metric (docs/prometheus-alerts.yml): GroWrk cannot be polled, so
    // the age of the newest stored event is the only sign that deliveries stopped.
    new Gauge({
      name: 'growrk_last_event_received_timestamp_seconds',
      help: 'When the newest stored GroWrk event was received (Unix seconds); absent before the first.',
      registers: [registry],
      async collect() {
        const [newest] = await store.listEvents({ limit: 1 });
        if (newest) this.set(newest.receivedAt / 1000);
      },
    });
    // Work that needs a person: held changes (status held) and dead jobs, by connector and kind.
    const attention = oncePerScrape(() => store.countAttention());
    for (const [state, name, help] of [
      [
        'held',
        'sync_held_changes',
        'Changes the guardrails hold for approval, by connector and entity kind (store-wide).',
      ],
      [
        'dead',
        'sync_dead_jobs',
        'Sync jobs that gave up (dead, not replayed), by connector and entity kind (store-wide).',
      ],
    ] as const) {
      new Gauge({
        name,
        help,
        labelNames: ['connector', 'kind'] as const,
        registers: [registry],
        async collect() {
          const counts = await attention();
          this.reset();
          for (const c of counts)
            if (c.state === state) this.set({ connector: c.connector, kind: c.kind }, c.count);
        },
      });
    }
    // The projection behind the acknowledgement (both stores; PostgreSQL reads the shared
    // database): how far it is behind, whether this instance's last background slice failed (1:
    // it is retried, nothing is lost, but it needs a look), and how many events failed alone and
    // wait for a fix.
    const backlog = oncePerScrape(() => store.projectionBacklog());
    for (const [name, help, read] of [
      [
        'growrk_projection_backlog_events',
        'Acknowledged events whose projection and job fan-out have not run yet.',
        (b: ProjectionBacklog) => b.events,
      ],
      [
        'growrk_projection_backlog_age_seconds',
        'How long the oldest acknowledged, unprojected event has waited (0 when none waits).',
        (b: ProjectionBacklog) => b.oldestMs / 1000,
      ],
      [
        'growrk_projection_failing',
        "1 while the projection's last background slice failed (it is retried every second).",
        (b: ProjectionBacklog) => (b.lastError === null ? 0 : 1),
      ],
      [
        'growrk_projection_failed_events',
        'Acknowledged events kept with PROJECTION_FAILED (a bug): what they say waits for a fix and `events replay ID`.',
        (b: ProjectionBacklog) => b.failedEvents,
      ],
    ] as const) {
      new Gauge({
        name,
        help,
        registers: [registry],
        async collect() {
          this.set(read(await backlog()));
        },
      });
    }
    new Gauge({
      name: 'sync_lane_pending',
      help: "Pending sync jobs in each connector's lane (store-wide).",
      labelNames: ['connector'] as const,
      registers: [registry],
      async collect() {
        const counts = await store.countPendingByConnector();
        this.reset();
        for (const [connector, n] of Object.entries(counts)) this.set({ connector }, n);
      },
    });
    new Gauge({
      name: 'sync_jobs',
      help: 'Sync jobs by state.',
      labelNames: ['state'] as const,
      registers: [registry],
      async collect() {
        const counts = await store.countJobs();
        for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
      },
    });
  }
  return { registry, eventsReceived, eventsRejected, httpDuration, vendorCalls, syncDuration, jobOutcomes };
}

/**
 * A store read that several gauges of one scrape share: the gauges collect together, so while one
 * read is in flight every caller gets it, and the next scrape reads again.
 */
function oncePerScrape<T>(read: () => Promise<T>): () => Promise<T> {
  let inFlight: Promise<T> | null = null;
  return () => {
    inFlight ??= read().finally(() => {
      inFlight = null;
    });
    return inFlight;
  };
}
