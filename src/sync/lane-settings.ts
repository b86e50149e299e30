import type { AppConfig } from '../config/types.ts';
import type { LanePolicy } from '../connector/manifest.ts';

/** One connector's lane, resolved: what the worker runs it with. */
export interface LaneSettings {
  /** Units (a job or a batch) running at once. */
  concurrency: number;
  /** Most jobs claimed and not finished (running or waiting for a slot). */
  inFlight: number;
  /**
   * Jobs per unit: the connector's `batchSize` (its vendor's batch size, so one batch needs one
   * call per step; 1 for a connector that reads and applies one entity at a time).
   */
  batchSize: number;
}

/**
 * A connector's lane: `worker.lanes[<connector>]` (WORKER_LANES) over what its manifest declares
 * (`lane`) over the defaults: `worker.concurrency` slots and as many jobs in flight (a batching
 * connector: its batches running plus one gathering).
 */
export function laneSettings(
  connectorSide: { lane?: LanePolicy | undefined; batchSize: number },
  worker: Pick<AppConfig['worker'], 'concurrency' | 'lanes'>,
  connector: string,
): LaneSettings {
  const override = worker.lanes[connector] ?? {};
  const declared = connectorSide.lane ?? {};
  const batchSize = Math.max(1, Math.floor(connectorSide.batchSize));
  const concurrency = Math.max(1, override.concurrency ?? declared.concurrency ?? worker.concurrency);
  const inFlight = Math.max(
    batchSize,
    override.inFlight ?? declared.inFlight ?? (batchSize > 1 ? (concurrency + 1) * batchSize : concurrency),
  );
  return { concurrency, inFlight, batchSize };
}
