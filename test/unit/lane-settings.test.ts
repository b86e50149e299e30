import { describe, expect, it } from 'vitest';
import { laneSettings } from '../../src/sync/lane-settings.ts';

/** A batching connector's batch size (HubSpot's). */
const BATCH_JOBS = 100;

describe('lane settings', () => {
  const worker = { concurrency: 16, lanes: {} };

  it('defaults: WORKER_CONCURRENCY slots and as many jobs in flight; a bulk lane gathers one batch more', () => {
    expect(laneSettings({ batchSize: 1 }, worker, 'dir')).toEqual({
      concurrency: 16,
      inFlight: 16,
      batchSize: 1,
    });
    expect(laneSettings({ batchSize: BATCH_JOBS, lane: { concurrency: 2 } }, worker, 'crm')).toEqual({
      concurrency: 2,
      inFlight: 3 * BATCH_JOBS,
      batchSize: BATCH_JOBS,
    });
  });

  it('WORKER_LANES over what the manifest declares over the defaults', () => {
    const lanes = { crm: { inFlight: 500 }, dir: { concurrency: 4 } };
    expect(
      laneSettings({ batchSize: BATCH_JOBS, lane: { concurrency: 2 } }, { ...worker, lanes }, 'crm'),
    ).toEqual({
      concurrency: 2,
      inFlight: 500,
      batchSize: BATCH_JOBS,
    });
    expect(laneSettings({ batchSize: 1, lane: { concurrency: 8 } }, { ...worker, lanes }, 'dir')).toEqual({
      concurrency: 4,
      inFlight: 4,
      batchSize: 1,
    });
    // A bulk lane always holds at least one batch.
    expect(
      laneSettings({ batchSize: BATCH_JOBS }, { ...worker, lanes: { crm: { inFlight: 10 } } }, 'crm')
        .inFlight,
    ).toBe(BATCH_JOBS);
  });
});
