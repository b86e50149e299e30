import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

const HANG = fileURLToPath(new URL('./ack-then-hang.ts', import.meta.url));

/**
 * Acknowledges signed `deliveries` in a store process (`ack-then-hang.ts` on `target`: a SQLite
 * path, or a PostgreSQL URL and schema) that is then killed with SIGKILL before any projection
 * slice ran; answers the ids it acknowledged, in order.
 */
export async function ackThenKill(
  deliveries: ReadonlyArray<{ body: string; signature: string }>,
  secret: string,
  target: readonly string[],
): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'gs-ack-kill-'));
  const file = join(dir, 'deliveries.json');
  try {
    writeFileSync(file, JSON.stringify(deliveries));
    const child = spawn(process.execPath, [HANG, file, secret, ...target], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let out = '';
    const line = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8');
        if (out.includes('\n')) resolve(out.split('\n')[0]!);
      });
      child.once('exit', (code) => reject(new Error(`the store process exited (${code}) before answering`)));
    });
    child.kill('SIGKILL');
    await exited;
    const outcomes = JSON.parse(line) as Array<{ ok: boolean; id?: string }>;
    expect(outcomes.every((o) => o.ok)).toBe(true);
    return outcomes.map((o) => o.id!);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
