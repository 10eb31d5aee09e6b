/**
 * The vendor operations page (/console/operations) in a real browser (Debian's chromium, playwright-core) against the
 * real API, worker, Temporal dev server and PostgreSQL, serving the console built from the current sources: a vendor
 * shares an opportunity (the API then reads it pending for that partner, with the deadline the page showed); the year
 * view of CN 2026 shows National Day and its make-up working days on the official dates, and 2027 — not published —
 * is marked provisional with the days CN's statutory rules give, every cell as GET /v1/calendars/:name/years/:year
 * answers; an incentive run picked from the recent runs (GET /v1/admin/incentive-runs) shows the counts the API
 * answers; a webhook delivery the receiver refused is redelivered from the page and shown delivered. axe finds no
 * serious or critical violation; no console error and no Content-Security-Policy violation on the way (the answers a
 * test provokes on purpose excepted, by status). Screenshots go to test-artifacts/. Skipped, saying so, only when no
 * chromium is installed.
 */
import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../activities/index.js';
import type { DeliveryRetry } from '../workflows/webhook/workflow.js';
import { tokenFor } from './support/app.js';
import { findChromium, screenshot, seriousViolations, useBrowser } from './support/browser.js';
import { dayCells, everyKind, kindsOf, openConsoleAt, signInAt, zhDeadline } from './support/console-operations.js';
import { useTestEnv } from './support/env.js';
import { insertExpert } from './support/experts.js';
import { eventually } from './support/wait.js';
import { type Receiver, startReceiver, windowReminderEmitter } from './support/webhook-receiver.js';

const executablePath = findChromium();
if (!executablePath) {
  console.warn('test/console.operations.browser.test.ts SKIPPED: no chromium found (CHROMIUM_PATH, /usr/bin/chromium): `apt-get install -y chromium` to run it.');
}

const taskQueue = 'console-operations-browser';
const RETRY: DeliveryRetry = { maximumAttempts: 3, maximumIntervalMs: 1_000, timeoutMs: 5_000 };
const TOPIC = 'path-review.window-reminder';
/** How long a poll waits for what goes through the server (a workflow, a delivery): the machine is shared and slow. */
const SERVER = { timeout: 20_000 };

describe.skipIf(!executablePath)('the operations page in a real browser', () => {
  let receiver: Receiver;
  // The receiver first: its port is one the API and the worker allow; it closes after the environment stops.
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
  });
  const env = useTestEnv({
    taskQueue,
    server: 'dev',
    database: 'own',
    api: () => ({
      webhookRetry: RETRY,
      webhookAllowPrivateTargets: true,
      webhookAllowedPorts: [80, 443, receiver.port],
      rateLimitPerMinute: 100_000,
      rateLimitPerAddressPerMinute: 100_000,
    }),
  });
  const browser = useBrowser(executablePath);
  let admin: string;
  beforeAll(async () => {
    admin = await tokenFor(['vendor_admin']);
  });

  const openConsole = (locale: string, path = '') => openConsoleAt(browser(), `${env.base}/console${path}`, locale);

  it('a vendor shares an opportunity: the API reads it pending for that partner, with the deadline the page shows', async () => {
    const partnerId = `P-${randomUUID().slice(0, 8)}`;
    const { page, problems } = await openConsole('zh-CN');
    await signInAt(page, await tokenFor(['vendor_staff']), '访问令牌', '登录');
    // vendor_staff has the operations page only: the console opens it, on its first section.
    await page.getByRole('heading', { name: '运营', exact: true }).waitFor();
    await page.getByRole('heading', { name: '分享商机' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/console/operations/share');

    // A partner id the API refuses: the problem names the field, beside the form.
    await page.getByLabel('合作伙伴 ID').fill('not a partner!');
    await page.getByLabel('客户名称').fill('ACME Ltd.');
    await page.getByLabel('商机标题').fill('Data-centre migration');
    await page.getByLabel('预计金额（可选）').fill('123456.5');
    await page.getByRole('button', { name: '分享', exact: true }).click();
    await expect.poll(() => page.getByRole('alert').locator('code').allTextContents(), SERVER).toEqual(['partnerId']);
    expect(await page.getByLabel('合作伙伴 ID').getAttribute('aria-invalid')).toBe('true');

    await page.getByLabel('合作伙伴 ID').fill(partnerId);
    await page.getByRole('button', { name: '分享', exact: true }).click();
    await expect.poll(() => page.getByRole('status').textContent(), SERVER).toBe(`已将商机「Data-centre migration」分享给 ${partnerId}。`);

    // The API, read directly: one opportunity for that partner, pending, with what the form said.
    const listed = await env.api('GET', `/v1/opportunities?partnerId=${partnerId}`, admin);
    expect(listed.body.items).toHaveLength(1);
    const { body: shared } = await env.api('GET', `/v1/opportunities/${listed.body.items[0].id}`, admin);
    expect(shared).toMatchObject({ partnerId, status: 'PENDING_ACCEPTANCE', customerName: 'ACME Ltd.', title: 'Data-centre migration', estimatedAmount: { currency: 'CNY', minor: 12_345_650 } });
    // The deadline in the partner's zone, as the test writes it from the API's instant (the browser's clock is in UTC).
    const card = page.locator('.shared-opportunity');
    await expect.poll(() => card.locator('.deadline').textContent(), SERVER).toBe(zhDeadline(shared.acceptDeadline, 'Asia/Shanghai'));
    expect(await card.locator('.status').textContent()).toBe('待接受');
    // Its explanation, one click away: every day the API counted and skipped.
    await card.getByText('为什么是这个截止时间？').click();
    await expect.poll(() => card.locator('.counted-days li').count(), SERVER).toBe(shared.deadlineExplanation.countedDays.length);
    expect(await card.locator('.skipped-days li').count()).toBe(shared.deadlineExplanation.skippedDays.length);
    await screenshot(page, 'console-operations-share-zh');
    expect(await seriousViolations(page)).toEqual([]);

    // The refusal on purpose is the browser's own "Failed to load resource" (400); nothing else.
    expect((await problems()).filter((problem) => !/status of 400/.test(problem))).toEqual([]);
    await page.context().close();
  });

  it('the year view: CN 2026 with National Day and its make-up days on the official dates; 2027 marked provisional', async () => {
    const { body: cn } = await env.api('GET', '/v1/calendars/CN', admin);
    const { page, problems } = await openConsole('en-US', '/operations/calendars/CN/2026');
    // What the page asks the API for: the year route, never the deadline arithmetic.
    const asked: string[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname.startsWith('/v1/calendars')) asked.push(url.pathname);
    });
    await signInAt(page, await tokenFor(['vendor_staff']), 'Access token', 'Sign in');
    await page.getByRole('heading', { name: 'A business calendar, year by year' }).waitFor();
    await expect.poll(() => page.locator('.calendar-version strong').textContent(), SERVER).toBe(`CN: version ${cn.version}`);
    await expect.poll(() => dayCells(page).count(), SERVER).toBe(365);
    expect(await page.locator('.year-heading').textContent()).toBe('CN 2026');

    // The official 2026 schedule (State Council notice of November 2025, as packaged in domain/calendar-data/CN.json
    // by chinese-days 1.5.7): National Day and Mid-autumn, 1–7 October off; Sunday 20 September and Saturday 10
    // October worked instead. Around them: Thu 8 Oct an ordinary working day, Sun 11 Oct an ordinary rest day.
    const october = await kindsOf(page, ['2026-09-20', '2026-10-01', '2026-10-02', '2026-10-03', '2026-10-04', '2026-10-05', '2026-10-06', '2026-10-07', '2026-10-08', '2026-10-10', '2026-10-11']);
    expect(october).toEqual([
      ['2026-09-20', 'MAKEUP_WORKDAY', 'National Day'],
      ...['01', '02', '03', '04', '05', '06', '07'].map((d) => [`2026-10-${d}`, 'HOLIDAY', 'National Day']),
      ['2026-10-08', 'WORKDAY', null],
      ['2026-10-10', 'MAKEUP_WORKDAY', 'National Day'],
      ['2026-10-11', 'REST_DAY', null],
    ]);
    const nationalDay = page.locator('.named-days li[data-from="2026-10-01"]');
    expect(await nationalDay.textContent()).toBe('Thu 1 Oct 2026 – Wed 7 Oct 2026 — Public holiday: National Day (7 days)');
    expect(await page.locator('.named-days li[data-from="2026-09-20"]').textContent()).toBe('Sun 20 Sep 2026 — Make-up working day: National Day (1 day)');
    expect(await page.locator('td[data-date="2026-10-01"]').getAttribute('aria-label')).toBe('Thu 1 Oct 2026: Public holiday (National Day)');
    expect(await page.locator('.year-heading .provisional-mark').count()).toBe(0);
    // Every cell as the API, read directly, classifies its day.
    const { body: year2026 } = await env.api('GET', '/v1/calendars/CN/years/2026', admin);
    expect(await everyKind(page)).toEqual(
      year2026.days.map((d: { date: string; kind: string; name?: string }) => [d.date, d.kind, d.name ?? null]),
    );
    expect(asked).toContain('/v1/calendars/CN/years/2026');
    await screenshot(page, 'console-operations-calendar-2026-en');
    expect(await seriousViolations(page)).toEqual([]);

    // 2027 is not published (CN covers 2025–2026): counted by CN's statutory rules, and marked so. The rules give
    // National Day 1–3 October; 2 and 3 October 2027 are a Saturday and a Sunday, owed on the next working days,
    // Monday 4 and Tuesday 5. New Year's Day, Friday 1 January 2027, is off. No make-up day: the rules have none.
    await page.getByLabel('Year', { exact: true }).selectOption('2027');
    await expect.poll(() => page.locator('.year-heading').textContent(), SERVER).toBe('CN 2027 Provisional');
    expect(new URL(page.url()).pathname).toBe('/console/operations/calendars/CN/2027');
    await expect.poll(() => dayCells(page).count(), SERVER).toBe(365);
    expect(await page.locator('.year-note').textContent()).toMatch(/^Provisional: the official holiday schedule for 2027 is not published yet\./);
    expect(await page.locator('td.day-provisional').count()).toBe(365);
    const provisional = await kindsOf(page, ['2027-01-01', '2027-09-30', '2027-10-01', '2027-10-02', '2027-10-03', '2027-10-04', '2027-10-05', '2027-10-06']);
    expect(provisional.map(([date, kind]) => [date, kind])).toEqual([
      ['2027-01-01', 'HOLIDAY'],
      ['2027-09-30', 'WORKDAY'],
      ['2027-10-01', 'HOLIDAY'],
      ['2027-10-02', 'HOLIDAY'],
      ['2027-10-03', 'HOLIDAY'],
      ['2027-10-04', 'HOLIDAY'],
      ['2027-10-05', 'HOLIDAY'],
      ['2027-10-06', 'WORKDAY'],
    ]);
    expect(await page.locator('td[data-kind="MAKEUP_WORKDAY"]').count()).toBe(0);
    expect(await page.locator('td[data-date="2027-10-04"]').getAttribute('aria-label')).toMatch(/^Mon 4 Oct 2027: Public holiday \(.*National Day.*\), provisional$/);
    const { body: year2027 } = await env.api('GET', '/v1/calendars/CN/years/2027', admin);
    expect(year2027.status).toBe('PROVISIONAL');
    expect(await everyKind(page)).toEqual(
      year2027.days.map((d: { date: string; kind: string; name?: string }) => [d.date, d.kind, d.name ?? null]),
    );
    await screenshot(page, 'console-operations-calendar-2027-en');
    expect(await seriousViolations(page)).toEqual([]);

    // SA has no statutory rules (its Islamic holidays follow the moon sighting): a year it has not published fails
    // closed, and the page says why instead of showing a year it cannot know.
    await page.getByLabel('Calendar', { exact: true }).selectOption('SA');
    await expect.poll(() => page.locator('.year-heading').textContent(), SERVER).toBe('SA 2027');
    await expect.poll(() => page.getByRole('alert').textContent(), SERVER).toMatch(/^2027 has no published schedule and cannot be counted provisionally: ./);
    expect(await dayCells(page).count()).toBe(0);
    expect(asked).toContain('/v1/calendars/SA/years/2027');
    expect(asked.filter((path) => path.endsWith('/deadline'))).toEqual([]);

    // The API's 422 for SA 2027 is the browser's own "Failed to load resource"; nothing else.
    expect((await problems()).filter((problem) => !/status of 422/.test(problem))).toEqual([]);
    await page.context().close();
    // Two years of 365 labelled cells each, scanned by axe twice: slow on a shared machine (15–32 s seen).
  }, 120_000);

  it("an incentive run's progress: the counts the API answers, as a bar and in words", async () => {
    const period = DateTime.now().setZone('Asia/Shanghai').minus({ months: 1 }).toFormat('yyyy-MM');
    const partners = Array.from({ length: 3 }, () => `R-${randomUUID().slice(0, 8)}`);
    for (const partnerId of partners) await insertExpert(env.prisma, partnerId);
    // An older month too, so that the recent runs are more than one and their order shows.
    const older = '2022-02';
    for (const month of [older, period]) {
      const started = await env.api('POST', '/v1/admin/incentive-runs', admin, { period: month });
      expect(started.status, JSON.stringify(started.body)).toBe(202);
    }
    const completed = (month: string) =>
      eventually(async () => {
        const got = await env.api('GET', `/v1/admin/incentive-runs/${month}`, admin);
        return got.body.status === 'COMPLETED' ? got.body : undefined;
      }, 60_000);
    await completed(older);
    const run = await completed(period);
    expect(run.partners.total).toBeGreaterThanOrEqual(partners.length);

    const { page, problems } = await openConsole('en-US', '/operations/progress');
    await signInAt(page, await tokenFor(['vendor_staff']), 'Access token', 'Sign in');
    // A month without a run: vendor_staff reads runs but may not start one, and is told so (no button).
    await page.getByLabel('Month', { exact: true }).fill('2001-01');
    await page.getByRole('button', { name: 'Show' }).first().click();
    await page.getByText('No incentive generation has run for 2001-01 yet.').waitFor();
    await page.getByText('Only ecosystem managers and admins can start a run.').waitFor();
    expect(await page.getByRole('button', { name: /^Generate the incentives/ }).count()).toBe(0);

    // The run picked from the recent runs: the options are the API's list, read directly, newest period first.
    const { body: listed } = await env.api('GET', '/v1/admin/incentive-runs?limit=24', admin);
    const picker = page.getByLabel('Recent runs', { exact: true });
    await expect.poll(() => picker.locator('option').count(), SERVER).toBe(listed.items.length + 1);
    expect(listed.items.map((item: { period: string }) => item.period)).toEqual(expect.arrayContaining([period, older]));
    const mine = listed.items.find((item: { period: string }) => item.period === period);
    expect(await picker.locator(`option[value="${period}"]`).textContent()).toBe(`${period} — Completed, ${mine.partners.done} of ${mine.partners.total}`);
    expect(await picker.locator('option').evaluateAll((options) => options.map((o) => o.getAttribute('value')))).toEqual([
      '',
      ...listed.items.map((item: { period: string }) => item.period),
    ]);
    await picker.selectOption(period);
    const progress = page.locator('.incentive-run');
    await expect.poll(() => progress.getAttribute('data-status'), SERVER).toBe('COMPLETED');
    const { done, failed, total } = run.partners;
    expect(await progress.locator('.run-counts').textContent()).toBe(`${done} of ${total} partners processed — ${done - failed} succeeded, ${failed} failed, ${total - done} waiting`);
    const bar = page.getByRole('progressbar', { name: `Incentive generation progress, ${period}` });
    expect([await bar.getAttribute('value'), await bar.getAttribute('max')]).toEqual([String(done), String(total)]);
    expect(await progress.locator('.incentives-generated').textContent()).toBe(`Incentives generated: ${run.incentivesGenerated}`);
    expect(await progress.textContent()).toContain(`Status: Completed (${run.runs} run`);
    // Picked, the month field follows.
    expect(await page.getByLabel('Month', { exact: true }).inputValue()).toBe(period);
    await screenshot(page, 'console-operations-progress-en');
    expect(await seriousViolations(page)).toEqual([]);
    // The month without a run is the API's 404, which the browser reports as "Failed to load resource"; nothing else.
    expect((await problems()).filter((problem) => !/status of 404/.test(problem))).toEqual([]);
    await page.context().close();
  });

  it("a path-review cycle not started yet is started from the page; its progress and reviews by status match the API's", async () => {
    const [pathId, level, year] = ['CONSULTING_SI', 'MEMBER', 2022]; // a cycle year no other test file starts
    for (let i = 0; i < 2; i++) {
      const member = await env.api('PUT', `/v1/partners/PR-${randomUUID().slice(0, 8)}/paths/${pathId}`, admin, { level });
      expect(member.status, JSON.stringify(member.body)).toBe(200);
    }
    expect((await env.api('GET', `/v1/admin/path-reviews/${pathId}/${year}`, admin)).status).toBe(404);

    const { page, problems } = await openConsole('en-US', '/operations/progress');
    await signInAt(page, await tokenFor(['vendor_ecosystem_manager']), 'Access token', 'Sign in');
    const section = page.getByRole('region', { name: 'Development-path review cycles' });
    await section.getByLabel('Development path', { exact: true }).selectOption(pathId);
    await section.getByLabel('Year', { exact: true }).fill(String(year));
    await section.getByRole('button', { name: 'Show' }).click();
    await section.getByText(`The ${year} review cycle of ${pathId} has not started.`).waitFor();
    await section.getByRole('button', { name: `Start the ${year} review cycle of ${pathId}` }).click();
    const progress = section.locator('.path-review-cycle');
    await expect.poll(() => progress.getAttribute('data-status'), SERVER).toBe('COMPLETED');

    // The API, read directly: the cycle's counts, and its reviews counted by status page by page.
    const { body: cycle } = await env.api('GET', `/v1/admin/path-reviews/${pathId}/${year}`, admin);
    expect(cycle.members.total).toBeGreaterThanOrEqual(2);
    const counts: Record<string, number> = {};
    let cursor: string | null = null;
    do {
      const { body } = await env.api('GET', `/v1/path-reviews?pathId=${pathId}&year=${year}&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, admin);
      for (const review of body.items as { status: string }[]) counts[review.status] = (counts[review.status] ?? 0) + 1;
      cursor = body.nextCursor;
    } while (cursor);
    await expect.poll(() => progress.locator('.run-counts').textContent(), SERVER).toBe(`Reviews opened for ${cycle.members.done} of ${cycle.members.total} members`);
    const bar = page.getByRole('progressbar', { name: `Review cycle progress, ${pathId} ${year}` });
    expect([await bar.getAttribute('value'), await bar.getAttribute('max')]).toEqual([String(cycle.members.done), String(cycle.members.total)]);
    await expect.poll(() => progress.locator('.status-counts li[data-status="OPEN"]').textContent(), SERVER).toBe(`Open: ${counts.OPEN ?? 0}`);
    expect(counts.OPEN).toBe(cycle.reviewsStarted);
    for (const status of ['APPLIED', 'SUBMITTED', 'SUPPLEMENT_REQUESTED', 'PASSED', 'FAILED', 'LAPSED']) {
      expect(await progress.locator(`.status-counts li[data-status="${status}"]`).textContent()).toMatch(new RegExp(`: ${counts[status] ?? 0}$`));
    }
    await screenshot(page, 'console-operations-path-review-en');
    expect(await seriousViolations(page)).toEqual([]);
    // The cycle not started yet is the API's 404, which the browser reports as "Failed to load resource"; nothing else.
    expect((await problems()).filter((problem) => !/status of 404/.test(problem))).toEqual([]);
    await page.context().close();
  });

  it('a failed webhook delivery shows its attempts and last error; redeliver shows it delivered', async () => {
    // The receiver refuses the first request (400: not retried, so DEAD after one attempt) and accepts the next.
    const hook = receiver.hook((n) => (n === 1 ? 400 : 204));
    const created = await env.api('POST', '/v1/webhooks', admin, { url: hook.url, events: [TOPIC] });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const endpointId = created.body.id as string;
    const activities = createActivities({ prisma: env.prisma, temporal: env.client, webhookRetry: RETRY, calendarFor: env.calendarFor });
    await windowReminderEmitter({ activities, env, prisma: env.prisma, taskQueue })(`P-${randomUUID().slice(0, 8)}`);
    const dead = await eventually(async () => {
      const { body } = await env.api('GET', `/v1/webhooks/${endpointId}/deliveries`, admin);
      return body.items[0]?.status === 'DEAD' ? body.items[0] : undefined;
    });
    expect(dead).toMatchObject({ attempts: 1, runs: 1, lastResponseStatus: 400 });

    // vendor_staff reads deliveries, and is told redelivery is an admin's.
    const staff = await openConsole('en-US', '/operations/webhooks');
    await signInAt(staff.page, await tokenFor(['vendor_staff']), 'Access token', 'Sign in');
    await staff.page.locator(`tr[data-delivery="${dead.id}"]`).waitFor();
    await staff.page.getByText('Only vendor admins can redeliver.').waitFor();
    expect(await staff.page.getByRole('button', { name: /^Redeliver/ }).count()).toBe(0);
    expect(await staff.problems()).toEqual([]);
    await staff.page.context().close();

    const { page, problems } = await openConsole('en-US', '/operations/webhooks');
    await signInAt(page, admin, 'Access token', 'Sign in');
    await page.getByLabel('Endpoint', { exact: true }).selectOption(endpointId);
    const row = page.locator(`tr[data-delivery="${dead.id}"]`);
    await expect.poll(() => row.getAttribute('data-status'), SERVER).toBe('DEAD');
    expect(await row.locator('.delivery-status').textContent()).toBe('Failed (no more retries)');
    expect(await row.locator('.attempts').textContent()).toBe('1');
    expect(await row.locator('.last-response').textContent()).toBe('400');
    expect(await row.locator('.last-error').textContent()).toBe(dead.lastError);
    await screenshot(page, 'console-operations-webhook-dead-en');
    expect(await seriousViolations(page)).toEqual([]);

    await row.getByRole('button', { name: `Redeliver ${dead.eventId}` }).click();
    await expect.poll(() => page.getByRole('status').textContent(), SERVER).toBe(`Redelivered ${TOPIC}: delivered.`);
    expect(await row.getAttribute('data-status')).toBe('DELIVERED');
    expect(await row.locator('.runs').textContent()).toBe('2');
    // The API and the receiver agree: delivered on the second run, the same event id both times.
    const { body } = await env.api('GET', `/v1/webhooks/${endpointId}/deliveries`, admin);
    expect(body.items[0]).toMatchObject({ id: dead.id, status: 'DELIVERED', runs: 2, lastResponseStatus: 204 });
    expect(receiver.requests(hook.path).map((request) => request.headers['webhook-id'])).toEqual([dead.eventId, dead.eventId]);
    await screenshot(page, 'console-operations-webhook-redelivered-en');
    expect(await seriousViolations(page)).toEqual([]);
    expect(await problems()).toEqual([]);
    await page.context().close();
  });
});
