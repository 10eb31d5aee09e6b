/**
 * The API serves the built console at /console (api/app.ts): the page under the API's Content-Security-Policy with
 * no inline script, any other /console page answered by the page (the single-page app routes itself), hashed assets
 * cached for good, and a missing asset or another method the 404 problem. No browser needed: this runs everywhere,
 * test/console.browser.test.ts drives the page itself.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../api/app.js';
import { buildConsole } from '../scripts/build-console.js';

let server: Server;
let base: string;

beforeAll(async () => {
  await buildConsole();
  // Routes are declared but never reached: only static paths are requested, which touch neither Temporal nor the database.
  const app = createApp({
    temporal: { connection: {}, workflow: {} } as never,
    prisma: {} as never,
    taskQueue: 'console-static',
    jwtSecret: 'console-static-0123456789abcdefghijklmnop',
    logger: pino({ level: 'silent' }),
  });
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 180_000);
afterAll(() => new Promise<void>((resolve) => server?.close(() => resolve())));

const assetOf = (html: string) => /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)?.[1];

describe('the console served by the API', () => {
  it('GET /console: the page, under the CSP, loading its bundle from /console/assets with no inline script', async () => {
    const res = await fetch(`${base}/console`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    const html = await res.text();
    expect(assetOf(html)).toBeDefined();
    // Every <script> has a src: an inline one would be blocked by script-src 'self'.
    expect(html.match(/<script\b[^>]*>/g)!.every((tag) => /\bsrc=/.test(tag))).toBe(true);
  });

  it('any other /console page answers the page; hashed assets are cached as immutable', async () => {
    const page = await fetch(`${base}/console/inbox/opportunities`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const asset = await fetch(base + assetOf(html)!);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  });

  it('a missing asset, or another method, is the 404 problem', async () => {
    for (const [method, path] of [['GET', '/console/assets/missing.js'], ['POST', '/console'], ['GET', '/consoles']] as const) {
      const res = await fetch(base + path, { method });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
  });
});
