/**
 * Helpers for the connector's unit tests: snapshots from the GroWrk fixtures and the default
 * configuration. Not used by the connector itself.
 */
import { loadConfig } from '../../src/config/load.ts';
import type { EntitySnapshot } from '../../src/core/projection.ts';
import { parseEnvelope } from '../../src/growrk/envelope.ts';
import { DEFAULT_SENSITIVE_FIELDS } from '../../src/growrk/privacy.ts';
import { fixture } from '../../test/helpers/fixtures.ts';
import type { HubSpotConfig } from './config.ts';
import type { HubSpotActual, HubSpotRecord } from './model.ts';

/** The HubSpot configuration with defaults, plus overrides. */
export function hubspotConfig(overrides: Partial<HubSpotConfig> = {}): HubSpotConfig {
  const config = loadConfig({ env: {}, cwd: '/nonexistent' }).hubspot;
  return { ...config, ...overrides };
}

/** The snapshot a fixture event yields for its (single) entity, optionally changed. */
export function snapshotOf(eventType: string, change: Record<string, unknown> = {}): EntitySnapshot {
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

/** An Actual for a record with the given properties. */
export function actualOf(
  kind: HubSpotActual['kind'],
  record: Partial<HubSpotRecord> & { properties: HubSpotRecord['properties'] },
  more: Partial<HubSpotActual> = {},
): HubSpotActual {
  return {
    kind,
    record: { id: record.id ?? '501', properties: record.properties, contactIds: record.contactIds ?? [] },
    foundBy: 'idProperty',
    growrkId: null,
    managedContacts: {},
    ...more,
  };
}
