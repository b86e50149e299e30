import { ERROR_CATALOGUE } from '../errors.ts';
import { configSchema } from './schema.ts';

interface SchemaLeaf {
  doc: string;
  format: unknown;
  default: unknown;
  env?: string;
  sensitive?: boolean;
}

function isLeaf(node: unknown): node is SchemaLeaf {
  return typeof node === 'object' && node !== null && 'doc' in node && 'default' in node;
}

function leaves(node: Record<string, unknown>, prefix = ''): Array<[string, SchemaLeaf]> {
  const out: Array<[string, SchemaLeaf]> = [];
  for (const [key, value] of Object.entries(node)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (isLeaf(value)) out.push([path, value]);
    else if (typeof value === 'object' && value !== null)
      out.push(...leaves(value as Record<string, unknown>, path));
  }
  return out;
}

function formatDefault(leaf: SchemaLeaf): string {
  const value = leaf.default;
  if (leaf.sensitive && value !== '' && !(Array.isArray(value) && value.length === 0)) return '(secret)';
  if (value === '' || (Array.isArray(value) && value.length === 0)) return '—';
  if (Array.isArray(value)) return `\`${value.join(',')}\``;
  if (typeof value === 'object') return `\`${JSON.stringify(value)}\``;
  if (leaf.format === 'duration' && typeof value === 'number') return `\`${value}\` ms`;
  return `\`${String(value)}\``;
}

/** The configuration reference as a Markdown table, generated from the one schema (README embeds it). */
export function configTableMarkdown(): string {
  const rows = leaves(configSchema as unknown as Record<string, unknown>).map(([path, leaf]) => {
    const secret = leaf.sensitive ? ' Secret: never printed or logged.' : '';
    return `| \`${leaf.env ?? ''}\` | \`${path}\` | ${leaf.doc.replace(/\|/g, '\\|')}${secret} | ${formatDefault(leaf)} |`;
  });
  return ['| env | key | meaning | default |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** The error catalogue as a Markdown table (README embeds it). */
export function errorTableMarkdown(): string {
  const rows = Object.entries(ERROR_CATALOGUE).map(
    ([code, spec]) => `| \`${code}\` | ${spec.status} | ${spec.retryable ? 'yes' : 'no'} | ${spec.summary} |`,
  );
  return ['| code | HTTP | retried | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** Every environment variable the schema reads. */
export function configEnvNames(): string[] {
  return leaves(configSchema as unknown as Record<string, unknown>)
    .map(([, leaf]) => leaf.env)
    .filter((env): env is string => env !== undefined);
}
