/**
 * The OpenAPI contract, application routes: real requests to incentive runs, incentives and their materials,
 * certifications and certificates — successes and refusals — each answer validated against the schema the document
 * gives for that route and status (support/openapi-contract.ts); every route of the area answered a success.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it, beforeAll } from 'vitest';
import { incentiveWorkflow, incentiveWorkflowId } from '../workflows/incentive/workflow.js';
import { attestExpert, insertExpert } from './support/experts.js';
import { tokenFor } from './support/app.js';
import { expectStatus, type Mode, newPartner, useContract } from './support/openapi-contract.js';

const { apps, checked, unexercised } = useContract();
let vendor: string;
beforeAll(async () => {
  vendor = await tokenFor(['vendor_staff']);
});

describe('contract: real answers match the document', () => {
  it('incentive runs: start a period, its progress — successes and refusals', async () => {
    const n = (...a: Parameters<typeof checked> extends [Mode, ...infer R] ? R : never) => checked('normal', ...a);
    const partner = await tokenFor(['partner_admin'], newPartner());
    const admin = await tokenFor(['vendor_admin']);
    expectStatus(await n('POST', '/v1/admin/incentive-runs', admin, { period: '2025-03' }), 202);
    expectStatus(await n('POST', '/v1/admin/incentive-runs', admin, { period: '2999-01' }), 422);
    expectStatus(await n('POST', '/v1/admin/incentive-runs', admin, { period: 'March' }), 400);
    expectStatus(await n('POST', '/v1/admin/incentive-runs', partner, { period: '2025-03' }), 403);
    expectStatus(await n('POST', '/v1/admin/incentive-runs', vendor, { period: '2025-03' }), 403); // vendor_staff
    expectStatus(await n('GET', '/v1/admin/incentive-runs/2025-03', admin), 200);
    expectStatus(await n('GET', '/v1/admin/incentive-runs/2001-01', admin), 404);
    expectStatus(await n('GET', '/v1/admin/incentive-runs?limit=5', vendor), 200);
    expectStatus(await n('GET', '/v1/admin/incentive-runs?cursor=nope', vendor), 400);
    expectStatus(await n('GET', '/v1/admin/incentive-runs', partner), 403);
  });

  it('incentives: list, get, materials up and down, verify, objections, resolve — successes and refusals', async () => {
    const n = (...a: Parameters<typeof checked> extends [Mode, ...infer R] ? R : never) => checked('normal', ...a);
    const partnerId = newPartner();
    const owner = await tokenFor(['partner_admin'], partnerId, `${partnerId}-owner`);
    const other = await tokenFor(['partner_admin'], newPartner());
    const vendorAdmin = await tokenFor(['vendor_admin']);
    // Registered long before the month (through the API registeredOn would be today), attested by the vendor.
    const expert = { body: { id: await attestExpert(apps.normal.prisma, partnerId, await insertExpert(apps.normal.prisma, partnerId, { employeeId: 'OA-1', certification: 'CLOUD_EXPERT' })) } };
    const period = '2025-06';
    await apps.normal.client.workflow.start(incentiveWorkflow, { workflowId: incentiveWorkflowId(partnerId, period), taskQueue: 'openapi', args: [{ partnerId, period }] });
    const id = `${partnerId}-${period}`;
    for (let i = 0; !(await apps.normal.prisma.incentive.findUnique({ where: { id } })); i++) {
      if (i > 200) throw new Error(`incentive ${id} was not generated`);
      await new Promise((r) => setTimeout(r, 50));
    }

    expectStatus(await n('GET', '/v1/incentives?limit=1', vendor), 200);
    expectStatus(await n('GET', `/v1/incentives?partnerId=${partnerId}&period=${period}&status=PENDING_VERIFICATION`, owner), 200);
    expectStatus(await n('GET', '/v1/incentives?period=June', owner), 400);
    expectStatus(await n('GET', '/v1/incentives'), 401);
    expectStatus(await n('GET', `/v1/incentives/${id}`, owner), 200);
    expectStatus(await n('GET', `/v1/incentives/${id}`, other), 404);
    expectStatus(await n('GET', '/v1/incentives/nope', owner), 400);

    const pdf = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
    const file = (type = 'application/pdf', name = 'roster.pdf') => ({ 'content-type': type, 'content-disposition': `attachment; filename="${name}"` });
    const base = `/v1/incentives/${id}`;
    const uploaded = await n('POST', `${base}/materials`, owner, pdf, { ...file(), 'Idempotency-Key': randomUUID() });
    expectStatus(uploaded, 201);
    expectStatus(await n('POST', `${base}/materials`, owner, pdf, file()), 200);
    expectStatus(await n('POST', `${base}/materials`, owner, pdf, file('text/plain')), 415);
    expectStatus(await n('POST', `${base}/materials`, owner, Buffer.from('not a png'), file('image/png', 'x.png')), 422);
    expectStatus(await n('POST', `${base}/materials`, owner, Buffer.concat([pdf, Buffer.alloc(10 * 1024 * 1024)]), file()), 413);
    expectStatus(await n('POST', `${base}/materials`, owner, pdf, file('application/pdf', '../x.pdf')), 400);
    expectStatus(await n('POST', `${base}/materials`, other, pdf, file()), 404);
    expectStatus(await n('POST', `${base}/materials`, vendor, pdf, file()), 403);
    expectStatus(await n('GET', `${base}/materials/${uploaded.body.id}`, vendor), 200);
    expectStatus(await n('GET', `${base}/materials/${randomUUID()}`, owner), 404);

    const materials = [uploaded.body.id as string];
    expectStatus(await n('POST', `${base}/verify`, owner, { headcount: 2, totalMinor: 1, materials }), 422);
    expectStatus(await n('POST', `${base}/verify`, owner, { headcount: -1, totalMinor: 1, materials }), 400);
    expectStatus(await n('POST', `${base}/objections`, owner, { lines: [{ expertId: randomUUID(), reason: 'who?' }] }), 422);
    expectStatus(await n('POST', `${base}/objections`, owner, { lines: [{ expertId: expert.body.id, reason: 'Not full-time' }] }), 200);
    expectStatus(await n('POST', `${base}/verify`, owner, { headcount: 1, totalMinor: 300000, materials }), 409);
    expectStatus(await n('POST', `${base}/objections/resolve`, owner, { rejectObjection: true, note: 'mine' }), 403);
    expectStatus(await n('POST', `${base}/objections/resolve`, vendorAdmin, { note: 'neither' }), 400);
    expectStatus(await n('POST', `${base}/objections/resolve`, vendorAdmin, { rejectObjection: true, note: 'Full-time all month' }), 200);
    expectStatus(await n('POST', `${base}/objections/resolve`, vendorAdmin, { rejectObjection: true, note: 'again' }), 409);
    expectStatus(await n('POST', `${base}/verify`, owner, { headcount: 1, totalMinor: 300000, materials }), 200);
    await apps.normal.client.workflow.getHandle(incentiveWorkflowId(partnerId, period)).result();
    expectStatus(await n('POST', `${base}/verify`, owner, { headcount: 1, totalMinor: 300000, materials }), 409); // ended: currentStatus extension
  });

  it('certifications: catalog, apply, files up and down, materials, submit, review, supplement, renew, certificates — successes and refusals', async () => {
    const n = (...a: Parameters<typeof checked> extends [Mode, ...infer R] ? R : never) => checked('normal', ...a);
    const partnerId = newPartner();
    const owner = await tokenFor(['partner_admin'], partnerId, `${partnerId}-owner`);
    const other = await tokenFor(['partner_admin'], newPartner());
    const reviewer = await tokenFor(['vendor_reviewer']);
    expectStatus(await n('GET', '/v1/certification-types', owner), 200);
    expectStatus(await n('GET', '/v1/certification-types'), 401);
    expectStatus(await n('POST', '/v1/certifications', owner, { type: 'ROLE_ASTROLOGY' }), 422);
    expectStatus(await n('POST', '/v1/certifications', owner, { type: 'lower' }), 400);
    expectStatus(await n('POST', '/v1/certifications', vendor, { type: 'ROLE_CONSULTING' }), 403);
    const created = await n('POST', '/v1/certifications', owner, { type: 'ROLE_CONSULTING' }, { 'Idempotency-Key': randomUUID() });
    expectStatus(created, 201);
    const id = created.body.id as string;
    const base = `/v1/certifications/${id}`;

    const pdf = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
    const file = (type = 'application/pdf', name = 'cases.pdf') => ({ 'content-type': type, 'content-disposition': `attachment; filename="${name}"` });
    const uploaded = await n('POST', `${base}/files`, owner, pdf, { ...file(), 'Idempotency-Key': randomUUID() });
    expectStatus(uploaded, 201);
    expectStatus(await n('POST', `${base}/files`, owner, pdf, file()), 200);
    expectStatus(await n('POST', `${base}/files`, owner, pdf, file('text/plain')), 415);
    expectStatus(await n('POST', `${base}/files`, owner, Buffer.from('not a png'), file('image/png', 'x.png')), 422);
    expectStatus(await n('POST', `${base}/files`, owner, Buffer.concat([pdf, Buffer.alloc(10 * 1024 * 1024)]), file()), 413);
    expectStatus(await n('POST', `${base}/files`, other, pdf, file()), 404);
    expectStatus(await n('GET', `${base}/files/${uploaded.body.id}`, vendor), 200);
    expectStatus(await n('GET', `${base}/files/${randomUUID()}`, owner), 404);

    const materialId = uploaded.body.id as string;
    expectStatus(await n('POST', `${base}/submit`, owner), 422); // materials missing
    expectStatus(await n('PUT', `${base}/materials`, owner, { materials: [{ kind: 'BROCHURE', materialId }] }), 422);
    expectStatus(await n('PUT', `${base}/materials`, owner, { materials: [] }), 400);
    expectStatus(
      await n('PUT', `${base}/materials`, owner, { materials: [{ kind: 'CASE_STUDIES', materialId }, { kind: 'TEAM_ROSTER', materialId }] }),
      200,
    );
    expectStatus(await n('POST', `${base}/submit`, owner), 422); // prerequisites unmet
    await attestExpert(apps.normal.prisma, partnerId, await insertExpert(apps.normal.prisma, partnerId, { employeeId: 'E1', certification: 'CLOUD_EXPERT' }));
    await attestExpert(apps.normal.prisma, partnerId, await insertExpert(apps.normal.prisma, partnerId, { employeeId: 'E2' }));
    await attestExpert(apps.normal.prisma, partnerId, await insertExpert(apps.normal.prisma, partnerId, { employeeId: 'E3' }));
    expectStatus(await n('POST', `${base}/submit`, owner), 200);
    expectStatus(await n('POST', `${base}/submit`, owner), 409);
    expectStatus(await n('POST', `${base}/review`, reviewer, { decision: 'REQUEST_SUPPLEMENT' }), 400);
    expectStatus(await n('POST', `${base}/review`, owner, { decision: 'APPROVE' }), 403);
    expectStatus(await n('POST', `${base}/review`, reviewer, { decision: 'REQUEST_SUPPLEMENT', note: 'More cases' }), 200);
    expectStatus(await n('POST', `${base}/supplement`, owner, { note: 'Added' }), 200);
    expectStatus(await n('POST', `${base}/supplement`, owner, {}), 409);
    expectStatus(await n('POST', `${base}/renew`, owner), 409); // no certificate yet
    expectStatus(await n('POST', `${base}/review`, reviewer, { decision: 'APPROVE' }), 200);
    expectStatus(await n('POST', `${base}/renew`, owner, undefined, { 'Idempotency-Key': randomUUID() }), 201);
    expectStatus(await n('POST', `${base}/renew`, other), 404);

    expectStatus(await n('GET', base, owner), 200);
    expectStatus(await n('GET', base, other), 404);
    expectStatus(await n('GET', '/v1/certifications/nope', owner), 400);
    expectStatus(await n('GET', `/v1/certifications?partnerId=${partnerId}&status=APPROVED&type=ROLE_CONSULTING&limit=1`, vendor), 200);
    expectStatus(await n('GET', '/v1/certifications?status=MAYBE', owner), 400);
    expectStatus(await n('GET', `/v1/partners/${partnerId}/certificates`, owner), 200);
    expectStatus(await n('GET', `/v1/partners/${partnerId}/certificates`, other), 404);
  });

  it('every incentive run, incentive and certification route was exercised with a success answer', () => {
    expect(unexercised('applications')).toEqual([]);
  });
});
