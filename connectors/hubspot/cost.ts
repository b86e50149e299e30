/**
 * HubSpot's cost model for reconciliation reports. The minimum of a run = listing + writes:
 * listing at the largest page (list and search: 100), at least one call per kind, plus one schema
 * lookup when the custom asset object is listed (its type id is needed to address it); writes, per
 * kind, one batch call per 100 creates, per 100 updates, per 100 association removals and per 100
 * association additions; new contacts also need one batch read by e-mail per 100 (a contact is
 * found by e-mail the first time, so that one that exists without the GroWrk id is adopted, never
 * duplicated). The floor: the ten-second limit over all calls, and the search limit (per second)
 * over the contact and deal listings, which use search; the larger wins.
 */
import { type CostModel, pages, windowFloorMs } from '../../src/connector/manifest.ts';
import type { Plan } from '../../src/connector/types.ts';
import type { HubSpotConfig } from './config.ts';

const PAGE = 100;
const BATCH = 100;

function writes(plans: readonly Plan[]): number {
  const counts = new Map<string, number>();
  for (const plan of plans) {
    for (const op of plan.ops) {
      const family = op.type.startsWith('create-')
        ? 'create'
        : op.type.startsWith('update-')
          ? 'update'
          : op.type;
      const key = `${plan.kind}:${family}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  let calls = Math.ceil((counts.get('employee:create') ?? 0) / BATCH);
  for (const n of counts.values()) calls += Math.ceil(n / BATCH);
  return calls;
}

export const hubspotCost: CostModel<HubSpotConfig> = {
  minimum: ({ kinds, applied }) => {
    const schemaLookup = kinds.some((k) => k.kind === 'product') ? 1 : 0;
    return {
      list: schemaLookup + kinds.reduce((n, k) => n + pages(k.listed, PAGE), 0),
      write: writes(applied),
    };
  },
  floorMs: (minimum, { kinds, config }) => {
    const searches = kinds
      .filter((k) => k.kind === 'employee' || k.kind === 'order')
      .reduce((n, k) => n + pages(k.listed, PAGE), 0);
    return Math.max(
      windowFloorMs(minimum.list + minimum.write, config.callsPer10s, 10_000),
      windowFloorMs(searches, config.searchPerSecond, 1_000),
    );
  },
};
