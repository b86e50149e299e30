/**
 * On SQLite the projection runs behind the acknowledgement and reads the event back from its
 * stored row. That row must give exactly the event the acknowledgement validated: for every
 * GroWrk sample, under the default allowlist and with extra fields dropped.
 */
import { describe, expect, it } from 'vitest';
import { projectedFromStored } from '../../src/core/fan-out.ts';
import { Ingestor } from '../../src/core/ingest.ts';
import { signBody } from '../../src/growrk/signature.ts';
import type { IngestInput, IngestResult, Store } from '../../src/store/types.ts';
import { fixtureBodies } from '../helpers/fixtures.ts';

const SECRET = 'stored-event-secret';

/** Catches what the ingestor hands to the store (the only store method it calls). */
function capturing(): { store: Store; inputs: IngestInput[] } {
  const inputs: IngestInput[] = [];
  const store = {
    ingest: async (input: IngestInput): Promise<IngestResult> => {
      inputs.push(input);
      return { id: input.id, duplicate: false, status: input.status };
    },
  } as unknown as Store;
  return { store, inputs };
}

describe('the stored body of an accepted event', () => {
  for (const dropFields of [[], ['email', 'serialNumber', 'displayName']]) {
    it(`parses back to the event the acknowledgement validated (dropFields ${JSON.stringify(dropFields)})`, async () => {
      const { store, inputs } = capturing();
      const ingestor = new Ingestor({ store, secrets: () => [SECRET], dropFields, jobConnectors: {} });
      const bodies = fixtureBodies();
      for (const body of bodies.values()) {
        const outcome = await ingestor.receive(Buffer.from(body), signBody(body, SECRET));
        expect(outcome.ok).toBe(true);
      }
      expect(inputs).toHaveLength(bodies.size);
      for (const input of inputs) {
        const event = input.event!;
        const back = projectedFromStored(input.id, input.body);
        expect(back, event.type).toEqual({ ...event, id: input.id, kind: event.kind });
        for (const field of dropFields) expect(input.body).not.toContain(`"${field}"`);
      }
    });
  }
});
