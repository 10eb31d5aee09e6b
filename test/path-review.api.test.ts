/**
 * The annual path-review HTTP API end to end: real Express app, real worker, Temporal's time-skipping test server,
 * real PostgreSQL. A vendor starts the SOFTWARE cycle (two member partners of this test) and watches it complete;
 * partner 1's apply is refused listing every unmet requirement, then met once experts and a certificate exist:
 * apply, upload, materials, submit, vendor PASS raising the level (its membership and currentReview show it);
 * partner 2 never submits: the clock moves past the window and it LAPSES, its level changed exactly once.
 * Isolation (another partner gets 404), permissions, and the refusals' problems naming their field.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { pathReviewWorkflowId } from '../workflows/path-review/contract.js';
import { tokenFor } from './support/app.js';
import { expectOk, expectProblem, fields, PDF, useTestEnv } from './support/env.js';
import { attestExpert, insertExpert } from './support/experts.js';
import { PLAIN_WEEK, referenceDeadline } from './support/reference-deadline.js';
import { completed, eventually } from './support/wait.js';

/** The cycle year this file uses (other files start cycles of other years: their reviews never mix with these). */
const YEAR = 2026;
const env = useTestEnv({ taskQueue: 'path-review-api-test', api: { clockRoutes: true } });
const { api } = env;

const pdf = { 'content-type': 'application/pdf', 'content-disposition': 'attachment; filename="annual-report.pdf"' };
const day = (s: string) => new Date(`${s}T00:00:00Z`);

/** An ACTIVE ADVANCED_CLOUD_SOFTWARE certificate, straight through Prisma (with the approved application it belongs to). */
async function insertCertificate(partnerId: string) {
  const id = randomUUID();
  const at = new Date();
  const type = 'ADVANCED_CLOUD_SOFTWARE';
  await env.prisma.certificationApplication.create({
    data: { id, partnerId, type, category: type, appliesTo: 'PARTNER', status: 'APPROVED', terms: {}, createdBy: 'path-review-api-test', createdAt: at, decidedAt: at, lastSeq: 0, updatedAt: at },
  });
  await env.prisma.certificate.create({
    data: { number: `PF-PR-${id}`, applicationId: id, partnerId, type, category: type, labels: [], scope: 'partner', validFrom: day('2020-01-01'), validTo: day('2099-12-31'), status: 'ACTIVE', issuedAt: at, updatedAt: at },
  });
}

describe('path review API', () => {
  it('cycle → apply refused listing every unmet item, then met → files, materials, submit → PASS; the other partner lapses once', async () => {
    const run = randomUUID().slice(0, 6);
    const p1 = `P-pr1-${run}`;
    const p2 = `P-pr2-${run}`;
    const admin = await tokenFor(['vendor_admin'], undefined, 'admin-pr');
    const manager = await tokenFor(['vendor_ecosystem_manager'], undefined, 'manager-pr');
    const reviewer = await tokenFor(['vendor_reviewer'], undefined, 'reviewer-pr');
    const staff = await tokenFor(['vendor_staff'], undefined, 'staff-pr');
    const owner1 = await tokenFor(['partner_admin'], p1, `${p1}-owner`);
    const sales1 = await tokenFor(['partner_sales'], p1, `${p1}-sales`);
    const owner2 = await tokenFor(['partner_admin'], p2, `${p2}-owner`);
    expectOk(await api('PUT', `/v1/partners/${p1}/paths/SOFTWARE`, admin, { level: 'CERTIFIED' }));
    expectOk(await api('PUT', `/v1/partners/${p2}/paths/SOFTWARE`, admin, { level: 'ADVANCED' }));

    // --- the vendor starts the cycle; refusals name their field ----------------------------------------------------
    expectProblem(await api('GET', `/v1/admin/path-reviews/SOFTWARE/${YEAR}`, admin), 404, 'not-found');
    const unknown = await api('POST', '/v1/admin/path-reviews', admin, { pathId: 'ASTROLOGY', year: YEAR });
    expectProblem(unknown, 422, 'unknown-path');
    expect(fields(unknown)).toEqual(['pathId']);
    for (const year of [2019, new Date().getUTCFullYear() + 2]) {
      const bad = await api('POST', '/v1/admin/path-reviews', admin, { pathId: 'SOFTWARE', year });
      expectProblem(bad, 422, 'year-out-of-range');
      expect(fields(bad)).toEqual(['year']);
    }
    expect(fields(await api('POST', '/v1/admin/path-reviews', admin, { pathId: 'software', year: YEAR }))).toEqual(['pathId']);
    expectProblem(await api('POST', '/v1/admin/path-reviews', staff, { pathId: 'SOFTWARE', year: YEAR }), 403);
    expectProblem(await api('POST', '/v1/admin/path-reviews', owner1, { pathId: 'SOFTWARE', year: YEAR }), 403);
    const started = await api('POST', '/v1/admin/path-reviews', manager, { pathId: 'SOFTWARE', year: YEAR });
    expectOk(started, 202);
    expect(started.headers.get('location')).toBe(`/v1/admin/path-reviews/SOFTWARE/${YEAR}`);
    expect(started.body).toMatchObject({ pathId: 'SOFTWARE', year: YEAR, workflowId: `path-review-cycle-SOFTWARE-${YEAR}` });
    expectOk(await api('POST', '/v1/admin/path-reviews', admin, { pathId: 'SOFTWARE', year: YEAR }), 202); // joins it (or, done: starts nothing twice)
    const done = await eventually(async () => {
      const res = await api('GET', `/v1/admin/path-reviews/SOFTWARE/${YEAR}`, staff);
      return res.status === 200 && res.body.status === 'COMPLETED' && res.body.reviewsStarted === res.body.members.total ? res.body : undefined;
    });
    // Earlier test files leave SOFTWARE members in the database: the cycle reaches them too.
    expect(done.members.done).toBe(done.members.total);
    expect(done.members.total).toBeGreaterThanOrEqual(2);
    expect(done).toMatchObject({ requestedBy: 'manager-pr', runs: 1, windowWorkingDays: 30 });
    expectProblem(await api('GET', `/v1/admin/path-reviews/SOFTWARE/${YEAR}`, owner1), 403);

    const r1 = `SOFTWARE-${p1}-${YEAR}`;
    const r2 = `SOFTWARE-${p2}-${YEAR}`;
    // Reviews of the other members (partners earlier test files left) run on and lapse with this one when the clock
    // moves. They used to be terminated here; a termination meeting a task in flight can stall the time-skipping
    // test server's next clock jump (twice a fresh-clone run timed out at the advance below).

    // --- reading: own only, vendors all ---------------------------------------------------------------------------
    const review1 = await api('GET', `/v1/path-reviews/${r1}`, sales1);
    expectOk(review1);
    expect(review1.body).toMatchObject({ id: r1, partnerId: p1, level: 'CERTIFIED', status: 'OPEN', pathName: 'Software partner path', materials: [{ kind: 'ANNUAL_REPORT', material: null }] });
    // 30 working days from the cycle's start in the plain test calendar, by the independent day-by-day reference.
    expect(review1.body.windowEndsAt).toBe(new Date(referenceDeadline(Date.parse(done.startedAt), 30, PLAIN_WEEK)).toISOString());
    expect(review1.body.local.windowEndsAt).toMatch(/\+08:00$/);
    expect(review1.body.reminders.map((r: { days: number; sent: boolean }) => [r.days, r.sent])).toEqual([[10, false], [3, false]]);
    expectProblem(await api('GET', `/v1/path-reviews/${r1}`, owner2), 404, 'not-found');
    expectProblem(await api('POST', `/v1/path-reviews/${r1}/apply`, owner2), 404, 'not-found');
    expectProblem(await api('GET', `/v1/path-reviews/SOFTWARE-nobody-${YEAR}`, admin), 404);
    expectProblem(await api('GET', '/v1/path-reviews/not an id', admin), 400);
    const own = await api('GET', `/v1/path-reviews?year=${YEAR}&pathId=SOFTWARE`, owner1);
    expect(own.body.items.map((i: { id: string }) => i.id)).toEqual([r1]);
    expect((await api('GET', `/v1/path-reviews?partnerId=${p2}`, owner1)).body.items).toEqual([]);
    const all = await api('GET', `/v1/path-reviews?year=${YEAR}&status=OPEN&limit=1`, staff);
    expect(all.body.items).toHaveLength(1);
    expect(all.body.nextCursor).toEqual(expect.any(String));
    const next = await api('GET', `/v1/path-reviews?year=${YEAR}&status=OPEN&limit=1&cursor=${all.body.nextCursor}`, staff);
    expect(next.body.items[0].id).not.toBe(all.body.items[0].id);
    expectProblem(await api('GET', '/v1/path-reviews?cursor=bm9wZQ', staff), 400);

    // --- partner 1: apply refused listing every unmet item, then met ---------------------------------------------
    const unmet = await api('POST', `/v1/path-reviews/${r1}/apply`, owner1);
    expectProblem(unmet, 422, 'requirements-unmet');
    expect(unmet.body.unmet).toEqual([
      { description: 'at least 1 active ADVANCED_CLOUD_SOFTWARE certificate', required: 1, actual: 0 },
      { description: 'at least 2 full-time experts registered', required: 2, actual: 0 },
    ]);
    expect(fields(unmet)).toEqual(['requirements.0', 'requirements.1']);
    expectProblem(await api('POST', `/v1/path-reviews/${r1}/apply`, sales1), 403);
    expectProblem(await api('POST', `/v1/path-reviews/${r1}/files`, owner1, PDF, pdf), 409, 'not-editable');
    expectProblem(await api('POST', `/v1/path-reviews/${r1}/submit`, owner1), 409, 'not-applied');
    for (const employeeId of ['E1', 'E2']) await attestExpert(env.prisma, p1, await insertExpert(env.prisma, p1, { employeeId }));
    await insertCertificate(p1);
    const applied = await api('POST', `/v1/path-reviews/${r1}/apply`, owner1);
    expectOk(applied);
    expect(applied.body).toMatchObject({ status: 'APPLIED', requirements: [expect.objectContaining({ met: true }), expect.objectContaining({ met: true })] });
    expectProblem(await api('POST', `/v1/path-reviews/${r1}/apply`, owner1), 409, 'not-open');

    // --- files, materials, submit --------------------------------------------------------------------------------
    const missing = await api('POST', `/v1/path-reviews/${r1}/submit`, owner1);
    expectProblem(missing, 422, 'materials-missing');
    expect(missing.body.missing).toEqual(['ANNUAL_REPORT']);
    const file = await api('POST', `/v1/path-reviews/${r1}/files`, owner1, PDF, pdf);
    expectOk(file, 201);
    expectOk(await api('POST', `/v1/path-reviews/${r1}/files`, owner1, PDF, pdf), 200); // the same bytes: the stored file
    const wrongKind = await api('PUT', `/v1/path-reviews/${r1}/materials`, owner1, { materials: [{ kind: 'BROCHURE', materialId: randomUUID() }] });
    expectProblem(wrongKind, 422, 'invalid-materials');
    expect(fields(wrongKind)).toEqual(['materials.0.kind', 'materials.0.materialId']);
    const set = await api('PUT', `/v1/path-reviews/${r1}/materials`, owner1, { materials: [{ kind: 'ANNUAL_REPORT', materialId: file.body.id }] });
    expectOk(set);
    expect(set.body.materials).toEqual([{ kind: 'ANNUAL_REPORT', material: file.body }]);
    const decisionTooEarly = await api('POST', `/v1/path-reviews/${r1}/decision`, reviewer, { decision: 'PASS' });
    expectProblem(decisionTooEarly, 409, 'not-submitted');
    expect(decisionTooEarly.body.currentStatus).toBe('APPLIED');
    expectOk(await api('POST', `/v1/path-reviews/${r1}/submit`, owner1));

    // --- the vendor decides --------------------------------------------------------------------------------------
    expectProblem(await api('POST', `/v1/path-reviews/${r1}/decision`, owner1, { decision: 'PASS' }), 403);
    expectProblem(await api('POST', `/v1/path-reviews/${r1}/decision`, manager, { decision: 'PASS' }), 403);
    expect(fields(await api('POST', `/v1/path-reviews/${r1}/decision`, reviewer, { decision: 'FAIL' }))).toEqual(['note']);
    expect(fields(await api('POST', `/v1/path-reviews/${r1}/decision`, reviewer, { decision: 'REQUEST_SUPPLEMENT', note: 'x', newLevel: 'ADVANCED' }))).toEqual(['newLevel']);
    const lower = await api('POST', `/v1/path-reviews/${r1}/decision`, reviewer, { decision: 'PASS', newLevel: 'PLATINUM' });
    expectProblem(lower, 422, 'level-not-allowed');
    expect(fields(lower)).toEqual(['newLevel']);
    expectProblem(await api('POST', `/v1/path-reviews/${r1}/supplement`, owner1, {}), 409, 'not-supplement-requested');
    // A raise is checked against the new level's requirements: ADVANCED needs 2 certificates and 3 CLOUD_PROFESSIONAL experts.
    const unmetAdvanced = await api('POST', `/v1/path-reviews/${r1}/decision`, reviewer, { decision: 'PASS', newLevel: 'ADVANCED', note: 'strong year' });
    expectProblem(unmetAdvanced, 422, 'requirements-unmet');
    expect(fields(unmetAdvanced)).toEqual(['requirements.0', 'requirements.1']);
    await attestExpert(env.prisma, p1, await insertExpert(env.prisma, p1, { employeeId: 'E3' }));
    await insertCertificate(p1);
    const passed = await api('POST', `/v1/path-reviews/${r1}/decision`, reviewer, { decision: 'PASS', newLevel: 'ADVANCED', note: 'strong year' });
    expectOk(passed);
    expect(passed.body).toMatchObject({ status: 'PASSED', decision: 'PASS', newLevel: 'ADVANCED', decisionNote: 'strong year' });
    expect(passed.body.membershipChange).toMatchObject({ fromLevel: 'CERTIFIED', toLevel: 'ADVANCED', reason: 'REVIEW_PASSED', reviewId: r1, actor: 'reviewer-pr' });
    expect(passed.body.history.map((e: { type: string }) => e.type)).toEqual(['OPENED', 'APPLIED', 'MATERIAL_SET', 'SUBMITTED', 'PASSED']);
    const paths1 = await api('GET', `/v1/partners/${p1}/paths`, owner1);
    expect(paths1.body.items).toEqual([
      expect.objectContaining({ pathId: 'SOFTWARE', level: 'ADVANCED', currentReview: { id: r1, year: YEAR, status: 'PASSED', windowEndsAt: review1.body.windowEndsAt } }),
    ]);
    // --- partner 2 never submits: past the window it lapses, its level changed exactly once ----------------------
    const review2 = await api('GET', `/v1/path-reviews/${r2}`, owner2);
    expect(review2.body).toMatchObject({ status: 'OPEN', level: 'ADVANCED' });
    // To one second past the window's end: the lapse comes at the very end of the advance.
    const seconds = Math.ceil((Date.parse(review2.body.windowEndsAt) - (await env.currentTimeMs())) / 1000) + 1;
    expectOk(await api('POST', '/v1/admin/clock/advance', admin, { duration: `PT${seconds}S` }));
    const lapsed = await eventually(async () => {
      const res = await api('GET', `/v1/path-reviews/${r2}`, owner2);
      return res.body.status === 'LAPSED' ? res.body : undefined;
    });
    // The clock still moves on purpose after reviews ended long after their cycle (no time-skipping lock left
    // behind: reviews are not children of the cycle, see activities/start-processes.ts) — else this waits a real day.
    expectOk(await api('POST', '/v1/admin/clock/advance', admin, { duration: 'P1D' }));
    expect(lapsed).toMatchObject({ newLevel: 'CERTIFIED', decidedAt: review2.body.windowEndsAt });
    expect(lapsed.membershipChange).toMatchObject({ fromLevel: 'ADVANCED', toLevel: 'CERTIFIED', reason: 'REVIEW_LAPSED', actor: 'system' });
    expect(lapsed.reminders.map((r: { sent: boolean }) => r.sent)).toEqual([true, true]);
    expect(await env.prisma.pathMembershipChange.count({ where: { partnerId: p2, reason: { startsWith: 'REVIEW_' } } })).toBe(1);
    const paths2 = await api('GET', `/v1/partners/${p2}/paths`, owner2);
    expect(paths2.body.items).toEqual([expect.objectContaining({ level: 'CERTIFIED', currentReview: expect.objectContaining({ id: r2, status: 'LAPSED' }) })]);
    // Once its workflow has ended, a late apply is told the review is closed, and how it ended.
    await completed(env.client.workflow.getHandle(pathReviewWorkflowId(r2)));
    const late = await api('POST', `/v1/path-reviews/${r2}/apply`, owner2);
    expectProblem(late, 409, 'path-review-closed');
    expect(late.body.currentStatus).toBe('LAPSED');
    // Once the workflow has ended: 409 path-review-closed with the status.
    const closed = await eventually(async () => {
      const res = await api('POST', `/v1/path-reviews/${r1}/decision`, reviewer, { decision: 'PASS' });
      return res.body?.type === 'urn:partnerflow:problem:path-review-closed' ? res : undefined;
    });
    expectProblem(closed, 409);
    expect(closed.body.currentStatus).toBe('PASSED');

    expect((await api('GET', `/v1/path-reviews?partnerId=${p2}&status=LAPSED`, admin)).body.items.map((i: { id: string }) => i.id)).toEqual([r2]);
  });
});
