import { describe, expect, it } from 'vitest';
import {
  bodyFilter,
  DEFAULT_KEEP_FIELDS,
  entityFilter,
  parseKeepFields,
} from '../../src/growrk/allowlist.ts';

describe('privacy allowlist', () => {
  it('keeps listed paths at any depth, array items by their array path, and everything below path.*', () => {
    const filter = entityFilter(['id', 'manager.email', 'tags', 'custom.name', 'specs.*'], []);
    expect(
      filter({
        id: 'e1',
        taxId: 'x',
        manager: { email: 'm@x', ssn: 'y' },
        tags: ['a', 'b'],
        custom: [
          { name: 'taxId', value: 'z' },
          { name: 'size', value: 'M' },
        ],
        specs: { ram: '16GB', nested: { cpu: 'M3' } },
      }),
    ).toEqual({
      id: 'e1',
      manager: { email: 'm@x' },
      tags: ['a', 'b'],
      custom: [{ name: 'taxId' }, { name: 'size' }],
      specs: { ram: '16GB', nested: { cpu: 'M3' } },
    });
  });

  it('drops the drop list whatever the allowlist says, case-insensitively', () => {
    expect(entityFilter(['specs.*', 'TaxId'], ['taxid'])({ TaxId: 1, specs: { taxId: 2, ram: 3 } })).toEqual({
      specs: { ram: 3 },
    });
  });

  it('keeps only the envelope and the entity array of the event family', () => {
    const { body } = bodyFilter(DEFAULT_KEEP_FIELDS, []);
    expect(
      body({
        event: 'employee.updated',
        timestamp: 't',
        companyId: 1,
        secret: 's',
        products: [{ id: 'p' }],
        employees: [{ id: 'e', email: 'e@x', salary: 1 }],
      }),
    ).toEqual({
      event: 'employee.updated',
      timestamp: 't',
      companyId: 1,
      employees: [{ id: 'e', email: 'e@x' }],
    });
    expect(body([1, 2])).toBeNull();
  });

  it('never copies a __proto__ key: the copy owns every field it shows, as its stored JSON does', () => {
    const { body } = bodyFilter({ ...DEFAULT_KEEP_FIELDS, product: ['id', 'specs.*'] }, []);
    const raw = JSON.parse(
      '{"event":"product.updated","timestamp":"t","companyId":1,"products":[{"id":"p","specs":{"ram":"16GB","__proto__":{"status":"offboarded","cpu":"x"}}}]}',
    ) as unknown;
    const kept = body(raw) as { products: Array<{ specs: Record<string, unknown> }> };
    const specs = kept.products[0]!.specs;
    expect(Object.getPrototypeOf(specs)).toBe(Object.prototype);
    expect(specs.status).toBeUndefined();
    expect(specs.cpu).toBeUndefined();
    expect(JSON.parse(JSON.stringify(kept))).toEqual(kept);
  });

  it('copies nesting far deeper than any call stack without recursion', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100_000; i += 1) deep = { a: deep };
    let out = entityFilter(['a.*'], [])({ a: deep }) as { a: unknown };
    let depth = 0;
    while (out && typeof out === 'object' && 'a' in out) {
      out = out.a as { a: unknown };
      depth += 1;
    }
    expect(depth).toBe(100_001);
    expect(out).toBe('leaf');
  });

  it('reads PRIVACY_KEEP_FIELDS entries: kind:path for one kind, a bare path for all', () => {
    expect(parseKeepFields(['employee:startDate', 'id'])).toEqual({
      employee: ['startDate', 'id'],
      product: ['id'],
      order: ['id'],
    });
  });
});
