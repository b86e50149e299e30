import { describe, expect, it } from 'vitest';
import {
  assigneeIdOf,
  mapEntity,
  plainValues,
  propertySpecs,
  readSource,
  sameValue,
  toHubSpotValue,
} from './mapping.ts';
import { hubspotConfig, snapshotOf } from './test-support.ts';

describe('contact mapping', () => {
  it('maps an employee to e-mail, names, job title, status and the unique GroWrk id', () => {
    const values = plainValues(
      mapEntity('employee', snapshotOf('employee.created'), hubspotConfig()).properties,
    );
    expect(values).toEqual({
      email: 'johndoe@example.com',
      firstname: 'John',
      lastname: 'Doe',
      jobtitle: 'Software Engineer',
      growrk_status: 'active',
      growrk_employee_id: 'emp-12345',
    });
  });

  it('marks an offboarded employee through the status property', () => {
    const values = plainValues(
      mapEntity('employee', snapshotOf('employee.offboarded'), hubspotConfig()).properties,
    );
    expect(values.growrk_status).toBe('offboarded');
  });

  it('follows a configured table, and leaves unmapped and unsent fields alone', () => {
    const config = hubspotConfig({
      idProperty: 'gw_id',
      contactProperties: { email: 'email', department: 'department', jobtitle: '', lastname: '@lastName' },
    });
    const values = plainValues(mapEntity('employee', snapshotOf('employee.created'), config).properties);
    expect(values).toEqual({
      email: 'johndoe@example.com',
      department: 'Engineering',
      lastname: 'Doe',
      gw_id: 'emp-12345',
    });
  });

  it('never writes sensitive or unsent fields of a reference-only employee', () => {
    const refOnly = {
      ...snapshotOf('employee.created'),
      id: 'emp-9',
      data: { id: 'emp-9', displayName: 'Ana María Ruiz' },
    };
    const values = plainValues(mapEntity('employee', refOnly, hubspotConfig()).properties);
    expect(values).toEqual({ firstname: 'Ana', lastname: 'María Ruiz', growrk_employee_id: 'emp-9' });
  });
});

describe('asset mapping', () => {
  it('maps a product to the asset properties with specs, dates and booleans as HubSpot takes them', () => {
    const values = plainValues(
      mapEntity('product', snapshotOf('product.assigned'), hubspotConfig()).properties,
    );
    expect(values).toMatchObject({
      growrk_product_id: 'prod-777',
      serial_number: 'C02XK0AAJGH5',
      title: 'MacBook Pro 14',
      model: 'MacBook Pro 14 (M3, 2023)',
      manufacturer: 'Apple',
      ram: '16GB',
      storage: '512GB',
      cpu: 'Apple M3 Pro',
      status: 'Deployed',
      condition: 'New',
      location: 'Employee',
      order_id: '12345',
      region: 'us',
      managed_by: 'GroWrk',
      mdm: 'Jamf',
      arrival_date: '2024-08-20',
      wiped: 'false',
      charger: 'true',
      legal_hold_status: 'none',
      url: 'https://app.growrk.com/companies/123/products/prod-777',
    });
  });

  it('finds the assignee only when the product is assigned', () => {
    expect(assigneeIdOf('product', snapshotOf('product.assigned'))).toBe('emp-12345');
    expect(assigneeIdOf('product', snapshotOf('product.created'))).toBeNull();
    expect(assigneeIdOf('product', snapshotOf('product.assigned', { assigned: false }))).toBeNull();
  });

  it('declares the unique product id among the properties init creates', () => {
    const specs = propertySpecs('product', hubspotConfig());
    expect(specs.find((s) => s.unique)?.name).toBe('growrk_product_id');
    expect(specs.find((s) => s.name === 'wiped')?.type).toBe('bool');
    expect(specs.find((s) => s.name === 'arrival_date')?.type).toBe('date');
  });
});

describe('deal mapping', () => {
  it('maps an order to name, amount, pipeline and the stage of its status', () => {
    const mapped = mapEntity('order', snapshotOf('order.statusChange'), hubspotConfig({ syncOrders: true }));
    expect(plainValues(mapped.properties)).toMatchObject({
      dealname: 'GroWrk order 12345',
      amount: '1102.5',
      pipeline: 'default',
      dealstage: 'contractsent',
      growrk_order_id: '12345',
    });
  });

  it('notes a status without a stage and leaves the stage alone', () => {
    const mapped = mapEntity(
      'order',
      snapshotOf('order.created', { status: 'lost in space' }),
      hubspotConfig(),
    );
    expect(mapped.properties.dealstage).toBeUndefined();
    expect(mapped.notes[0]).toMatch(/no deal stage/);
  });
});

describe('values', () => {
  it('reads dot paths and derived names', () => {
    expect(readSource({ id: '1', specs: { ram: '8GB' } }, 'specs.ram')).toBe('8GB');
    expect(readSource({ id: '1', specs: null }, 'specs.ram')).toBeNull();
    expect(readSource({ id: '1' }, 'specs.ram')).toBeUndefined();
    expect(readSource({ id: '1', displayName: 'Prince' }, '@lastName')).toBe('');
  });

  it('writes HubSpot strings and compares the way HubSpot stores them', () => {
    expect(toHubSpotValue('datetime', '2024-08-21T15:00:00Z')).toBe('2024-08-21T15:00:00.000Z');
    expect(toHubSpotValue('string', null)).toBe('');
    expect(toHubSpotValue('email', ' John@Example.com ')).toBe('john@example.com');
    expect(sameValue('string', '', null)).toBe(true);
    expect(sameValue('number', '1102.5', '1102.50')).toBe(true);
    expect(sameValue('date', '2024-08-20', String(Date.UTC(2024, 7, 20)))).toBe(true);
    expect(sameValue('datetime', '2024-08-21T15:00:00.000Z', '2024-08-21T15:00:00Z')).toBe(true);
    expect(sameValue('string', 'Shipped', 'Deployed')).toBe(false);
  });
});
