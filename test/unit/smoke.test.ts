import { describe, expect, it } from 'vitest';
import { SyncError } from '../../src/errors.ts';

describe('errors', () => {
  it('maps codes to statuses', () => {
    expect(new SyncError('SIGNATURE_INVALID').status).toBe(401);
  });
});
