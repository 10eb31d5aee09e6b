/**
 * The HTTP API end to end: real Express app, real worker, a real Temporal dev server, real PostgreSQL.
 * Every opportunity route, its refusals (400/401/403/404/409/422), idempotent share and pagination. What every
 * route shares (health, unknown routes, security headers, IAM sub-users, rate limits): app.api.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { JWT_SECRET, tokenFor } from './support/app.js';
import { testCalendar } from './support/calendar.js';
import { expectFieldProblem as expectProblem, useTestEnv } from './support/env.js';
import { referenceDeadline } from './support/reference-deadline.js';

const env = useTestEnv({ taskQueue: 'api-test', server: 'dev', api: true });
const { api } = env;
let vendor: string;

beforeAll(async () => {
  vendor = await tokenFor(['vendor_staff']);
});

const newPartner = () => `P-${randomUUID().slice(0, 8)}`;
const shareBody = (partnerId: string) => ({
  partnerId,
  customerName: 'ACME Ltd.',
  title: 'Data-centre migration',
  estimatedAmount: { currency: 'CNY', minor: 12_345_600 },
});

/** Everything the database holds, to prove a refused request changed nothing. */
const snapshotDb = async () => ({
  opportunities: await env.prisma.opportunity.count(),
  events: await env.prisma.opportunityEvent.count(),
  keys: await env.prisma.idempotencyKey.count(),
  audit: await env.prisma.auditLog.count(),
});

async function sharedWith(partnerId = newPartner()) {
  const res = await api('POST', '/v1/opportunities', vendor, shareBody(partnerId));
  expect(res.status).toBe(201);
  return { id: res.body.id as string, partnerId, partner: await tokenFor(['partner_admin'], partnerId) };
}

describe('authentication and authorization', () => {
  it('401 without a token, with a bad token, with an expired token', async () => {
    expectProblem(await api('GET', '/v1/opportunities'), 401);
    expectProblem(await api('GET', '/v1/opportunities', 'not.a.jwt'), 401);
    const { signToken } = await import('../domain/auth.js');
    const expired = await signToken({ sub: 'x', roles: ['vendor_staff'] }, JWT_SECRET, '-5m');
    expectProblem(await api('GET', '/v1/opportunities', expired), 401);
    const forged = await signToken({ sub: 'x', roles: ['vendor_staff'] }, 'another-secret-0123456789abcdefghijklmnop');
    expectProblem(await api('GET', '/v1/opportunities', forged), 401);
  });

  it('403 when the role lacks the permission: partners cannot share, vendors cannot accept', async () => {
    const { id, partner } = await sharedWith();
    const before = await snapshotDb();
    expectProblem(await api('POST', '/v1/opportunities', partner, shareBody('P-x')), 403);
    expectProblem(await api('POST', `/v1/opportunities/${id}/accept`, vendor), 403);
    expect(await snapshotDb()).toEqual(before);
  });
});

describe('share', () => {
  it('201 with id, status, sharedAt and the accept deadline', async () => {
    const partnerId = newPartner();
    const res = await api('POST', '/v1/opportunities', vendor, shareBody(partnerId));
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`/v1/opportunities/${res.body.id}`);
    // The test calendar: Sat/Sun rest in Asia/Shanghai, no holidays — counted by the naive reference, not the code under test.
    const expected = new Date(referenceDeadline(Date.parse(res.body.sharedAt), 3, { zone: 'Asia/Shanghai', restWeekdays: [6, 7] })).toISOString();
    expect(res.body).toMatchObject({ partnerId, status: 'PENDING_ACCEPTANCE', acceptDeadline: expected, estimatedAmount: { currency: 'CNY', minor: 12_345_600 } });
    expect(res.body.local.acceptDeadline).toMatch(/\+08:00$/);
  });

  it.each([
    [{ ...shareBody('P-1'), extra: 1 }, 'extra'],
    [{ ...shareBody('P-1'), partnerId: undefined }, 'partnerId'],
    [{ ...shareBody('P-1'), partnerId: 'P 1; drop' }, 'partnerId'],
    [{ ...shareBody('P-1'), customerName: '   ' }, 'customerName'],
    [{ ...shareBody('P-1'), title: 'x'.repeat(201) }, 'title'],
    [{ ...shareBody('P-1'), title: 42 }, 'title'],
    [{ ...shareBody('P-1'), estimatedAmount: { currency: 'XXQ', minor: 1 } }, 'estimatedAmount.currency'],
    [{ ...shareBody('P-1'), estimatedAmount: { currency: 'CNY', minor: 1.5 } }, 'estimatedAmount.minor'],
    [{ ...shareBody('P-1'), estimatedAmount: { currency: 'CNY', minor: -1 } }, 'estimatedAmount.minor'],
    [{ ...shareBody('P-1'), estimatedAmount: { currency: 'CNY', minor: '100' } }, 'estimatedAmount.minor'],
    [[], '(body)'],
  ])('400 naming the bad field, and nothing changes: %j', async (body, field) => {
    const before = await snapshotDb();
    expectProblem(await api('POST', '/v1/opportunities', vendor, body), 400, field);
    expect(await snapshotDb()).toEqual(before);
  });

  it('400 for malformed JSON, 413 for an oversized body', async () => {
    expectProblem(await api('POST', '/v1/opportunities', vendor, '{"partnerId":'), 400, '(body)');
    expectProblem(await api('POST', '/v1/opportunities', vendor, { ...shareBody('P-1'), title: 'x'.repeat(70_000) }), 413);
  });

  it('is idempotent with Idempotency-Key: a retry returns the first result, never a second opportunity', async () => {
    const partnerId = newPartner();
    const key = randomUUID();
    const first = await api('POST', '/v1/opportunities', vendor, shareBody(partnerId), { 'Idempotency-Key': key });
    const retries = await Promise.all([1, 2, 3].map(() => api('POST', '/v1/opportunities', vendor, shareBody(partnerId), { 'Idempotency-Key': key })));
    for (const retry of retries) {
      expect(retry.status).toBe(201);
      expect(retry.body.id).toBe(first.body.id);
      expect(retry.body.sharedAt).toBe(first.body.sharedAt);
    }
    expect(await env.prisma.opportunity.count({ where: { partnerId } })).toBe(1);
    const reused = await api('POST', '/v1/opportunities', vendor, { ...shareBody(partnerId), title: 'other' }, { 'Idempotency-Key': key });
    expectProblem(reused, 422, 'Idempotency-Key');
    expect(await env.prisma.opportunity.count({ where: { partnerId } })).toBe(1);
  });

  it('422 and nothing started when the calendar has no data for the year (fails closed)', async () => {
    const previous = env.calendar;
    const year = new Date().getUTCFullYear();
    env.calendar = testCalendar(Date.now(), { years: [year - 3, year - 1] });
    try {
      const before = await snapshotDb();
      const res = await api('POST', '/v1/opportunities', vendor, shareBody(newPartner()));
      expectProblem(res, 422);
      expect(res.body.type).toBe('urn:partnerflow:problem:calendar-year-not-covered');
      expect(await snapshotDb()).toEqual(before);
    } finally {
      env.calendar = previous;
    }
  });
});

describe('read', () => {
  it('GET by id: vendor and owner see it with history; another partner gets 404', async () => {
    const { id, partner } = await sharedWith();
    const other = await tokenFor(['partner_admin'], newPartner());
    for (const token of [vendor, partner]) {
      const res = await api('GET', `/v1/opportunities/${id}`, token);
      expect(res.status).toBe(200);
      expect(res.body.history).toMatchObject([{ seq: 1, type: 'SHARED', toStatus: 'PENDING_ACCEPTANCE' }]);
      expect(res.body.deadlineExplanation.workingDays).toBe(3);
    }
    expectProblem(await api('GET', `/v1/opportunities/${id}`, other), 404);
    expectProblem(await api('GET', `/v1/opportunities/${randomUUID()}`, vendor), 404);
    expectProblem(await api('GET', '/v1/opportunities/not-a-uuid', vendor), 400, 'path.id');
  });

  it('lists newest first with cursor pagination; a partner sees only its own', async () => {
    const partnerId = newPartner();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await api('POST', '/v1/opportunities', vendor, shareBody(partnerId))).body.id);
    await sharedWith(); // someone else's
    const partner = await tokenFor(['partner_admin'], partnerId);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await api('GET', `/v1/opportunities?limit=2${cursor ? `&cursor=${cursor}` : ''}`, partner);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((o: { id: string; partnerId: string }) => (expect(o.partnerId).toBe(partnerId), o.id)));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());

    const filtered = await api('GET', `/v1/opportunities?partnerId=${partnerId}&status=PENDING_ACCEPTANCE&limit=100`, vendor);
    expect(filtered.body.items.map((o: { id: string }) => o.id)).toEqual([...ids].reverse());
    const foreign = await api('GET', `/v1/opportunities?partnerId=${newPartner()}`, partner);
    expect(foreign.body).toEqual({ items: [], nextCursor: null });
  });

  it.each([
    ['limit=0', 'query.limit'],
    ['limit=101', 'query.limit'],
    ['status=OPEN', 'query.status'],
    ['cursor=garbage', 'query.cursor'],
    ['sort=asc', 'query.sort'],
  ])('400 for a bad list query: %s', async (query, field) => {
    expectProblem(await api('GET', `/v1/opportunities?${query}`, vendor), 400, field);
  });
});

describe('accept, reject, updates, close', () => {
  it('accept: 200 for the owner, then 409; 404 for another partner; audited', async () => {
    const { id, partner, partnerId } = await sharedWith();
    const other = await tokenFor(['partner_admin'], newPartner());
    expectProblem(await api('POST', `/v1/opportunities/${id}/accept`, other), 404);
    const accepted = await api('POST', `/v1/opportunities/${id}/accept`, partner);
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ status: 'ACCEPTED', decidedAt: expect.any(String) });
    expect(accepted.body.history.map((h: { type: string }) => h.type)).toEqual(['SHARED', 'ACCEPTED']);
    expectProblem(await api('POST', `/v1/opportunities/${id}/accept`, partner), 409);
    expectProblem(await api('POST', `/v1/opportunities/${id}/reject`, partner, { reasonCode: 'OTHER' }), 409);
    // Audited once: the successful call, with who, what, target and the request id; refusals change nothing.
    const audit = await env.prisma.auditLog.findMany({ where: { target: id }, orderBy: { id: 'asc' } });
    expect(audit.map((a) => [a.action, a.status])).toEqual([
      ['POST /v1/opportunities', 201],
      ['POST /v1/opportunities/:id/accept', 200],
    ]);
    expect(audit[1]).toMatchObject({ actor: `${partnerId}-user`, actorPartnerId: partnerId, requestId: accepted.headers.get('x-request-id') });
  });

  it('reject: 400 for an unknown reason; 200 with a reason; then accept is 409 with the status', async () => {
    const { id, partner } = await sharedWith();
    expectProblem(await api('POST', `/v1/opportunities/${id}/reject`, partner, { reasonCode: 'BORED' }), 400, 'reasonCode');
    const rejected = await api('POST', `/v1/opportunities/${id}/reject`, partner, { reasonCode: 'CANNOT_SUPPORT', note: 'no capacity' });
    expect(rejected.status).toBe(200);
    expect(rejected.body.status).toBe('REJECTED');
    expect(rejected.body.history[1]).toMatchObject({ reasonCode: 'CANNOT_SUPPORT', note: 'no capacity' });
    await env.client.workflow.getHandle(`opportunity-${id}`).result();
    const late = await api('POST', `/v1/opportunities/${id}/accept`, partner);
    expectProblem(late, 409);
    expect(late.body.currentStatus).toBe('REJECTED');
  });

  it('updates only when ACCEPTED; close as WON; nothing after close', async () => {
    const { id, partner } = await sharedWith();
    const update = { stage: 'PROPOSAL', note: 'proposal sent' };
    expectProblem(await api('POST', `/v1/opportunities/${id}/updates`, partner, update), 409);
    await api('POST', `/v1/opportunities/${id}/accept`, partner);
    expectProblem(await api('POST', `/v1/opportunities/${id}/updates`, partner, { stage: 'PROPOSAL' }), 400, 'note');
    const posted = await api('POST', `/v1/opportunities/${id}/updates`, partner, update);
    expect(posted.status).toBe(200);
    expect(posted.body.history.at(-1)).toMatchObject({ type: 'UPDATE_POSTED', data: { stage: 'PROPOSAL' }, note: 'proposal sent' });
    expectProblem(await api('POST', `/v1/opportunities/${id}/close`, partner, { outcome: 'MAYBE' }), 400, 'outcome');
    const closed = await api('POST', `/v1/opportunities/${id}/close`, partner, { outcome: 'WON' });
    expect(closed.body).toMatchObject({ status: 'WON', closedAt: expect.any(String) });
    await env.client.workflow.getHandle(`opportunity-${id}`).result();
    expectProblem(await api('POST', `/v1/opportunities/${id}/updates`, partner, update), 409);
  });
});
