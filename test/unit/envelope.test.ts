import { describe, expect, it } from 'vitest';
import { isSyncError } from '../../src/errors.ts';
import { parseEnvelope, parseJsonBody } from '../../src/growrk/envelope.ts';
import { DEFAULT_SENSITIVE_FIELDS } from '../../src/growrk/privacy.ts';
import { EVENT_TYPES } from '../../src/growrk/types.ts';
import { fixture, fixtureBodies, SENSITIVE_VALUES } from '../helpers/fixtures.ts';

const drop = DEFAULT_SENSITIVE_FIELDS;

function problemsOf(body: unknown): string[] {
  try {
    parseEnvelope(body, drop);
  } catch (err) {
    if (isSyncError(err, 'ENVELOPE_INVALID')) return (err.details?.problems as string[]) ?? [];
    throw err;
  }
  return [];
}

describe('envelope', () => {
  it('parses all ten fixtures into their family', () => {
    const bodies = fixtureBodies();
    expect([...bodies.keys()].sort()).toEqual([...EVENT_TYPES].sort());
    for (const [type, body] of bodies) {
      const event = parseEnvelope(parseJsonBody(body), drop);
      expect(event.type).toBe(type);
      expect(event.known).toBe(true);
      expect(event.kind).toBe(type.split('.')[0]);
      expect(event.entities).toHaveLength(1);
      expect(event.companyId).toBe('123');
    }
  });

  it('drops the sensitive employee fields and keeps the rest', () => {
    const event = parseEnvelope(fixture('employee.offboarded'), drop);
    const text = JSON.stringify(event);
    for (const value of SENSITIVE_VALUES) expect(text).not.toContain(value);
    const employee = event.entities[0]!;
    expect(employee.jobTitle).toBe('Software Engineer');
    expect(employee.email).toBe('johndoe@example.com');
    expect(employee).not.toHaveProperty('taxId');
    expect(employee).not.toHaveProperty('emergencyContact');
  });

  it('is lenient inside entities: numeric ids, unknown keys, nulls', () => {
    const event = parseEnvelope(
      {
        event: 'product.created',
        timestamp: '2024-08-20T10:00:01.123+02:00',
        companyId: 123,
        products: [{ id: 777, newKey: 'x', status: null }],
      },
      drop,
    );
    expect(event.entities[0]).toEqual({ id: '777', newKey: 'x', status: null });
    expect(event.companyId).toBe('123');
    expect(event.timestamp).toBe('2024-08-20T08:00:01.123Z');
  });

  it('with no fields to drop, normalises ids the same way and keeps every field', () => {
    const body = {
      event: 'employee.updated',
      timestamp: '2024-08-20T10:00:00Z',
      companyId: 'c',
      employees: [
        { id: 42, taxId: 'kept: nothing to drop' },
        { id: ' e2 ', email: 'e2@x' },
        { id: 'e3', email: 'e3@x' },
      ],
    };
    const event = parseEnvelope(body, []);
    expect(event.entities).toEqual([
      { id: '42', taxId: 'kept: nothing to drop' },
      { id: 'e2', email: 'e2@x' },
      { id: 'e3', email: 'e3@x' },
    ]);
    // What the ingest validates is what it stores: the same entities as parsing the stored text.
    expect(parseEnvelope(JSON.parse(JSON.stringify(body)), [])).toEqual(event);
  });

  it('names every problem of an invalid envelope', () => {
    const problems = problemsOf({
      event: 'employee.updated',
      timestamp: 'yesterday',
      employees: [{ name: 'x' }, 5],
    });
    expect(problems.join('\n')).toMatch(/timestamp/);
    expect(problems.join('\n')).toMatch(/companyId/);
    expect(problems.join('\n')).toMatch(/employees\[0\]\.id/);
    expect(problems.join('\n')).toMatch(/employees\[1\]/);
    expect(problemsOf({ event: 'order.created', timestamp: '2024-08-17T12:34:56Z', companyId: '1' })).toEqual(
      ['"orders" must be a non-empty array for a order.created event'],
    );
    expect(problemsOf([1, 2])).toEqual([]);
  });

  it('keeps an unknown event type as not known, without requiring entities', () => {
    const event = parseEnvelope(
      { event: 'invoice.paid', timestamp: '2024-08-17T12:34:56Z', companyId: '1' },
      drop,
    );
    expect(event.known).toBe(false);
    expect(event.kind).toBeNull();
  });

  it('rejects a body that is not JSON', () => {
    expect(() => parseJsonBody('{"event": ')).toThrow(/not valid JSON/);
  });

  it('parses exactly the bytes of a view, not the buffer around it', () => {
    const whole = new TextEncoder().encode('xx{"event":"employee.updated","n":"é"}yy');
    const view = whole.subarray(2, whole.length - 2);
    expect(parseJsonBody(view)).toEqual({ event: 'employee.updated', n: 'é' });
  });
});
