/**
 * The partner inbox's other items in a real browser (Debian's chromium, playwright-core) against the real API,
 * worker, Temporal dev server and PostgreSQL (docs/console.md): an opportunity to accept, an incentive to verify, a
 * certification application sent back for a supplement, an agreement version to sign, an invitation into a program
 * and an annual path review to apply for are listed together, soonest deadline first by the deadlines the API
 * answers, each with its countdown. From the inbox the partner verifies the incentive (a wrong headcount first: the
 * refusal is said in the page's language and nothing changes), answers the supplement by uploading a file, signs the
 * agreement and declines the invitation — the API then reads the incentive verified with the figures sent, the
 * application back in review with the uploaded file's SHA-256 (computed here from the bytes), the signature, and the
 * invitation declined with the reason given; applying for the path review is refused with the unmet requirement in
 * words. axe finds no serious or critical violation; no console error and no CSP violation but the refused requests'
 * own. Skipped, saying so, only when no chromium is installed.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Locator, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { tokenFor } from './support/app.js';
import { sha256 } from './support/agreement.js';
import { findChromium, screenshot, seriousViolations, useBrowser, watchPage } from './support/browser.js';
import { inboxFixtures } from './support/console-inbox.js';
import { PDF, useTestEnv } from './support/env.js';
import { acceptableTexts, countdownText, daysHoursMinutes, referenceWorkingMinutesLeft } from './support/reference-countdown.js';

const executablePath = findChromium();
if (!executablePath) {
  console.warn('test/console.inbox.browser.test.ts SKIPPED: no chromium found (CHROMIUM_PATH, /usr/bin/chromium): `apt-get install -y chromium` to run it.');
}

const workingCountdown = (deadlineMs: number) => (atMs: number) => countdownText(referenceWorkingMinutesLeft(atMs, deadlineMs), 'zh');
const calendarCountdown = (deadlineMs: number) => (atMs: number) => {
  const { days, hours, minutes } = daysHoursMinutes(Math.floor((deadlineMs - atMs) / 60_000));
  return days > 0 ? `${days} 天 ${hours} 小时` : `${hours} 小时 ${minutes} 分钟`;
};
/** Minor units as a partner types them: 123450 → "1234.50". */
const typed = (minor: number) => `${Math.floor(minor / 100)}.${String(minor % 100).padStart(2, '0')}`;

describe.skipIf(!executablePath)('the partner inbox in a real browser: every kind of item, acted on in place', () => {
  const env = useTestEnv({ taskQueue: 'console-inbox-browser', server: 'dev', api: true, database: 'own' });
  const browser = useBrowser(executablePath);
  const fixtures = inboxFixtures(env);

  beforeAll(async () => {
    await fixtures.tokens();
  });

  const card = (page: Page, title: string): Locator => page.getByRole('article', { name: title });

  it('lists an opportunity, an incentive, a supplement request and an agreement soonest first, and verifies, supplements and signs in place', async () => {
    const partnerId = `P-inbox-${randomUUID().slice(0, 8)}`;
    const owner = await tokenFor(['partner_admin'], partnerId);
    const opportunity = await fixtures.shareOpportunity(partnerId, 'Edge rollout');
    const incentive = await fixtures.generatedIncentive(partnerId, owner);
    const application = await fixtures.supplementRequested(partnerId, owner, 'Add a third case study.');
    const agreementText = `Partner agreement for the inbox test — ${randomUUID()}`;
    const agreement = await fixtures.publishAgreement(6, agreementText);
    const invitation = await fixtures.invitation(partnerId, 'RESELLER', 'Welcome to the reseller program.');
    const review = await fixtures.openPathReview(partnerId, owner);
    expect(application.status).toBe('SUPPLEMENT_REQUESTED');
    expect(invitation.status).toBe('INVITED');

    const titles = {
      opportunity: 'Edge rollout',
      incentive: `${incentive.period} 月度激励核对`,
      certification: '认证申请补充材料：ROLE_CONSULTING',
      agreement: `合作协议第 ${agreement.version} 版：Cloud Co. (Beijing) Ltd.`,
      invitation: '加入云经销商计划的邀请',
      review: `${review.year} 年度路径年审：申请评审（SOFTWARE）`,
    };
    // The order the API's own deadlines give, soonest first.
    const expectedOrder = (
      [
        [titles.opportunity, opportunity.acceptDeadline],
        [titles.incentive, incentive.verificationDeadline],
        [titles.certification, application.supplementDeadline],
        [titles.agreement, agreement.signByAt],
        [titles.invitation, invitation.invitationExpiresAt],
        [titles.review, review.windowEndsAt],
      ] as const
    )
      // Equal deadlines (two windows of working days may end at the same midnight) in the order the items arose: this
      // list's order, as the page breaks ties (stable sort).
      .toSorted((a, b) => Date.parse(a[1]) - Date.parse(b[1]))
      .map(([title]) => title);

    const context = await browser().newContext({ locale: 'zh-CN', timezoneId: 'UTC', viewport: { width: 1100, height: 900 } });
    const page = await context.newPage();
    const { problems } = await watchPage(page);
    expect((await page.goto(`${env.base}/console`))?.status()).toBe(200);
    const before = Date.now();
    await page.getByLabel('访问令牌').fill(owner);
    await page.getByRole('button', { name: '登录', exact: true }).click();
    await page.getByRole('heading', { name: '待办' }).waitFor();

    // One list, soonest deadline first across the kinds.
    await expect.poll(() => page.getByRole('article').count()).toBe(6);
    expect(await page.locator('article h4').allTextContents()).toEqual(expectedOrder);

    // The countdowns: working time for the incentive (its deadline counts working days), calendar time for the
    // agreement's sign-by date (a contract date).
    const incentiveCard = card(page, titles.incentive);
    const agreementCard = card(page, titles.agreement);
    await expect.poll(() => incentiveCard.getByTestId('countdown').textContent()).toMatch(/个工作日|小时/);
    await expect.poll(() => agreementCard.getByTestId('countdown').textContent()).toMatch(/天|小时/);
    const after = Date.now();
    expect(acceptableTexts(before, after, workingCountdown(Date.parse(incentive.verificationDeadline)))).toContain(await incentiveCard.getByTestId('countdown').textContent());
    expect(acceptableTexts(before, after, calendarCountdown(Date.parse(agreement.signByAt)))).toContain(await agreementCard.getByTestId('countdown').textContent());
    // The reviewer's request, beside what it asks for.
    await card(page, titles.certification).getByText('Add a third case study.').waitFor();
    await screenshot(page, 'inbox');
    expect(await seriousViolations(page)).toEqual([]);
    // The incentive's explanation, one click away: every day the API counted.
    await incentiveCard.getByText('为什么是这个截止时间？').click();
    await expect.poll(() => incentiveCard.locator('.counted-days li').count()).toBe(incentive.deadlineExplanation.countedDays.length);
    expect(await seriousViolations(page)).toEqual([]);

    // Verify the incentive: a wrong headcount first is refused, said in Chinese, and changes nothing.
    await incentiveCard.getByLabel('核对人数').fill(String(incentive.headcount + 1));
    await incentiveCard.getByLabel('核对总额（CNY）').fill(typed(incentive.totalMinor));
    await incentiveCard.getByLabel('证明材料（PDF、PNG 或 JPEG）').setInputFiles({ name: '名单确认.pdf', mimeType: 'application/pdf', buffer: PDF });
    await incentiveCard.getByRole('button', { name: '确认核对' }).click();
    await expect.poll(() => incentiveCard.getByRole('alert').textContent()).toBe('与名单不符：人数。请按名单核对后再提交，或对名单提出异议。');
    expect((await env.api('GET', `/v1/incentives/${incentive.id}`, owner)).body.status).toBe('PENDING_VERIFICATION');
    await incentiveCard.getByLabel('核对人数').fill(String(incentive.headcount));
    await incentiveCard.getByRole('button', { name: '确认核对' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe(`已确认 ${incentive.period} 月度激励。`);
    await expect.poll(() => page.getByRole('article').count()).toBe(5);
    const verified = (await env.api('GET', `/v1/incentives/${incentive.id}`, owner)).body;
    expect(verified.status).toBe('VERIFIED');
    expect(verified.history.at(-1)).toMatchObject({ type: 'VERIFIED', data: { headcount: incentive.headcount, totalMinor: incentive.totalMinor } });
    expect(verified.materials.map((m: { sha256: string; fileName: string }) => [m.fileName, m.sha256])).toEqual([['名单确认.pdf', createHash('sha256').update(PDF).digest('hex')]]);

    // Answer the supplement: a new case-study file, uploaded from the inbox.
    const supplementCard = card(page, titles.certification);
    const caseStudies = application.materials.find((m) => m.kind === 'CASE_STUDIES')!;
    const newCases = Buffer.concat([PDF, Buffer.from(`% three cases ${randomUUID()}\n`)]);
    await supplementCard.getByLabel(`新的「${caseStudies.name}」文件（可选）`).setInputFiles({ name: 'cases-3.pdf', mimeType: 'application/pdf', buffer: newCases });
    await supplementCard.getByLabel('补充说明（可选）').fill('Third case added.');
    await supplementCard.getByRole('button', { name: '提交补充材料' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe(`已提交补充材料：${titles.certification}。`);
    await expect.poll(() => page.getByRole('article').count()).toBe(4);
    const supplemented = (await env.api('GET', `/v1/certifications/${application.id}`, owner)).body;
    // Answered: back in review (the certification workflow starts the new review round at once, SUBMITTED → IN_REVIEW).
    expect(supplemented.status).toBe('IN_REVIEW');
    expect(supplemented.history.map((e: { type: string }) => e.type)).toContain('SUPPLEMENTED');
    const setCases = supplemented.materials.find((m: { kind: string }) => m.kind === 'CASE_STUDIES');
    expect(setCases.material).toMatchObject({ fileName: 'cases-3.pdf', sha256: createHash('sha256').update(newCases).digest('hex') });

    // Sign the agreement: the text read, one click away, and the signature naming its hash.
    await agreementCard.getByText('阅读协议全文', { exact: true }).click();
    await agreementCard.getByText(agreementText).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await agreementCard.getByLabel('我已阅读协议全文，代表本合作伙伴签署。').check();
    await agreementCard.getByRole('button', { name: '签署协议' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe(`已签署${titles.agreement}。`);
    await expect.poll(() => page.getByRole('article').count()).toBe(3);
    const signed = (await env.api('GET', `/v1/agreements/${agreement.id}`, owner)).body;
    expect(signed.signature).toMatchObject({ partnerId, version: agreement.version, textSha256: sha256(agreementText), signedBy: `${partnerId}-user` });

    // Decline the invitation, with a reason.
    const invitationCard = card(page, titles.invitation);
    await invitationCard.getByText('Welcome to the reseller program.').waitFor();
    await invitationCard.getByRole('button', { name: '谢绝邀请' }).click();
    await invitationCard.getByLabel('谢绝原因（可选）').fill('Not this year.');
    await invitationCard.getByRole('button', { name: '确认谢绝' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe(`已谢绝：${titles.invitation}。`);
    await expect.poll(() => page.getByRole('article').count()).toBe(2);
    const declined = (await env.api('GET', `/v1/enrollments/${invitation.id}`, owner)).body;
    expect(declined.status).toBe('DECLINED');
    expect(declined.history.at(-1)).toMatchObject({ type: 'DECLINED', note: 'Not this year.' });

    // Apply for the path review: refused, since the partner holds no ADVANCED_CLOUD_SOFTWARE certificate (1 required,
    // 0 held; its 5 full-time experts meet the other requirement) — the unmet one said with its figures, nothing changed.
    const reviewCard = card(page, titles.review);
    await reviewCard.getByRole('button', { name: '申请年审' }).click();
    await expect.poll(() => reviewCard.getByRole('alert').textContent()).toMatch(/^未满足以下要求：[^；]+（要求 1，实际 0）。$/);
    expect((await env.api('GET', `/v1/path-reviews/${review.id}`, owner)).body.status).toBe('OPEN');
    expect(await page.locator('article h4').allTextContents()).toEqual([titles.opportunity, titles.review]);

    // The only problems the page met are the two refused requests' own answers, which the browser reports as errors.
    const refusedAnswer = expect.stringMatching(/^console error: Failed to load resource: the server responded with a status of 422/);
    expect(await problems()).toEqual([refusedAnswer, refusedAnswer]);
    await context.close();
  });

  it("in English, shows a finance member the incentive it can verify and nothing it cannot act on, and says a refusal in English", async () => {
    const partnerId = `P-inbox-${randomUUID().slice(0, 8)}`;
    const finance = await tokenFor(['partner_finance'], partnerId);
    const incentive = await fixtures.generatedIncentive(partnerId, finance);
    // Waiting for this partner too, but not for a finance member: a supplement request (certification.apply) and an
    // agreement version in force, unsigned (agreement.sign).
    await fixtures.supplementRequested(partnerId, await tokenFor(['partner_admin'], partnerId), 'Add a case.');
    await fixtures.publishAgreement(3, `Another agreement — ${randomUUID()}`);

    const context = await browser().newContext({ locale: 'en-US', timezoneId: 'UTC', viewport: { width: 1100, height: 900 } });
    const page = await context.newPage();
    const { problems } = await watchPage(page);
    expect((await page.goto(`${env.base}/console`))?.status()).toBe(200);
    await page.getByLabel('Access token').fill(finance);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { name: 'Inbox' }).waitFor();
    const title = `Monthly incentive ${incentive.period} to verify`;
    await card(page, title).waitFor();
    await page.getByText('No opportunity waits for you.').waitFor();
    expect(await page.locator('article h4').allTextContents()).toEqual([title]);

    // No file: the API refuses (a list naming anyone needs evidence), said in English.
    const incentiveCard = card(page, title);
    await incentiveCard.getByLabel('Headcount').fill(String(incentive.headcount));
    await incentiveCard.getByLabel('Total (CNY)').fill(typed(incentive.totalMinor));
    await incentiveCard.getByRole('button', { name: 'Verify' }).click();
    await expect.poll(() => incentiveCard.getByRole('alert').textContent()).toBe('A list that names anyone needs at least one uploaded file as evidence.');
    expect(await seriousViolations(page)).toEqual([]);
    await incentiveCard.getByLabel('Evidence (PDF, PNG or JPEG)').setInputFiles({ name: 'list.pdf', mimeType: 'application/pdf', buffer: PDF });
    await incentiveCard.getByRole('button', { name: 'Verify' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe(`Verified the incentive of ${incentive.period}.`);
    await page.getByText('Nothing waits for you.').waitFor();
    expect((await env.api('GET', `/v1/incentives/${incentive.id}`, finance)).body.status).toBe('VERIFIED');

    const refusedAnswer = expect.stringMatching(/^console error: Failed to load resource: the server responded with a status of 422/);
    expect(await problems()).toEqual([refusedAnswer]);
    await context.close();
  });
});
