import type { OutcomeInput } from '../store/types.ts';
import type { ProjectionInput } from './projection.ts';

/**
 * The connector column of ledger rows the projection writes itself, for no connector in
 * particular: an event that changed nothing is recorded once, whatever connectors are enabled.
 */
export const PROJECTION_LEDGER = '-';

/**
 * The ledger row of an event that changed nothing for one entity because a newer event had been
 * applied already: it names that event, so nothing is dropped without a trace.
 */
export function supersededOutcome(
  input: Extract<ProjectionInput, { mode: 'full' }>,
  by: { eventId: string; ts: number },
  at: number,
): OutcomeInput {
  const newer = new Date(by.ts).toISOString();
  const own = new Date(input.ts).toISOString();
  return {
    eventId: input.eventId,
    connector: PROJECTION_LEDGER,
    kind: input.kind,
    entityId: input.entity.id,
    result: 'superseded',
    summary: `superseded by ${by.eventId} (GroWrk time ${newer}, newer than this event's ${own}): nothing changed`,
    detail: { supersededBy: by.eventId, supersededByTimestamp: newer, timestamp: own },
    at,
  };
}
