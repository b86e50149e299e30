// `npm run bench [-- section...]`: prints figures measured side by side in one run.
// Sections: ingest (default: all that exist).
import { benchIngest } from './ingest.ts';

const SECTIONS: Record<string, () => Promise<void>> = {
  ingest: () => benchIngest({ total: 5000, concurrency: 64 }),
};

const wanted = process.argv.slice(2);
const names = wanted.length > 0 ? wanted : Object.keys(SECTIONS);
console.log(`growrk-sync benchmarks on ${process.version}, ${new Date().toISOString()}`);
for (const name of names) {
  const section = SECTIONS[name];
  if (!section) {
    console.error(`unknown section ${name}; known: ${Object.keys(SECTIONS).join(', ')}`);
    process.exit(2);
  }
  await section();
}
