/**
 * The projection queue both stores keep (`inbox_pending`): what an acknowledgement queues for the
 * projection behind it, and in which rank. Decided here once; each store persists it in its SQL.
 */
import type { ProjectionSettings } from '../core/fan-out.ts';
import { isUrgentEvent } from '../core/priority.ts';
import type { IngestInput } from './types.ts';

/**
 * `inbox_pending.rank`: urgent rows (offboardings) are projected first; a row whose projection
 * failed alone is parked at its rank + `parked`, kept with its settings (and counted) until a
 * replay projects it again.
 */
export const RANK = { urgent: 0, normal: 1, parked: 2 } as const;

/**
 * The acknowledgement's part: whether `input` will be projected, with what, and whether ahead of
 * the others waiting (an offboarding). Null for a row that projects nothing (rejected, ignored).
 */
export function projectionOf(input: IngestInput): { settings: ProjectionSettings; urgent: boolean } | null {
  const event = input.event;
  if (input.status !== 'accepted' || event === null || event.kind === null) return null;
  return {
    settings: { jobConnectors: input.jobConnectors, clockSkewMs: input.clockSkewMs ?? null },
    urgent: isUrgentEvent(event),
  };
}
