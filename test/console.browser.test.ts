/**
 * The console in a real browser (Debian's chromium, playwright-core) against the real API, worker, Temporal dev
 * server and PostgreSQL, serving the console built from the current sources: a partner signs in with a token, reads
 * an opportunity's working-time countdown in its zone and the deadline's explanation, accepts one and rejects another
 * from the inbox (the API then reads ACCEPTED and REJECTED); the console follows the browser's language and switches;
 * axe finds no serious or critical violation; no console error and no Content-Security-Policy violation on the way.
 * Screenshots go to test-artifacts/. Skipped, saying so, only when no chromium is installed.
 */
import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import type { Locator, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { tokenFor } from './support/app.js';
import { findChromium, screenshot, seriousViolations, useBrowser, watchPage } from './support/browser.js';
import { useTestEnv } from './support/env.js';
import { cnCalendar } from './support/provisional.js';
import { acceptableCountdowns } from './support/reference-countdown.js';

const executablePath = findChromium();
if (!executablePath) {
  console.warn('test/console.browser.test.ts SKIPPED: no chromium found (CHROMIUM_PATH, /usr/bin/chromium): `apt-get install -y chromium` to run it.');
}

describe.skipIf(!executablePath)('the console in a real browser', () => {
  const env = useTestEnv({ taskQueue: 'console-browser', server: 'dev', api: true, database: 'own' });
  const browser = useBrowser(executablePath);
  let vendor: string;

  beforeAll(async () => {
    vendor = await tokenFor(['vendor_staff']);
  });

  const share = async (partnerId: string, title: string) => {
    const res = await env.api('POST', '/v1/opportunities', vendor, { partnerId, customerName: 'ACME Ltd.', title, estimatedAmount: { currency: 'CNY', minor: 12_345_600 } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string; acceptDeadline: string };
  };
  /** A fresh browser context (its own storage) in `locale`, its clock in UTC — not the partner's zone, on purpose. */
  const openConsole = async (locale: string): Promise<{ page: Page; problems: () => Promise<string[]> }> => {
    const context = await browser().newContext({ locale, timezoneId: 'UTC', viewport: { width: 1100, height: 900 } });
    const page = await context.newPage();
    const { problems } = await watchPage(page);
    const answer = await page.goto(`${env.base}/console`);
    expect(answer?.status()).toBe(200);
    expect(answer?.headers()['content-security-policy']).toMatch(/script-src 'self'/);
    return { page, problems };
  };
  const signIn = async (page: Page, token: string, label: string, button: string) => {
    await page.getByLabel(label).fill(token);
    await page.getByRole('button', { name: button, exact: true }).click();
  };
  const card = (page: Page, title: string): Locator => page.getByRole('article', { name: title });

  it('a partner signs in, reads the countdown and its explanation, accepts one and rejects another in place', async () => {
    const partnerId = `P-${randomUUID().slice(0, 8)}`;
    const first = await share(partnerId, 'Data-centre migration');
    const second = await share(partnerId, 'Backup rollout');
    const { page, problems } = await openConsole('zh-CN');

    await page.getByRole('heading', { name: '登录' }).waitFor();
    expect(await page.evaluate('document.documentElement.lang')).toBe('zh-CN');
    await screenshot(page, 'console-sign-in-zh');
    expect(await seriousViolations(page)).toEqual([]);

    const before = Date.now();
    await signIn(page, await tokenFor(['partner_admin'], partnerId), '访问令牌', '登录');
    await page.getByRole('heading', { name: '待办' }).waitFor();
    const firstCard = card(page, 'Data-centre migration');
    const countdown = firstCard.getByTestId('countdown');
    await expect.poll(() => countdown.textContent()).toMatch(/个工作日|小时/);
    const shown = (await countdown.textContent())!;
    expect(acceptableCountdowns(before, Date.now(), Date.parse(first.acceptDeadline), 'zh')).toContain(shown);
    // The deadline in the partner's zone (the browser's clock is in UTC).
    const local = DateTime.fromISO(first.acceptDeadline, { zone: 'Asia/Shanghai' });
    await expect.poll(() => firstCard.locator('.deadline').textContent()).toBe(`${local.month}月${local.day}日 ${local.setLocale('zh-CN').toFormat('ccc')} ${local.toFormat('HH:mm')} 北京时间`);
    // Soonest deadline first (equal ones, as on a weekend, in the order they were shared).
    await expect.poll(() => page.getByRole('article').count()).toBe(2);
    await expect.poll(() => page.getByRole('article').first().getByRole('heading').textContent()).toBe('Data-centre migration');

    // The explanation, one click away: every day counted and skipped, as the API explains the deadline.
    const { body: detail } = await env.api('GET', `/v1/opportunities/${first.id}`, vendor);
    const explanation = detail.deadlineExplanation as { countedDays: unknown[]; skippedDays: { reason: string }[] };
    await firstCard.getByText('为什么是这个截止时间？').click();
    await expect.poll(() => firstCard.getByText('从 ').textContent()).toContain('起计 3 个工作日');
    await expect.poll(() => firstCard.locator('.counted-days li').count()).toBe(explanation.countedDays.length);
    await expect.poll(() => firstCard.locator('.skipped-days li').count()).toBe(explanation.skippedDays.length);
    for (const day of await firstCard.locator('.skipped-days li').allTextContents()) expect(day).toMatch(/休息日$/);
    await firstCard.getByText('不是暂定').waitFor();
    await screenshot(page, 'console-inbox-zh');
    expect(await seriousViolations(page)).toEqual([]);

    await firstCard.getByRole('button', { name: '接受' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe('已接受商机「Data-centre migration」。');
    expect((await env.api('GET', `/v1/opportunities/${first.id}`, vendor)).body.status).toBe('ACCEPTED');
    await expect.poll(() => page.getByRole('article').count()).toBe(1);

    const secondCard = card(page, 'Backup rollout');
    await secondCard.getByRole('button', { name: '拒绝' }).click();
    await secondCard.getByLabel('拒绝原因').selectOption('DUPLICATE');
    await secondCard.getByLabel('说明（可选）').fill('Shared twice');
    await screenshot(page, 'console-reject-zh');
    expect(await seriousViolations(page)).toEqual([]);
    await secondCard.getByRole('button', { name: '确认拒绝' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe('已拒绝商机「Backup rollout」。');
    const rejected = (await env.api('GET', `/v1/opportunities/${second.id}`, vendor)).body;
    expect(rejected.status).toBe('REJECTED');
    expect(rejected.history.at(-1)).toMatchObject({ type: 'REJECTED', reasonCode: 'DUPLICATE', note: 'Shared twice' });
    await page.getByText('没有等待您处理的商机。').waitFor();

    expect(await problems()).toEqual([]);
    await page.context().close();
  });

  it("follows the browser's language (English), switches to Chinese and back, and keeps the choice", async () => {
    const partnerId = `P-${randomUUID().slice(0, 8)}`;
    const shared = await share(partnerId, 'Cloud migration');
    const { page, problems } = await openConsole('en-US');

    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    const before = Date.now();
    await signIn(page, await tokenFor(['partner_admin'], partnerId), 'Access token', 'Sign in');
    await page.getByRole('heading', { name: 'Inbox' }).waitFor();
    const sharedCard = card(page, 'Cloud migration');
    await expect.poll(() => sharedCard.getByTestId('countdown').textContent()).toMatch(/left$/);
    expect(acceptableCountdowns(before, Date.now(), Date.parse(shared.acceptDeadline), 'en')).toContain(await sharedCard.getByTestId('countdown').textContent());
    const local = DateTime.fromISO(shared.acceptDeadline, { zone: 'Asia/Shanghai' }).setLocale('en');
    await expect.poll(() => sharedCard.locator('.deadline').textContent()).toBe(`${local.toFormat('ccc d LLL HH:mm')} CST`);
    await screenshot(page, 'console-inbox-en');
    expect(await seriousViolations(page)).toEqual([]);

    await page.getByRole('button', { name: '中文' }).click();
    await page.getByRole('heading', { name: '待办' }).waitFor();
    await expect.poll(() => sharedCard.getByTestId('countdown').textContent()).toMatch(/个工作日|小时/);
    expect(await page.evaluate('document.documentElement.lang')).toBe('zh-CN');
    await page.reload();
    await page.getByRole('heading', { name: '待办' }).waitFor();
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Inbox' }).waitFor();
    expect(await page.evaluate('document.documentElement.lang')).toBe('en');

    expect(await problems()).toEqual([]);
    await page.context().close();
  });

  it('a provisional deadline is marked beside it, and its explanation says which years and what it means', async () => {
    const partnerId = `P-${randomUUID().slice(0, 8)}`;
    // A CN calendar whose published data ends last year: this year (and the next) are counted by its statutory rules.
    const year = DateTime.now().setZone('Asia/Shanghai').year;
    const plain = env.calendar;
    env.calendar = cnCalendar(year - 1, year - 1);
    const shared = await share(partnerId, 'Provisional window').finally(() => (env.calendar = plain));
    const { body: detail } = await env.api('GET', `/v1/opportunities/${shared.id}`, vendor);
    expect(detail.deadlineExplanation).toMatchObject({ provisional: true, provisionalYears: expect.arrayContaining([year]) });

    const { page, problems } = await openConsole('en-US');
    await signIn(page, await tokenFor(['partner_admin'], partnerId), 'Access token', 'Sign in');
    const provisionalCard = card(page, 'Provisional window');
    await expect.poll(() => provisionalCard.locator('.provisional-mark').textContent()).toBe(' Provisional');
    await provisionalCard.getByText('Why this deadline?').click();
    await expect
      .poll(() => provisionalCard.locator('.provisional').textContent())
      .toBe(`Provisional The official holiday schedule for ${detail.deadlineExplanation.provisionalYears.join(', ')} is not published yet: this deadline counts the statutory holidays and may move when it is (you will be told).`);
    await expect.poll(() => provisionalCard.locator('.counted-days li').count()).toBe(3);
    await screenshot(page, 'console-provisional-en');
    expect(await seriousViolations(page)).toEqual([]);
    expect(await problems()).toEqual([]);
    await page.context().close();
  });

  it('refuses a malformed token on the page, a token the API refuses signs the console out, a role with no page is told so', async () => {
    const { page, problems } = await openConsole('en-US');
    await signIn(page, 'not a token', 'Access token', 'Sign in');
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('This is not a JWT.');
    const { signToken } = await import('../domain/auth.js');
    const forged = await signToken({ sub: 'x', roles: ['partner_admin'], partnerId: 'P-1' }, 'another-secret-0123456789abcdefghijklmnop');
    await signIn(page, forged, 'Access token', 'Sign in');
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('The token is invalid or has expired: sign in again.');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    // A machine identity's token (the account feed) signs in, but no page serves it: the page says so rather than failing.
    await signIn(page, await tokenFor(['vendor_system']), 'Access token', 'Sign in');
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/^Your roles have no page in the console/);
    // The API's 401 answers are the browser's own console errors ("Failed to load resource"), expected here.
    expect((await problems()).filter((problem) => !/status of 401/.test(problem))).toEqual([]);
    await page.context().close();
  });
});
