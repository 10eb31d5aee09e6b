/**
 * The reviewer queue in a real browser (Debian's chromium, playwright-core) against the real API, worker, Temporal
 * dev server and PostgreSQL, serving the console built from the current sources. Partners, through the API, submit
 * two certification applications (materials uploaded) and ask for a level raise; a reviewer sees them in the queue in
 * the order of the due times the API answers, claims one, a second reviewer's console shows it claimed by the first
 * (and its decision refused), the first opens it — the materials with the SHA-256 computed here from the bytes
 * uploaded, the download giving those bytes back, the history — and approves it: the API then reads APPROVED with a
 * certificate issued. The language switches on the page; axe finds no serious or critical violation; no console
 * error and no CSP violation on the way. Screenshots go to test-artifacts/ (review-queue.png is the README's).
 */
import { readFile } from 'node:fs/promises';
import { DateTime } from 'luxon';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenFor } from './support/app.js';
import { findChromium, screenshot, seriousViolations, useBrowser, watchPage } from './support/browser.js';
import { acceptableCountdowns, sha256, submittedCertification, submittedLevelRaise } from './support/console-review.js';
import { useTestEnv } from './support/env.js';

const executablePath = findChromium();
if (!executablePath) {
  console.warn('test/console.review.browser.test.ts SKIPPED: no chromium found (CHROMIUM_PATH, /usr/bin/chromium): `apt-get install -y chromium` to run it.');
}

describe.skipIf(!executablePath)('the reviewer queue in a real browser', () => {
  const env = useTestEnv({ taskQueue: 'console-review', server: 'dev', api: true, database: 'own' });
  const browser = useBrowser(executablePath);
  let reviewer: string;
  let secondReviewer: string;
  let admin: string;
  /** Items this file left waiting, released and decided at the end so that a later run's queue starts without them. */
  const leftWaiting: { kind: string; id: string; path: string; body: unknown }[] = [];

  beforeAll(async () => {
    reviewer = await tokenFor(['vendor_reviewer'], undefined, 'reviewer-rq-1');
    secondReviewer = await tokenFor(['vendor_reviewer'], undefined, 'reviewer-rq-2');
    admin = await tokenFor(['vendor_admin'], undefined, 'admin-rq');
  });
  afterAll(async () => {
    for (const { kind, id, path, body } of leftWaiting) {
      await env.api('DELETE', `/v1/review-queue/${kind}/${id}/claim`, admin);
      await env.api('POST', path, admin, body);
    }
  });

  const openConsole = async (locale: string, token: string): Promise<{ page: Page; problems: () => Promise<string[]> }> => {
    const context = await browser().newContext({ locale, timezoneId: 'UTC', viewport: { width: 1100, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    const { problems } = await watchPage(page);
    const answer = await page.goto(`${env.base}/console/reviews`);
    expect(answer?.status()).toBe(200);
    expect(answer?.headers()['content-security-policy']).toMatch(/script-src 'self'/);
    const zh = locale.startsWith('zh');
    await page.getByLabel(zh ? '访问令牌' : 'Access token').fill(token);
    await page.getByRole('button', { name: zh ? '登录' : 'Sign in', exact: true }).click();
    await page.getByRole('heading', { name: zh ? '审核队列' : 'Review queue', level: 2 }).waitFor();
    return { page, problems };
  };
  const row = (page: Page, kind: string, id: string) => page.locator(`article[data-item="${kind}/${id}"]`);

  it('a reviewer sees the queue by due time, claims, reads the exact materials and approves; another reviewer sees the claim', async () => {
    const first = await submittedCertification(env, 'rqa');
    const second = await submittedCertification(env, 'rqb');
    const raise = await submittedLevelRaise(env, 'rqc');
    leftWaiting.push({ kind: 'certification', id: first.id, path: `/v1/certifications/${first.id}/review`, body: { decision: 'REJECT', note: 'test clean-up' } });
    leftWaiting.push({ kind: 'certification', id: second.id, path: `/v1/certifications/${second.id}/review`, body: { decision: 'REJECT', note: 'test clean-up' } });
    leftWaiting.push({ kind: 'level-raise', id: raise.id, path: `/v1/level-raises/${raise.id}/review`, body: { decision: 'REJECT', note: 'test clean-up' } });

    // The order expected, from the due times (then submission times) the items' own routes answer.
    const mine = [
      { key: `certification/${first.id}`, ...first.view },
      { key: `certification/${second.id}`, ...second.view },
      { key: `level-raise/${raise.id}`, ...raise.view },
    ].sort((a, b) => Date.parse(a.reviewDueAt) - Date.parse(b.reviewDueAt) || Date.parse(a.submittedAt) - Date.parse(b.submittedAt));

    const catalog = (await env.api('GET', '/v1/certification-types', reviewer)).body.items as { type: string; name: string }[];
    const certificationName = `${catalog.find((type) => type.type === 'ROLE_CONSULTING')!.name} (ROLE_CONSULTING)`;

    const before = Date.now();
    const { page, problems } = await openConsole('zh-CN', reviewer);
    const firstRow = row(page, 'certification', first.id);
    await firstRow.waitFor();
    await row(page, 'level-raise', raise.id).waitFor();
    const shown = (await page.locator('article[data-item]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-item')))).filter((key) => mine.some((m) => m.key === key));
    expect(shown).toEqual(mine.map((m) => m.key));

    // Kind and subject in words, the partner, the due time in the partner's zone, the working time left.
    await expect.poll(() => firstRow.getByRole('heading').textContent()).toBe(`认证申请 ${certificationName}`);
    await expect.poll(() => row(page, 'level-raise', raise.id).getByRole('heading').textContent()).toBe('级别提升申请 SOFTWARE · — → CERTIFIED');
    expect(await firstRow.locator('[data-fact="partner"]').textContent()).toBe(first.partnerId);
    const due = DateTime.fromISO(first.view.reviewDueAt, { zone: 'Asia/Shanghai' });
    await expect.poll(() => firstRow.locator('.deadline').textContent()).toBe(`${due.month}月${due.day}日 ${due.setLocale('zh-CN').toFormat('ccc')} ${due.toFormat('HH:mm')} 北京时间`);
    const countdown = firstRow.getByTestId('countdown');
    await countdown.waitFor();
    expect(acceptableCountdowns(before, Date.now(), Date.parse(first.view.reviewDueAt), 'zh')).toContain(await countdown.textContent());
    await firstRow.getByText('为什么是这个截止时间？').click();
    const { body: detail } = await env.api('GET', `/v1/certifications/${first.id}`, reviewer);
    await expect.poll(() => firstRow.locator('.counted-days li').count()).toBe(detail.deadlineExplanation.countedDays.length);
    expect(await firstRow.getByTestId('claim-state').textContent()).toBe('未认领');

    // Claim it: the live region says so, the API holds the claim.
    await firstRow.getByRole('button', { name: '认领', exact: true }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toBe(`已认领「${certificationName}」。`);
    await expect.poll(() => firstRow.getByTestId('claim-state').textContent()).toBe('由我认领');
    const queued = (await env.api('GET', '/v1/review-queue?kind=certification&limit=100', reviewer)).body.items as { id: string; claim: { reviewer: string } | null }[];
    expect(queued.find((item) => item.id === first.id)?.claim?.reviewer).toBe('reviewer-rq-1');
    // The filters: mine, then one kind.
    await page.getByLabel('认领情况').selectOption('mine');
    await expect.poll(() => row(page, 'certification', second.id).count()).toBe(0);
    await firstRow.waitFor();
    await page.getByLabel('认领情况').selectOption('any');
    await page.getByLabel('类型').selectOption('level-raise');
    await expect.poll(() => page.locator('article[data-item^="certification/"]').count()).toBe(0);
    await row(page, 'level-raise', raise.id).waitFor();
    await page.getByLabel('类型').selectOption('');
    await firstRow.waitFor();
    // One partner's items (the API's partnerId filter), then all again.
    await page.getByLabel('合作伙伴').fill(second.partnerId);
    await page.getByRole('button', { name: '筛选', exact: true }).click();
    await expect.poll(() => page.locator('article[data-item]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-item')))).toEqual([`certification/${second.id}`]);
    await page.getByLabel('合作伙伴').fill('');
    await page.getByRole('button', { name: '筛选', exact: true }).click();
    await firstRow.waitFor();
    await screenshot(page, 'review-queue');
    expect(await seriousViolations(page)).toEqual([]);

    // A second reviewer's console shows it claimed by the first, and refuses them its decision with the API's words.
    const other = await openConsole('zh-CN', secondReviewer);
    const theirRow = row(other.page, 'certification', first.id);
    await expect.poll(() => theirRow.getByTestId('claim-state').textContent()).toBe('由 reviewer-rq-1 认领');
    expect(await theirRow.getByRole('button', { name: '认领', exact: true }).count()).toBe(0);
    await theirRow.getByRole('link').click();
    await other.page.getByRole('heading', { name: '审核对象' }).waitFor();
    await other.page.getByRole('button', { name: '确认批准' }).click();
    await expect.poll(() => other.page.getByRole('status').first().textContent()).toBe('未执行：已由 reviewer-rq-1 认领：在其释放或改派给您之前，只有 reviewer-rq-1 可以做出决定。');
    expect((await env.api('GET', `/v1/certifications/${first.id}`, reviewer)).body.status).toBe('IN_REVIEW');
    expect(await other.problems()).toEqual(['console error: Failed to load resource: the server responded with a status of 409 (Conflict)']);
    await other.page.context().close();

    // The first opens it: the partner, the subject, the terms, the materials as uploaded, the history.
    await firstRow.getByRole('link').click();
    await page.getByRole('heading', { name: '审核对象' }).waitFor();
    expect(await page.locator('[data-fact="partner"]').textContent()).toBe(first.partnerId);
    expect(await page.locator('[data-fact="type"]').textContent()).toBe(certificationName);
    expect(await page.locator('[data-fact="requiredMaterials"]').textContent()).toBe('CASE_STUDIES, TEAM_ROSTER');
    for (const file of first.files) {
      const material = page.locator(`.review-materials tr[data-kind="${file.kind}"]`);
      expect(await material.locator('.file-name').textContent()).toContain(file.fileName);
      expect(await material.locator('.sha256').textContent()).toBe(file.sha256);
      expect(await material.getByText(`${file.bytes.length.toLocaleString('zh-CN')} 字节`).count()).toBe(1);
    }
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: `下载「${first.files[0]!.fileName}」` }).click()]);
    expect(download.suggestedFilename()).toBe(first.files[0]!.fileName);
    expect(sha256(await readFile((await download.path())!))).toBe(first.files[0]!.sha256);
    expect(await page.locator('.review-history tbody tr').count()).toBe(detail.history.length);
    await expect.poll(() => page.getByTestId('claim-state').textContent()).toBe('由我认领');

    // The language switches on the page.
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'What is reviewed' }).waitFor();
    expect(await page.evaluate('document.documentElement.lang')).toBe('en');
    expect(await page.getByRole('group', { name: 'Decision' }).getByRole('radio').evaluateAll((radios) => radios.map((r) => r.parentElement?.textContent))).toEqual([
      'Approve',
      'Reject',
      'Request supplement',
    ]);
    await screenshot(page, 'review-item-en');
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('button', { name: '中文' }).click();
    await page.getByRole('heading', { name: '审核对象' }).waitFor();

    // Approve: the API reads APPROVED with a certificate issued, and the page shows the outcome.
    await page.getByRole('radio', { name: '批准' }).check();
    await page.getByRole('button', { name: '确认批准' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toBe('已批准：现在的状态为「已批准」。');
    const approved = (await env.api('GET', `/v1/certifications/${first.id}`, reviewer)).body;
    expect(approved.status).toBe('APPROVED');
    expect(approved.certificate).toMatchObject({ applicationId: first.id, partnerId: first.partnerId, type: 'ROLE_CONSULTING', status: 'ACTIVE' });
    await expect.poll(() => page.locator('.certificate').textContent()).toContain(approved.certificate.number);
    await screenshot(page, 'review-approved-zh');

    // Back in the queue (read again: the list kept from before still had it), it is gone; the others stay.
    await page.getByRole('link', { name: '返回审核队列' }).click();
    await row(page, 'level-raise', raise.id).waitFor();
    await expect.poll(() => row(page, 'certification', first.id).count()).toBe(0);
    await row(page, 'certification', second.id).waitFor();
    expect(await problems()).toEqual([]);
    await page.context().close();
  });

  it('an ecosystem admin assigns an item to a reviewer and releases it; the reviewer rejects a level raise with a reason', async () => {
    const certification = await submittedCertification(env, 'rqd');
    const raise = await submittedLevelRaise(env, 'rqe');
    leftWaiting.push({ kind: 'level-raise', id: raise.id, path: `/v1/level-raises/${raise.id}/review`, body: { decision: 'REJECT', note: 'test clean-up' } });
    leftWaiting.push({ kind: 'certification', id: certification.id, path: `/v1/certifications/${certification.id}/review`, body: { decision: 'REJECT', note: 'test clean-up' } });
    const catalog = (await env.api('GET', '/v1/certification-types', admin)).body.items as { type: string; name: string }[];
    const certificationName = `${catalog.find((type) => type.type === 'ROLE_CONSULTING')!.name} (ROLE_CONSULTING)`;
    const claimOf = async (kind: string, id: string) =>
      ((await env.api('GET', `/v1/review-queue?kind=${kind}&limit=100`, admin)).body.items as { id: string; claim: unknown }[]).find((item) => item.id === id)?.claim;

    const { page, problems } = await openConsole('en-US', admin);
    const assigned = row(page, 'certification', certification.id);
    await assigned.getByRole('button', { name: 'Assign' }).click();
    await assigned.getByLabel("Assign to (the reviewer's id)").fill('reviewer-rq-2');
    expect(await seriousViolations(page)).toEqual([]);
    await assigned.getByRole('button', { name: 'Assign' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toBe(`Assigned “${certificationName}” to reviewer-rq-2.`);
    await expect.poll(() => assigned.getByTestId('claim-state').textContent()).toBe('Claimed by reviewer-rq-2 (assigned by admin-rq)');
    expect(await claimOf('certification', certification.id)).toMatchObject({ reviewer: 'reviewer-rq-2', assignedBy: 'admin-rq' });
    await screenshot(page, 'review-assigned-en');
    await assigned.getByRole('button', { name: 'Release' }).click();
    await expect.poll(() => assigned.getByTestId('claim-state').textContent()).toBe('Unclaimed');
    expect(await claimOf('certification', certification.id)).toBeNull();
    expect(await problems()).toEqual([]);
    await page.context().close();

    // Another kind, decided in the same words: the level raise rejected with a reason.
    const second = await openConsole('zh-CN', secondReviewer);
    await row(second.page, 'level-raise', raise.id).getByRole('link').click();
    await second.page.getByRole('heading', { name: '审核对象' }).waitFor();
    expect(await second.page.locator('[data-fact="toLevel"]').textContent()).toBe('CERTIFIED');
    expect(await second.page.getByRole('radio').count()).toBe(2);
    await second.page.getByRole('radio', { name: '驳回' }).check();
    await second.page.getByLabel('驳回原因').fill('Not enough certified staff yet');
    await second.page.getByRole('button', { name: '确认驳回' }).click();
    await expect.poll(() => second.page.getByRole('status').first().textContent()).toBe('已驳回：现在的状态为「已驳回」。');
    const rejected = (await env.api('GET', `/v1/level-raises/${raise.id}`, admin)).body;
    expect(rejected).toMatchObject({ status: 'REJECTED', decisionNote: 'Not enough certified staff yet' });
    expect(await second.problems()).toEqual([]);
    await second.page.context().close();
  });
});
