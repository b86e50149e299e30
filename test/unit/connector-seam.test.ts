/**
 * The seam between the core and the connectors: `src/` knows connectors only through the registry
 * list. No code in `src/` outside `src/connector/registry.ts` may name a connector (its id, its
 * configuration key or its title); comments may. Each manifest is also checked for what the core
 * relies on.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { CONNECTOR_IDS, CONNECTOR_MANIFESTS, effectOf } from '../../src/connector/registry.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const REGISTRY = 'src/connector/registry.ts';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|js)$/.test(entry.name) ? [path] : [];
  });
}

/** The code of a file with comments blanked out (line numbers kept). */
function withoutComments(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, (block) => block.replace(/[^\n]/g, ' '))
    .replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

/** Every way a connector can be named: id, configuration key, title (and their spellings without dashes). */
function connectorNames(): string[] {
  const names = CONNECTOR_MANIFESTS.flatMap((m) => [m.id, m.configKey, m.title]);
  return [...new Set(names.flatMap((n) => [n, n.replace(/[-\s]/g, '')]))];
}

describe('the connector seam', () => {
  it('no code in src/ outside the registry names a connector', () => {
    const pattern = new RegExp(
      connectorNames()
        .map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('|'),
      'i',
    );
    const offending: string[] = [];
    for (const file of sourceFiles(join(ROOT, 'src'))) {
      const rel = relative(ROOT, file);
      if (rel === REGISTRY) continue;
      withoutComments(readFileSync(file, 'utf8'))
        .split('\n')
        .forEach((line, i) => {
          if (pattern.test(line)) offending.push(`${rel}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(offending).toEqual([]);
  });

  it('the check itself catches a name in code but not in a comment', () => {
    const code = withoutComments(
      "// hubspot is fine here\nconst x = 'hubspot';\n/* google\n */ const y = 1;",
    );
    expect(code.split('\n').filter((l) => /hubspot|google/i.test(l))).toEqual(["const x = 'hubspot';"]);
  });

  it('each manifest loads a definition of its own (plans carry the manifest id: contract suite)', async () => {
    const definitions = await Promise.all(CONNECTOR_MANIFESTS.map((m) => m.load()));
    expect(new Set(definitions).size).toBe(CONNECTOR_MANIFESTS.length);
    for (const definition of definitions) expect(definition.batchSize).toBeGreaterThanOrEqual(1);
  });

  it.each(CONNECTOR_IDS)(
    '%s: a manifest with its own id, a config block, env names and op effects',
    async (id) => {
      const manifest = CONNECTOR_MANIFESTS.find((m) => m.id === id)!;
      expect(manifest.id).toBe(id);
      const entries = Object.values(manifest.config);
      expect(entries.length).toBeGreaterThan(0);
      for (const entry of entries) expect(entry.env ?? '').toMatch(/^[A-Z][A-Z0-9_]+$/);
      const ops = Object.keys(manifest.ops);
      expect(ops.length).toBeGreaterThan(0);
      for (const op of ops) expect(effectOf(id, op)).toBe(manifest.ops[op as keyof typeof manifest.ops]);
    },
  );

  it.each(CONNECTOR_IDS)('%s: an op kind its manifest does not declare is an error, not an update', (id) => {
    expect(() => effectOf(id, 'no-such-op')).toThrow(/does not declare/);
  });

  it.each(CONNECTOR_IDS)('%s: enabling it without credentials is refused, naming its env vars', (id) => {
    let message = '';
    try {
      loadConfig({ env: { CONNECTORS: id }, cwd: '/nonexistent' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain(id);
    expect(message).toMatch(/set [A-Z_]+/);
  });
});
