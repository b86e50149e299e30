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
const self = fileURLToPath(import.meta.url);
/**
 * V8 flags a command needs that V8 reads only when the process starts. `reconcile` is one long busy
 * run whose live heap is small (a page at a time): left to itself V8 grows the young generation to
 * two 64 MiB semi-spaces and lets the old generation fill with promoted garbage (and the response
 * buffers it keeps alive) to several times the live set before it collects. 16 MiB semi-spaces and
 * an old generation collected at 1.5x its live size halve the run's peak RSS for about the same
 * GC time (README, Benchmarks). A flag the user gave (command line or NODE_OPTIONS) wins.
 */
const V8_FLAGS = { reconcile: ['--max-semi-space-size=16', '--heap-growing-percent=50'] };
const given = `${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`;
const v8Flags = (V8_FLAGS[process.argv[2]] ?? []).filter((f) => !given.includes(f.split('=')[0]));
if (
  v8Flags.length > 0 &&
  process.features.typescript &&
  typeof process.execve === 'function' &&
  process.platform !== 'win32'
) {
  // The same process (same pid, stdio and signals) started again with the flags: no child.
  process.execve(process.execPath, [
    process.execPath,
    ...v8Flags,
    ...process.execArgv,
    self,
    ...process.argv.slice(2),
  ]);
}
if (!process.features.typescript) {
  // Node 22.13-22.17 strip types only when asked.
  const child = spawn(
    process.execPath,
    [
      '--experimental-strip-types',
      '--disable-warning=ExperimentalWarning',
      ...v8Flags,
      self,
      ...process.argv.slice(2),
    ],
    { stdio: 'inherit' },
  );
  // Signals meant for us go to the child, which stops the service; we exit as it does.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  const { main } = await import('./main.ts');
  process.exitCode = await main(process.argv.slice(2));
}
