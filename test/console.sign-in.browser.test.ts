/**
 * The console's production sign-in in a real browser (Debian's chromium, playwright-core): OpenID Connect's
 * authorization-code flow with PKCE against a real provider (node-oidc-provider, test/support/oidc-provider.ts) whose
 * JWKS the API verifies, configured from the same variables production sets (platform/config.ts). A partner clicks
 * single sign-on, signs in at the provider, comes back signed in and its inbox loads — the API accepted the access
 * token the console obtained, whose audience is the API's; a token of the same provider for another audience is
 * refused (401); signing out ends the console's session and the provider's. axe finds no serious or critical
 * violation and there is no console error nor CSP violation on the console's pages (the provider's are not ours).
 * Skipped, saying so, only when no chromium is installed.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt } from 'jose';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../api/app.js';
import { consoleSignInOf } from '../api/console-config.js';
import { apiStartRefusal, loadConfig } from '../platform/config.js';
import { call, tokenFor } from './support/app.js';
import { findChromium, screenshot, seriousViolations, useBrowser } from './support/browser.js';
import { useTestEnv } from './support/env.js';
import { startOidcProvider, type TestAccount, type TestOidcProvider } from './support/oidc-provider.js';

const executablePath = findChromium();
if (!executablePath) {
  console.warn('test/console.sign-in.browser.test.ts SKIPPED: no chromium found (CHROMIUM_PATH, /usr/bin/chromium): `apt-get install -y chromium` to run it.');
}

// The API's audience is a URI: the console names it with RFC 8707's `resource`, which takes absolute URIs only.
const AUDIENCE = 'https://api.partnerflow.test/';
const OTHER_AUDIENCE = 'https://reports.partnerflow.test/';
const CLIENT_ID = 'partnerflow-console';

describe.skipIf(!executablePath)('production sign-in: OpenID Connect with PKCE in a real browser', () => {
  const env = useTestEnv({ taskQueue: 'console-sign-in', server: 'dev', api: true, database: 'own' });
  const browser = useBrowser(executablePath);
  const partnerId = `P-${randomUUID().slice(0, 8)}`;
  const partner: TestAccount = { sub: `${partnerId}-alice`, roles: ['partner_admin'], partnerId };
  let provider: TestOidcProvider;
  let server: Server;
  /** The API verifying the provider's tokens (the environment's own API verifies development tokens). */
  let base: string;

  beforeAll(async () => {
    // The API's address first: the provider registers the console's redirect URI on it.
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    provider = await startOidcProvider({ clientId: CLIENT_ID, consoleOrigin: base, resources: [AUDIENCE, OTHER_AUDIENCE], accounts: [partner] });
    // Configured as production is, from its variables.
    const config = loadConfig({
      DATABASE_URL: 'postgres://unused',
      AUTH_JWKS_URL: provider.jwksUrl,
      AUTH_ISSUER: provider.issuer,
      AUTH_AUDIENCE: AUDIENCE,
      CONSOLE_OIDC_CLIENT_ID: CLIENT_ID,
      CONSOLE_OIDC_SCOPES: 'openid api',
    });
    expect(apiStartRefusal(config)).toBeUndefined();
    const app = createApp({
      ...env.deps(),
      jwks: { url: config.AUTH_JWKS_URL!, issuer: config.AUTH_ISSUER!, audience: config.AUTH_AUDIENCE!, cooldownMs: 0 },
      consoleSignIn: consoleSignInOf(config),
    });
    server.on('request', app);
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await provider?.stop();
  });

  const share = async (toPartner: string, title: string) => {
    const res = await env.api('POST', '/v1/opportunities', await tokenFor(['vendor_staff']), {
      partnerId: toPartner,
      customerName: 'ACME Ltd.',
      title,
      estimatedAmount: { currency: 'CNY', minor: 1_000_000 },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string };
  };

  /**
   * Console errors, uncaught exceptions and CSP violations met while the page was the console's (the provider's own
   * pages are its business). Chromium reports a CSP violation as a console error; the listener below names it too.
   */
  const watchConsolePages = async (page: Page) => {
    const seen: string[] = [];
    const ours = () => page.url().startsWith(`${base}/`);
    page.on('console', (message) => void (message.type() === 'error' && ours() && seen.push(`console error on ${page.url()}: ${message.text()}`)));
    page.on('pageerror', (error) => void (ours() && seen.push(`uncaught on ${page.url()}: ${error.message}`)));
    await page.addInitScript({
      content: `document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + (e.blockedURI || '(inline)')));`,
    });
    return () => seen;
  };

  /** On the provider's development pages: any password, then its consent to the API's scope. */
  const loginAtProvider = async (page: Page) => {
    await page.locator('input[name="login"]').fill(partner.sub);
    await page.locator('input[name="password"]').fill('any');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
  };
  /** The session oidc-client-ts keeps in this tab's sessionStorage (null when signed out). */
  const storedUser = async (page: Page) => {
    const stored = await page.evaluate<string | null>(`sessionStorage.getItem('oidc.user:${provider.issuer}:${CLIENT_ID}')`);
    return stored ? (JSON.parse(stored) as { access_token: string; refresh_token?: string }) : null;
  };

  it('serves the sign-in configuration, and a CSP letting the page reach exactly the issuer', async () => {
    const oidc = await call(base, 'GET', '/console/config.json');
    expect(oidc.status).toBe(200);
    expect(oidc.headers.get('cache-control')).toBe('no-store');
    expect(oidc.body).toEqual({ signIn: 'oidc', issuer: provider.issuer, clientId: CLIENT_ID, scopes: ['openid', 'api'], audience: AUDIENCE, audienceParameter: 'resource' });
    const connectSrc = oidc.headers.get('content-security-policy')!.split(';').find((directive) => directive.startsWith('connect-src'));
    expect(connectSrc).toBe(`connect-src 'self' ${provider.issuer}`);
    // Development (no client id): the token page, and helmet's policy untouched (no connect-src beyond default-src).
    const development = await env.api('GET', '/console/config.json');
    expect(development.body).toEqual({ signIn: 'token' });
    expect(development.headers.get('content-security-policy')).not.toMatch(/connect-src/);
  });

  it('a partner signs in with single sign-on, its inbox loads; another audience is refused; signing out ends both sessions', async () => {
    const mine = await share(partnerId, 'Lakehouse migration');
    const theirs = await share(`P-${randomUUID().slice(0, 8)}`, 'Someone else’s deal');
    const context = await browser().newContext({ locale: 'zh-CN', timezoneId: 'UTC', viewport: { width: 1100, height: 900 } });
    const page = await context.newPage();
    const problems = await watchConsolePages(page);

    const answer = await page.goto(`${base}/console`);
    expect(answer?.headers()['content-security-policy']).toContain(`connect-src 'self' ${provider.issuer}`);
    await page.getByRole('heading', { name: '登录' }).waitFor();
    const sso = page.getByRole('button', { name: '使用单点登录' });
    await sso.waitFor();
    expect(await page.getByLabel('访问令牌').count()).toBe(0);
    await screenshot(page, 'console-sso-sign-in-zh');
    expect(await seriousViolations(page)).toEqual([]);

    // At the provider: its development login (any password), then its consent to the API's scope.
    const authorizationRequest = page.waitForRequest((request) => request.url().startsWith(`${provider.issuer}/auth?`));
    await sso.click();
    const authorize = new URL((await authorizationRequest).url()).searchParams;
    expect(authorize.get('code_challenge_method')).toBe('S256');
    expect(authorize.get('resource')).toBe(AUDIENCE);
    expect(authorize.get('redirect_uri')).toBe(`${base}/console/callback`);
    await loginAtProvider(page);

    // Back on the console, signed in: the callback's address is left for the inbox, which the API answered.
    await page.getByRole('heading', { name: '待办' }).waitFor();
    await page.getByRole('article', { name: 'Lakehouse migration' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/console/inbox');
    expect(await page.getByRole('article').count()).toBe(1);
    await page.getByText(`${partner.sub} · ${partnerId}`).waitFor();

    // The access token the console holds (this tab's sessionStorage) is a JWT for the API, with the partner's claims.
    const accessToken = (await storedUser(page))!.access_token;
    expect(decodeJwt(accessToken)).toMatchObject({ iss: provider.issuer, aud: AUDIENCE, sub: partner.sub, roles: ['partner_admin'], partnerId });
    // The API, read directly with it: this partner's opportunity, not another partner's.
    const listed = await call(base, 'GET', '/v1/opportunities?status=PENDING_ACCEPTANCE', accessToken);
    expect(listed.status).toBe(200);
    const ids = (listed.body.items as { id: string }[]).map((item) => item.id);
    expect(ids).toContain(mine.id);
    expect(ids).not.toContain(theirs.id);
    expect((await call(base, 'GET', `/v1/opportunities/${theirs.id}`, accessToken)).status).toBe(404);
    // The same provider's token for another audience, same claims, is refused; for the API's audience it passes.
    const elsewhere = await call(base, 'GET', '/v1/opportunities', await provider.signAccessToken(partner, OTHER_AUDIENCE));
    expect(elsewhere.status).toBe(401);
    expect(elsewhere.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect((await call(base, 'GET', '/v1/opportunities', await provider.signAccessToken(partner, AUDIENCE))).status).toBe(200);
    // A development token is no token here: the API verifies the provider's keys only.
    expect((await call(base, 'GET', '/v1/opportunities', await tokenFor(['partner_admin'], partnerId))).status).toBe(401);

    await screenshot(page, 'console-sso-inbox-zh');
    expect(await seriousViolations(page)).toEqual([]);
    expect(problems()).toEqual([]);

    // Sign-out: the console's session ends, then the provider's (its end_session_endpoint asks to confirm).
    await page.getByRole('button', { name: '退出登录' }).click();
    await page.waitForURL((url) => url.href.startsWith(`${provider.issuer}/`));
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.getByRole('button', { name: '使用单点登录' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/console/');
    expect(await storedUser(page)).toBeNull();
    expect(await seriousViolations(page)).toEqual([]);
    // The provider forgot the person too: signing in again asks for the login.
    await page.getByRole('button', { name: '使用单点登录' }).click();
    await page.locator('input[name="login"]').waitFor();
    expect(problems()).toEqual([]);
    await context.close();
  });

  it('renews the access token silently before it expires; when it cannot, the page says so and asks to sign in again', async () => {
    await share(partnerId, 'Renewal pilot');
    // Access tokens of 65 s: oidc-client-ts renews 60 s before expiry, so about 5 s after each one is issued.
    provider.setAccessTokenTtl(65);
    const context = await browser().newContext({ locale: 'en-US', timezoneId: 'UTC', viewport: { width: 1100, height: 900 } });
    const page = await context.newPage();
    const problems = await watchConsolePages(page);
    try {
      await page.goto(`${base}/console`);
      await page.getByRole('button', { name: 'Sign in with single sign-on' }).click();
      await loginAtProvider(page);
      await page.getByRole('article', { name: 'Renewal pilot' }).waitFor();
      const first = (await storedUser(page))!;
      expect(first.refresh_token).toBeTruthy();

      // Renewed with the refresh token: a new access token, still for the API, and the API takes it.
      await expect.poll(async () => (await storedUser(page))?.access_token, { timeout: 30_000 }).not.toBe(first.access_token);
      const renewed = (await storedUser(page))!.access_token;
      expect(decodeJwt(renewed)).toMatchObject({ aud: AUDIENCE, sub: partner.sub, partnerId });
      expect((await call(base, 'GET', '/v1/opportunities', renewed)).status).toBe(200);
      await page.getByRole('article', { name: 'Renewal pilot' }).waitFor();

      // A refresh token the provider no longer honours (revoked, say): the next renewal is refused — signed out, told why.
      const refusedRenewals: number[] = [];
      page.on('response', (response) => void (response.url() === `${provider.issuer}/token` && response.status() >= 400 && refusedRenewals.push(response.status())));
      await page.evaluate(`(() => {
        const key = 'oidc.user:${provider.issuer}:${CLIENT_ID}';
        const user = JSON.parse(sessionStorage.getItem(key));
        user.refresh_token = 'revoked-' + user.refresh_token;
        sessionStorage.setItem(key, JSON.stringify(user));
      })()`);
      await page.getByRole('alert').filter({ hasText: 'Your session has expired: sign in again.' }).waitFor({ timeout: 30_000 });
      await page.getByRole('button', { name: 'Sign in with single sign-on' }).waitFor();
      expect(await storedUser(page)).toBeNull();
      await screenshot(page, 'console-sso-expired-en');
      expect(await seriousViolations(page)).toEqual([]);
      // The provider's refusal (400 invalid_grant) is the one error the browser reports, as it reports any failed load.
      expect(refusedRenewals).toEqual([400]);
      expect(problems()).toEqual([expect.stringMatching(/Failed to load resource: the server responded with a status of 400/)]);
    } finally {
      provider.setAccessTokenTtl(3600);
      await context.close();
    }
  });
});
