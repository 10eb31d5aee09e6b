/**
 * The console's bulk decisions and verifications in a real browser (Debian's chromium, playwright-core) against the
 * real API, worker, Temporal dev server and PostgreSQL (docs/console.md, docs/bulk-actions.md):
 * - a reviewer selects three certifications in the queue and approves them at once, while — after the page was read —
 *   another reviewer claimed one of them through the API: the job approves two (the API reads APPROVED) and refuses
 *   the third "已由 … 认领" (the API still reads IN_REVIEW); the queue is read again without the two;
 * - in English, a certification and a level raise rejected together with one reason (the API reads REJECTED with it);
 * - in the partner inbox, three incentives selected: a card without its total blocks the submission, naming the card;
 *   then two verified with the figures typed (the API reads VERIFIED with them) and one with a wrong headcount refused
 *   with the list mismatch in words (the API still reads PENDING_VERIFICATION).
 * Every expectation comes from the API read directly or is written here by hand. axe finds no serious or critical
 * violation; no console error and no CSP violation. Skipped, saying so, only without chromium.
 */
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenFor } from './support/app.js';
import { findChromium, screenshot, seriousViolations, useBrowser, watchPage } from './support/browser.js';
import { pendingIncentives, submittedCertification, submittedLevelRaise, uniquePdf } from './support/console-review.js';
import { useTestEnv } from './support/env.js';

const executablePath = findChromium();
if (!executablePath) {
  console.warn('test/console.review.bulk.browser.test.ts SKIPPED: no chromium found (CHROMIUM_PATH, /usr/bin/chromium): `apt-get install -y chromium` to run it.');
}

/** Minor units as a partner types them: 123450 → "1234.50". */
const typed = (minor: number) => `${Math.floor(minor / 100)}.${String(minor % 100).padStart(2, '0')}`;

describe.skipIf(!executablePath)('bulk decisions and verifications in the console, in a real browser', () => {
  const env = useTestEnv({ taskQueue: 'console-review-bulk', server: 'dev', api: true, database: 'own' });
  const browser = useBrowser(executablePath);
  let reviewer: string;
  let otherReviewer: string;
  let admin: string;
  /** Items this file left waiting, released and decided at the end so that a later run's queue starts without them. */
  const leftWaiting: { kind: string; id: string; path: string }[] = [];

  beforeAll(async () => {
    reviewer = await tokenFor(['vendor_reviewer'], undefined, 'reviewer-bulk-1');
    otherReviewer = await tokenFor(['vendor_reviewer'], undefined, 'reviewer-bulk-2');
    admin = await tokenFor(['vendor_admin'], undefined, 'admin-bulk');
  });
  afterAll(async () => {
    for (const { kind, id, path } of leftWaiting) {
      await env.api('DELETE', `/v1/review-queue/${kind}/${id}/claim`, admin);
      await env.api('POST', path, admin, { decision: 'REJECT', note: 'test clean-up' });
    }
  });

  const signIn = async (path: string, locale: string, token: string, heading: string) => {
    const context = await browser().newContext({ locale, timezoneId: 'UTC', viewport: { width: 1100, height: 900 } });
    const page = await context.newPage();
    const { problems } = await watchPage(page);
    const answer = await page.goto(`${env.base}/console${path}`);
    expect(answer?.status()).toBe(200);
    expect(answer?.headers()['content-security-policy']).toMatch(/script-src 'self'/);
    const zh = locale.startsWith('zh');
    await page.getByLabel(zh ? '访问令牌' : 'Access token').fill(token);
    await page.getByRole('button', { name: zh ? '登录' : 'Sign in', exact: true }).click();
    await page.getByRole('heading', { name: heading, level: 2 }).waitFor();
    return { page, problems };
  };
  const row = (page: Page, kind: string, id: string) => page.locator(`article[data-item="${kind}/${id}"]`);
  const results = (page: Page) => page.getByTestId('bulk-job').locator('li');
  const lines = (page: Page) => results(page).evaluateAll((items) => items.map((item) => item.textContent));
  const statusOf = async (path: string) => (await env.api('GET', path, admin)).body.status as string;

  it('approves three selected certifications, one claimed meanwhile by another reviewer: 2 approved, 1 refused as claimed', async () => {
    const certifications = [await submittedCertification(env, 'rba'), await submittedCertification(env, 'rbb'), await submittedCertification(env, 'rbc')];
    for (const { id } of certifications) leftWaiting.push({ kind: 'certification', id, path: `/v1/certifications/${id}/review` });
    const catalog = (await env.api('GET', '/v1/certification-types', reviewer)).body.items as { type: string; name: string }[];
    const name = `${catalog.find((type) => type.type === 'ROLE_CONSULTING')!.name} (ROLE_CONSULTING)`;
    const title = (partnerId: string) => `认证申请「${name}」（${partnerId}）`;

    const { page, problems } = await signIn('/reviews', 'zh-CN', reviewer, '审核队列');
    for (const { id } of certifications) await row(page, 'certification', id).waitFor();
    for (const { id } of certifications) expect(await row(page, 'certification', id).getByTestId('claim-state').textContent()).toBe('未认领');

    // After the page was read, another reviewer claims the third through the API: the page still shows it unclaimed.
    const claimed = certifications[2]!;
    const claim = await env.api('POST', `/v1/review-queue/certification/${claimed.id}/claim`, otherReviewer);
    expect(claim.status, JSON.stringify(claim.body)).toBe(200);
    expect(await row(page, 'certification', claimed.id).getByTestId('claim-state').textContent()).toBe('未认领');

    for (const { partnerId } of certifications) await page.getByRole('checkbox', { name: `选择「${title(partnerId)}」` }).check();
    await expect.poll(() => page.getByRole('button', { name: '批准所选（3）' }).isEnabled()).toBe(true);
    await screenshot(page, 'review-bulk-selected-zh');
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('button', { name: '批准所选（3）' }).click();

    await expect.poll(() => page.getByTestId('bulk-progress').textContent(), { timeout: 60_000 }).toBe('已全部处理 3 项：完成 2，未执行 1，失败 0。');
    expect(await lines(page)).toEqual([
      `${title(certifications[0]!.partnerId)} — 已批准`,
      `${title(certifications[1]!.partnerId)} — 已批准`,
      `${title(claimed.partnerId)} — 未执行：已由 reviewer-bulk-2 认领`,
    ]);
    // The API agrees: two approved (each with its certificate), the claimed one still in review, claimed by the other.
    for (const { id } of certifications.slice(0, 2)) expect(await statusOf(`/v1/certifications/${id}`)).toBe('APPROVED');
    expect(await statusOf(`/v1/certifications/${claimed.id}`)).toBe('IN_REVIEW');
    // The queue is read again when the job completes: the two approved leave it, the claimed one stays, now shown claimed.
    for (const { id } of certifications.slice(0, 2)) await expect.poll(() => row(page, 'certification', id).count()).toBe(0);
    await expect.poll(() => row(page, 'certification', claimed.id).getByTestId('claim-state').textContent()).toBe('由 reviewer-bulk-2 认领');
    await screenshot(page, 'review-bulk-zh');
    expect(await seriousViolations(page)).toEqual([]);
    expect(await problems()).toEqual([]);
    await page.context().close();
  });

  it('in English, rejects a certification and a level raise together with one reason', async () => {
    const certification = await submittedCertification(env, 'rbd');
    const raise = await submittedLevelRaise(env, 'rbe');
    leftWaiting.push({ kind: 'certification', id: certification.id, path: `/v1/certifications/${certification.id}/review` });
    leftWaiting.push({ kind: 'level-raise', id: raise.id, path: `/v1/level-raises/${raise.id}/review` });
    const catalog = (await env.api('GET', '/v1/certification-types', reviewer)).body.items as { type: string; name: string }[];
    const name = `${catalog.find((type) => type.type === 'ROLE_CONSULTING')!.name} (ROLE_CONSULTING)`;
    const titles = [`Certification application “${name}” (${certification.partnerId})`, `Level raise “SOFTWARE · — → CERTIFIED” (${raise.partnerId})`];
    const reason = 'The evidence does not show the required projects.';

    const { page, problems } = await signIn('/reviews', 'en-US', reviewer, 'Review queue');
    await row(page, 'certification', certification.id).waitFor();
    await row(page, 'level-raise', raise.id).waitFor();
    for (const title of titles) await page.getByRole('checkbox', { name: `Select “${title}”` }).check();
    await page.getByRole('button', { name: 'Reject selected (2)' }).click();
    await page.getByLabel('Reason for rejecting (the same for each selected)').fill(reason);
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Reject 2', exact: true }).click();

    await expect.poll(() => page.getByTestId('bulk-progress').textContent(), { timeout: 60_000 }).toBe('All 2 processed: 2 done, 0 refused, 0 failed.');
    // One line per item in the order sent — the queue's order, by review due time — so compared as a set here.
    expect((await lines(page)).sort()).toEqual([`${titles[0]} — Rejected`, `${titles[1]} — Rejected`].sort());
    const rejected = [(await env.api('GET', `/v1/certifications/${certification.id}`, admin)).body, (await env.api('GET', `/v1/level-raises/${raise.id}`, admin)).body];
    for (const view of rejected) expect(view).toMatchObject({ status: 'REJECTED', decisionNote: reason });
    await expect.poll(() => row(page, 'certification', certification.id).count()).toBe(0);
    await expect.poll(() => row(page, 'level-raise', raise.id).count()).toBe(0);
    await screenshot(page, 'review-bulk-reject-en');
    expect(await seriousViolations(page)).toEqual([]);
    expect(await problems()).toEqual([]);
    await page.context().close();
  });

  it('in the inbox, verifies two incentives with the figures typed and refuses one with a wrong headcount; a card without its total blocks the submission', async () => {
    const partnerId = `P-bulkinc-${Date.now().toString(36)}`;
    const owner = await tokenFor(['partner_admin'], partnerId, `${partnerId}-owner`);
    const incentives = await pendingIncentives(env, partnerId, owner, 3);
    const title = (period: string) => `${period} 月度激励核对`;
    const card = (page: Page, period: string): Locator => page.getByRole('article', { name: title(period) });
    const [first, second, wrong] = incentives as [(typeof incentives)[number], (typeof incentives)[number], (typeof incentives)[number]];

    const { page, problems } = await signIn('/inbox', 'zh-CN', owner, '待办');
    let jobsSent = 0;
    page.on('request', (request) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname === '/v1/bulk-actions') jobsSent++;
    });
    for (const { period } of incentives) await card(page, period).waitFor();
    // The figures as the partner types them, from the API's own read of each list; the third with one person too many.
    for (const incentive of incentives) {
      const into = card(page, incentive.period);
      await into.getByLabel('核对人数').fill(String(incentive === wrong ? incentive.headcount + 1 : incentive.headcount));
      if (incentive !== wrong) await into.getByLabel('核对总额（CNY）').fill(typed(incentive.totalMinor));
      await into.getByLabel('证明材料（PDF、PNG 或 JPEG）').setInputFiles({ name: `名单-${incentive.period}.pdf`, mimeType: 'application/pdf', buffer: uniquePdf() });
    }
    await page.getByLabel('全选激励').check();
    for (const { period } of incentives) expect(await page.getByRole('checkbox', { name: `选择「${title(period)}」` }).isChecked()).toBe(true);

    // The third card has no total yet: nothing is sent, and the card is named.
    await page.getByRole('button', { name: '核实所选（3）' }).click();
    await expect.poll(() => page.getByTestId('bulk-verify-blocked').textContent()).toBe(`尚未提交：请先在以下卡片中填写。「${title(wrong.period)}」：缺少核对总额`);
    // Nothing was sent: no job, and not even the evidence uploaded (the files go up only with a submission).
    for (const { id } of incentives) {
      const view = (await env.api('GET', `/v1/incentives/${id}`, owner)).body;
      expect({ status: view.status, materials: view.materials.length }).toEqual({ status: 'PENDING_VERIFICATION', materials: 0 });
    }
    expect(jobsSent).toBe(0);

    await card(page, wrong.period).getByLabel('核对总额（CNY）').fill(typed(wrong.totalMinor));
    await screenshot(page, 'inbox-bulk-verify-selected-zh');
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('button', { name: '核实所选（3）' }).click();

    await expect.poll(() => page.getByTestId('bulk-progress').textContent(), { timeout: 60_000 }).toBe('已全部处理 3 项：完成 2，未执行 1，失败 0。');
    expect(jobsSent).toBe(1);
    const shown = await lines(page);
    expect([...shown].sort()).toEqual(
      [`${title(first.period)} — 已核实`, `${title(second.period)} — 已核实`, `${title(wrong.period)} — 未执行：与名单不符：人数`].sort(),
    );
    // The API agrees: the two verified with the figures typed (and the file uploaded), the third untouched.
    for (const incentive of [first, second]) {
      const view = (await env.api('GET', `/v1/incentives/${incentive.id}`, owner)).body;
      expect(view.status).toBe('VERIFIED');
      expect(view.history.at(-1)).toMatchObject({ type: 'VERIFIED', data: { headcount: incentive.headcount, totalMinor: incentive.totalMinor } });
      expect(view.materials.map((material: { fileName: string }) => material.fileName)).toEqual([`名单-${incentive.period}.pdf`]);
    }
    expect(await statusOf(`/v1/incentives/${wrong.id}`)).toBe('PENDING_VERIFICATION');
    // The inbox is read again: the two verified leave it, the refused one stays.
    await expect.poll(() => card(page, first.period).count()).toBe(0);
    await expect.poll(() => card(page, second.period).count()).toBe(0);
    await card(page, wrong.period).waitFor();
    await screenshot(page, 'inbox-bulk-verify-zh');
    expect(await seriousViolations(page)).toEqual([]);
    expect(await problems()).toEqual([]);
    await page.context().close();
  });
});
