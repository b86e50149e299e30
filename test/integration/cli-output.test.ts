/**
 * `--json` mode: an error is one JSON object on stdout with a catalogue code and a message, and the
 * exit code is the one the text mode gives. `reconcile --summary` prints the totals without each
 * change. `import` draws a progress bar on a terminal's stderr, and nothing elsewhere.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.ts';
import { runCliCaptured } from '../helpers/cli.ts';
import { directoryUser, employee, envelope, startWorld, type World } from '../helpers/reconcile-world.ts';

const dir = mkdtempSync(join(tmpdir(), 'gs-cli-json-'));
const env = { DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`, LOG_LEVEL: 'warn' };

function parsed(stdout: string): { error: { code: string; message: string } } {
  return JSON.parse(stdout) as { error: { code: string; message: string } };
}

describe('--json errors', () => {
  it('are a JSON object on stdout with code and message; exit codes stay as in text mode', async () => {
    const cases: Array<{
      argv: string[];
      env?: Record<string, string>;
      code: number;
      error: string;
      text: RegExp;
    }> = [
      { argv: ['events', 'show', 'evt_nope'], code: 1, error: 'NOT_FOUND', text: /no event evt_nope/ },
      {
        argv: ['offboardings', 'show', 'emp-nope'],
        code: 1,
        error: 'NOT_FOUND',
        text: /no offboarding emp-nope/,
      },
      { argv: ['events', 'list', '--limit', 'x'], code: 2, error: 'USAGE', text: /--limit must be/ },
      { argv: ['reconcile'], code: 2, error: 'CONFIG_INVALID', text: /no connector is enabled/ },
      { argv: ['events', 'list'], env: { PORT: 'nope' }, code: 2, error: 'CONFIG_INVALID', text: /port/i },
      { argv: ['frobnicate'], code: 2, error: 'USAGE', text: /unknown command "frobnicate"/ },
      {
        argv: [
          'send-test',
          'employee.created',
          '--secret',
          's',
          '--url',
          'http://127.0.0.1:1/webhooks/growrk',
        ],
        code: 1,
        error: 'UNREACHABLE',
        text: /could not reach/,
      },
    ];
    for (const c of cases) {
      const text = await runCliCaptured(c.argv, { ...env, ...c.env });
      const json = await runCliCaptured([...c.argv, '--json'], { ...env, ...c.env });
      expect({ argv: c.argv, code: text.code }).toEqual({ argv: c.argv, code: c.code });
      expect(text.stderr).toMatch(c.text);
      expect(text.stdout).not.toContain('"error"');
      expect({ argv: c.argv, code: json.code, stderr: json.stderr }).toEqual({
        argv: c.argv,
        code: c.code,
        stderr: '',
      });
      const body = parsed(json.stdout);
      expect(body.error.code).toBe(c.error);
      expect(body.error.message).toMatch(c.text);
    }
  });
});

describe('reconcile --summary', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({ hubspotPer10s: 1000, hubspotSearchPerSecond: 100 });
  });
  afterAll(async () => {
    await w.close();
  });

  it('prints the totals without each change, as text and as JSON, with the same exit code', async () => {
    await w.init();
    await w.ingest([
      envelope(
        'employee.updated',
        [1, 2, 3].map((n) => employee(n)),
      ),
    ]);
    for (const n of [1, 2, 3]) w.google.state.addUser(directoryUser(n));
    const full = await w.cli(['reconcile', '--dry-run']);
    const summary = await w.cli(['reconcile', '--dry-run', '--summary']);
    expect(full.code).toBe(3);
    expect(summary.code).toBe(3);
    expect(full.stdout).toContain('+ employee emp-1');
    expect(summary.stdout).not.toContain('+ employee emp-1');
    expect(summary.stdout).toMatch(/^Plan: 3 to create/m);
    expect(summary.stdout).toMatch(/^Budget: /m);
    expect(summary.stdout).toMatch(/^hubspot \(employee: /m);
    expect(summary.stdout).toContain('Drift found (exit 3)');
    expect(summary.stdout.split('\n').length).toBeLessThan(full.stdout.split('\n').length);
    const json = await w.cli(['reconcile', '--dry-run', '--summary', '--json']);
    const report = JSON.parse(json.stdout) as {
      exitCode: number;
      plan: { create: number };
      connectors: Array<{ connector: string; changes: number }>;
    };
    expect(report.exitCode).toBe(3);
    expect(report.plan.create).toBe(3);
    expect(report.connectors.find((c) => c.connector === 'hubspot')?.changes).toBe(3);
  });
});

describe('import progress', () => {
  it('draws a bar on a terminal and clears it; stdout keeps only the summary', async () => {
    const file = join(dir, 'employees.csv');
    const rows = Array.from({ length: 300 }, (_, i) => `emp-${i},user${i}@example.com,Engineer`);
    writeFileSync(file, `id,email,jobTitle\n${rows.join('\n')}\n`);
    let stdout = '';
    const stderr: string[] = [];
    const code = await runCli(['import', file, '--timestamp', '2024-09-01T00:00:00Z'], {
      env,
      cwd: dir,
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => stderr.push(s), isTTY: true },
      fetch: globalThis.fetch,
      untilSignal: () => new Promise(() => {}),
    });
    expect(code).toBe(0);
    expect(stdout).toContain('imported   300 (300 employee)');
    expect(stdout).not.toContain('[#');
    const drawn = stderr.filter((s) => s.includes('] '));
    expect(drawn.length).toBeGreaterThan(0);
    const line = drawn[0]!;
    expect(line.startsWith('\r\x1b[K')).toBe(true);
    expect(line.slice(4)).toMatch(/^import: \d+ rows \[[#-]{24}\] +\d+% \d+\/\d+ KiB {2}\d+\.\d s$/);
    expect(stderr.at(-1)).toBe('\r\x1b[K');
  });
});
