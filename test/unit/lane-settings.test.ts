import { describe, expect, it } from 'vitest';
import { BATCH_JOBS, laneSettings } from '../../src/sync/lane-settings.ts';

describe('lane settings', () => {
  const worker = { concurrency: 16, lanes: {} };

  it('defaults: WORKER_CONCURRENCY slots and as many jobs in flight; a bulk lane gathers one batch more', () => {
    expect(laneSettings({ bulk: false }, worker, 'dir')).toEqual({
      concurrency: 16,
      inFlight: 16,
      batchSize: 1,
    });
    expect(laneSettings({ bulk: true, lane: { concurrency: 2 } }, worker, 'crm')).toEqual({
      concurrency: 2,
      inFlight: 3 * BATCH_JOBS,
      batchSize: BATCH_JOBS,
    });
  });

  it('WORKER_LANES over what the manifest declares over the defaults', () => {
    const lanes = { crm: { inFlight: 500 }, dir: { concurrency: 4 } };
    expect(laneSettings({ bulk: true, lane: { concurrency: 2 } }, { ...worker, lanes }, 'crm')).toEqual({
      concurrency: 2,
      inFlight: 500,
      batchSize: BATCH_JOBS,
    });
    expect(laneSettings({ bulk: false, lane: { concurrency: 8 } }, { ...worker, lanes }, 'dir')).toEqual({
      concurrency: 4,
      inFlight: 4,
      batchSize: 1,
    });
    // A bulk lane always holds at least one batch.
    expect(
      laneSettings({ bulk: true }, { ...worker, lanes: { crm: { inFlight: 10 } } }, 'crm').inFlight,
    ).toBe(BATCH_JOBS);
  });
});
