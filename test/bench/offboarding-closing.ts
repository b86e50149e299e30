import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import { createLogger } from '../../src/log.ts';
import { startService } from '../../src/service.ts';
import { startGoogleEmulator } from '../fakes/google-directory/index.ts';
import { fixtureBodies } from '../helpers/fixtures.ts';
import {
  emailOf,
  employeeBody,
  postSigned,
  seedPerson,
  seedSchema,
  until,
} from '../helpers/google-offboarding.ts';

const SECRET = 'bench-secret';
const MANAGER = 'maria.nunez@example.com';

function laptopBody(n: number, timestamp: string, status: string, wiped: boolean): string {
  const envelope = JSON.parse(fixtureBodies().get('product.statusChange') ?? '') as Record<string, unknown>;
  const [first] = envelope.products as Record<string, unknown>[];
  envelope.timestamp = timestamp;
  envelope.products = [
    {
      ...first,
      id: `prod-${n}`,
      serialNumber: `SER-${n}`,
      status,
      wiped,
      legalHoldStatus: 'none',
      employee: { id: `emp-${n}`, displayName: `Person ${n}`, email: emailOf(n) },
    },
  ];
  return JSON.stringify(envelope);
}

/**
 * Google calls per offboarding with every step on: the access cut (2 tokens, 1 app password),
 * handover of Drive and Calendar to the manager (one poll to complete), the account wiped from one
 * phone, and the closing once the laptop comes back (licence released), over HTTP into the service
 * in-process (SQLite) against the Google emulator. The playbook alone is measured beside it, in
 * the same run, on other users. Prints figures, asserts nothing.
 */
export async function benchOffboardingClosing(options: { total?: number } = {}): Promise<void> {
  const total = options.total ?? 100;
  const emu = await startGoogleEmulator({ quotaPerMinute: 1_000_000_000 });
  seedSchema(emu);
  emu.state.addUser({ primaryEmail: MANAGER });
  for (let i = 0; i < 2 * total; i += 1) {
    seedPerson(emu, i, {}, { linked: true });
    emu.state.devices.add({ email: emailOf(i) });
    emu.state.licences.assign('Google-Apps', '1010020027', emailOf(i));
  }
  const run = async (from: number, closing: boolean) => {
    const dir = mkdtempSync(join(tmpdir(), 'gs-bench-closing-'));
    const env: Record<string, string> = {
      GROWRK_WEBHOOK_SECRET: SECRET,
      DATABASE_URL: `sqlite:${join(dir, 'bench.db')}`,
      CONNECTORS: 'google-workspace',
      GOOGLE_ACCESS_TOKEN: 'test-token',
      GOOGLE_API_ROOT_URL: emu.url,
      GOOGLE_LICENSING_ROOT_URL: emu.url,
      GOOGLE_CALLS_PER_MINUTE: '0',
      DESTRUCTIVE_BUDGET: String(total * 10),
      GOOGLE_OFFBOARD_HANDOVER_POLL: '20ms',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      ...(closing
        ? {
            GOOGLE_OFFBOARD_HANDOVER: 'true',
            GOOGLE_OFFBOARD_WIPE_DEVICES: 'true',
            GOOGLE_OFFBOARD_CLOSING: 'true',
            GOOGLE_LICENCE_PRODUCT_ID: 'Google-Apps',
            GOOGLE_LICENCE_SKU_ID: '1010020027',
          }
        : {}),
    };
    const service = await startService({
      config: loadConfig({ env, cwd: dir }),
      logger: createLogger('silent'),
      cwd: dir,
    });
    try {
      const people = Array.from({ length: total }, (_, i) => from + i);
      if (closing)
        for (const n of people)
          await postSigned(service.url, laptopBody(n, '2024-09-20T10:00:00Z', 'Shipped', false), SECRET);
      emu.recorder.clear();
      const t0 = process.hrtime.bigint();
      for (const n of people) await postSigned(service.url, employeeBody('employee.offboarded', n), SECRET);
      const settled = async () => {
        await service.worker.idle();
        const jobs = await service.store.countJobs();
        return jobs.pending === 0 && jobs.running === 0;
      };
      if (closing) {
        await until(
          'every offboarding to wait for its laptop',
          async () => {
            const open = await service.store.listOffboardings({ status: 'open', limit: total + 1 });
            return (
              open.length === total && open.every((o) => o.timeline.blockedBy !== null) && (await settled())
            );
          },
          { timeoutMs: 300_000, everyMs: 50 },
        );
        for (const n of people)
          await postSigned(service.url, laptopBody(n, '2024-10-02T10:00:00Z', 'Returned', true), SECRET);
        await until(
          'every offboarding to close',
          async () => {
            const closed = await service.store.listOffboardings({ status: 'closed', limit: total + 1 });
            return closed.length === total && (await settled());
          },
          { timeoutMs: 300_000, everyMs: 50 },
        );
      } else {
        await until('every playbook', settled, { timeoutMs: 300_000, everyMs: 50 });
      }
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const calls = emu.recorder.calls.filter((c) => c.operation !== 'oauth2.token');
      const byOperation = new Map<string, number>();
      for (const c of calls) byOperation.set(c.operation, (byOperation.get(c.operation) ?? 0) + 1);
      return { calls: calls.length / total, seconds, byOperation };
    } finally {
      await service.close();
    }
  };
  try {
    const playbook = await run(0, false);
    const full = await run(total, true);
    console.log(
      `\n## offboarding-closing: ${total} offboardings, 2 tokens, 1 app password, 1 phone, 1 licence, 1 laptop each; service in-process (SQLite) + Google emulator, limiter lifted`,
    );
    console.log(
      `Google calls per offboarding: playbook only ${playbook.calls.toFixed(2)} (${playbook.seconds.toFixed(2)} s); with handover, wipe and closing ${full.calls.toFixed(2)} (${full.seconds.toFixed(2)} s, laptop events included); ratio ${(full.calls / playbook.calls).toFixed(2)}`,
    );
    const per = [...full.byOperation].sort(([a], [b]) => a.localeCompare(b));
    console.log(
      `with every step, per offboarding: ${per.map(([op, n]) => `${op} ${(n / total).toFixed(2)}`).join(', ')}`,
    );
  } finally {
    await emu.stop();
  }
}
