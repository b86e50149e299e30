import type { Logger } from 'pino';
import { applyEach, readEach } from '../../src/connector/each.ts';
import { defineConnector, type PlannedOp, type TargetRef } from '../../src/connector/types.ts';
import type { EntitySnapshot } from '../../src/core/projection.ts';
import { createRateLimiter } from '../../src/sync/rate-limiter.ts';
import type { ConnectorRuntime } from '../../src/sync/runtime.ts';

/**
 * A runtime of one hand-made connector `id` that syncs employees, one job at a time, for worker
 * tests: `read` answers (or throws) for each entity, every plan targets `target` with `ops`, and
 * `apply` reports `done`. Nothing else of it does anything.
 */
export function fakeRuntime(options: {
  id: string;
  logger: Logger;
  now: () => number;
  read: (desired: EntitySnapshot) => Promise<unknown>;
  target: TargetRef | null;
  ops: PlannedOp[];
  done: string[];
}): ConnectorRuntime {
  const { id } = options;
  const definition = defineConnector<unknown, unknown, unknown>({
    kinds: () => ['employee'],
    batchSize: 1,
    connect: () => null,
    read: readEach(async (_ctx, desired) => options.read(desired)),
    plan: ({ desired }) => ({
      connector: id,
      kind: 'employee',
      entityId: desired.id,
      target: options.target,
      ops: options.ops,
      notes: [],
    }),
    apply: applyEach(async () => ({ done: options.done, skipped: [] })),
    list: async function* () {},
    keysOfActual: () => [],
    keysOfDesired: () => [],
    check: async () => [],
    init: async () => [],
  });
  const ctx = {
    connector: id,
    config: {},
    client: null,
    logger: options.logger,
    limiter: createRateLimiter({ limit: 0, intervalMs: 1000 }),
    now: options.now,
    state: { get: async () => null, set: async () => {}, delete: async () => {} },
    entity: async () => null,
  };
  return {
    connectors: new Map([[id, { id, definition, ctx, lane: { concurrency: 1, inFlight: 1, batchSize: 1 } }]]),
    jobConnectors: { employee: [id] },
  } as unknown as ConnectorRuntime;
}
