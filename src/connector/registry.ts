/**
 * The one list of connectors: the only place in `src/` that names one. Everything else (the
 * configuration schema and its type, cross-checks, rate limits, reconciliation costs, op effects)
 * comes from each connector's manifest (`connectors/<id>/manifest.ts`) through this list.
 */
import { SyncError } from '../errors.ts';
import type { AnyConnectorConfig, ConfigOf, ConnectorManifest, OpEffect } from './manifest.ts';

/**
 * Every connector the service knows, in the order they are listed to people: one line each.
 * Manifests are light (no SDK), so importing them all here costs nothing; the await keeps each
 * entry's literal type without a separate import line.
 */
export const CONNECTOR_MANIFESTS = [
  (await import('../../connectors/google-workspace/manifest.ts')).default,
  (await import('../../connectors/hubspot/manifest.ts')).default,
  (await import('../../connectors/snipe-it/manifest.ts')).default,
] as const;

type Manifests = (typeof CONNECTOR_MANIFESTS)[number];

/** The id of a known connector. */
export type ConnectorId = Manifests['id'];

/** Each connector's configuration block, under its `configKey`, typed from its schema fragment. */
export type ConnectorConfigs = { [M in Manifests as M['configKey']]: ConfigOf<M['config']> };

export const CONNECTOR_IDS: ConnectorId[] = CONNECTOR_MANIFESTS.map((m) => m.id);

/** The manifests by id, each seen through the common (untyped-config) interface. */
const BY_ID = new Map<string, ConnectorManifest>(
  CONNECTOR_MANIFESTS.map((m) => [m.id, m as unknown as ConnectorManifest]),
);

export function isConnectorId(id: string): id is ConnectorId {
  return BY_ID.has(id);
}

/** The manifest of a known connector. */
export function manifestOf(id: ConnectorId): ConnectorManifest {
  const manifest = BY_ID.get(id);
  if (!manifest) throw new Error(`unknown connector ${id}`);
  return manifest;
}

/** A connector's configuration block (what its manifest's `configKey` names). */
export function connectorConfig(config: ConnectorConfigs, id: ConnectorId): AnyConnectorConfig {
  const blocks: Readonly<Record<string, unknown>> = config;
  return blocks[manifestOf(id).configKey] as AnyConnectorConfig;
}

/**
 * The effect of an op a connector planned. An op kind its manifest does not declare is a bug in
 * the connector (the manifest's type and the contract suite catch it), never quietly an update.
 */
export function effectOf(connector: string, opType: string): OpEffect {
  const ops: Readonly<Record<string, OpEffect>> = BY_ID.get(connector)?.ops ?? {};
  const effect = ops[opType];
  if (!effect) {
    throw new SyncError(
      'INTERNAL',
      `connector ${connector} planned op kind ${opType}, which its manifest does not declare`,
    );
  }
  return effect;
}
