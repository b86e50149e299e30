import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { signBody } from '../../src/growrk/signature.ts';
import { EVENT_TYPES } from '../../src/growrk/types.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { runCliCaptured } from '../helpers/cli.ts';
import { fixture, SENSITIVE_VALUES } from '../helpers/fixtures.ts';
import { type ServiceProcess, startServiceProcess } from '../helpers/service-process.ts';

const SECRET = 'e2e-secret';
const services: ServiceProcess[] = [];
afterEach(async () => {
  for (const s of services.splice(0)) if (s.child.exitCode === null) await s.kill9();
});

const cli = (argv: string[], env: Record<string, string>) => runCliCaptured(argv, env);

/** A 1.7 KB employee webhook body, unique per `n`. */
function employeeBody(n: number): string {
  const base = fixture('employee.updated');
  const employee = {
    ...(base.employees as Array<Record<string, unknown>>)[0],
    id: `emp-${n}`,
    email: `user${n}@example.com`,
  };
  return JSON.stringify({
    ...base,
    timestamp: new Date(Date.UTC(2024, 9, 1) + n * 1000).toISOString(),
    employees: [employee],
  });
}

describe('the service as a child process', () => {
  it('is driven end to end by send-test for all ten event types, and shuts down on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gs-e2e-'));
    const env = { GROWRK_WEBHOOK_SECRET: SECRET, DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}` };
    const service = await startServiceProcess(env);
    services.push(service);
    const url = `${service.url}/webhooks/growrk`;
    for (const type of EVENT_TYPES) {
      const result = await cli(['send-test', type, '--url', url, '--secret', SECRET, '--json'], {});
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ status: 200, body: { duplicate: false } });
    }
    const wrong = await cli(['send-test', 'employee.created', '--url', url, '--secret', 'nope'], {});
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toContain('401');

    expect(await service.stop()).toBe(0);
    const listed = await cli(['events', 'list', '--json'], env);
    expect(listed.code).toBe(0);
    expect(new Set((JSON.parse(listed.stdout) as Array<{ type: string }>).map((e) => e.type))).toEqual(
      new Set(EVENT_TYPES),
    );

    // Privacy: the sensitive values of the samples reach neither the database files nor the logs.
    for (const file of ['db.sqlite', 'db.sqlite-wal']) {
      const path = join(dir, file);
      if (!existsSync(path)) continue;
      const bytes = readFileSync(path).toString('latin1');
      for (const value of SENSITIVE_VALUES.filter((v) => v !== '123456'))
        expect(bytes, `${file}: ${value}`).not.toContain(value);
    }
    const logs = service.output.join('\n');
    for (const value of [...SENSITIVE_VALUES, 'johndoe@example.com', SECRET])
      expect(logs).not.toContain(value);
  });

  it('loses no acknowledged event when killed -9 in the middle of a 2,000-request burst', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gs-crash-'));
    const dbPath = join(dir, 'db.sqlite');
    const service = await startServiceProcess({
      GROWRK_WEBHOOK_SECRET: SECRET,
      DATABASE_URL: `sqlite:${dbPath}`,
    });
    services.push(service);
    const url = `${service.url}/webhooks/growrk`;
    const acked = new Map<number, string>();
    let failures = 0;
    let next = 0;
    let killed: Promise<void> | null = null;
    const total = 2000;
    const sendOne = async (n: number) => {
      const body = employeeBody(n);
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'x-growrk-signature': signBody(body, SECRET) },
          body,
        });
        if (res.status === 200) acked.set(n, ((await res.json()) as { id: string }).id);
        else failures += 1;
      } catch {
        failures += 1;
      }
      if (acked.size >= 600 && !killed) killed = service.kill9();
    };
    const lanes = Array.from({ length: 32 }, async () => {
      while (next < total) await sendOne(next++);
    });
    await Promise.all(lanes);
    await killed;
    expect(acked.size).toBeGreaterThanOrEqual(600);
    expect(failures).toBeGreaterThan(0); // the kill really happened mid-burst

    const store = new SqliteStore({ path: dbPath });
    await store.migrate();
    try {
      for (const [n, id] of acked) {
        const event = await store.getEvent(id);
        expect(event?.id, `acknowledged event ${n}`).toBe(id);
        expect((await store.getEntity('employee', `emp-${n}`))?.eventId).toBe(id);
      }
    } finally {
      await store.close();
    }
    // And the service starts again on the same file.
    const again = await startServiceProcess({
      GROWRK_WEBHOOK_SECRET: SECRET,
      DATABASE_URL: `sqlite:${dbPath}`,
    });
    services.push(again);
    expect((await fetch(`${again.url}/readyz`)).status).toBe(200);
  });

  it('stops at start with one message naming every bad key', async () => {
    const result = await cli(['serve'], {
      PORT: 'not-a-port',
      CONNECTORS: 'google-workspace,salesforce',
      RECONCILE_SCHEDULE: 'every day',
      GOOGLE_ACCESS_TOKEN: 'ya29.super-secret-token',
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/port/);
    expect(result.stderr).toMatch(/salesforce/);
    expect(result.stderr).toMatch(/reconcile\.schedule/);
    expect(result.stderr).not.toContain('ya29.super-secret-token');
  });
});
