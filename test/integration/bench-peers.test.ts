// The ingest bench's peers are only a fair comparison if they do the work they claim: refuse what
// is not signed or not JSON, and answer 200 only for a body that is already committed. This runs
// each peer as the bench does (its own process) and checks that against its database file.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { signBody } from '../../src/growrk/signature.ts';

const SECRET = 'peer-secret';

const peers = [
  {
    name: 'hand-written receiver',
    script: 'handwritten-receiver.ts',
    args: [],
    table: 'events',
    dedupes: false,
  },
  {
    name: 'group-commit receiver, two threads',
    script: 'group-commit-receiver.ts',
    args: [],
    table: 'inbox',
    dedupes: true,
  },
  {
    name: 'group-commit receiver, one thread',
    script: 'group-commit-receiver.ts',
    args: ['--threads', '1'],
    table: 'inbox',
    dedupes: true,
  },
];

let dir = '';
let child: ChildProcess | null = null;

afterEach(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  child = null;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function start(script: string, args: string[], path: string): Promise<string> {
  const file = fileURLToPath(new URL(`../bench/${script}`, import.meta.url));
  child = spawn(process.execPath, [file, path, SECRET, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve) =>
    child!.stdout!.once('data', (c: Buffer) => resolve(String(c))),
  );
  return (JSON.parse(line) as { url: string }).url;
}

function post(url: string, body: string, signature = signBody(body, SECRET)): Promise<number> {
  return fetch(url, { method: 'POST', body, headers: { 'x-growrk-signature': signature } }).then(
    async (res) => {
      await res.arrayBuffer();
      return res.status;
    },
  );
}

describe.each(peers)('$name', ({ script, args, table, dedupes }) => {
  it('answers 200 only for a signed JSON body it has already committed, and refuses the rest', async () => {
    dir = mkdtempSync(join(tmpdir(), 'gs-peer-'));
    const path = join(dir, 'peer.db');
    const url = await start(script, args, path);
    const count = () => {
      const db = new DatabaseSync(path, { readOnly: true });
      try {
        return Number((db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n);
      } finally {
        db.close();
      }
    };

    expect(await post(url, '{"event":"employee.updated","n":-1}')).toBe(200);
    expect(count()).toBe(1);
    expect(await post(url, '{"event":"employee.updated","n":-2}', signBody('other', SECRET))).toBe(401);
    expect(await post(url, '{"event":', signBody('{"event":', SECRET))).toBe(400);
    expect(count()).toBe(1);

    // A burst shares commits; every one answered 200 is in the file.
    const bodies = Array.from({ length: 300 }, (_, i) => `{"event":"employee.updated","n":${i}}`);
    const statuses = await Promise.all(bodies.map((body) => post(url, body)));
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(count()).toBe(301);

    // The same body again: the group-commit receiver keeps one row per body (the dedupe key).
    expect(await post(url, bodies[0]!)).toBe(200);
    expect(count()).toBe(dedupes ? 301 : 302);
  });
});
