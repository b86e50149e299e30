import { describe, expect, it } from 'vitest';
import { type EntitySnapshot, project, projectionInputs } from '../../src/core/projection.ts';
import { parseEnvelope, parseJsonBody } from '../../src/growrk/envelope.ts';
import { DEFAULT_SENSITIVE_FIELDS } from '../../src/growrk/privacy.ts';
import { fixtureBodies } from '../../test/helpers/fixtures.ts';
import { decideClosing, equipmentItem } from './closing.ts';
import type { GoogleConfig } from './config.ts';

/** The product snapshot the real projection makes from the product.statusChange fixture, edited. */
function laptop(edit: (p: Record<string, unknown>) => void = () => {}): EntitySnapshot {
  const event = parseEnvelope(
    parseJsonBody(fixtureBodies().get('product.statusChange') ?? ''),
    DEFAULT_SENSITIVE_FIELDS,
  );
  for (const entity of event.entities) edit(entity);
  const input = projectionInputs({ ...event, id: 'evt-p', kind: 'product' })[0];
  const snap = input ? project(null, input, 0) : null;
  if (!snap) throw new Error('no snapshot');
  return snap;
}

const config = {
  closingReturnedStatuses: ['returned', 'in warehouse'],
  closingRequireWiped: true,
  closingGrace: 0,
} as GoogleConfig;
const EMPLOYEE = 'emp-12345';
const decide = (
  products: EntitySnapshot[],
  over: Partial<GoogleConfig> = {},
  now = 0,
  suspendedAt: number | null = 0,
) => decideClosing({ products, employeeId: EMPLOYEE, config: { ...config, ...over }, suspendedAt, now });

describe('the closing gate', () => {
  it('keeps the offboarding open while a product is deployed or shipped, naming it', () => {
    const decision = decide([
      laptop(),
      laptop((p) => Object.assign(p, { id: 'prod-2', serialNumber: 'S2', status: 'Shipped' })),
    ]);
    expect(decision).toMatchObject({
      kind: 'blocked',
      blockedBy: '2 product(s) not back: C02XK0AAJGH5 (Deployed, not wiped), S2 (Shipped, not wiped)',
    });
  });

  it('counts a returned status (any case) only once wiped, where the product reports wiped', () => {
    expect(decide([laptop((p) => Object.assign(p, { status: 'Returned', wiped: false }))]).kind).toBe(
      'blocked',
    );
    expect(decide([laptop((p) => Object.assign(p, { status: 'IN WAREHOUSE', wiped: true }))]).kind).toBe(
      'close',
    );
    expect(decide([laptop((p) => Object.assign(p, { status: 'Returned', wiped: undefined }))]).kind).toBe(
      'close',
    );
    expect(
      decide([laptop((p) => Object.assign(p, { status: 'Returned', wiped: false }))], {
        closingRequireWiped: false,
      }).kind,
    ).toBe('close');
  });

  it('counts an unassigned or reassigned product as back', () => {
    const unassigned = laptop((p) => Object.assign(p, { assigned: false, wiped: true }));
    expect(equipmentItem(unassigned, EMPLOYEE, config).back).toBe(true);
    const elsewhere = laptop((p) => Object.assign(p, { employee: { id: 'emp-9' }, wiped: true }));
    expect(decide([elsewhere])).toMatchObject({ kind: 'close', reason: 'every product is back' });
  });

  it('blocks on a legal hold, even when everything is back and the grace period is over', () => {
    const held = laptop((p) =>
      Object.assign(p, { status: 'Returned', wiped: true, legalHoldStatus: 'Active' }),
    );
    expect(decide([held], { closingGrace: 1000 }, 5000)).toEqual({
      kind: 'blocked',
      blockedBy: 'legal hold on C02XK0AAJGH5 (Active)',
      equipment: [expect.objectContaining({ legalHold: 'Active', back: true })],
    });
  });

  it('closes after the grace period with equipment out, and says when to look again before it', () => {
    expect(decide([laptop()], { closingGrace: 1000 }, 400)).toMatchObject({
      kind: 'blocked',
      recheckAfterMs: 600,
    });
    expect(decide([laptop()], { closingGrace: 1000 }, 1000)).toMatchObject({
      kind: 'close',
      reason: 'grace period over with 1 product(s) not back: C02XK0AAJGH5 (Deployed, not wiped)',
    });
    expect(decide([laptop()], {}, 10_000_000)).toMatchObject({ kind: 'blocked' });
  });

  it('closes at once when nothing was assigned', () => {
    expect(decide([])).toEqual({ kind: 'close', reason: 'every product is back', equipment: [] });
  });
});
