/**
 * Project specialist applications on the real API, worker and PostgreSQL (issue 17 section 4): every reason a member
 * cannot apply, refused with 422 listing each unmet condition exactly as GET …/eligibility answers it (in the request's
 * language) and with nothing written; the batch with a result per member; idempotent creation; one open application per
 * member under concurrent requests; partner scoping (another partner's application 404, its list empty) and who acts.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import { affectedSpecialists, createSpecialistActivities } from '../activities/specialist.js';
import { specialistBatchSchema, specialistPageSchema } from '../api/specialist/schemas.js';
import { tokenFor } from './support/app.js';
import { expectFieldProblem, expectOk, expectProblem, fields, PDF, useTestEnv } from './support/env.js';

const env = useTestEnv({ taskQueue: 'specialist-api-test', api: true });
const { api } = env;
let feeder: string;
let vendorAdmin: string;
let reviewer: string;
let vendorStaff: string;
beforeAll(async () => {
  feeder = await tokenFor(['vendor_system'], undefined, 'billing-system');
  vendorAdmin = await tokenFor(['vendor_admin'], undefined, 'vendor-admin-spa');
  reviewer = await tokenFor(['vendor_reviewer'], undefined, 'reviewer-spa');
  vendorStaff = await tokenFor(['vendor_staff'], undefined, 'staff-spa');
});

const key = () => ({ 'Idempotency-Key': randomUUID() });
const membership = (program: string, state: string) => ({ kind: 'PROGRAM_MEMBERSHIP', subject: program, value: { state }, observedAt: '2026-03-01T00:00:00Z' });
const RESELLER = [membership('RESELLER', 'JOINED'), membership('SOLUTION_PROVIDER', 'NOT_JOINED'), membership('DISTRIBUTOR', 'NOT_JOINED')];

async function partnerWith(facts: ReturnType<typeof membership>[]) {
  const partnerId = `P-spa-${randomUUID().slice(0, 8)}`;
  if (facts.length) expectOk(await api('POST', `/v1/partners/${partnerId}/account/facts`, feeder, { source: 'crm', facts }, key()), 201);
  return { partnerId, owner: await tokenFor(['partner_admin'], partnerId, `${partnerId}-owner`), sales: await tokenFor(['partner_sales'], partnerId, `${partnerId}-sales`) };
}
async function member(partnerId: string, workResidence: string | null = 'Hangzhou') {
  const res = await api('POST', `/v1/partners/${partnerId}/members`, vendorAdmin, { sub: `m-${randomUUID().slice(0, 8)}`, displayName: 'M', roles: ['partner_sales'], ...(workResidence ? { workResidence } : {}) });
  expectOk(res, 201);
  return res.body.id as string;
}
const apply = (token: string, memberId: string, pathId = 'SOFTWARE', headers: Record<string, string> = {}) =>
  api('POST', '/v1/specialist-applications', token, { memberId, pathId }, headers);
const preflight = (partnerId: string, token: string, memberId: string, language: string) =>
  api('GET', `/v1/partners/${partnerId}/eligibility?program=PROJECT_SPECIALIST&memberId=${memberId}`, token, undefined, { 'accept-language': language });
/** What a refusal must leave untouched. */
const written = async (partnerId: string) => ({
  applications: await env.prisma.specialistApplication.count({ where: { partnerId } }),
  keys: await env.prisma.idempotencyKey.count(),
  outbox: await env.prisma.outbox.count({ where: { topic: 'specialist.submitted' } }),
});

describe('who may apply: every unmet reason at once, as the preflight says it, nothing written', () => {
  it.each([
    ['en', 'en'],
    ['zh-CN', 'zh-CN'],
  ])('in %s', async (language) => {
    const reseller = await partnerWith(RESELLER);
    const other = await partnerWith(RESELLER);
    const onlySp = await partnerWith([membership('SOLUTION_PROVIDER', 'JOINED'), membership('RESELLER', 'NOT_JOINED'), membership('DISTRIBUTOR', 'NOT_JOINED')]);
    const unknown = await partnerWith([]);
    const cases: [{ partnerId: string; owner: string }, string, string[]][] = [
      [reseller, await member(other.partnerId), ['member-not-associated']],
      [reseller, randomUUID(), ['member-not-associated']],
      [reseller, await member(reseller.partnerId, null), ['member-work-residence-missing']],
      [onlySp, await member(onlySp.partnerId, null), ['member-work-residence-missing', 'partner-only-distribution-or-solution-provider']],
      [unknown, await member(unknown.partnerId), ['program-membership-unknown', 'program-membership-unknown']],
    ];
    for (const [p, memberId, codes] of cases) {
      const before = await written(p.partnerId);
      const res = await apply(p.owner, memberId, 'SOFTWARE', { ...key(), 'accept-language': language });
      expectProblem(res, 422, 'specialist-not-eligible');
      expect(fields(res)).toEqual(codes.map(() => 'memberId'));
      const expected = await preflight(p.partnerId, p.owner, memberId, language);
      expect(expected.body.unmet.map((u: { code: string }) => u.code)).toEqual(codes);
      expect(res.body).toMatchObject({ language, unmet: expected.body.unmet }); // the same codes, messages, remedies and evidence
      expect(await written(p.partnerId)).toEqual(before);
    }
  });

  it('a pending application refuses another for the member (specialist-already-applied), also when both arrive at once', async () => {
    const p = await partnerWith(RESELLER);
    const memberId = await member(p.partnerId);
    const both = await Promise.all([apply(p.owner, memberId), apply(p.owner, memberId, 'CONSULTING_SI')]);
    expect(both.map((r) => r.status).sort()).toEqual([201, 422]);
    const refused = both.find((r) => r.status === 422)!;
    expect(refused.body.unmet).toEqual([expect.objectContaining({ code: 'specialist-already-applied' })]);
    expect(await env.prisma.specialistApplication.count({ where: { memberId } })).toBe(1);
    // The preflight now says the same.
    const pending = both.find((r) => r.status === 201)!.body;
    const res = await preflight(p.partnerId, p.owner, memberId, 'en');
    expect(res.body.unmet).toEqual([expect.objectContaining({ code: 'specialist-already-applied', evidence: { fact: 'SPECIALIST_APPLICATION', memberId, applicationId: pending.id, status: 'SUBMITTED' } })]);
    // The database keeps one open application per member, whatever the code does.
    await expect(
      env.prisma.specialistApplication.create({
        data: { id: randomUUID(), partnerId: p.partnerId, memberId, pathId: 'SOFTWARE', status: 'SUBMITTED', appliedBy: 'x', submittedAt: new Date(), reviewSlaWorkingDays: 5, reviewDueAt: new Date(), lastSeq: 1, updatedAt: new Date() },
      }),
    ).rejects.toMatchObject({ code: 'P2002' });
  });

  it('bad requests name their field; an unknown path is 422 pathId', async () => {
    const p = await partnerWith(RESELLER);
    const memberId = await member(p.partnerId);
    expectFieldProblem(await api('POST', '/v1/specialist-applications', p.owner, { memberId: 'x', pathId: 'SOFTWARE' }), 400, 'memberId');
    expectFieldProblem(await api('POST', '/v1/specialist-applications', p.owner, { memberId, pathId: 'software' }), 400, 'pathId');
    expectFieldProblem(await api('POST', '/v1/specialist-applications', p.owner, { memberId, pathId: 'SOFTWARE', extra: 1 }), 400);
    expectFieldProblem(await apply(p.owner, memberId, 'NO_SUCH_PATH'), 422, 'pathId');
    expect(await env.prisma.specialistApplication.count({ where: { partnerId: p.partnerId } })).toBe(0);
  });
});

describe('the submission decides again, in its transaction', () => {
  it('the activity refuses what the facts refuse when it runs (they may have changed since the API checked), and records once', async () => {
    const p = await partnerWith(RESELLER);
    const memberId = await member(p.partnerId);
    const { submitSpecialistApplication } = createSpecialistActivities({ prisma: env.prisma, calendarFor: env.calendarFor });
    const input = (applicationId: string) => ({ applicationId, partnerId: p.partnerId, memberId, pathId: 'SOFTWARE', appliedBy: 'x', submittedAt: new Date().toISOString() });
    // The partner left the reseller program after the API's check: the activity's own check refuses, nothing written.
    expectOk(await api('POST', `/v1/partners/${p.partnerId}/account/facts`, feeder, { source: 'crm', facts: [membership('RESELLER', 'NOT_JOINED'), membership('DISTRIBUTOR', 'JOINED')] }, key()), 201);
    const refused = await submitSpecialistApplication(input(randomUUID())).then(() => undefined, (e: unknown) => e);
    expect(refused).toBeInstanceOf(ApplicationFailure);
    expect(refused).toMatchObject({ type: 'SPECIALIST_NOT_ELIGIBLE', nonRetryable: true, details: [[{ code: 'partner-only-distribution-or-solution-provider' }]] });
    expect(await written(p.partnerId)).toMatchObject({ applications: 0 });
    // Back in: recorded once (a retry answers the same submission), and a second application for the member is refused.
    expectOk(await api('POST', `/v1/partners/${p.partnerId}/account/facts`, feeder, { source: 'crm', facts: [membership('RESELLER', 'JOINED')] }, key()), 201);
    const id = randomUUID();
    const first = await submitSpecialistApplication(input(id));
    expect(await submitSpecialistApplication(input(id))).toEqual(first);
    expect(await env.prisma.specialistEvent.count({ where: { applicationId: id } })).toBe(1);
    await expect(submitSpecialistApplication(input(randomUUID()))).rejects.toMatchObject({ type: 'SPECIALIST_NOT_ELIGIBLE', details: [[{ code: 'specialist-already-applied' }]] });
  });
});

describe('the calendar change propagation finds what it must recompute', () => {
  it('a SUBMITTED application whose window holds a changed date, or any of a moved partner; not one decided or past due', async () => {
    const p = await partnerWith(RESELLER);
    const [a, b] = [await member(p.partnerId), await member(p.partnerId)];
    const open = (await apply(p.owner, a)).body;
    const decided = (await apply(p.owner, b)).body;
    expectOk(await api('POST', `/v1/specialist-applications/${decided.id}/review`, reviewer, { decision: 'REJECT', note: 'no' }));
    const day = (iso: string, days = 0) => new Date(Date.parse(iso) + days * 86_400_000 + 8 * 3_600_000).toISOString().slice(0, 10); // Asia/Shanghai, no DST
    const query = { prisma: env.prisma, calendar: 'CN', defaultCalendar: 'CN', everyDate: false, now: new Date(open.submittedAt), after: '', limit: 1000 };
    const found = async (q: Partial<Parameters<typeof affectedSpecialists>[0]>) => (await affectedSpecialists({ ...query, dates: [], ...q })).map((r) => r.key);
    expect(await found({ dates: [day(open.submittedAt)] })).toContain(open.id);
    expect(await found({ dates: [day(open.reviewDueAt)] })).toContain(open.id);
    expect(await found({ dates: [day(open.reviewDueAt, 1)] })).not.toContain(open.id); // after the window
    expect(await found({ everyDate: true })).toContain(open.id);
    expect(await found({ partnerId: p.partnerId })).toEqual([open.id]); // the decided one is not
    expect(await found({ partnerId: p.partnerId, now: new Date(Date.parse(open.reviewDueAt) + 1) })).toEqual([]); // past due: escalated, not moved
    expect((await affectedSpecialists({ ...query, dates: [], partnerId: p.partnerId }))[0]!.workflowId).toBe(`specialist-${open.id}`);
  });
});

describe('creation', () => {
  it('the same Idempotency-Key answers the same application; with another body it is refused', async () => {
    const p = await partnerWith(RESELLER);
    const memberId = await member(p.partnerId);
    const headers = key();
    const first = await apply(p.owner, memberId, 'SOFTWARE', headers);
    expectOk(first, 201);
    expect(first.headers.get('location')).toBe(`/v1/specialist-applications/${first.body.id}`);
    const again = await apply(p.owner, memberId, 'SOFTWARE', headers);
    expectOk(again, 201);
    expect(again.body.id).toBe(first.body.id);
    expectFieldProblem(await apply(p.owner, memberId, 'CONSULTING_SI', headers), 422, 'Idempotency-Key');
    expect(await env.prisma.specialistApplication.count({ where: { memberId } })).toBe(1);
  });

  it('a batch answers a result per member, in order: started or refused with its problem; a retry joins the same applications', async () => {
    const p = await partnerWith(RESELLER);
    const [ok1, noResidence, ok2] = [await member(p.partnerId), await member(p.partnerId, null), await member(p.partnerId)];
    const stranger = randomUUID();
    const body = { applications: [{ memberId: ok1, pathId: 'SOFTWARE' }, { memberId: noResidence, pathId: 'SOFTWARE' }, { memberId: stranger, pathId: 'SOFTWARE' }, { memberId: ok2, pathId: 'NO_SUCH_PATH' }] };
    const headers = { ...key(), 'accept-language': 'en' };
    const res = await api('POST', '/v1/specialist-applications/batch', p.owner, body, headers);
    expectOk(res);
    expect(specialistBatchSchema.safeParse(res.body).success, JSON.stringify(res.body)).toBe(true);
    const results = res.body.results as { memberId: string; outcome: string; application?: { id: string; status: string }; problem?: { code: string; unmet?: { code: string }[] } }[];
    expect(results.map((r) => [r.memberId, r.outcome])).toEqual([
      [ok1, 'STARTED'],
      [noResidence, 'REFUSED'],
      [stranger, 'REFUSED'],
      [ok2, 'REFUSED'],
    ]);
    expect(results[0]!.application).toMatchObject({ status: 'SUBMITTED', memberId: ok1 });
    expect(results[1]!.problem).toMatchObject({ status: 422, code: 'specialist-not-eligible', unmet: [{ code: 'member-work-residence-missing' }] });
    expect(results[2]!.problem).toMatchObject({ status: 422, code: 'specialist-not-eligible', unmet: [{ code: 'member-not-associated' }] });
    expect(results[3]!.problem).toMatchObject({ status: 422, code: 'unknown-path', errors: [{ field: 'pathId' }] });
    const retry = await api('POST', '/v1/specialist-applications/batch', p.owner, body, headers);
    expect(retry.body.results[0].application.id).toBe(results[0]!.application!.id);
    expect(await env.prisma.specialistApplication.count({ where: { partnerId: p.partnerId } })).toBe(1);
    expectFieldProblem(await api('POST', '/v1/specialist-applications/batch', p.owner, { applications: [{ memberId: ok2, pathId: 'SOFTWARE' }] }, headers), 422, 'Idempotency-Key');
    expectFieldProblem(await api('POST', '/v1/specialist-applications/batch', p.owner, { applications: [{ memberId: ok2, pathId: 'SOFTWARE' }, { memberId: ok2, pathId: 'SOFTWARE' }] }), 400, 'applications.1.memberId');
    expectFieldProblem(await api('POST', '/v1/specialist-applications/batch', p.owner, { applications: [] }), 400, 'applications');
  });
});

describe('partner scoping and who acts', () => {
  it("another partner's application is 404 and its list empty; the partner's sales read but do not act; partners never review", async () => {
    const p = await partnerWith(RESELLER);
    const other = await partnerWith(RESELLER);
    const memberId = await member(p.partnerId);
    const created = await apply(p.owner, memberId);
    expectOk(created, 201);
    const id = created.body.id as string;

    expectOk(await api('GET', `/v1/specialist-applications/${id}`, p.sales));
    expectOk(await api('GET', `/v1/specialist-applications/${id}`, vendorStaff));
    expectProblem(await api('GET', `/v1/specialist-applications/${id}`, other.owner), 404, 'not-found');
    expectProblem(await api('POST', `/v1/specialist-applications/${id}/cancel`, other.owner, { reason: 'mine now' }), 404, 'not-found');
    const upload = await api('POST', `/v1/specialist-applications/${id}/files`, other.owner, PDF, { 'content-type': 'application/pdf', 'content-disposition': 'attachment; filename="x.pdf"' });
    expectProblem(upload, 404, 'not-found');
    expectProblem(await api('POST', '/v1/specialist-applications', p.sales, { memberId, pathId: 'SOFTWARE' }), 403);
    expectProblem(await api('POST', `/v1/specialist-applications/${id}/review`, p.owner, { decision: 'APPROVE' }), 403);
    expectProblem(await api('POST', `/v1/specialist-applications/${id}/cancel`, p.sales, { reason: 'no' }), 403);

    const own = await api('GET', `/v1/specialist-applications?partnerId=${p.partnerId}`, p.sales);
    expect(specialistPageSchema.safeParse(own.body).success).toBe(true);
    expect(own.body.items.map((i: { id: string }) => i.id)).toEqual([id]);
    expect((await api('GET', `/v1/specialist-applications?partnerId=${p.partnerId}`, other.owner)).body).toEqual({ items: [], nextCursor: null });
    expect((await api('GET', '/v1/specialist-applications', other.owner)).body.items).toEqual([]);
    const vendorList = await api('GET', `/v1/specialist-applications?partnerId=${p.partnerId}&status=SUBMITTED&memberId=${memberId}`, vendorStaff);
    expect(vendorList.body.items.map((i: { id: string }) => i.id)).toEqual([id]);

    // Nothing of this changed the application.
    const row = await env.prisma.specialistApplication.findUniqueOrThrow({ where: { id } });
    expect({ status: row.status, lastSeq: row.lastSeq }).toEqual({ status: 'SUBMITTED', lastSeq: 1 });
    // A cancellation needs a reason; a reviewer's REJECT a note.
    expectFieldProblem(await api('POST', `/v1/specialist-applications/${id}/cancel`, p.owner, {}), 400, 'reason');
    expectFieldProblem(await api('POST', `/v1/specialist-applications/${id}/review`, reviewer, { decision: 'REJECT' }), 400, 'note');
    expectFieldProblem(await api('PUT', `/v1/specialist-applications/${id}/materials`, p.owner, { materials: [{ kind: 'PHOTO', materialId: randomUUID() }] }), 400, 'materials.0.kind');
    expectFieldProblem(await api('PUT', `/v1/specialist-applications/${id}/materials`, p.owner, { materials: [{ kind: 'RESUME', materialId: randomUUID() }] }), 422, 'materials.0.materialId');
    expect((await env.prisma.specialistApplication.findUniqueOrThrow({ where: { id } })).lastSeq).toBe(1);
  });
});
