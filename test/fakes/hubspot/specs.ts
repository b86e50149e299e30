/**
 * Finds and loads HubSpot's OpenAPI files. They live in `test/fakes/contracts/hubspot/` (copied
 * from the vendor, see that folder's README for provenance); a folder named by `HUBSPOT_SPECS_DIR`
 * takes precedence.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { JsonObject, OpenApiSource } from '../shared/openapi.ts';

/** The contract files the emulator validates against. */
export const HUBSPOT_SPEC_FILES = [
  'crm-objects-v3.json',
  'crm-contacts-v3.json',
  'crm-properties-v3.json',
  'crm-schemas-v3.json',
  'crm-associations-v4.json',
  'crm-associations-schema-v4.json',
] as const;

/** Folders searched, most preferred first. */
export function specDirectories(explicit?: string): string[] {
  const dirs: string[] = [];
  if (explicit) dirs.push(explicit);
  if (process.env.HUBSPOT_SPECS_DIR) dirs.push(process.env.HUBSPOT_SPECS_DIR);
  dirs.push(fileURLToPath(new URL('../contracts/hubspot/', import.meta.url)));
  return dirs;
}

/** Loads every contract file; throws naming the folders searched when one is missing. */
export function loadHubSpotSpecs(explicitDir?: string): OpenApiSource[] {
  const dirs = specDirectories(explicitDir);
  return HUBSPOT_SPEC_FILES.map((file) => {
    const dir = dirs.find((d) => existsSync(`${d.replace(/\/?$/, '/')}${file}`));
    if (!dir) throw new Error(`HubSpot emulator: ${file} not found in ${dirs.join(', ')}`);
    const document = JSON.parse(readFileSync(`${dir.replace(/\/?$/, '/')}${file}`, 'utf8')) as JsonObject;
    return { name: file, document };
  });
}
