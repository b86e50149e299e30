import { describe, expect, it } from 'vitest';
import { mapEntity, plainValues } from './mapping.ts';
import { planEntity } from './plan.ts';
import { actualOf, hubspotConfig, snapshotOf } from './test-support.ts';

const config = hubspotConfig();

/** The record HubSpot would hold after a sync of this snapshot. */
function inStep(eventType: string, kind: 'employee' | 'product' | 'order', cfg = config) {
  const snapshot = snapshotOf(eventType);
  return plainValues(mapEntity(kind, snapshot, cfg).properties);
}

describe('employee plans', () => {
  it('creates a missing contact by upsert on the GroWrk id', () => {
    const plan = planEntity({ desired: snapshotOf('employee.created'), actual: null, config });
    expect(plan.ops.map((o) => o.type)).toEqual(['create-contact']);
    expect(plan.ops[0]?.args).toMatchObject({ idProperty: 'growrk_employee_id', idValue: 'emp-12345' });
    expect(plan.target).toMatchObject({ id: null, email: 'johndoe@example.com' });
  });

  it('changes nothing when the contact is in step (a redelivery)', () => {
    const actual = actualOf('employee', { properties: inStep('employee.created', 'employee') });
    const plan = planEntity({ desired: snapshotOf('employee.created'), actual, config });
    expect(plan.ops).toEqual([]);
  });

  it('diffs property by property, with before and after', () => {
    const actual = actualOf('employee', { id: '77', properties: inStep('employee.created', 'employee') });
    const plan = planEntity({ desired: snapshotOf('employee.updated'), actual, config });
    expect(plan.ops).toHaveLength(1);
    expect(plan.ops[0]).toMatchObject({
      type: 'update-contact',
      destructive: false,
      changes: [{ field: 'jobtitle', before: 'Software Engineer', after: 'Senior Software Engineer' }],
      args: { id: '77', properties: { jobtitle: 'Senior Software Engineer' } },
    });
  });

  it('sets the GroWrk id on a contact found by e-mail, and updates the status when offboarded', () => {
    const { growrk_employee_id: _, ...withoutId } = inStep('employee.created', 'employee');
    const actual = actualOf('employee', { id: '77', properties: withoutId }, { foundBy: 'email' });
    const plan = planEntity({ desired: snapshotOf('employee.offboarded'), actual, config });
    expect(plan.ops[0]?.changes).toEqual([
      { field: 'growrk_status', before: 'active', after: 'offboarded' },
      { field: 'growrk_employee_id', before: null, after: 'emp-12345' },
    ]);
    expect(plan.ops.some((o) => o.destructive)).toBe(false);
  });

  it('leaves alone a contact that carries another employee id', () => {
    const properties = { ...inStep('employee.created', 'employee'), growrk_employee_id: 'emp-other' };
    const plan = planEntity({
      desired: snapshotOf('employee.created'),
      actual: actualOf('employee', { properties }),
      config,
    });
    expect(plan.ops).toEqual([]);
    expect(plan.notes[0]).toMatch(/emp-other/);
  });
});

describe('asset plans', () => {
  it('creates the asset and associates it with the assignee’s contact', () => {
    const plan = planEntity({ desired: snapshotOf('product.assigned'), actual: null, config });
    expect(plan.ops.map((o) => o.type)).toEqual(['create-asset', 'associate-contact']);
    expect(plan.ops[1]?.args).toEqual({ employeeId: 'emp-12345', contactId: null, missing: false });
    expect(plan.target?.label).toBe('asset C02XK0AAJGH5');
  });

  it('updates only the changed status when a product ships', () => {
    const properties = inStep('product.created', 'product');
    const actual = actualOf(
      'product',
      { id: '900', properties, contactIds: ['42'] },
      { managedContacts: { '42': 'emp-12345' } },
    );
    const plan = planEntity({ desired: snapshotOf('product.shipped'), actual, config });
    expect(plan.ops.map((o) => o.type)).toEqual(['update-asset']);
    expect(plan.ops[0]?.changes).toEqual([{ field: 'status', before: 'In inventory', after: 'Shipped' }]);
  });

  it('is empty when properties and association are in step', () => {
    const actual = actualOf(
      'product',
      { id: '900', properties: inStep('product.assigned', 'product'), contactIds: ['42'] },
      { assignee: { employeeId: 'emp-12345', contactId: '42' } },
    );
    expect(planEntity({ desired: snapshotOf('product.assigned'), actual, config }).ops).toEqual([]);
  });

  it('on reassignment removes the old employee’s association and adds the new one', () => {
    const desired = snapshotOf('product.assigned', {
      employee: { id: 'emp-2', displayName: 'Ana Ruiz', email: 'ana@example.com' },
    });
    const actual = actualOf(
      'product',
      {
        id: '900',
        properties: plainValues(mapEntity('product', desired, config).properties),
        contactIds: ['42'],
      },
      { managedContacts: { '42': 'emp-12345' }, assignee: { employeeId: 'emp-2', contactId: '43' } },
    );
    const plan = planEntity({ desired, actual, config });
    expect(plan.ops.map((o) => [o.type, o.args, o.destructive])).toEqual([
      ['dissociate-contact', { contactId: '42', employeeId: 'emp-12345' }, false],
      ['associate-contact', { employeeId: 'emp-2', contactId: '43', missing: false }, false],
    ]);
  });

  it('asks apply to create the new assignee’s contact when read found none', () => {
    const desired = snapshotOf('product.assigned', { employee: { id: 'emp-2', displayName: 'Ana Ruiz' } });
    const actual = actualOf(
      'product',
      {
        id: '900',
        properties: plainValues(mapEntity('product', desired, config).properties),
        contactIds: [],
      },
      { assignee: { employeeId: 'emp-2', contactId: null } },
    );
    const plan = planEntity({ desired, actual, config });
    expect(plan.ops.map((o) => o.args)).toEqual([{ employeeId: 'emp-2', contactId: null, missing: true }]);
  });

  it('keeps associations with contacts that are no GroWrk employee’s, and unassigned removes ours', () => {
    const desired = snapshotOf('product.assigned', { assigned: false, employee: null });
    const actual = actualOf(
      'product',
      {
        id: '900',
        properties: plainValues(mapEntity('product', desired, config).properties),
        contactIds: ['42', '7'],
      },
      { managedContacts: { '42': 'emp-12345' } },
    );
    const plan = planEntity({ desired, actual, config });
    expect(plan.ops.map((o) => [o.type, o.args])).toEqual([
      ['dissociate-contact', { contactId: '42', employeeId: 'emp-12345' }],
    ]);
    expect(plan.notes.join(' ')).toMatch(/contact 7 .* left alone/);
  });
});

describe('order plans', () => {
  it('plans nothing for orders unless syncOrders is on', () => {
    const off = planEntity({ desired: snapshotOf('order.created'), actual: null, config });
    expect(off.ops).toEqual([]);
    expect(off.notes[0]).toMatch(/syncOrders/);
  });

  it('creates a deal in the configured pipeline and stage, associated with the employee', () => {
    const on = hubspotConfig({ syncOrders: true, dealPipeline: 'it-orders' });
    const plan = planEntity({ desired: snapshotOf('order.created'), actual: null, config: on });
    expect(plan.ops.map((o) => o.type)).toEqual(['create-deal', 'associate-contact']);
    expect(plan.ops[0]?.args).toMatchObject({
      idProperty: 'growrk_order_id',
      properties: {
        pipeline: 'it-orders',
        dealstage: 'appointmentscheduled',
        dealname: 'GroWrk order 12345',
      },
    });
  });

  it('moves the deal stage when the order closes', () => {
    const on = hubspotConfig({ syncOrders: true });
    const actual = actualOf(
      'order',
      { id: '300', properties: inStep('order.statusChange', 'order', on), contactIds: ['42'] },
      { managedContacts: { '42': 'emp-12345' } },
    );
    const plan = planEntity({ desired: snapshotOf('order.statusClosed'), actual, config: on });
    expect(plan.ops.map((o) => o.type)).toEqual(['update-deal']);
    expect(plan.ops[0]?.changes?.map((c) => c.field)).toEqual([
      'closedate',
      'growrk_order_status',
      'dealstage',
    ]);
  });
});
