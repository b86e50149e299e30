// `npm run docs`: rewrites the generated tables in README.md from the code (config schema, error
// catalogue). test/unit/readme.test.ts fails when README and code disagree.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configTableMarkdown, errorTableMarkdown } from '../../src/config/docs.ts';

export const README = fileURLToPath(new URL('../../README.md', import.meta.url));

/** Replaces the text between `<!-- name:start -->` and `<!-- name:end -->`. */
export function replaceBlock(text: string, name: string, content: string): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`README.md has no ${name} block`);
  return `${text.slice(0, from + start.length)}\n${content}\n${text.slice(to)}`;
}

/** README with its generated blocks brought up to date. */
export function renderReadme(text: string): string {
  return replaceBlock(
    replaceBlock(text, 'config-table', configTableMarkdown()),
    'error-table',
    errorTableMarkdown(),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(README, renderReadme(readFileSync(README, 'utf8')));
  console.log('README.md tables regenerated');
}
