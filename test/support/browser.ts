/**
 * A real browser for the console's tests: Debian's chromium (never a downloaded one) driven by playwright-core,
 * with what a test needs to hold a page to account — every console error, uncaught exception and
 * Content-Security-Policy violation it met, an accessibility scan (axe) and screenshots kept in test-artifacts/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { projectRoot } from '../../platform/paths.js';
import { buildConsole } from '../../scripts/build-console.js';

/** Where the browser tests write their screenshots (kept by CI as artifacts; not committed). */
export const ARTIFACTS = path.join(projectRoot, 'test-artifacts');

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/lib/chromium/chromium', '/usr/bin/google-chrome'];

/** The browser to drive: CHROMIUM_PATH, else Debian's chromium where apt puts it; undefined when there is none. */
export function findChromium(): string | undefined {
  const given = process.env.CHROMIUM_PATH;
  if (given) return existsSync(given) ? given : undefined;
  return CANDIDATES.find((candidate) => existsSync(candidate));
}

/**
 * For a browser test file: the console built as the current sources build it (a no-op when npm run build already
 * did) and chromium launched before its tests, closed after them; the browser, once launched.
 */
export function useBrowser(executablePath: string | undefined): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    await buildConsole();
    browser = await launchChromium(executablePath!);
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
  });
  return () => browser!;
}

export async function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({
    executablePath,
    headless: true,
    // Chromium refuses to start its sandbox as root (CI containers run as root).
    args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
  });
}

/**
 * Everything wrong the page reports while the test drives it: console errors, uncaught exceptions, and CSP
 * violations (caught by a listener installed before any page script — init scripts run outside the page's CSP).
 */
export async function watchPage(page: Page): Promise<{ problems: () => Promise<string[]> }> {
  const seen: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') seen.push(`console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => seen.push(`uncaught: ${error.message}`));
  // Page code as text: the root tsconfig has no DOM types (the console's own tsconfig has).
  await page.addInitScript({
    content: `window.__cspViolations = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(e.violatedDirective + ' blocked ' + (e.blockedURI || '(inline)')));`,
  });
  return {
    problems: async () => {
      const violations = await page.evaluate<string[]>('window.__cspViolations ?? []').catch((): string[] => []);
      return [...seen, ...violations.map((violation) => `CSP violation: ${violation}`)];
    },
  };
}

/** axe's violations of impact serious or critical, each as "rule: help (selectors)". */
export async function seriousViolations(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.target.join(' ')).join(', ')})`);
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
