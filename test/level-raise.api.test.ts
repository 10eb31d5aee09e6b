/**
 * The level raise's HTTP API end to end (issue 17 section 6): real Express app, real worker, the time-skipping server,
 * real PostgreSQL. Refused with every unmet requirement — the same codes, messages and evidence as GET eligibility
 * LEVEL_UP, in the request's language — and nothing started; one open raise per partner and path (the API's check, and
 * the database's); the approval moves the level exactly once (a second approval, a retried activity change nothing);
 * a level a path review moved meanwhile refuses the approval; scoping (another partner's raise and list are 404) and
 * who may do what.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLevelRaiseActivities } from '../activities/level-raise.js';
import { levelRaiseWorkflowId } from '../workflows/level-raise/contract.js';
import { tokenFor } from './support/app.js';
import { expectOk, expectProblem, fields, useTestEnv } from './support/env.js';
import { joinPath, qualifySoftware } from './support/path-facts.js';
import { completed } from './support/wait.js';

const env = useTestEnv({ taskQueue: 'level-raise-api-test', api: true });
const { api } = env;
let reviewer: string;
let vendorAdmin: string;
let staff: string;
beforeAll(async () => {
  reviewer = await tokenFor(['vendor_reviewer'], undefined, 'reviewer-lra');
  vendorAdmin = await tokenFor(['vendor_admin'], undefined, 'admin-lra');
  staff = await tokenFor(['vendor_staff'], undefined, 'staff-lra');
});

async function newPartner() {
  const partnerId = `P-lra-${randomUUID().slice(0, 8)}`;
  return { partnerId, owner: await tokenFor(['partner_admin'], partnerId, `${partnerId}-owner`), sales: await tokenFor(['partner_sales'], partnerId, `${partnerId}-sales`) };
}
const raise = (partnerId: string, token: string, body: unknown = { pathId: 'SOFTWARE' }, headers: Record<string, string> = {}) =>
  api('POST', `/v1/partners/${partnerId}/level-raises`, token, body, headers);
const levelOf = async (partnerId: string) => (await env.prisma.pathMembership.findUnique({ where: { partnerId_pathId: { partnerId, pathId: 'SOFTWARE' } } }))?.level ?? null;
const raiseChanges = (levelRaiseId: string) => env.prisma.pathMembershipChange.findMany({ where: { levelRaiseId } });

describe('asking for the next level', () => {
  it('refused with every unmet requirement, as GET eligibility LEVEL_UP answers them, in the request language; nothing started', async () => {
    const p = await newPartner();
    for (const language of ['en', 'zh-CN']) {
      const refused = await raise(p.partnerId, p.owner, { pathId: 'SOFTWARE' }, { 'Accept-Language': language });
      expectProblem(refused, 422, 'level-raise-not-eligible');
      const preflight = await api('GET', `/v1/partners/${p.partnerId}/eligibility?program=LEVEL_UP&pathId=SOFTWARE`, p.owner, undefined, { 'Accept-Language': language });
      expect(preflight.body.unmet).toHaveLength(2);
      expect(refused.body.unmet).toEqual(preflight.body.unmet);
      expect(refused.body.language).toBe(language);
      expect(fields(refused)).toEqual(['pathId', 'pathId']);
    }
    // One requirement met: only the other is named.
    await qualifySoftware(env.prisma, p.partnerId, 'CERTIFIED');
    await env.prisma.certificate.updateMany({ where: { partnerId: p.partnerId }, data: { status: 'EXPIRED' } });
    const one = await raise(p.partnerId, p.owner, { pathId: 'SOFTWARE' }, { 'Accept-Language': 'en' });
    expectProblem(one, 422, 'level-raise-not-eligible');
    expect(one.body.unmet.map((u: { evidence: { level: string; required: number; actual: number } }) => [u.evidence.level, u.evidence.required, u.evidence.actual])).toEqual([['CERTIFIED', 1, 0]]);
    expect(await env.prisma.levelRaise.count({ where: { partnerId: p.partnerId } })).toBe(0);
    // At the top of the path there is nothing to raise.
    const top = await newPartner();
    await joinPath(env.prisma, top.partnerId, 'SOFTWARE', 'ADVANCED');
    const atTop = await raise(top.partnerId, top.owner);
    expectProblem(atTop, 422, 'level-raise-not-eligible');
    expect(atTop.body.unmet.map((u: { code: string }) => u.code)).toEqual(['path-top-level']);
  });

  it('bad requests, another partner, who may ask', async () => {
    const p = await newPartner();
    const other = await newPartner();
    const unknown = await raise(p.partnerId, p.owner, { pathId: 'ASTROLOGY' });
    expectProblem(unknown, 422, 'unknown-path');
    expect(fields(unknown)).toEqual(['pathId']);
    const lower = await raise(p.partnerId, p.owner, { pathId: 'software' });
    expectProblem(lower, 400);
    expect(fields(lower)).toEqual(['pathId']);
    expectProblem(await raise(p.partnerId, p.owner, { pathId: 'SOFTWARE', level: 'ADVANCED' }), 400);
    expectProblem(await raise(p.partnerId, other.owner), 404);
    expectProblem(await raise(p.partnerId, p.sales), 403);
    expectProblem(await raise(p.partnerId, vendorAdmin), 403);
  });
});

describe('the vendor decides', () => {
  it('one open raise per path; approve moves the level exactly once (twice, or a retried activity, change nothing)', async () => {
    const p = await newPartner();
    const other = await newPartner();
    await qualifySoftware(env.prisma, p.partnerId, 'CERTIFIED');
    const key = { 'Idempotency-Key': randomUUID() };
    const first = await raise(p.partnerId, p.owner, { pathId: 'SOFTWARE' }, key);
    expectOk(first, 201);
    expect(first.headers.get('location')).toBe(`/v1/level-raises/${first.body.id}`);
    expect((await raise(p.partnerId, p.owner, { pathId: 'SOFTWARE' }, key)).body.id).toBe(first.body.id); // the retry answers the first
    const second = await raise(p.partnerId, p.owner);
    expectProblem(second, 409, 'level-raise-already-open');
    expect(second.body.raiseId).toBe(first.body.id);
    // The database keeps one open raise per partner and path whatever the API does.
    const at = new Date();
    const row = { partnerId: p.partnerId, pathId: 'SOFTWARE', toLevel: 'CERTIFIED', status: 'SUBMITTED', requestedBy: 'x', submittedAt: at, reviewSlaWorkingDays: 5, reviewDueAt: at, lastSeq: 1, updatedAt: at };
    await expect(env.prisma.levelRaise.create({ data: { id: randomUUID(), ...row } })).rejects.toMatchObject({ code: 'P2002' });

    // Reading: the partner its own, the vendor any; another partner 404 and an empty list.
    expectOk(await api('GET', `/v1/level-raises/${first.body.id}`, p.sales));
    expectOk(await api('GET', `/v1/level-raises/${first.body.id}`, staff));
    expectProblem(await api('GET', `/v1/level-raises/${first.body.id}`, other.owner), 404);
    expectProblem(await api('POST', `/v1/level-raises/${first.body.id}/withdraw`, other.owner, {}), 404);
    expectProblem(await api('GET', `/v1/partners/${p.partnerId}/level-raises`, other.owner), 404);
    expect((await api('GET', `/v1/partners/${p.partnerId}/level-raises?status=SUBMITTED`, p.owner)).body.items.map((i: { id: string }) => i.id)).toEqual([first.body.id]);

    // Only the vendor's reviewers decide.
    expectProblem(await api('POST', `/v1/level-raises/${first.body.id}/review`, p.owner, { decision: 'APPROVE' }), 403);
    expectProblem(await api('POST', `/v1/level-raises/${first.body.id}/review`, staff, { decision: 'APPROVE' }), 403);
    const approved = await api('POST', `/v1/level-raises/${first.body.id}/review`, reviewer, { decision: 'APPROVE' });
    expectOk(approved);
    expect(approved.body).toMatchObject({ status: 'APPROVED', fromLevel: null, toLevel: 'CERTIFIED' });
    expect(await levelOf(p.partnerId)).toBe('CERTIFIED');
    const again = await api('POST', `/v1/level-raises/${first.body.id}/review`, reviewer, { decision: 'APPROVE' });
    expect(again.status).toBe(409);
    expect(['not-in-review', 'level-raise-closed'].map((code) => `urn:partnerflow:problem:${code}`)).toContain(again.body.type);
    await completed(env.client.workflow.getHandle(levelRaiseWorkflowId(first.body.id)));

    // The approval's activity retried (as after a crash): its history row is there, nothing changes.
    const approval = await env.prisma.levelRaiseEvent.findUniqueOrThrow({ where: { raiseId_seq: { raiseId: first.body.id, seq: 2 } } });
    const activities = createLevelRaiseActivities({ prisma: env.prisma });
    await activities.approveLevelRaise({ raiseId: first.body.id, seq: 2, type: 'APPROVED', fromStatus: 'SUBMITTED', toStatus: 'APPROVED', actor: 'reviewer-lra', at: approval.at.toISOString(), data: { fromLevel: null, toLevel: 'CERTIFIED' } });
    expect(await raiseChanges(first.body.id)).toEqual([expect.objectContaining({ partnerId: p.partnerId, fromLevel: null, toLevel: 'CERTIFIED', reason: 'LEVEL_RAISED', actor: 'reviewer-lra' })]);
    expect(await env.prisma.levelRaiseEvent.count({ where: { raiseId: first.body.id } })).toBe(2);
    expect(await env.prisma.outbox.count({ where: { topic: 'level-raise.approved', aggregateId: first.body.id } })).toBe(1);
    expect(await levelOf(p.partnerId)).toBe('CERTIFIED');
  });

  it('a level changed meanwhile (a path review moved it) refuses the approval and records nothing; the raise can still be rejected', async () => {
    const p = await newPartner();
    await joinPath(env.prisma, p.partnerId, 'SOFTWARE', 'CERTIFIED');
    await qualifySoftware(env.prisma, p.partnerId, 'ADVANCED');
    const requested = await raise(p.partnerId, p.owner);
    expectOk(requested, 201);
    expect(requested.body).toMatchObject({ fromLevel: 'CERTIFIED', toLevel: 'ADVANCED' });
    // The vendor sets the level meanwhile (as a path review's outcome would).
    expectOk(await api('PUT', `/v1/partners/${p.partnerId}/paths/SOFTWARE`, vendorAdmin, { level: 'ADVANCED' }));
    expectOk(await api('PUT', `/v1/partners/${p.partnerId}/paths/SOFTWARE`, vendorAdmin, { level: 'CERTIFIED' }));
    await env.prisma.pathMembership.delete({ where: { partnerId_pathId: { partnerId: p.partnerId, pathId: 'SOFTWARE' } } });
    const refused = await api('POST', `/v1/level-raises/${requested.body.id}/review`, reviewer, { decision: 'APPROVE' });
    expectProblem(refused, 409, 'level-changed');
    expect(refused.body.currentStatus).toBe('SUBMITTED');
    expect(await levelOf(p.partnerId)).toBeNull();
    expect(await raiseChanges(requested.body.id)).toEqual([]);
    const view = await api('GET', `/v1/level-raises/${requested.body.id}`, p.owner);
    expect(view.body).toMatchObject({ status: 'SUBMITTED', history: [expect.objectContaining({ type: 'SUBMITTED' })] });
    const rejected = await api('POST', `/v1/level-raises/${requested.body.id}/review`, reviewer, { decision: 'REJECT', note: 'the level changed' });
    expectOk(rejected);
    expect(rejected.body.history.map((h: { seq: number; type: string }) => [h.seq, h.type])).toEqual([[1, 'SUBMITTED'], [2, 'REJECTED']]);
  });

  it('withdraw: the owning partner only, while SUBMITTED', async () => {
    const p = await newPartner();
    await qualifySoftware(env.prisma, p.partnerId, 'CERTIFIED');
    const requested = await raise(p.partnerId, p.owner);
    expectOk(requested, 201);
    expectProblem(await api('POST', `/v1/level-raises/${requested.body.id}/withdraw`, reviewer, {}), 403);
    expectProblem(await api('POST', `/v1/level-raises/${requested.body.id}/withdraw`, p.sales, {}), 403);
    const withdrawn = await api('POST', `/v1/level-raises/${requested.body.id}/withdraw`, p.owner, { reason: 'later' });
    expectOk(withdrawn);
    expect(withdrawn.body).toMatchObject({ status: 'WITHDRAWN' });
    const after = await api('POST', `/v1/level-raises/${requested.body.id}/review`, reviewer, { decision: 'APPROVE' });
    expect(after.status).toBe(409);
    expect(await levelOf(p.partnerId)).toBeNull();
  });
});
