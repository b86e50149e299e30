/**
 * Snipe-IT's cost model for reconciliation reports. Listing: hardware at 500 a page, at least one
 * call, once for products and once more for employees (their returns come from the same listing).
 * Writes: one call per op (Snipe-IT has no batch endpoints), one user lookup per checkout whose
 * user was not known from the listing, plus a user create per `createUser` made. The floor is the
 * per-minute throttle.
 */
import { type CostModel, pages, windowFloorMs } from '../../src/connector/manifest.ts';
import type { SnipeItConfig } from './config.ts';
import { PAGE_SIZE, type SnipeOp } from './model.ts';

export const snipeItCost: CostModel<SnipeItConfig, SnipeOp> = {
  minimum: ({ kinds, applied, methods }) => {
    const hardware = kinds.find((k) => k.kind === 'product')?.listed ?? 0;
    const list =
      kinds.filter((k) => k.kind === 'product' || k.kind === 'employee').length * pages(hardware, PAGE_SIZE);
    let write = methods.get('createUser') ?? 0;
    for (const plan of applied) {
      for (const op of plan.ops) {
        write += 1;
        if (op.type === 'checkout' && op.args.userId === null) write += 1;
      }
    }
    return { list, write };
  },
  floorMs: (minimum, { config }) =>
    windowFloorMs(minimum.list + minimum.write, config.callsPerMinute, 60_000),
};
