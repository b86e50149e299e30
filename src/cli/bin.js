#!/usr/bin/env node
// The `growrk-sync` command. Plain JavaScript so that an old Node can still read it and say why it
// cannot go on; everything else is TypeScript, run by Node's own type stripping.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 13)) {
  console.error(
    `growrk-sync needs Node.js 22.13 or newer (this is ${process.version}); run it through npm (npm start, npx growrk-sync), which uses the Node 24 pinned in devDependencies.`,
  );
  process.exit(2);
}
if (!process.features.typescript) {
  // Node 22.13-22.17 strip types only when asked.
  const self = fileURLToPath(import.meta.url);
  const child = spawn(
    process.execPath,
    ['--experimental-strip-types', '--disable-warning=ExperimentalWarning', self, ...process.argv.slice(2)],
    { stdio: 'inherit' },
  );
  // Signals meant for us go to the child, which stops the service; we exit as it does.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  const { main } = await import('./main.ts');
  process.exitCode = await main(process.argv.slice(2));
}
