/**
 * The fewest vendor calls a reconciliation run could have made, and the least wall time the
 * vendors' rate limits allow for them. Reconciliation prints both next to what it did. Each
 * connector's arithmetic is its manifest's cost model (`connectors/<id>/cost.ts`).
 */
import type { AppConfig } from '../config/types.ts';
import type { AnyConnectorConfig, CostInput, Minimum } from '../connector/manifest.ts';
import { connectorConfig, isConnectorId, manifestOf } from '../connector/registry.ts';
import type { Plan } from '../connector/types.ts';
import type { KindListing } from './types.ts';

export type { Minimum } from '../connector/manifest.ts';
export { windowFloorMs } from '../connector/manifest.ts';

/**
 * The plans submitted in a run, by shape (kind and op types: all a cost model reads), with how
 * many had each shape: a few entries however many plans, kept page by page and in the checkpoint.
 */
export type PlanShapes = Record<string, { plan: Plan; count: number }>;

/** Adds submitted plans to the shapes. */
export function addShapes(shapes: PlanShapes, plans: readonly Plan[]): void {
  for (const plan of plans) {
    const ops = plan.ops.map((op) => ({ type: op.type, destructive: op.destructive, description: '' }));
    const key = `${plan.kind}|${ops.map((op) => `${op.type}${op.destructive ? '!' : ''}`).join(',')}`;
    const entry = shapes[key];
    if (entry) entry.count += 1;
    else {
      shapes[key] = {
        plan: { connector: plan.connector, kind: plan.kind, entityId: '', target: null, ops, notes: [] },
        count: 1,
      };
    }
  }
}

/** The plans the shapes stand for, as the cost models take them (each shape's plan repeated). */
export function plansOf(shapes: Readonly<PlanShapes>): Plan[] {
  return Object.values(shapes).flatMap(({ plan, count }) => new Array<Plan>(count).fill(plan));
}

/** The cost model's input for one connector's run, or null for a connector no manifest describes. */
function costInput(
  connector: string,
  kinds: readonly KindListing[],
  applied: readonly Plan[],
  methods: ReadonlyMap<string, number>,
  config: AppConfig,
): CostInput<AnyConnectorConfig> | null {
  if (!isConnectorId(connector)) return null;
  return { kinds, applied, methods, config: connectorConfig(config, connector) };
}

/**
 * The minimum calls of one connector's run (a connector without a manifest: one call per page
 * listed and per op).
 * @param kinds how each kind was listed (records listed).
 * @param applied the plans submitted for applying (as submitted: destructive ops withheld are not in them).
 * @param methods client calls by method, for the per-item deletes.
 */
export function minimumCalls(
  connector: string,
  kinds: readonly KindListing[],
  applied: readonly Plan[],
  methods: ReadonlyMap<string, number>,
  config: AppConfig,
): Minimum {
  const input = costInput(connector, kinds, applied, methods, config);
  if (input && isConnectorId(connector)) return manifestOf(connector).cost.minimum(input);
  return {
    list: kinds.reduce((n, k) => n + k.pages, 0),
    write: applied.reduce((n, p) => n + p.ops.length, 0),
  };
}

/** Least wall time the vendor's limits allow for a connector's minimum (0 for an unknown connector). */
export function rateFloorMs(
  connector: string,
  minimum: Minimum,
  kinds: readonly KindListing[],
  config: AppConfig,
): number {
  const input = costInput(connector, kinds, [], new Map(), config);
  if (input && isConnectorId(connector)) return manifestOf(connector).cost.floorMs(minimum, input);
  return 0;
}
