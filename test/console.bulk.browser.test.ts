/**
 * The console's bulk actions in a real browser (Debian's chromium, playwright-core) against the real API, worker,
 * Temporal's time-skipping server and PostgreSQL (docs/console.md, docs/bulk-actions.md): a partner selects every
 * opportunity in its inbox, two of which expire while the page is open (the test moves the server's clock past
 * their deadline), accepts them all at once, and reads the job's progress and one result per item — 18 accepted, the 2
 * expired refused with the reason in words; the API agrees. A reject of the selected, in English, whose first answer
 * is lost on the way back: the console's retry sends the same Idempotency-Key and the API records one job. axe finds no
 * serious or critical violation; no console error and no CSP violation. Skipped, saying so, only without chromium.
 */
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { tokenFor } from './support/app.js';
import { findChromium, screenshot, seriousViolations, useBrowser, watchPage } from './support/browser.js';
import { newPartner } from './support/bulk-action.js';
import { DAY, useTestEnv } from './support/env.js';
import { eventually } from './support/wait.js';

const executablePath = findChromium();
if (!executablePath) {
  console.warn('test/console.bulk.browser.test.ts SKIPPED: no chromium found (CHROMIUM_PATH, /usr/bin/chromium): `apt-get install -y chromium` to run it.');
}

describe.skipIf(!executablePath)('bulk actions in the console, in a real browser', () => {
  const env = useTestEnv({ taskQueue: 'console-bulk-browser', database: 'own', api: { rateLimitPerMinute: 100_000, rateLimitPerAddressPerMinute: 100_000 } });
  const browser = useBrowser(executablePath);
  let vendor: string;

  beforeAll(async () => {
    vendor = await tokenFor(['vendor_staff']);
  });

  /** Shares one opportunity per title with `partnerId`, as the vendor; their ids and deadlines in order. */
  const share = async (partnerId: string, titles: string[]) => {
    const shared: { id: string; acceptDeadline: string }[] = [];
    for (const title of titles) {
      const res = await env.api('POST', '/v1/opportunities', vendor, { partnerId, customerName: 'ACME Ltd.', title });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      shared.push(res.body as { id: string; acceptDeadline: string });
    }
    return shared;
  };
  const statusOf = async (id: string) => (await env.api('GET', `/v1/opportunities/${id}`, vendor)).body.status as string;

  const openInbox = async (locale: string, partnerId: string, label: string, button: string, inbox: string) => {
    const context = await browser().newContext({ locale, timezoneId: 'UTC', viewport: { width: 1100, height: 900 } });
    const page = await context.newPage();
    const { problems } = await watchPage(page);
    expect((await page.goto(`${env.base}/console`))?.status()).toBe(200);
    await page.getByLabel(label).fill(await tokenFor(['partner_sales'], partnerId));
    await page.getByRole('button', { name: button, exact: true }).click();
    await page.getByRole('heading', { name: inbox }).waitFor();
    return { page, problems };
  };
  const results = (page: Page, outcome: string) => page.getByTestId('bulk-job').locator(`li[data-outcome="${outcome}"]`);

  it('selects all 20, of which 2 expired while the page was open: 18 accepted, 2 refused as expired, the API agrees', async () => {
    const partnerId = newPartner();
    const expiring = await share(partnerId, ['Expiring A', 'Expiring B']);
    // Two and a half days on: the first two are still pending (less than their 3 working days have passed — a
    // 60-hour stretch holds at most 60 working hours), and the 18 shared now end at least 12 working hours later.
    await env.advanceTo((await env.currentTimeMs()) + 2.5 * DAY);
    for (const { id } of expiring) expect(await statusOf(id)).toBe('PENDING_ACCEPTANCE');
    const freshTitles = Array.from({ length: 18 }, (_, i) => `Deal ${String(i + 1).padStart(2, '0')}`);
    const fresh = await share(partnerId, freshTitles);

    const { page, problems } = await openInbox('zh-CN', partnerId, '访问令牌', '登录', '待办');
    await expect.poll(() => page.getByRole('article').count()).toBe(20);
    await page.getByLabel('全选').check();
    await expect.poll(() => page.getByRole('checkbox', { checked: true }).count()).toBe(21);
    await page.getByText('已选 20 项', { exact: true }).waitFor();
    await screenshot(page, 'console-bulk-selected-zh');
    expect(await seriousViolations(page)).toEqual([]);

    // The two expire while the partner looks at the page: their expiry is recorded, the page still lists them.
    const lastDeadline = Math.max(...expiring.map((shared) => Date.parse(shared.acceptDeadline)));
    await env.advanceTo(lastDeadline + 60_000);
    await eventually(async () => ((await env.prisma.opportunity.count({ where: { id: { in: expiring.map((s) => s.id) }, status: 'EXPIRED' } })) === 2 ? true : undefined));
    expect(await page.getByRole('article').count()).toBe(20);

    await page.getByRole('button', { name: '接受所选（20）' }).click();
    const progress = page.getByTestId('bulk-progress');
    await expect.poll(() => progress.textContent(), { timeout: 30_000 }).toMatch(/^已全部处理 20 项/);
    expect(await progress.textContent()).toBe('已全部处理 20 项：完成 18，未执行 2，失败 0。');
    await expect.poll(() => results(page, 'DONE').count()).toBe(18);
    for (const text of await results(page, 'DONE').allTextContents()) expect(text).toMatch(/^Deal \d\d — 已接受$/);
    expect((await results(page, 'REFUSED').allTextContents()).sort()).toEqual(['Expiring A — 未执行：已过期', 'Expiring B — 未执行：已过期']);
    expect(await results(page, 'FAILED').count()).toBe(0);
    // The decided and the expired leave the inbox once the job is done.
    await page.getByText('没有等待您处理的商机。').waitFor();
    await screenshot(page, 'console-bulk-zh');
    expect(await seriousViolations(page)).toEqual([]);

    // The API reads what the page said.
    for (const { id } of fresh) expect(await statusOf(id)).toBe('ACCEPTED');
    for (const { id } of expiring) expect(await statusOf(id)).toBe('EXPIRED');
    const accepted = await env.api('GET', `/v1/opportunities?status=ACCEPTED&limit=100`, await tokenFor(['partner_sales'], partnerId));
    expect(accepted.body.items).toHaveLength(18);
    expect(await problems()).toEqual([]);
    await page.context().close();
  });

  it('rejects the selected with one reason and note; a lost answer is retried with the same Idempotency-Key: one job', async () => {
    const partnerId = newPartner();
    const shared = await share(partnerId, ['First', 'Second', 'Third']);
    const { page, problems } = await openInbox('en-US', partnerId, 'Access token', 'Sign in', 'Inbox');
    await expect.poll(() => page.getByRole('article').count()).toBe(3);

    // The first POST reaches the API (which records the job) but its answer is replaced by a 503, as if lost.
    const keys: string[] = [];
    await page.route('**/v1/bulk-actions', async (route) => {
      const request = route.request();
      if (request.method() !== 'POST') return route.continue();
      keys.push((await request.allHeaders())['idempotency-key'] ?? '(none)');
      const answer = await route.fetch();
      if (keys.length === 1) return route.fulfill({ status: 503, contentType: 'application/problem+json', body: JSON.stringify({ type: 'about:blank', title: 'Service Unavailable', status: 503 }) });
      return route.fulfill({ response: answer });
    });

    await page.getByLabel('Select “First”').check();
    await page.getByLabel('Select “Third”').check();
    await page.getByText('2 selected', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Reject selected (2)' }).click();
    await page.getByLabel('Reason').selectOption('CANNOT_SUPPORT');
    await page.getByLabel('Note (optional)').fill('Out of our region');
    await page.getByRole('button', { name: 'Reject 2', exact: true }).click();
    const progress = page.getByTestId('bulk-progress');
    await expect.poll(() => progress.textContent(), { timeout: 30_000 }).toMatch(/^All 2 processed/);
    // One click, one key: the retry after the lost answer sent the first attempt's key, and the API kept one job.
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
    expect(keys[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(await env.prisma.bulkAction.count({ where: { partnerId } })).toBe(1);
    expect(await progress.textContent()).toBe('All 2 processed: 2 done, 0 refused, 0 failed.');
    expect(await results(page, 'DONE').allTextContents()).toEqual(['First — Rejected', 'Third — Rejected']);
    for (const index of [0, 2]) {
      const { body } = await env.api('GET', `/v1/opportunities/${shared[index]!.id}`, vendor);
      expect(body.status).toBe('REJECTED');
      expect(body.history.at(-1)).toMatchObject({ type: 'REJECTED', reasonCode: 'CANNOT_SUPPORT', note: 'Out of our region' });
    }
    expect(await statusOf(shared[1]!.id)).toBe('PENDING_ACCEPTANCE');
    await page.getByRole('article', { name: 'Second' }).waitFor();
    await screenshot(page, 'console-bulk-reject-en');
    expect(await seriousViolations(page)).toEqual([]);
    // The replaced answer is the browser's own console error ("Failed to load resource: … 503"), expected here.
    expect((await problems()).filter((problem) => !/status of 503/.test(problem))).toEqual([]);
    await page.context().close();
  });
});
