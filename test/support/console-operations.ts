/**
 * Helpers of the operations page's browser test (test/console.operations.browser.test.ts): signing in where the page
 * was opened, reading the year view's day cells, and the deadline as the console should write it — each written from
 * the API's answers and the page's markup, sharing no code with the console.
 */
import { DateTime } from 'luxon';
import type { Browser, Page } from 'playwright-core';
import { expect } from 'vitest';
import { watchPage } from './browser.js';

/**
 * A fresh browser context (its own storage) in `locale`, its clock in UTC — not the partner's zone, on purpose — at
 * `url`, which must be the console served under the API's Content-Security-Policy.
 */
export async function openConsoleAt(browser: Browser, url: string, locale: string): Promise<{ page: Page; problems: () => Promise<string[]> }> {
  const context = await browser.newContext({ locale, timezoneId: 'UTC', viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  const { problems } = await watchPage(page);
  const answer = await page.goto(url);
  expect(answer?.status()).toBe(200);
  expect(answer?.headers()['content-security-policy']).toMatch(/script-src 'self'/);
  return { page, problems };
}

/** Signs in with `token` on the sign-in page the console shows at whatever path it was opened. */
export async function signInAt(page: Page, token: string, label: string, button: string): Promise<void> {
  await page.getByLabel(label).fill(token);
  await page.getByRole('button', { name: button, exact: true }).click();
}

/** An instant as the console writes it in Chinese in `zone` ("10月8日 周四 00:00 北京时间" for Asia/Shanghai). */
export function zhDeadline(instant: string, zone: string): string {
  const local = DateTime.fromISO(instant, { zone });
  const weekday = ['周一', '周二', '周三', '周四', '周五', '周六', '周日'][local.weekday - 1];
  return `${local.month}月${local.day}日 ${weekday} ${local.toFormat('HH:mm')} 北京时间`;
}

/** The year view's day cells (blank cells before the 1st of a month carry no date). */
export const dayCells = (page: Page) => page.locator('.year-grid td[data-date]');

/** [date, kind, holiday or make-up name | null] of the given dates' cells, in the order given. */
export async function kindsOf(page: Page, dates: string[]): Promise<[string, string | null, string | null][]> {
  return Promise.all(
    dates.map(async (date) => {
      const cell = page.locator(`.year-grid td[data-date="${date}"]`);
      return [date, await cell.getAttribute('data-kind'), await cell.getAttribute('data-name')] as [string, string | null, string | null];
    }),
  );
}

/** [date, kind, name | null] of every day cell of the year view, in the page's order, read in one round trip. */
export async function everyKind(page: Page): Promise<[string, string | null, string | null][]> {
  return dayCells(page).evaluateAll((cells) =>
    cells.map((cell) => [cell.getAttribute('data-date')!, cell.getAttribute('data-kind'), cell.getAttribute('data-name')] as [string, string | null, string | null]),
  );
}
