/**
 * The certification HTTP API end to end: real Express app, real worker, Temporal's time-skipping test server, real
 * PostgreSQL. Draft → files → materials → submit refused (every unmet prerequisite listed) → experts → submit →
 * supplement round → approval → the partner's certificates; rejection (the ended workflow answers 409); partner
 * isolation; renewal of an active certificate; refusals naming their field; roles.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { certificationWorkflowId } from '../workflows/certification/workflow.js';
import { tokenFor } from './support/app.js';
import { PLAIN_WEEK, referenceDeadline } from './support/reference-deadline.js';
import { ZONE } from './support/calendar.js';
import { certificationSteps, KINDS } from './support/certification.js';
import { expectOk, expectProblem, fields, PDF, PNG, useTestEnv } from './support/env.js';

const env = useTestEnv({ taskQueue: 'certification-api-test', api: true });
const { api } = env;
/** What ROLE_CONSULTING needs: 3 full-time experts, one of them a CLOUD_EXPERT. */
const { qualify } = certificationSteps(env);

async function setup() {
  const partnerId = `P-ca-${randomUUID().slice(0, 8)}`;
  return {
    partnerId,
    owner: await tokenFor(['partner_admin'], partnerId, `${partnerId}-owner`),
    sales: await tokenFor(['partner_sales'], partnerId, `${partnerId}-sales`),
    reviewer: await tokenFor(['vendor_reviewer'], undefined, 'reviewer-ca'),
    staff: await tokenFor(['vendor_staff'], undefined, 'staff-ca'),
    other: await tokenFor(['partner_admin'], `P-ca-other-${randomUUID().slice(0, 6)}`),
  };
}

const upload = (id: string, token: string, bytes: Buffer, type = 'application/pdf', fileName = 'cases.pdf') =>
  api('POST', `/v1/certifications/${id}/files`, token, bytes, { 'content-type': type, 'content-disposition': `attachment; filename="${fileName}"` });

/** A DRAFT with both kinds set (one file each). */
async function draftWithMaterials(owner: string) {
  const draft = await api('POST', '/v1/certifications', owner, { type: 'ROLE_CONSULTING' });
  expectOk(draft, 201);
  const id = draft.body.id as string;
  const cases = await upload(id, owner, PDF);
  const roster = await upload(id, owner, PNG, 'image/png', 'roster.png');
  expectOk(cases, 201);
  expectOk(roster, 201);
  const materials = [{ kind: 'CASE_STUDIES', materialId: cases.body.id }, { kind: 'TEAM_ROSTER', materialId: roster.body.id }];
  const set = await api('PUT', `/v1/certifications/${id}/materials`, owner, { materials });
  expectOk(set);
  return { id, files: [cases.body.id as string, roster.body.id as string], view: set.body };
}

async function approved(s: Awaited<ReturnType<typeof setup>>) {
  await qualify(s.partnerId);
  const { id } = await draftWithMaterials(s.owner);
  expectOk(await api('POST', `/v1/certifications/${id}/submit`, s.owner));
  const done = await api('POST', `/v1/certifications/${id}/review`, s.reviewer, { decision: 'APPROVE' });
  expectOk(done);
  return id;
}

describe('certification API', () => {
  it('publishes the catalog with described prerequisites', async () => {
    const { sales } = await setup();
    const res = await api('GET', '/v1/certification-types', sales);
    expectOk(res);
    const consulting = res.body.items.find((t: { type: string }) => t.type === 'ROLE_CONSULTING');
    expect(consulting).toMatchObject({
      category: 'ROLE',
      appliesTo: 'PARTNER',
      requiredMaterials: [{ kind: 'CASE_STUDIES' }, { kind: 'TEAM_ROSTER' }],
      prerequisites: [
        { kind: 'FULL_TIME_EXPERTS', min: 3, description: 'at least 3 full-time experts registered' },
        { kind: 'EXPERTS_WITH_CERTIFICATION', certification: 'CLOUD_EXPERT', min: 1 },
      ],
      validityYears: 1,
      reviewSlaWorkingDays: 10,
      capabilityLabels: ['Cloud consulting'],
    });
  });

  it('draft → files → materials → submit refused listing every unmet prerequisite → experts → submit → supplement → approve → certificate', async () => {
    const s = await setup();
    const key = randomUUID();
    const draft = await api('POST', '/v1/certifications', s.owner, { type: 'ROLE_CONSULTING' }, { 'Idempotency-Key': key });
    expectOk(draft, 201);
    const id = draft.body.id as string;
    expect(draft.headers.get('location')).toBe(`/v1/certifications/${id}`);
    expect(draft.body).toMatchObject({ partnerId: s.partnerId, status: 'DRAFT', type: 'ROLE_CONSULTING', category: 'ROLE', solutionName: null, renewalOf: null, zone: ZONE });
    expect(draft.body.materials).toEqual(KINDS.map((kind) => ({ kind, name: expect.any(String), material: null })));
    // A retry with the same key joins the same application.
    const again = await api('POST', '/v1/certifications', s.owner, { type: 'ROLE_CONSULTING' }, { 'Idempotency-Key': key });
    expectOk(again, 201);
    expect(again.body.id).toBe(id);
    expect(await env.prisma.certificationApplication.count({ where: { partnerId: s.partnerId } })).toBe(1);

    // Nothing set yet: every missing kind is listed.
    const bare = await api('POST', `/v1/certifications/${id}/submit`, s.owner);
    expectProblem(bare, 422, 'materials-missing');
    expect(bare.body.missing).toEqual(KINDS);

    const cases = await upload(id, s.owner, PDF);
    expectOk(cases, 201);
    expect(cases.headers.get('location')).toBe(`/v1/certifications/${id}/files/${cases.body.id}`);
    expectOk(await upload(id, s.owner, PDF), 200); // the same bytes: the stored file
    const roster = await upload(id, s.owner, PNG, 'image/png', 'roster.png');
    const set = await api('PUT', `/v1/certifications/${id}/materials`, s.owner, {
      materials: [
        { kind: 'CASE_STUDIES', materialId: cases.body.id },
        { kind: 'TEAM_ROSTER', materialId: roster.body.id },
      ],
    });
    expectOk(set);
    expect(set.body.materials.map((m: { kind: string; material: { id: string } }) => [m.kind, m.material.id])).toEqual([
      ['CASE_STUDIES', cases.body.id],
      ['TEAM_ROSTER', roster.body.id],
    ]);
    expect(set.body.files).toHaveLength(2);
    const download = await api('GET', `/v1/certifications/${id}/files/${roster.body.id}`, s.reviewer);
    expectOk(download);
    expect(download.headers.get('content-type')).toBe('image/png');
    expect(Buffer.compare(download.body as Buffer, PNG)).toBe(0);

    // No experts yet: both prerequisites unmet, both listed with required and actual.
    const unmet = await api('POST', `/v1/certifications/${id}/submit`, s.owner);
    expectProblem(unmet, 422, 'prerequisites-unmet');
    expect(unmet.body.unmet).toEqual([
      { description: 'at least 3 full-time experts registered', required: 3, actual: 0 },
      { description: 'at least 1 expert holding a valid CLOUD_EXPERT certification', required: 1, actual: 0 },
    ]);
    expect(fields(unmet)).toEqual(['prerequisites.0', 'prerequisites.1']);
    expect((await api('GET', `/v1/certifications/${id}`, s.owner)).body.status).toBe('DRAFT');

    await qualify(s.partnerId);
    const submitted = await api('POST', `/v1/certifications/${id}/submit`, s.owner);
    expectOk(submitted);
    // Due 10 working days after submission, by the independent day-by-day reference (the plain test calendar).
    const tenWorkingDays = (from: string | Date) => new Date(referenceDeadline(new Date(from).getTime(), 10, PLAIN_WEEK)).toISOString();
    expect(submitted.body).toMatchObject({ status: 'IN_REVIEW', reviewDueAt: tenWorkingDays(submitted.body.submittedAt) });
    expect(submitted.body.local.reviewDueAt).toMatch(/\+08:00$/);
    expectProblem(await api('POST', `/v1/certifications/${id}/submit`, s.owner), 409, 'not-draft');
    expectProblem(await upload(id, s.owner, Buffer.concat([PDF, Buffer.from('% late\n')])), 409, 'not-editable');

    // Review: a supplement request needs a note.
    const noNote = await api('POST', `/v1/certifications/${id}/review`, s.reviewer, { decision: 'REQUEST_SUPPLEMENT' });
    expectProblem(noNote, 400);
    expect(fields(noNote)).toEqual(['note']);
    const asked = await api('POST', `/v1/certifications/${id}/review`, s.reviewer, { decision: 'REQUEST_SUPPLEMENT', note: 'Add a third case.' });
    expectOk(asked);
    const askedAt = (await env.prisma.certificationApplication.findUniqueOrThrow({ where: { id } })).supplementRequestedAt!;
    expect(asked.body).toMatchObject({ status: 'SUPPLEMENT_REQUESTED', supplementDeadline: tenWorkingDays(askedAt) });
    const better = await upload(id, s.owner, Buffer.concat([PDF, Buffer.from('% three cases\n')]), 'application/pdf', 'cases-3.pdf');
    expectOk(better, 201);
    expectOk(await api('PUT', `/v1/certifications/${id}/materials`, s.owner, { materials: [{ kind: 'CASE_STUDIES', materialId: better.body.id }] }));
    const supplemented = await api('POST', `/v1/certifications/${id}/supplement`, s.owner, { note: 'Third case added.' });
    expectOk(supplemented);
    expect(supplemented.body.status).toBe('IN_REVIEW');
    expectProblem(await api('POST', `/v1/certifications/${id}/supplement`, s.owner, {}), 409, 'not-supplement-requested');

    const approvedRes = await api('POST', `/v1/certifications/${id}/review`, s.reviewer, { decision: 'APPROVE', note: 'Welcome.' });
    expectOk(approvedRes);
    expect(approvedRes.body).toMatchObject({
      status: 'APPROVED',
      decisionNote: 'Welcome.',
      certificate: { applicationId: id, partnerId: s.partnerId, type: 'ROLE_CONSULTING', category: 'ROLE', labels: ['Cloud consulting'], scope: 'partner', status: 'ACTIVE' },
      extended: null,
    });
    expect(approvedRes.body.history.map((e: { type: string }) => e.type)).toEqual([
      'CREATED',
      'MATERIAL_SET',
      'MATERIAL_SET',
      'SUBMITTED',
      'REVIEW_STARTED',
      'SUPPLEMENT_REQUESTED',
      'MATERIAL_SET',
      'SUPPLEMENTED',
      'APPROVED',
    ]);

    const badge = await api('GET', `/v1/partners/${s.partnerId}/certificates`, s.sales);
    expectOk(badge);
    expect(badge.body.items).toEqual([approvedRes.body.certificate]);
    expect(badge.body.items[0].number).toMatch(/^PF-\d{4}-/);
    expectOk(await api('GET', `/v1/partners/${s.partnerId}/certificates`, s.staff));
    expectProblem(await api('GET', `/v1/partners/${s.partnerId}/certificates`, s.other), 404);
  });

  it('rejects with a note; the ended application answers 409 certification-closed', async () => {
    const s = await setup();
    await qualify(s.partnerId);
    const { id } = await draftWithMaterials(s.owner);
    expectOk(await api('POST', `/v1/certifications/${id}/submit`, s.owner));
    expectProblem(await api('POST', `/v1/certifications/${id}/review`, s.reviewer, { decision: 'REJECT' }), 400);
    // An id in capitals is the same application (and the same workflow).
    const rejected = await api('POST', `/v1/certifications/${id.toUpperCase()}/review`, s.reviewer, { decision: 'REJECT', note: 'Cases too small.' });
    expectOk(rejected);
    expect(rejected.body).toMatchObject({ status: 'REJECTED', decisionNote: 'Cases too small.', certificate: null });
    await env.client.workflow.getHandle(certificationWorkflowId(id)).result();
    const closed = await api('POST', `/v1/certifications/${id}/review`, s.reviewer, { decision: 'APPROVE' });
    expectProblem(closed, 409, 'certification-closed');
    expect(closed.body.currentStatus).toBe('REJECTED');
    expect((await api('GET', `/v1/partners/${s.partnerId}/certificates`, s.owner)).body.items).toEqual([]);
  });

  it("isolates partners: another partner's application is 404 everywhere and absent from its list", async () => {
    const s = await setup();
    const { id, files } = await draftWithMaterials(s.owner);
    for (const res of [
      await api('GET', `/v1/certifications/${id}`, s.other),
      await api('GET', `/v1/certifications/${id}/files/${files[0]}`, s.other),
      await upload(id, s.other, PDF),
      await api('PUT', `/v1/certifications/${id}/materials`, s.other, { materials: [{ kind: 'CASE_STUDIES', materialId: files[0] }] }),
      await api('POST', `/v1/certifications/${id}/submit`, s.other),
      await api('POST', `/v1/certifications/${id}/supplement`, s.other, {}),
      await api('POST', `/v1/certifications/${id}/renew`, s.other),
      await api('GET', `/v1/certifications/${randomUUID()}`, s.owner),
    ]) {
      expectProblem(res, 404, 'not-found');
    }
    expect((await api('GET', '/v1/certifications', s.other)).body.items.map((i: { id: string }) => i.id)).not.toContain(id);
    expect((await api('GET', `/v1/certifications?partnerId=${s.partnerId}`, s.other)).body).toEqual({ items: [], nextCursor: null });
    // Vendor staff read it, but cannot act as the partner.
    expectOk(await api('GET', `/v1/certifications/${id}`, s.staff));
    expectProblem(await api('POST', `/v1/certifications/${id}/submit`, s.staff), 403);
  });

  it('lists newest first with filters and keyset pages', async () => {
    const s = await setup();
    const ids: string[] = [];
    for (const type of ['ROLE_CONSULTING', 'ROLE_IMPLEMENTATION', 'ROLE_CONSULTING']) {
      const res = await api('POST', '/v1/certifications', s.owner, { type });
      expectOk(res, 201);
      ids.push(res.body.id);
    }
    const first = await api('GET', '/v1/certifications?limit=2', s.owner);
    expectOk(first);
    expect(first.body.items.map((i: { id: string }) => i.id)).toEqual([ids[2], ids[1]]);
    const second = await api('GET', `/v1/certifications?limit=2&cursor=${first.body.nextCursor}`, s.owner);
    expect(second.body).toMatchObject({ items: [{ id: ids[0] }], nextCursor: null });
    const typed = await api('GET', `/v1/certifications?partnerId=${s.partnerId}&type=ROLE_IMPLEMENTATION&status=DRAFT`, s.staff);
    expect(typed.body.items.map((i: { id: string }) => i.id)).toEqual([ids[1]]);
    expectProblem(await api('GET', '/v1/certifications?cursor=nonsense', s.owner), 400);
  });

  it('renews an ACTIVE certificate as a new DRAFT with renewalOf; anything else is 409 renewal-not-allowed', async () => {
    const s = await setup();
    const id = await approved(s);
    const renewal = await api('POST', `/v1/certifications/${id}/renew`, s.owner, undefined, { 'Idempotency-Key': 'renew-1' });
    expectOk(renewal, 201);
    expect(renewal.body).toMatchObject({ status: 'DRAFT', renewalOf: id, type: 'ROLE_CONSULTING', certificate: null });
    expect(renewal.headers.get('location')).toBe(`/v1/certifications/${renewal.body.id}`);
    const retried = await api('POST', `/v1/certifications/${id}/renew`, s.owner, undefined, { 'Idempotency-Key': 'renew-1' });
    expect(retried.body.id).toBe(renewal.body.id);
    const notCertified = await api('POST', `/v1/certifications/${renewal.body.id}/renew`, s.owner);
    expectProblem(notCertified, 409, 'renewal-not-allowed');
    expect(notCertified.body.currentStatus).toBe('DRAFT');
  });

  it('refuses bad requests naming the field, and callers without the permission', async () => {
    const s = await setup();
    const unknown = await api('POST', '/v1/certifications', s.owner, { type: 'ROLE_ASTROLOGY' });
    expectProblem(unknown, 422, 'unknown-certification-type');
    expect(fields(unknown)).toEqual(['type']);
    const noSolution = await api('POST', '/v1/certifications', s.owner, { type: 'ADVANCED_CLOUD_SOFTWARE' });
    expectProblem(noSolution, 422);
    expect(fields(noSolution)).toEqual(['solutionName']);
    const strayed = await api('POST', '/v1/certifications', s.owner, { type: 'ROLE_CONSULTING', solutionName: 'Not a solution type' });
    expect(fields(strayed)).toEqual(['solutionName']);
    const software = await api('POST', '/v1/certifications', s.owner, { type: 'ADVANCED_CLOUD_SOFTWARE', solutionName: 'DataHub' });
    expectOk(software, 201);
    expect(software.body).toMatchObject({ appliesTo: 'SOLUTION', solutionName: 'DataHub' });
    expect(fields(await api('POST', '/v1/certifications', s.owner, { type: 'ROLE_CONSULTING', extra: 1 }))).toEqual(['extra']);

    const { id, files } = await draftWithMaterials(s.owner);
    const badKind = await api('PUT', `/v1/certifications/${id}/materials`, s.owner, {
      materials: [
        { kind: 'CASE_STUDIES', materialId: files[0] },
        { kind: 'BROCHURE', materialId: randomUUID() },
      ],
    });
    expectProblem(badKind, 422, 'invalid-materials');
    expect(fields(badKind)).toEqual(['materials.1.kind', 'materials.1.materialId']);
    // Another application's file is not this one's.
    const foreign = await api('PUT', `/v1/certifications/${software.body.id}/materials`, s.owner, { materials: [{ kind: 'TEST_REPORT', materialId: files[0] }] });
    expect(fields(foreign)).toEqual(['materials.0.materialId']);
    expect(fields(await api('PUT', `/v1/certifications/${id}/materials`, s.owner, { materials: [{ kind: 'CASE_STUDIES', materialId: files[0] }, { kind: 'CASE_STUDIES', materialId: files[1] }] }))).toEqual([
      'materials.1.kind',
    ]);
    const badDecision = await api('POST', `/v1/certifications/${id}/review`, s.reviewer, { decision: 'MAYBE', note: 'x' });
    expect(fields(badDecision)).toEqual(['decision']);
    expectProblem(await api('POST', `/v1/certifications/${id}/review`, s.reviewer, { decision: 'APPROVE' }), 409, 'not-in-review');

    // Roles: vendor staff do not apply, partner sales do not apply, partners do not review, vendor_staff does not review.
    expectProblem(await api('POST', '/v1/certifications', s.staff, { type: 'ROLE_CONSULTING' }), 403);
    expectProblem(await api('POST', '/v1/certifications', s.sales, { type: 'ROLE_CONSULTING' }), 403);
    expectProblem(await api('POST', `/v1/certifications/${id}/review`, s.owner, { decision: 'APPROVE' }), 403);
    expectProblem(await api('POST', `/v1/certifications/${id}/review`, s.staff, { decision: 'APPROVE' }), 403);
    expectOk(await api('GET', `/v1/certifications/${id}`, s.sales));
  });
});
