import type { AppConfig } from '../config/types.ts';
import { connectorConfig, isConnectorId, manifestOf } from '../connector/registry.ts';
import { type KeepFields, parseKeepFields } from '../growrk/allowlist.ts';
import { ENTITY_KINDS, type EntityKind } from '../growrk/types.ts';

/** A GroWrk field path as mappings name them (`jobTitle`, `specs.ram`); `@firstName` and the like are not. */
const FIELD_PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/**
 * The fields kept of each entity kind: `PRIVACY_KEEP_FIELDS`, plus what each enabled connector's
 * manifest says its code `reads`, plus every field path the enabled connectors' field mappings name (the values of their JSON-object settings, such as
 * `HUBSPOT_CONTACT_PROPERTIES`), so a mapping an operator adds keeps its field without a second
 * setting. Read from the manifests: no connector is named here.
 */
export function keepFieldsFor(config: AppConfig): KeepFields {
  const base = parseKeepFields(config.privacy.keepFields);
  const mapped = new Set<string>();
  const read: Record<EntityKind, string[]> = { employee: [], product: [], order: [] };
  for (const id of config.connectors) {
    if (!isConnectorId(id)) continue;
    const manifest = manifestOf(id);
    for (const kind of ENTITY_KINDS) read[kind].push(...(manifest.reads?.[kind] ?? []));
    const values = connectorConfig(config, id) as Readonly<Record<string, unknown>>;
    for (const [key, entry] of Object.entries(manifest.config)) {
      if (entry.format !== 'json-object') continue;
      const mapping = values[key];
      if (mapping === null || typeof mapping !== 'object') continue;
      for (const source of Object.values(mapping)) {
        if (typeof source === 'string' && FIELD_PATH.test(source)) mapped.add(source);
      }
    }
  }
  const out = {} as Record<EntityKind, string[]>;
  for (const kind of ENTITY_KINDS) out[kind] = [...new Set([...base[kind], ...read[kind], ...mapped])];
  return out;
}

/**
 * The part of the ingest settings that comes from configuration: what is dropped and kept, the
 * payload limits and the clock skew. The service's receiver and `import` both take it from here,
 * so the two paths cannot drift apart (one path for webhooks and for imported rows).
 */
export function ingestSettingsFor(config: AppConfig): {
  dropFields: readonly string[];
  keepFields: KeepFields;
  limits: { maxDepth: number; maxArrayLength: number };
  maxClockSkewMs: number;
} {
  return {
    dropFields: config.privacy.dropFields,
    keepFields: keepFieldsFor(config),
    limits: { maxDepth: config.webhook.maxDepth, maxArrayLength: config.webhook.maxArrayLength },
    maxClockSkewMs: config.webhook.maxClockSkew,
  };
}
