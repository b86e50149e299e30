/**
 * The admin console in a real browser: Debian's chromium driven by playwright-core, against the
 * app listening on a port, on a store seeded with one event of each kind (succeeded, failed with a
 * dead job, held, rejected) and a reconciliation run. Screenshots go to test-output/browser/
 * (gitignored) for people to look at; the assertions are on the page and on the store.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signBody } from '../../src/growrk/signature.ts';
import type { Store } from '../../src/store/types.ts';
import { testApp } from '../helpers/app.ts';
import { fixtureBodies } from '../helpers/fixtures.ts';
import { until } from '../helpers/wait.ts';

const TOKEN = 'browser-admin-token-0123456789abcdef';
const SECRET = 'test-secret';
const SHOTS = fileURLToPath(new URL('../../test-output/browser/', import.meta.url));

let browser: BrowserContext;
let page: Page;
let store: Store;
let url: string;
let close: () => Promise<void>;
let profile: string;
const ids: Record<string, string> = {};

async function post(body: string): Promise<{ id: string }> {
  const res = await fetch(`${url}/webhooks/growrk`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-growrk-signature': signBody(body, SECRET) },
    body,
  });
  return (await res.json()) as { id: string };
}

/** One event of each kind the tabs sort, a dead job, a held change and a run. */
async function seed(): Promise<void> {
  const bodies = fixtureBodies();
  const now = Date.now();
  ids.offboarded = (await post(bodies.get('employee.offboarded')!)).id;
  await store.recordOutcomes([
    {
      eventId: ids.offboarded,
      connector: 'google-workspace',
      kind: 'employee',
      entityId: 'emp-12345',
      result: 'held',
      summary: 'suspension held: destructive budget 10 per 1h exceeded',
      at: now,
    },
  ]);
  await store.addHeld({
    id: 'held_browser',
    connector: 'google-workspace',
    kind: 'employee',
    entityId: 'emp-12345',
    reason: 'destructive budget 10 per 1h exceeded',
    plan: {
      ops: [
        {
          type: 'suspend',
          destructive: true,
          description: 'suspend johndoe@example.com',
          changes: [{ field: 'suspended', before: false, after: true }],
        },
      ],
    },
    eventIds: [ids.offboarded],
    createdAt: now,
  });
  ids.assigned = (await post(bodies.get('product.assigned')!)).id;
  await store.enqueueJobs([
    { connector: 'hubspot', kind: 'product', entityId: 'prod-777', eventId: ids.assigned, runAt: now },
  ]);
  const [job] = await store.claimJobs({ owner: 'test', limit: 1, now, leaseMs: 10_000 });
  const error = { code: 'VENDOR_AUTH', message: 'HubSpot refused the token (401)' };
  await store.finishJob(job!.id, 'test', { state: 'dead', error }, now);
  await store.recordOutcomes([
    {
      eventId: ids.assigned,
      connector: 'hubspot',
      kind: 'product',
      entityId: 'prod-777',
      result: 'dead',
      summary: 'upsert asset C02XK0AAJGH5: gave up after 10 attempts',
      error,
      at: now,
    },
  ]);
  ids.created = (await post(bodies.get('employee.created')!.replace('2024', '2023'))).id;
  await store.recordOutcomes([
    {
      eventId: ids.created,
      connector: 'hubspot',
      kind: 'employee',
      entityId: 'emp-12345',
      result: 'succeeded',
      summary: 'contact created',
      at: now,
    },
  ]);
  const bad = JSON.stringify({ event: 'employee.updated', timestamp: 'yesterday', companyId: '1' });
  await post(bad);
  ids.rejected = (await store.listEvents({ status: 'rejected' }))[0]!.id;
  await store.putOffboarding({
    id: 'off_browser',
    connector: 'google-workspace',
    employeeId: 'emp-12345',
    status: 'open',
    openedAt: now - 60_000,
    closedAt: null,
    updatedAt: now,
    timeline: {
      label: 'johndoe@example.com',
      suspendedAt: new Date(now - 59_000).toISOString(),
      steps: [
        { step: 'sign-out', at: new Date(now - 58_000).toISOString() },
        { step: 'revoke-tokens', at: new Date(now - 57_000).toISOString(), detail: '2 tokens' },
      ],
      handover: {
        to: 'maria.nunez@example.com',
        source: 'manager',
        state: 'completed',
        requestedAt: new Date(now - 56_000).toISOString(),
        finishedAt: new Date(now - 30_000).toISOString(),
        attempts: 1,
      },
      devicesWiped: [],
      equipment: [{ productId: 'prod-777', serial: 'C02XK0AAJGH5', status: 'Deployed', back: false }],
      blockedBy: 'equipment not back: C02XK0AAJGH5',
    },
  });
  await store.createRun({
    id: 'run_browser',
    connector: null,
    trigger: 'schedule',
    dryRun: true,
    startedAt: now,
    finishedAt: now + 1000,
    status: 'drift',
    plan: {
      plan: { create: 2, update: 3, suspend: 1, reactivate: 0, destructive: 0, protected: 1 },
      budget: { explanation: '1 destructive change planned, 9 allowed: within budget.' },
    },
    result: { results: { applied: 0, partial: 0, held: 0, withheld: 0, failed: 0 } },
    errors: [],
  });
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'gs-browser-'));
  const t = await testApp({ ADMIN_TOKEN: TOKEN }, { path: join(dir, 'db.sqlite') });
  store = t.store;
  close = t.close;
  url = await t.app.listen({ port: 0, host: '127.0.0.1' });
  await seed();
  profile = mkdtempSync(join(tmpdir(), 'gs-chromium-'));
  // A fresh profile each run (playwright passes it as --user-data-dir).
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  page = browser.pages()[0] ?? (await browser.newPage());
  // No request may leave this origin (no CDN, nothing fetched from elsewhere).
  await page.route('**/*', (route) =>
    route.request().url().startsWith(url) ? route.continue() : route.abort('blockedbyclient'),
  );
});

afterAll(async () => {
  await browser?.close();
  await close?.();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

describe('admin console in chromium', () => {
  it('asks for the token, refuses a wrong one, and signs in with the right one', async () => {
    const outside: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(url)) outside.push(r.url());
    });
    await page.goto(`${url}/admin`);
    await page.getByLabel('Admin token').fill('wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expectText(page.locator('#login-err'), 'The token was refused');
    await shot('01-sign-in');
    await page.getByLabel('Admin token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: /Held changes/ }).waitFor();
    await page.getByRole('cell', { name: 'John Doe' }).first().waitFor();
    await shot('02-signed-in');
    expect(outside).toEqual([]);
  });

  it('sorts events into tabs and expands one to its outcomes per connector', async () => {
    const tab = (name: string) => page.getByRole('tab', { name, exact: true });
    await tab('Failed').click();
    expect(await tab('Failed').getAttribute('aria-selected')).toBe('true');
    // The list shows the previous tab's rows until the Failed rows arrive.
    await shownView('failed');
    await eventRow(ids.assigned!).waitFor();
    expect(await page.locator('tr.event-row').count()).toBe(1);
    await page.getByRole('button', { name: `Show outcomes of event ${ids.assigned}` }).click();
    const detail = page.locator(`#detail-${ids.assigned}`);
    await expectText(detail, 'VENDOR_AUTH: HubSpot refused the token (401)');
    await expectText(detail, 'upsert asset C02XK0AAJGH5');
    await expectText(detail, 'hubspot');
    await shot('03-failed-expanded');

    await tab('Held').click();
    await shownView('held');
    await eventRow(ids.offboarded!).waitFor();
    await tab('Rejected').click();
    await shownView('rejected');
    await eventRow(ids.rejected!).waitFor();
    await expectText(page.locator('#events'), 'ENVELOPE_INVALID');
    await tab('Succeeded').click();
    await shownView('succeeded');
    await eventRow(ids.created!).waitFor();
    expect(await page.locator('tr.event-row').count()).toBe(1);
    await shot('04-succeeded');
  });

  it('replays a dead job', async () => {
    const dead = page.locator('#dead');
    await expectText(dead, 'VENDOR_AUTH');
    await page.getByRole('button', { name: /Replay dead hubspot job for MacBook Pro 14/ }).click();
    await expectText(dead, 'No dead jobs.');
    expect(await store.countJobs()).toMatchObject({ dead: 0, pending: 1 });
  });

  it('shows a held change with the person and the planned change, and approves it after a confirmation', async () => {
    const held = page.locator('#held');
    await expectText(held, 'johndoe@example.com');
    await expectText(held, 'suspend johndoe@example.com');
    await expectText(held, 'false → true');
    await page.getByRole('button', { name: 'Approve held change for John Doe' }).click();
    const dialog = page.getByRole('dialog');
    await expectText(dialog, 'Approve the held change for John Doe?');
    await shot('05-approve-confirmation');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect((await store.getHeld('held_browser'))?.status).toBe('held');
    await page.getByRole('button', { name: 'Approve held change for John Doe' }).click();
    await dialog.getByRole('button', { name: 'Approve' }).click();
    await expectText(held, 'Nothing is held.');
    expect((await store.getHeld('held_browser'))?.status).toBe('approved');
  });

  it('finds a person by e-mail and an asset by serial, and lists reconciliation runs', async () => {
    await page.getByLabel('Employee id, e-mail or serial').fill('JohnDoe@example.com');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const results = page.locator('#search-results');
    await expectText(results, 'employee emp-12345');
    await expectText(results, 'product prod-777');
    await page.getByLabel('Employee id, e-mail or serial').fill('c02xk0aajgh5');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await until('the e-mail hit to go', async () => !(await textOf(results)).includes('employee emp-12345'));
    await expectText(results, 'serial C02XK0AAJGH5');
    await expectText(page.locator('#runs'), '2 create, 3 update, 1 suspend, 1 protected');
    await shot('06-search-and-runs');
  });

  it('shows each offboarding as a timeline, with what keeps it open', async () => {
    const section = page.locator('#offboardings-section');
    await expectText(section, 'johndoe@example.com');
    await expectText(section, 'Waiting: equipment not back: C02XK0AAJGH5');
    const steps = page
      .getByRole('list', { name: 'Timeline of the offboarding of johndoe@example.com' })
      .getByRole('listitem');
    const texts = (await steps.allTextContents()).map((t) => t.replace(/^\S+ \S+ UTC /, ''));
    expect(texts).toEqual([
      'offboarding opened',
      'account suspended',
      'sign-out',
      'revoke-tokens: 2 tokens',
      'data handover to maria.nunez@example.com requested',
      'data handover to maria.nunez@example.com: completed',
    ]);
    await section.screenshot({ path: join(SHOTS, '07-offboardings.png') });
  });

  it('gives every control an accessible name', async () => {
    // Run in the page (this project's TypeScript has no DOM types, so the script is text).
    const unnamed =
      await page.evaluate(`[...document.querySelectorAll('button, input, select, textarea, [role=tab]')]
      .filter((el) => {
        const label = el.getAttribute('aria-label') || (el.labels && el.labels[0] ? el.labels[0].textContent : '');
        return (label + (el.tagName === 'INPUT' ? '' : el.textContent)).trim() === '';
      })
      .map((el) => el.outerHTML.slice(0, 80))`);
    expect(unnamed).toEqual([]);
  });

  it('refreshes by itself when something changes', async () => {
    const before = await page.locator('#counts').textContent();
    expect(before).toMatch(/dead jobs\s*0/i);
    const [job] = await store.claimJobs({ owner: 'test', limit: 1, now: Date.now(), leaseMs: 10_000 });
    await store.finishJob(
      job!.id,
      'test',
      { state: 'dead', error: { code: 'INTERNAL', message: 'x' } },
      Date.now(),
    );
    await until('the page to show the new dead job', async () =>
      /dead jobs\s*1/i.test(await textOf(page.locator('#counts'))),
    );
    await expectText(page.locator('#dead'), 'INTERNAL');
  });
});

function eventRow(id: string) {
  return page.locator(`tr.event-row[data-event="${id}"]`);
}

/** Waits until the events list holds the rows of `view` (the tab's answer has been drawn). */
function shownView(view: string) {
  return page.locator(`#events[data-view="${view}"][aria-busy="false"]`).waitFor();
}

/** The element's text, or '' while it is not there. */
async function textOf(locator: ReturnType<Page['locator']>): Promise<string> {
  return (await locator.textContent({ timeout: 1000 }).catch(() => null)) ?? '';
}

/** Waits until the element's text contains `text`. */
async function expectText(locator: ReturnType<Page['locator']>, text: string): Promise<void> {
  await until(
    async () => `"${text}" in: ${await textOf(locator)}`,
    async () => (await textOf(locator)).includes(text),
    { timeoutMs: 10_000 },
  );
  expect(await locator.textContent()).toContain(text);
}
