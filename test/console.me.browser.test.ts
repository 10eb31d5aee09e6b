/**
 * The console chooses its pages and what it shows from the caller's effective permissions (GET /v1/me), not from the
 * role names its token carries, in a real browser (Debian's chromium, playwright-core) against the real API, worker,
 * Temporal dev server and PostgreSQL. A partner member whose only stored role is a custom one holding incentive.read
 * and incentive.verify — its token claiming partner_sales, which would read opportunities — sees the incentive waiting
 * for it and no opportunity, though one is shared with its partner, and the page sends nothing the API refuses (no
 * 403, no console error, no CSP violation). A vendor_staff token sees Operations and not the review queue, which it
 * may not read. axe finds no serious or critical violation. Skipped, saying so, only when no chromium is installed.
 */
import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { tokenFor } from './support/app.js';
import { findChromium, screenshot, seriousViolations, useBrowser, watchPage } from './support/browser.js';
import { inboxFixtures } from './support/console-inbox.js';
import { useTestEnv } from './support/env.js';

const executablePath = findChromium();
if (!executablePath) {
  console.warn('test/console.me.browser.test.ts SKIPPED: no chromium found (CHROMIUM_PATH, /usr/bin/chromium): `apt-get install -y chromium` to run it.');
}

describe.skipIf(!executablePath)('pages and items by effective permissions, in a real browser', () => {
  const env = useTestEnv({ taskQueue: 'console-me-browser', server: 'dev', api: true, database: 'own' });
  const browser = useBrowser(executablePath);
  const fixtures = inboxFixtures(env);

  beforeAll(async () => {
    await fixtures.tokens();
  });

  const signedIn = async (token: string): Promise<{ page: Page; problems: () => Promise<string[]> }> => {
    const context = await browser().newContext({ locale: 'zh-CN', timezoneId: 'UTC', viewport: { width: 1100, height: 900 } });
    const page = await context.newPage();
    const { problems } = await watchPage(page);
    expect((await page.goto(`${env.base}/console`))?.status()).toBe(200);
    await page.getByLabel('访问令牌').fill(token);
    await page.getByRole('button', { name: '登录', exact: true }).click();
    return { page, problems };
  };

  it('a member with a custom role holding incentive.verify but not opportunity.read sees the incentive and no opportunity, and meets no 403', async () => {
    const partnerId = `P-me-${randomUUID().slice(0, 8)}`;
    const owner = await tokenFor(['partner_admin'], partnerId, `${partnerId}-owner`);
    await fixtures.shareOpportunity(partnerId, 'Not for the verifier');
    const incentive = await fixtures.generatedIncentive(partnerId, owner);
    const role = await env.api('POST', `/v1/partners/${partnerId}/roles`, owner, { name: 'Incentive verifier', permissions: ['incentive.read', 'incentive.verify'] });
    expect(role.status, JSON.stringify(role.body)).toBe(201);
    const sub = `${partnerId}-verifier`;
    const member = await env.api('POST', `/v1/partners/${partnerId}/members`, owner, { sub, displayName: 'Verifier', roles: [role.body.id] });
    expect(member.status, JSON.stringify(member.body)).toBe(201);
    // The token names partner_sales (which reads opportunities and not incentives); the member record decides.
    const verifier = await tokenFor(['partner_sales'], partnerId, sub);
    // What the API says of this caller, read directly: the two permissions of its custom role and nothing else.
    expect((await env.api('GET', '/v1/me', verifier)).body.permissions).toEqual(['incentive.read', 'incentive.verify']);

    const { page, problems } = await signedIn(verifier);
    await page.getByRole('heading', { name: '待办' }).waitFor();
    const incentiveTitle = `${incentive.period} 月度激励核对`;
    await page.getByRole('article', { name: incentiveTitle }).waitFor();
    await page.getByRole('article', { name: incentiveTitle }).getByLabel('核对人数').waitFor();
    // Settled: the incentive is the one item; the shared opportunity is not shown, nor asked for.
    await expect.poll(() => page.locator('article h4').allTextContents()).toEqual([incentiveTitle]);
    expect(await page.getByText('Not for the verifier').count()).toBe(0);
    // One page: no navigation to pages the member may not use.
    expect(await page.getByRole('link', { name: '审核队列' }).count()).toBe(0);
    expect(await page.getByRole('link', { name: '运营' }).count()).toBe(0);
    await screenshot(page, 'me-custom-role-inbox');
    expect(await seriousViolations(page)).toEqual([]);
    expect(await problems()).toEqual([]);
  });

  it('a vendor_staff token sees Operations and not the review queue', async () => {
    const staff = await tokenFor(['vendor_staff'], undefined, `me-staff-${randomUUID().slice(0, 8)}`);
    const { page, problems } = await signedIn(staff);
    await page.getByRole('heading', { name: '运营', exact: true }).waitFor();
    expect(new URL(page.url()).pathname).toMatch(/^\/console\/operations(\/|$)/);
    expect(await page.getByRole('link', { name: '审核队列' }).count()).toBe(0);
    // The queue's address itself is no page for this caller.
    await page.goto(`${env.base}/console/reviews`);
    await page.getByRole('alert').filter({ hasText: '没有这个页面。' }).waitFor();
    expect(await page.getByRole('heading', { name: '审核队列' }).count()).toBe(0);
    await screenshot(page, 'me-vendor-staff');
    expect(await seriousViolations(page)).toEqual([]);
    expect(await problems()).toEqual([]);
  });
});
