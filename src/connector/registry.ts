import { googleWorkspaceConfig } from '../../connectors/google-workspace/config.ts';
import { hubspotConfig } from '../../connectors/hubspot/config.ts';
import type { ConnectorDefinition } from './types.ts';

/**
 * The hand-written registry: every connector the service knows, with its configuration fragment
 * (loaded eagerly: plain data) and its definition (loaded lazily, so commands that need no
 * connector never load a vendor SDK).
 */
export const CONNECTOR_REGISTRY = {
  'google-workspace': {
    configKey: 'google',
    config: googleWorkspaceConfig,
    load: async (): Promise<ConnectorDefinition> =>
      (await import('../../connectors/google-workspace/index.ts')).default,
  },
  hubspot: {
    configKey: 'hubspot',
    config: hubspotConfig,
    load: async (): Promise<ConnectorDefinition> =>
      (await import('../../connectors/hubspot/index.ts')).default,
  },
} as const;

/** The id of a known connector. */
export type ConnectorId = keyof typeof CONNECTOR_REGISTRY;

export const CONNECTOR_IDS = Object.keys(CONNECTOR_REGISTRY) as ConnectorId[];

export function isConnectorId(id: string): id is ConnectorId {
  return Object.hasOwn(CONNECTOR_REGISTRY, id);
}
