import { describe, expect, it } from 'vitest';
import type { EntitySnapshot } from '../../src/core/projection.ts';
import { SyncError } from '../../src/errors.ts';
import { toVendorError } from './client.ts';
import {
  desiredFields,
  employeeState,
  keysOfEmployee,
  keysOfUser,
  newAccountFor,
  orgUnitPathOf,
  parseRecord,
  parseUser,
  recordIsOpen,
  suspendedByUs,
} from './mapping.ts';
import { searchValue } from './matching.ts';

function snap(data: Record<string, unknown>, eventType = 'employee.updated'): EntitySnapshot {
  return {
    kind: 'employee',
    id: 'emp-1',
    data: { id: 'emp-1', ...data },
    ts: 0,
    fieldTs: {},
    eventId: 'e',
    eventType,
    updatedAt: 0,
  };
}

describe('mapping', () => {
  it('reads the employee state strictly', () => {
    expect(employeeState(snap({ status: 'Offboarded' }))).toBe('offboarded');
    expect(employeeState(snap({ status: 'active' }, 'employee.offboarded'))).toBe('offboarded');
    expect(employeeState(snap({ status: 'ACTIVE' }))).toBe('active');
    expect(employeeState(snap({}))).toBe('other');
  });

  it('reads desired fields, lower-casing the manager e-mail', () => {
    expect(
      desiredFields(
        snap({ jobTitle: ' Lead ', department: '', manager: { id: 'm', email: 'Boss@Example.com' } }),
      ),
    ).toEqual({
      title: 'Lead',
      department: undefined,
      managerEmail: 'boss@example.com',
    });
  });

  it('gives desired keys most specific first and skips a secondary equal to the e-mail', () => {
    expect(keysOfEmployee(snap({ email: 'A@x.com', secondaryEmail: 'b@y.net' }))).toEqual([
      'ext:emp-1',
      'email:a@x.com',
      'email:b@y.net',
    ]);
    expect(keysOfEmployee(snap({ email: 'a@x.com', secondaryEmail: 'A@X.com' }))).toEqual([
      'ext:emp-1',
      'email:a@x.com',
    ]);
  });

  it('gives actual keys from GroWrk ids, the primary e-mail and aliases', () => {
    const user = parseUser(
      {
        id: '1',
        primaryEmail: 'A@x.com',
        aliases: ['Old@x.com'],
        externalIds: [
          { type: 'custom', customType: 'growrk', value: 'emp-1' },
          { type: 'organization', value: 'HR-1' },
        ],
      },
      'S',
    );
    expect(user && keysOfUser(user)).toEqual(['ext:emp-1', 'email:a@x.com', 'email:old@x.com']);
  });

  it('rejects users without an id or e-mail and drops the suspension reason of active users', () => {
    expect(parseUser({ primaryEmail: 'a@x.com' }, 'S')).toBeNull();
    expect(
      parseUser({ id: '1', primaryEmail: 'a@x.com', suspensionReason: 'ADMIN' }, 'S')?.suspensionReason,
    ).toBeUndefined();
  });

  it('reads our record and decides whether a suspension is ours', () => {
    expect(parseRecord({ Other: { suspendedBy: 'growrk-sync' } }, 'S')).toBeNull();
    const record = parseRecord(
      { S: { suspendedBy: 'growrk-sync', suspendedAt: '2024-01-02T00:00:00.000Z', junk: 1 } },
      'S',
    );
    expect(record).toEqual({ suspendedBy: 'growrk-sync', suspendedAt: '2024-01-02T00:00:00.000Z' });
    expect(recordIsOpen(record)).toBe(true);
    expect(recordIsOpen({ ...record, reactivatedAt: '2024-02-01T00:00:00.000Z' })).toBe(false);
    expect(recordIsOpen({ ...record, suspendedBy: 'someone' })).toBe(false);
    const base = { id: '1', primaryEmail: 'a@x.com', customSchemas: { S: record } };
    expect(suspendedByUs(parseUser({ ...base, suspended: true, suspensionReason: 'ADMIN' }, 'S')!)).toBe(
      true,
    );
    expect(suspendedByUs(parseUser({ ...base, suspended: true, suspensionReason: 'ABUSE' }, 'S')!)).toBe(
      false,
    );
    expect(suspendedByUs(parseUser({ ...base, suspended: false }, 'S')!)).toBe(false);
  });

  it('makes a new account from the GroWrk e-mail or the configured domain', () => {
    expect(newAccountFor(snap({ email: 'jo@x.com', displayName: 'Jo' }), '')).toEqual({
      primaryEmail: 'jo@x.com',
      givenName: 'Jo',
      familyName: 'Jo',
    });
    expect(newAccountFor(snap({ email: 'jo@x.com' }), 'x.com')?.primaryEmail).toBe('jo@x.com');
    expect(newAccountFor(snap({ email: 'jo@x.com' }), 'corp.org')?.primaryEmail).toBe('jo@corp.org');
    expect(newAccountFor(snap({}), '')).toBeNull();
  });

  it('normalises organisational unit paths', () => {
    expect(orgUnitPathOf('Former employees/')).toBe('/Former employees');
    expect(orgUnitPathOf(' /A/B ')).toBe('/A/B');
    expect(orgUnitPathOf('/')).toBe('/');
    expect(orgUnitPathOf('')).toBe('');
  });

  it('quotes search values only when needed', () => {
    expect(searchValue('emp-1')).toBe('emp-1');
    expect(searchValue("a b'c")).toBe("'a bc'");
  });
});

describe('toVendorError', () => {
  const gaxiosLike = (status: number, data: unknown, headers: Record<string, string> = {}) =>
    Object.assign(new Error('Request failed with a body containing johndoe@example.com'), {
      status,
      response: { status, data, headers: new Headers(headers) },
    });

  it("reads Google's reason and Retry-After, and keeps bodies and e-mails out", () => {
    const err = toVendorError(
      gaxiosLike(
        429,
        {
          error: {
            code: 429,
            message: 'quota for johndoe@example.com',
            errors: [{ reason: 'rateLimitExceeded' }],
          },
        },
        {
          'retry-after': '7',
        },
      ),
      'users.patch',
    );
    expect(err).toBeInstanceOf(SyncError);
    expect(err.code).toBe('VENDOR_RATE_LIMITED');
    expect(err.retryable).toBe(true);
    expect(err.retryAfterMs).toBe(7000);
    expect(err.message).toContain('rateLimitExceeded');
    expect(err.message).toContain('users.patch');
    expect(JSON.stringify({ m: err.message, c: String(err.cause), d: err.details })).not.toContain('johndoe');
  });

  it('classifies scopes, 404s, server errors, token refusals and resets', () => {
    const scope = toVendorError(
      gaxiosLike(403, { error: { errors: [{ reason: 'insufficientPermissions' }] } }),
      'x',
    );
    expect(scope.code).toBe('VENDOR_AUTH');
    expect(scope.retryable).toBe(false);
    expect(toVendorError(gaxiosLike(404, {}), 'x').code).toBe('TARGET_NOT_FOUND');
    expect(toVendorError(gaxiosLike(503, {}), 'x').code).toBe('VENDOR_UNAVAILABLE');
    const token = toVendorError(
      gaxiosLike(400, { error: 'unauthorized_client', error_description: 'x' }),
      'token',
    );
    expect(token.code).toBe('VENDOR_AUTH');
    expect(token.details?.reason).toBe('token endpoint refused: unauthorized_client');
    const reset = toVendorError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'x');
    expect(reset.code).toBe('VENDOR_UNAVAILABLE');
    expect(reset.message).toContain('ECONNRESET');
  });
});
