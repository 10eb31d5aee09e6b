/**
 * The reviewer queue through the API (docs/review-queue.md): the real app and worker, Temporal's time-skipping server,
 * real PostgreSQL. Items are made through each process's own routes (support/access-matrix-review-queue.ts); the
 * expected order and states come from each item's own detail route and the tables, never from the queue itself.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tokenFor } from './support/app.js';
import { reviewItems } from './support/access-matrix-review-queue.js';
import { unique } from './support/access-matrix-table.js';
import { expectFieldProblem, expectProblem, useTestEnv } from './support/env.js';

const env = useTestEnv({ taskQueue: 'review-queue-test', api: { rateLimitPerMinute: 100_000, rateLimitPerAddressPerMinute: 100_000 } });
const { api } = env;
const items = reviewItems(() => env.base, () => env.prisma, () => ({ client: env.client, taskQueue: env.taskQueue }));

type Item = { kind: string; id: string; partnerId: string; subject: Record<string, unknown>; status: string; submittedAt: string; reviewDueAt: string | null; overdue: boolean; claim: { reviewer: string; claimedAt: string; assignedBy: string | null } | null; detailPath: string; decidePath: string };

let admin: string; // vendor_admin: every kind, and review.assign
let reviewer: string; // vendor_reviewer: every kind but customer reports
let second: string; // another vendor_reviewer
let manager: string; // vendor_ecosystem_manager: customer reports only, and review.assign

beforeAll(async () => {
  admin = await tokenFor(['vendor_admin'], undefined, 'rq-admin');
  reviewer = await tokenFor(['vendor_reviewer'], undefined, 'rq-reviewer');
  second = await tokenFor(['vendor_reviewer'], undefined, 'rq-second');
  manager = await tokenFor(['vendor_ecosystem_manager'], undefined, 'rq-manager');
});

const queue = async (token: string, query: Record<string, string>) => {
  const res = await api('GET', `/v1/review-queue?${new URLSearchParams(query)}`, token);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { items: Item[]; nextCursor: string | null };
};

describe('one partner with four kinds waiting', () => {
  let partnerId: string;
  let made: { kind: string; id: string; detail: string; due: string; submitted: string }[];

  beforeAll(async () => {
    partnerId = unique('P-rq');
    const cert = await items.certification(partnerId, 'Queue Solution');
    const raise = await items.levelRaise(partnerId);
    const enrollment = await items.enrollment(partnerId);
    const report = await items.customerReport(partnerId);
    // Each item's due and submitted instants as its own detail route answers them.
    const read = async (kind: string, id: string, detail: string, submittedField: string) => {
      const res = await api('GET', detail, admin);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return { kind, id, detail, due: res.body.reviewDueAt as string, submitted: res.body[submittedField] as string };
    };
    made = [
      await read('certification', cert.id, `/v1/certifications/${cert.id}`, 'submittedAt'),
      await read('level-raise', raise.id, `/v1/level-raises/${raise.id}`, 'submittedAt'),
      await read('enrollment', enrollment.id, `/v1/enrollments/${enrollment.id}`, 'submittedAt'),
      await read('customer-report', report.id, `/v1/customer-reports/${report.id}`, 'reportedAt'),
    ];
    for (const m of made) expect(m.due, `${m.kind} has a review due date`).toEqual(expect.any(String));
  });

  /** Soonest due first, then submitted first: sorted here from the detail routes' instants. */
  const expectedOrder = () =>
    [...made].sort((a, b) => Date.parse(a.due) - Date.parse(b.due) || Date.parse(a.submitted) - Date.parse(b.submitted)).map((m) => `${m.kind}/${m.id}`);

  it('lists them soonest review due first, each with its subject, instants, routes and no claim', async () => {
    const page = await queue(admin, { partnerId });
    expect(page.items.map((i) => `${i.kind}/${i.id}`)).toEqual(expectedOrder());
    expect(page.nextCursor).toBeNull();
    const byKind = new Map(page.items.map((i) => [i.kind, i]));
    for (const m of made) {
      const item = byKind.get(m.kind)!;
      expect(item).toMatchObject({ partnerId, reviewDueAt: m.due, submittedAt: m.submitted, overdue: false, claim: null, detailPath: m.detail });
    }
    expect(byKind.get('certification')).toMatchObject({
      status: 'IN_REVIEW',
      subject: { type: 'ADVANCED_CLOUD_SOFTWARE', solutionName: 'Queue Solution', summary: expect.stringContaining('Queue Solution') },
      decidePath: `${made[0]!.detail}/review`,
    });
    expect(byKind.get('level-raise')).toMatchObject({ status: 'SUBMITTED', subject: { pathId: 'SOFTWARE', fromLevel: null, toLevel: 'CERTIFIED' }, decidePath: `${made[1]!.detail}/review` });
    expect(byKind.get('enrollment')).toMatchObject({ status: 'IN_REVIEW', subject: { program: 'RESELLER' }, decidePath: `${made[2]!.detail}/review` });
    const report = await env.prisma.customerReport.findUniqueOrThrow({ where: { id: made[3]!.id } });
    const enterprise = await env.prisma.enterprise.findUniqueOrThrow({ where: { creditCode: report.creditCode } });
    expect(byKind.get('customer-report')).toMatchObject({
      status: 'IN_MANUAL_REVIEW',
      subject: { creditCode: report.creditCode, enterpriseName: enterprise.name },
      decidePath: `${made[3]!.detail}/review`,
    });
  });

  it('pages across kinds with a cursor, one item a page, in the same order', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const page: { items: Item[]; nextCursor: string | null } = await queue(admin, { partnerId, limit: '1', ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((i) => `${i.kind}/${i.id}`));
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toEqual(expectedOrder());
    // Three a page: the fourth on the second.
    const first = await queue(admin, { partnerId, limit: '3' });
    const rest = await queue(admin, { partnerId, limit: '3', cursor: first.nextCursor! });
    expect([...first.items, ...rest.items].map((i) => `${i.kind}/${i.id}`)).toEqual(expectedOrder());
    expect(rest.nextCursor).toBeNull();
  });

  it('lists only the kinds whose decide permission the caller holds; partners are refused', async () => {
    const kinds = async (token: string) => (await queue(token, { partnerId })).items.map((i) => i.kind).sort();
    expect(await kinds(manager)).toEqual(['customer-report']);
    expect(await kinds(reviewer)).toEqual(['certification', 'enrollment', 'level-raise']);
    // Asking for a kind one may not decide answers none of it.
    expect((await queue(manager, { partnerId, kind: 'certification' })).items).toEqual([]);
    expect((await queue(reviewer, { partnerId, kind: 'level-raise' })).items.map((i) => i.id)).toEqual([made[1]!.id]);
    for (const role of ['partner_admin', 'partner_sales'] as const) {
      expectProblem(await api('GET', `/v1/review-queue?partnerId=${partnerId}`, await tokenFor([role], partnerId)), 403, 'forbidden');
      expectProblem(await api('POST', `/v1/review-queue/enrollment/${made[2]!.id}/claim`, await tokenFor([role], partnerId)), 403, 'forbidden');
    }
    expectProblem(await api('GET', '/v1/review-queue'), 401);
  });

  it('refuses what it does not understand, naming the field', async () => {
    expectFieldProblem(await api('GET', '/v1/review-queue?kind=incentive', admin), 400, 'query.kind');
    expectFieldProblem(await api('GET', '/v1/review-queue?claim=theirs', admin), 400, 'query.claim');
    expectFieldProblem(await api('GET', '/v1/review-queue?limit=101', admin), 400, 'query.limit');
    expectFieldProblem(await api('GET', '/v1/review-queue?cursor=bm90LWEtY3Vyc29y', admin), 400, 'query.cursor');
    expectFieldProblem(await api('POST', '/v1/review-queue/certification/not-a-uuid/claim', admin), 400, 'path.id');
    expectFieldProblem(await api('POST', `/v1/review-queue/opportunity/${made[0]!.id}/claim`, admin), 400, 'path.kind');
    expectFieldProblem(await api('POST', `/v1/review-queue/enrollment/${made[2]!.id}/assign`, admin, {}), 400, 'reviewer');
    expectFieldProblem(await api('POST', `/v1/review-queue/enrollment/${made[2]!.id}/assign`, admin, { reviewer: 'x'.repeat(201) }), 400, 'reviewer');
  });
});

describe('a partner with a path review, a specialist application and a certification waiting', () => {
  it('lists the path review, which has no review deadline, after the dated items; each with its subject', async () => {
    const partnerId = unique('P-rq-b');
    const review = await items.pathReview(partnerId, 2101);
    const specialist = await items.specialist(partnerId, 'Queue Specialist');
    const cert = await items.certification(partnerId, 'Second Solution');
    const due = async (path: string) => {
      const res = await api('GET', path, admin);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return { due: res.body.reviewDueAt as string, submitted: res.body.submittedAt as string };
    };
    const dated = [
      { key: `specialist/${specialist.id}`, ...(await due(`/v1/specialist-applications/${specialist.id}`)) },
      { key: `certification/${cert.id}`, ...(await due(`/v1/certifications/${cert.id}`)) },
    ].sort((a, b) => Date.parse(a.due) - Date.parse(b.due) || Date.parse(a.submitted) - Date.parse(b.submitted));
    const page = await queue(reviewer, { partnerId });
    expect(page.items.map((i) => `${i.kind}/${i.id}`)).toEqual([...dated.map((d) => d.key), `path-review/${review.id}`]);
    const byKind = new Map(page.items.map((i) => [i.kind, i]));
    expect(byKind.get('path-review')).toMatchObject({
      status: 'SUBMITTED',
      reviewDueAt: null,
      overdue: false,
      subject: { pathId: 'SOFTWARE', level: 'CERTIFIED', year: 2101 },
      detailPath: `/v1/path-reviews/${review.id}`,
      decidePath: `/v1/path-reviews/${review.id}/decision`,
    });
    expect(byKind.get('specialist')).toMatchObject({
      status: 'SUBMITTED',
      subject: { memberId: specialist.memberId, memberName: 'Queue Specialist', pathId: 'SOFTWARE' },
      decidePath: `/v1/specialist-applications/${specialist.id}/review`,
    });
    // A cursor after the last dated item leads to the undated one.
    const first = await queue(reviewer, { partnerId, limit: '2' });
    expect((await queue(reviewer, { partnerId, limit: '2', cursor: first.nextCursor! })).items.map((i) => i.id)).toEqual([review.id]);
    expect((await queue(manager, { partnerId })).items).toEqual([]);

    // The kit's other kinds hold claims too: another reviewer's decision of the claimed path review is 409.
    expect((await api('POST', `/v1/review-queue/path-review/${review.id}/claim`, reviewer)).status).toBe(200);
    expectProblem(await api('POST', `/v1/path-reviews/${review.id}/decision`, second, { decision: 'PASS' }), 409, 'review-claimed');
    expect((await env.prisma.pathReview.findUniqueOrThrow({ where: { id: review.id } })).status).toBe('SUBMITTED');
    expect((await api('POST', `/v1/review-queue/specialist/${specialist.id}/claim`, second)).status).toBe(200);
    expectProblem(await api('POST', `/v1/specialist-applications/${specialist.id}/review`, reviewer, { decision: 'REJECT', note: 'not mine' }), 409, 'review-claimed');
    expect((await env.prisma.specialistApplication.findUniqueOrThrow({ where: { id: specialist.id } })).status).toBe('SUBMITTED');
  });
});

describe('claims', () => {
  it('claim, claim again (the same claim), another reviewer 409, filters mine / unclaimed / others, release', async () => {
    const { partnerId, id } = await items.levelRaise();
    const path = `/v1/review-queue/level-raise/${id}/claim`;
    const first = await api('POST', path, reviewer);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.claim).toMatchObject({ reviewer: 'rq-reviewer', assignedBy: null });
    const again = await api('POST', path, reviewer);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    const refused = await api('POST', path, second);
    expectProblem(refused, 409, 'review-claimed');
    expect(refused.body.claimedBy).toBe('rq-reviewer');
    // The table holds the one claim, the first's.
    expect(await env.prisma.reviewClaim.findMany({ where: { kind: 'level-raise', itemId: id } })).toEqual([
      { kind: 'level-raise', itemId: id, reviewer: 'rq-reviewer', claimedAt: new Date(first.body.claim.claimedAt), assignedBy: null },
    ]);

    const ids = async (token: string, claim: string) => (await queue(token, { partnerId, claim })).items.map((i) => i.id);
    expect(await ids(reviewer, 'mine')).toEqual([id]);
    expect(await ids(reviewer, 'others')).toEqual([]);
    expect(await ids(second, 'others')).toEqual([id]);
    expect(await ids(second, 'mine')).toEqual([]);
    expect(await ids(second, 'unclaimed')).toEqual([]);
    expect((await queue(second, { partnerId })).items[0]!.claim).toEqual(first.body.claim);

    // Another reviewer may not release it; the claimant may.
    expectProblem(await api('DELETE', path, second), 409, 'review-claimed');
    const released = await api('DELETE', path, reviewer);
    expect(released.status, JSON.stringify(released.body)).toBe(200);
    expect(released.body).toEqual({ claim: null });
    expect(await env.prisma.reviewClaim.count({ where: { kind: 'level-raise', itemId: id } })).toBe(0);
    expect(await ids(second, 'unclaimed')).toEqual([id]);
    // Releasing what nobody claims changes nothing.
    expect((await api('DELETE', path, second)).status).toBe(200);
  });

  it('assign replaces a claim and names who assigned it; a review.assign holder releases anyone’s', async () => {
    const { id } = await items.customerReport();
    const base = `/v1/review-queue/customer-report/${id}`;
    expect((await api('POST', `${base}/claim`, manager)).status).toBe(200);
    const assigned = await api('POST', `${base}/assign`, admin, { reviewer: 'rq-other-manager' });
    expect(assigned.status, JSON.stringify(assigned.body)).toBe(200);
    expect(assigned.body.claim).toMatchObject({ reviewer: 'rq-other-manager', assignedBy: 'rq-admin' });
    // The same assignment again: the same claim.
    expect((await api('POST', `${base}/assign`, admin, { reviewer: 'rq-other-manager' })).body).toEqual(assigned.body);
    expectProblem(await api('POST', `${base}/claim`, manager), 409, 'review-claimed');
    // vendor_reviewer holds no review.assign; vendor_ecosystem_manager does.
    expectProblem(await api('POST', `${base}/assign`, reviewer, { reviewer: 'rq-reviewer' }), 403, 'forbidden');
    // A claim needs the kind's decide permission: vendor_reviewer may not decide customer reports.
    expectProblem(await api('POST', `${base}/claim`, reviewer), 403, 'forbidden');
    expect((await api('DELETE', `${base}/claim`, manager)).status).toBe(200);
    expect(await env.prisma.reviewClaim.count({ where: { kind: 'customer-report', itemId: id } })).toBe(0);
  });

  it('an item not waiting for a decision (unknown, decided) is 404 to claim and assign', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    expectProblem(await api('POST', `/v1/review-queue/enrollment/${unknown}/claim`, reviewer), 404, 'not-found');
    expectProblem(await api('POST', `/v1/review-queue/enrollment/${unknown}/assign`, admin, { reviewer: 'rq-reviewer' }), 404, 'not-found');
    expectProblem(await api('DELETE', `/v1/review-queue/enrollment/${unknown}/claim`, reviewer), 404, 'not-found');
    expectProblem(await api('POST', '/v1/review-queue/path-review/SOFTWARE-P-none-2099/claim', reviewer), 404, 'not-found');
    const { id } = await items.enrollment();
    const decided = await api('POST', `/v1/enrollments/${id}/review`, reviewer, { decision: 'REJECT', note: 'not now' });
    expect(decided.status, JSON.stringify(decided.body)).toBe(200);
    expectProblem(await api('POST', `/v1/review-queue/enrollment/${id}/claim`, reviewer), 404, 'not-found');
    expectProblem(await api('POST', `/v1/review-queue/enrollment/${id}/assign`, admin, { reviewer: 'rq-reviewer' }), 404, 'not-found');
  });
});

describe('a decision while a claim holds', () => {
  it("another reviewer's decision is 409 and changes nothing; the claimant's decides, and the item leaves the queue", async () => {
    const { partnerId, id } = await items.certification();
    expect((await api('POST', `/v1/review-queue/certification/${id}/claim`, reviewer)).status).toBe(200);
    const before = await env.prisma.certificationApplication.findUniqueOrThrow({ where: { id }, include: { events: true } });

    const refused = await api('POST', `/v1/certifications/${id}/review`, second, { decision: 'APPROVE' });
    expectProblem(refused, 409, 'review-claimed');
    expect(refused.body.claimedBy).toBe('rq-reviewer');
    const after = await env.prisma.certificationApplication.findUniqueOrThrow({ where: { id }, include: { events: true } });
    expect(after.status).toBe('IN_REVIEW');
    expect(after.events.length).toBe(before.events.length);
    expect((await api('GET', `/v1/certifications/${id}`, admin)).body.status).toBe('IN_REVIEW');

    const approved = await api('POST', `/v1/certifications/${id}/review`, reviewer, { decision: 'APPROVE' });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body.status).toBe('APPROVED');
    expect((await queue(reviewer, { partnerId })).items).toEqual([]);
  });

  it('holds for the kinds decided in their own clients too (level raise, enrollment, customer report)', async () => {
    const cases = [
      { kind: 'level-raise', made: await items.levelRaise(), decide: (id: string) => `/v1/level-raises/${id}/review`, decider: reviewer, other: second },
      { kind: 'enrollment', made: await items.enrollment(), decide: (id: string) => `/v1/enrollments/${id}/review`, decider: reviewer, other: second },
      { kind: 'customer-report', made: await items.customerReport(), decide: (id: string) => `/v1/customer-reports/${id}/review`, decider: manager, other: admin },
    ];
    for (const c of cases) {
      const { id } = c.made;
      expect((await api('POST', `/v1/review-queue/${c.kind}/${id}/claim`, c.decider)).status).toBe(200);
      const refused = await api('POST', c.decide(id), c.other, { decision: 'REJECT', note: 'not mine to decide' });
      expectProblem(refused, 409, 'review-claimed');
      const detail = await api('GET', c.decide(id).replace(/\/review$/, ''), admin);
      expect(detail.body.status, c.kind).toBe(c.kind === 'customer-report' ? 'IN_MANUAL_REVIEW' : c.kind === 'enrollment' ? 'IN_REVIEW' : 'SUBMITTED');
      const decided = await api('POST', c.decide(id), c.decider, { decision: 'REJECT', note: 'decided by the claimant' });
      expect(decided.status, `${c.kind}: ${JSON.stringify(decided.body)}`).toBe(200);
      expect((await queue(admin, { partnerId: c.made.partnerId })).items).toEqual([]);
    }
  });

  it('an unclaimed item may still be decided by anyone allowed', async () => {
    const { id } = await items.levelRaise();
    const decided = await api('POST', `/v1/level-raises/${id}/review`, second, { decision: 'REJECT', note: 'unclaimed' });
    expect(decided.status, JSON.stringify(decided.body)).toBe(200);
  });
});
