/** Planning and mapping, pure, on the GroWrk fixtures. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import type { EntitySnapshot } from '../../src/core/projection.ts';
import { parseEnvelope } from '../../src/growrk/envelope.ts';
import { DEFAULT_SENSITIVE_FIELDS } from '../../src/growrk/privacy.ts';
import { fixture } from '../../test/helpers/fixtures.ts';
import type { SnipeItConfig } from './config.ts';
import { parseAsset, statusFor } from './mapping.ts';
import type { SnipeActual, SnipeAsset } from './model.ts';
import { planEntity } from './plan.ts';

const config: SnipeItConfig = { ...loadConfig({ env: {}, cwd: '/nonexistent' }).snipeit, modelId: 7 };

function snapshotOf(eventType: string, change: Record<string, unknown> = {}): EntitySnapshot {
  const event = parseEnvelope(fixture(eventType), DEFAULT_SENSITIVE_FIELDS);
  const entity = event.entities[0];
  if (!entity || !event.kind) throw new Error(`fixture ${eventType} has no entity`);
  return {
    kind: event.kind,
    id: entity.id,
    data: { ...entity, ...change },
    ts: event.timestampMs,
    fieldTs: {},
    eventId: `evt-${eventType}`,
    eventType,
    updatedAt: event.timestampMs,
  };
}

/** The asset a sync of product.created leaves behind. */
function inStep(overrides: Partial<SnipeAsset> = {}): SnipeAsset {
  return {
    id: 41,
    tag: 'prod-777',
    serial: 'C02XK0AAJGH5',
    name: 'MacBook Pro 14',
    modelId: 7,
    status: 'Ready to Deploy',
    assignedTo: null,
    growrkId: 'prod-777',
    orderId: '12345',
    ...overrides,
  };
}

type Lookup = Extract<SnipeActual, { kind: 'product' }>['assignee'];

const product = (asset: SnipeAsset | null, assignee: Lookup = null): SnipeActual => ({
  kind: 'product',
  asset,
  assignee,
});

describe('product plans', () => {
  it('creates a missing asset with the model, the mapped status and the GroWrk ids', () => {
    const plan = planEntity({ desired: snapshotOf('product.created'), actual: product(null), config });
    expect(plan.ops.map((op) => op.type)).toEqual(['create-asset']);
    expect(plan.ops[0]?.args).toEqual({
      tag: 'prod-777',
      modelId: 7,
      fields: {
        name: 'MacBook Pro 14',
        serial: 'C02XK0AAJGH5',
        status: 'Ready to Deploy',
        custom: { 'GroWrk product id': 'prod-777', 'GroWrk order id': '12345' },
      },
    });
  });

  it('changes nothing for an asset in step', () => {
    const plan = planEntity({ desired: snapshotOf('product.created'), actual: product(inStep()), config });
    expect(plan.ops).toEqual([]);
  });

  it('adopts an asset found by serial: writes the GroWrk ids, keeps its tag', () => {
    const found = inStep({ tag: 'IT-0001', growrkId: null, orderId: null, name: 'Mac' });
    const plan = planEntity({ desired: snapshotOf('product.created'), actual: product(found), config });
    expect(plan.ops).toHaveLength(1);
    expect(plan.ops[0]).toMatchObject({
      type: 'update-asset',
      args: {
        assetId: 41,
        fields: {
          name: 'MacBook Pro 14',
          custom: { 'GroWrk product id': 'prod-777', 'GroWrk order id': '12345' },
        },
      },
    });
  });

  it('checks out to the user read found; checks in and out again when someone else holds it', () => {
    const user = { id: 5, email: 'johndoe@example.com', username: 'jdoe' };
    const desired = snapshotOf('product.assigned');
    const free = planEntity({ desired, actual: product(inStep(), { email: user.email, user }), config });
    expect(free.ops.map((op) => [op.type, op.args])).toEqual([
      [
        'checkout',
        { assetId: 41, userId: 5, email: user.email, displayName: 'John Doe', employeeId: 'emp-12345' },
      ],
    ]);
    const held = inStep({ assignedTo: { id: 9, type: 'user', email: 'other@example.com' } });
    const swap = planEntity({ desired, actual: product(held, { email: user.email, user }), config });
    expect(swap.ops.map((op) => op.type)).toEqual(['checkin', 'checkout']);
    const mine = inStep({ assignedTo: { id: 5, type: 'user', email: user.email } });
    expect(planEntity({ desired, actual: product(mine), config }).ops).toEqual([]);
  });

  it('checks in when GroWrk no longer assigns it', () => {
    const held = inStep({ assignedTo: { id: 5, type: 'user', email: 'johndoe@example.com' } });
    const desired = snapshotOf('product.created');
    expect(planEntity({ desired, actual: product(held), config }).ops.map((op) => op.type)).toEqual([
      'checkin',
    ]);
  });

  it('notes an assignee without a Snipe-IT user instead of planning a checkout that must fail', () => {
    const desired = snapshotOf('product.assigned');
    const plan = planEntity({
      desired,
      actual: product(inStep(), { email: 'johndoe@example.com', user: null }),
      config,
    });
    expect(plan.ops).toEqual([]);
    expect(plan.notes[0]).toMatch(/no Snipe-IT user .* emp-12345/);
    const creating = planEntity({
      desired,
      actual: product(inStep(), { email: 'johndoe@example.com', user: null }),
      config: { ...config, createUsers: true },
    });
    expect(creating.ops.map((op) => op.type)).toEqual(['checkout']);
  });

  it('maps statuses, legal hold first', () => {
    expect(statusFor({ status: 'Shipped' }, config)).toBe('Ready to Deploy');
    expect(statusFor({ status: 'Deployed', legalHoldStatus: 'active' }, config)).toBe('Legal Hold');
    expect(statusFor({ status: 'Something new' }, config)).toBe('Ready to Deploy');
    expect(statusFor({ status: 'Lost', legalHoldStatus: 'none' }, config)).toBe('Lost/Stolen');
  });
});

describe('employee plans', () => {
  it("reports an offboarded employee's outstanding assets as returns, with no op", () => {
    const user = { id: 5, email: 'johndoe@example.com', username: 'jdoe' };
    const actual: SnipeActual = { kind: 'employee', user, assets: [inStep()] };
    const plan = planEntity({ desired: snapshotOf('employee.offboarded'), actual, config });
    expect(plan.ops).toEqual([]);
    expect(plan.notes).toEqual([
      'returns: employee emp-12345 is offboarded and still has 1 asset(s) checked out in Snipe-IT: prod-777 (serial C02XK0AAJGH5); they are not checked in until they come back',
    ]);
  });

  it('says nothing for an active employee or one with nothing outstanding', () => {
    const user = { id: 5, email: 'johndoe@example.com', username: 'jdoe' };
    expect(planEntity({ desired: snapshotOf('employee.created'), actual: null, config }).notes).toEqual([]);
    const none: SnipeActual = { kind: 'employee', user, assets: [] };
    expect(planEntity({ desired: snapshotOf('employee.offboarded'), actual: none, config }).notes).toEqual(
      [],
    );
  });
});

describe('reading the API', () => {
  it('parses a transformed asset, unescaping what Snipe-IT escaped', () => {
    const asset = parseAsset(
      {
        id: 3,
        asset_tag: 'A&amp;B',
        serial: 'S',
        name: 'Jo&#039;s Mac',
        model: { id: 7, name: 'M' },
        status_label: { id: 1, name: 'Ready to Deploy', status_type: 'deployable' },
        assigned_to: { id: 5, email: 'JohnDoe@Example.com', type: 'user' },
        custom_fields: { 'GroWrk product id': { field: '_snipeit_growrk_product_id_1', value: 'prod-1' } },
      },
      config,
    );
    expect(asset).toEqual({
      id: 3,
      tag: 'A&B',
      serial: 'S',
      name: "Jo's Mac",
      modelId: 7,
      status: 'Ready to Deploy',
      assignedTo: { id: 5, type: 'user', email: 'johndoe@example.com' },
      growrkId: 'prod-1',
      orderId: null,
    });
  });
});
