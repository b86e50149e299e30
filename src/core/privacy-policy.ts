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
