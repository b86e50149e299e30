import { describe, expect, it } from 'vitest';
import { isSyncError } from '../../src/errors.ts';
import { checkTimestamp, DEFAULT_MAX_CLOCK_SKEW_MS } from '../../src/growrk/envelope.ts';

const NOW = Date.parse('2026-12-01T20:00:00Z');
const at = (ms: number) => ({ timestamp: new Date(ms).toISOString(), timestampMs: ms });

function refusal(ms: number, skew = DEFAULT_MAX_CLOCK_SKEW_MS): Error | null {
  try {
    checkTimestamp(at(ms), NOW, skew);
    return null;
  } catch (err) {
    return err as Error;
  }
}

describe('GroWrk timestamps in the future', () => {
  it('allows the past, the present and up to the skew ahead (5 minutes by default)', () => {
    expect(DEFAULT_MAX_CLOCK_SKEW_MS).toBe(5 * 60_000);
    expect(refusal(Date.parse('2024-08-17T12:34:56Z'))).toBeNull();
    expect(refusal(NOW)).toBeNull();
    expect(refusal(NOW + DEFAULT_MAX_CLOCK_SKEW_MS)).toBeNull();
  });

  it('refuses one millisecond past the skew with TIMESTAMP_IN_FUTURE, saying by how much', () => {
    const err = refusal(NOW + DEFAULT_MAX_CLOCK_SKEW_MS + 1);
    expect(isSyncError(err, 'TIMESTAMP_IN_FUTURE')).toBe(true);
    expect(err?.message).toContain('5m ahead');
    expect(err?.message).toContain('WEBHOOK_MAX_CLOCK_SKEW');
  });

  it('refuses the year 9999 and follows a configured skew', () => {
    const far = refusal(Date.parse('9999-12-31T23:59:59Z'));
    expect(isSyncError(far, 'TIMESTAMP_IN_FUTURE')).toBe(true);
    expect(far?.message).toMatch(/"timestamp" 9999-12-31T23:59:59\.000Z is \d+d ahead/);
    expect(refusal(NOW + 60_000, 0)).not.toBeNull();
    expect(refusal(NOW + 60 * 60_000, 2 * 60 * 60_000)).toBeNull();
  });
});
