/**
 * GET /v1/admin/incentive-runs on the real API, worker, Temporal dev server and PostgreSQL: every period generation
 * has run for, newest period first, cursor-paged. The runs are real (POST, then the workflow), and each listed item is
 * checked against the database read directly (incentive_run, incentive) and against the period's own route.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { tokenFor } from './support/app.js';
import { useTestEnv } from './support/env.js';
import { insertExpert } from './support/experts.js';
import { eventually } from './support/wait.js';

const env = useTestEnv({ taskQueue: 'incentive-runs-list-test', server: 'dev', api: true });
/** Periods no other test file runs, deliberately out of order. */
const PERIODS = ['2021-07', '2020-03', '2023-11'];
let admin: string;
let staff: string;

type Summary = { period: string; status: string; requestedBy: string; startedAt: string; finishedAt: string | null; partners: { total: number; done: number; failed: number }; incentivesGenerated: number; runs: number; workflowId: string };

/** Every item, following nextCursor with pages of `limit`. */
async function everyRun(limit: number): Promise<{ items: Summary[]; pages: number }> {
  const items: Summary[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res = await env.api('GET', `/v1/admin/incentive-runs?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, staff);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.items.length).toBeLessThanOrEqual(limit);
    items.push(...res.body.items);
    cursor = res.body.nextCursor;
    pages++;
  } while (cursor);
  return { items, pages };
}

beforeAll(async () => {
  admin = await tokenFor(['vendor_admin'], undefined, 'runs-admin');
  staff = await tokenFor(['vendor_staff']);
  // A partner in scope of every period (registered 2020-01-01), so each run has something to count.
  await insertExpert(env.prisma, `RL-${randomUUID().slice(0, 8)}`);
  for (const period of PERIODS) {
    const started = await env.api('POST', '/v1/admin/incentive-runs', admin, { period });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
  }
  for (const period of PERIODS) {
    await eventually(async () => ((await env.api('GET', `/v1/admin/incentive-runs/${period}`, admin)).body.status === 'COMPLETED' ? true : undefined), 60_000);
  }
}, 120_000);

describe('the list of incentive runs', () => {
  it('lists every run, newest period first, each with its status and counts as recorded', async () => {
    const { items } = await everyRun(100);
    const periods = items.map((item) => item.period);
    // Strictly descending: newest first, each period once.
    expect(periods).toEqual([...periods].sort().reverse());
    expect(new Set(periods).size).toBe(periods.length);
    // Exactly the periods the database holds runs for.
    const rows = await env.prisma.incentiveRun.findMany({ orderBy: { period: 'desc' } });
    expect(periods).toEqual(rows.map((row) => row.period));
    expect(periods.filter((period) => PERIODS.includes(period))).toEqual(['2023-11', '2021-07', '2020-03']);

    for (const row of rows) {
      const item = items.find((i) => i.period === row.period)!;
      const generated = await env.prisma.incentive.count({ where: { period: row.period } });
      expect(item).toEqual({
        period: row.period,
        workflowId: `incentive-run-${row.period}`,
        status: row.status,
        requestedBy: row.requestedBy,
        startedAt: row.startedAt.toISOString(),
        finishedAt: row.finishedAt?.toISOString() ?? null,
        partners: { total: row.partnersTotal, done: row.partnersDone, failed: (row.failures as unknown[]).length },
        incentivesGenerated: generated,
        runs: row.runs,
      });
    }
    // The same counts as the period's own route.
    for (const period of PERIODS) {
      const { body: one } = await env.api('GET', `/v1/admin/incentive-runs/${period}`, staff);
      const item = items.find((i) => i.period === period)!;
      expect(item).toMatchObject({ status: 'COMPLETED', requestedBy: 'runs-admin', runs: one.runs, incentivesGenerated: one.incentivesGenerated, partners: one.partners });
      expect(item.partners.total).toBeGreaterThanOrEqual(1);
      expect(item.partners.done).toBe(item.partners.total);
    }
  });

  it('pages: one at a time gives the same runs in the same order, then no cursor', async () => {
    const all = await everyRun(100);
    const single = await everyRun(1);
    expect(single.items.map((i) => i.period)).toEqual(all.items.map((i) => i.period));
    expect(single.pages).toBe(all.items.length);
    const first = await env.api('GET', '/v1/admin/incentive-runs?limit=2', staff);
    expect(first.body.items.map((i: Summary) => i.period)).toEqual(all.items.slice(0, 2).map((i) => i.period));
  });

  it.each([
    ['a cursor it did not write', 'cursor=not-a-cursor', 'query.cursor'],
    ['a cursor whose month disagrees with its period', `cursor=${Buffer.from(JSON.stringify([1, '2021-07'])).toString('base64url')}`, 'query.cursor'],
    ['a limit of 0', 'limit=0', 'limit'],
    ['a limit above 100', 'limit=101', 'limit'],
    ['an unknown parameter', 'period=2021-07', 'period'],
  ])('refuses %s: 400 naming the field', async (_, query, field) => {
    const res = await env.api('GET', `/v1/admin/incentive-runs?${query}`, staff);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([expect.stringContaining(field)]);
  });

  it("is the vendor's: partner staff are refused (403), no token is 401", async () => {
    const partner = await tokenFor(['partner_admin'], `P-${randomUUID().slice(0, 8)}`);
    expect((await env.api('GET', '/v1/admin/incentive-runs', partner)).status).toBe(403);
    expect((await env.api('GET', '/v1/admin/incentive-runs')).status).toBe(401);
  });
});
