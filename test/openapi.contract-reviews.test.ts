/**
 * The OpenAPI contract, review and delivery routes: real requests to development paths, path reviews and their cycles,
 * webhooks, and the time-skipping clock — successes and refusals — each answer validated against the schema the
 * document gives for that route and status (support/openapi-contract.ts); every route of the area answered a success.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it, beforeAll } from 'vitest';
import { attestExpert, insertExpert } from './support/experts.js';
import { call, tokenFor } from './support/app.js';
import { expectStatus, type Mode, newPartner, useContract } from './support/openapi-contract.js';

const { apps, checked, unexercised } = useContract();
let vendor: string;
beforeAll(async () => {
  vendor = await tokenFor(['vendor_staff']);
});

describe('contract: real answers match the document', () => {
  it('development paths: catalog, memberships, requirements, set and remove — successes and refusals', async () => {
    const n = (...a: Parameters<typeof checked> extends [Mode, ...infer R] ? R : never) => checked('normal', ...a);
    const partnerId = newPartner();
    const owner = await tokenFor(['partner_admin'], partnerId, `${partnerId}-owner`);
    const other = await tokenFor(['partner_admin'], newPartner());
    const manager = await tokenFor(['vendor_ecosystem_manager']);
    const base = `/v1/partners/${partnerId}/paths`;
    expectStatus(await n('GET', '/v1/paths', owner), 200);
    expectStatus(await n('GET', '/v1/paths'), 401);
    expectStatus(await n('GET', base, owner), 200);
    expectStatus(await n('GET', base, other), 404);
    expectStatus(await n('GET', `${base}/SOFTWARE/requirements`, owner), 409); // not a member, no level named
    expectStatus(await n('GET', `${base}/SOFTWARE/requirements?level=ADVANCED`, owner), 200);
    expectStatus(await n('GET', `${base}/SOFTWARE/requirements?level=PLATINUM`, owner), 422);
    expectStatus(await n('GET', `${base}/SOFTWARE/requirements?level=gold`, owner), 400);
    expectStatus(await n('GET', `${base}/PLATFORM/requirements?level=CERTIFIED`, owner), 404);
    expectStatus(await n('PUT', `${base}/SOFTWARE`, owner, { level: 'CERTIFIED' }), 403);
    expectStatus(await n('PUT', `${base}/SOFTWARE`, manager, { level: 'PLATINUM' }), 422);
    expectStatus(await n('PUT', `${base}/SOFTWARE`, manager, { level: 'CERTIFIED', extra: 1 }), 400);
    expectStatus(await n('PUT', `${base}/PLATFORM`, manager, { level: 'CERTIFIED' }), 404);
    expectStatus(await n('PUT', `${base}/SOFTWARE`, manager, { level: 'CERTIFIED', note: 'Joined' }), 200);
    expectStatus(await n('GET', `${base}/SOFTWARE/requirements`, owner), 200);
    expectStatus(await n('GET', base, vendor), 200); // with the membership and its history
    expectStatus(await n('DELETE', `${base}/SOFTWARE`, owner), 403);
    expectStatus(await n('DELETE', `${base}/PLATFORM`, manager), 404);
    expectStatus(await n('DELETE', `${base}/SOFTWARE?note=Left`, manager), 200);
  });

  it('path reviews: cycle and progress, apply, files, materials, submit, decision, supplement, list, get — successes and refusals', async () => {
    const n = (...a: Parameters<typeof checked> extends [Mode, ...infer R] ? R : never) => checked('normal', ...a);
    const partnerId = newPartner();
    const owner = await tokenFor(['partner_admin'], partnerId, `${partnerId}-owner`);
    const other = await tokenFor(['partner_admin'], newPartner());
    const manager = await tokenFor(['vendor_ecosystem_manager']);
    const reviewer = await tokenFor(['vendor_reviewer']);
    const year = 2023; // a cycle year no other test file starts
    const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
    const pdfHeaders = { 'content-type': 'application/pdf', 'content-disposition': 'attachment; filename="annual-report.pdf"' };
    expectStatus(await n('PUT', `/v1/partners/${partnerId}/paths/SOFTWARE`, manager, { level: 'CERTIFIED' }), 200);
    expectStatus(await n('GET', `/v1/admin/path-reviews/SOFTWARE/2031`, vendor), 404);
    expectStatus(await n('POST', '/v1/admin/path-reviews', manager, { pathId: 'PLATFORM', year }), 422);
    expectStatus(await n('POST', '/v1/admin/path-reviews', manager, { pathId: 'SOFTWARE', year: '2023' }), 400);
    expectStatus(await n('POST', '/v1/admin/path-reviews', owner, { pathId: 'SOFTWARE', year }), 403);
    expectStatus(await n('POST', '/v1/admin/path-reviews', manager, { pathId: 'SOFTWARE', year }), 202);
    expectStatus(await n('GET', `/v1/admin/path-reviews/SOFTWARE/${year}`, vendor), 200);
    const id = `SOFTWARE-${partnerId}-${year}`;
    const base = `/v1/path-reviews/${id}`;
    for (let i = 0; (await call(apps.normal.base, 'GET', base, owner)).status !== 200; i++) {
      if (i > 200) throw new Error(`review ${id} did not open`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expectStatus(await n('GET', base, owner), 200);
    expectStatus(await n('GET', base, other), 404);
    expectStatus(await n('GET', '/v1/path-reviews/x', owner), 400);
    expectStatus(await n('GET', `/v1/path-reviews?pathId=SOFTWARE&year=${year}&status=OPEN&limit=5`, vendor), 200);
    expectStatus(await n('GET', '/v1/path-reviews?status=MAYBE', owner), 400);
    expectStatus(await n('POST', `${base}/apply`, owner), 422); // requirements unmet, every one listed
    expectStatus(await n('POST', `${base}/apply`, other), 404);
    expectStatus(await n('POST', `${base}/files`, owner, PDF, pdfHeaders), 409); // not applied yet
    for (const employeeId of ['E1', 'E2']) await attestExpert(apps.normal.prisma, partnerId, await insertExpert(apps.normal.prisma, partnerId, { employeeId }));
    const certificateId = randomUUID();
    const at = new Date();
    await apps.normal.prisma.certificationApplication.create({
      data: { id: certificateId, partnerId, type: 'ADVANCED_CLOUD_SOFTWARE', category: 'ADVANCED_CLOUD_SOFTWARE', appliesTo: 'PARTNER', status: 'APPROVED', terms: {}, createdBy: 'openapi', createdAt: at, lastSeq: 0, updatedAt: at },
    });
    await apps.normal.prisma.certificate.create({
      data: { number: `PF-OA-${certificateId}`, applicationId: certificateId, partnerId, type: 'ADVANCED_CLOUD_SOFTWARE', category: 'ADVANCED_CLOUD_SOFTWARE', labels: [], scope: 'partner', validFrom: new Date('2020-01-01T00:00:00Z'), validTo: new Date('2099-12-31T00:00:00Z'), status: 'ACTIVE', issuedAt: at, updatedAt: at },
    });
    expectStatus(await n('POST', `${base}/apply`, owner), 200);
    expectStatus(await n('POST', `${base}/apply`, owner), 409);
    expectStatus(await n('POST', `${base}/submit`, owner), 422); // materials missing
    const file = await n('POST', `${base}/files`, owner, PDF, pdfHeaders);
    expectStatus(file, 201);
    expectStatus(await n('POST', `${base}/files`, owner, PDF, pdfHeaders), 200);
    expectStatus(await n('POST', `${base}/files`, owner, PDF, { ...pdfHeaders, 'content-type': 'text/plain' }), 415);
    expectStatus(await n('PUT', `${base}/materials`, owner, { materials: [{ kind: 'BROCHURE', materialId: file.body.id }] }), 422);
    expectStatus(await n('PUT', `${base}/materials`, owner, { materials: [] }), 400);
    expectStatus(await n('PUT', `${base}/materials`, owner, { materials: [{ kind: 'ANNUAL_REPORT', materialId: file.body.id }] }), 200);
    expectStatus(await n('POST', `${base}/decision`, reviewer, { decision: 'PASS' }), 409); // not submitted
    expectStatus(await n('POST', `${base}/submit`, owner), 200);
    expectStatus(await n('POST', `${base}/decision`, owner, { decision: 'PASS' }), 403);
    expectStatus(await n('POST', `${base}/decision`, reviewer, { decision: 'FAIL' }), 400);
    expectStatus(await n('POST', `${base}/decision`, reviewer, { decision: 'PASS', newLevel: 'PLATINUM' }), 422);
    expectStatus(await n('POST', `${base}/supplement`, owner, {}), 409);
    expectStatus(await n('POST', `${base}/decision`, reviewer, { decision: 'REQUEST_SUPPLEMENT', note: 'More cases' }), 200);
    expectStatus(await n('POST', `${base}/supplement`, owner, { note: 'Added' }), 200);
    expectStatus(await n('POST', `${base}/decision`, reviewer, { decision: 'PASS' }), 200);
    expectStatus(await n('GET', base, owner), 200); // with its history and the (absent) membership change
    expectStatus(await n('GET', `/v1/partners/${partnerId}/paths`, owner), 200); // currentReview PASSED
  });

  it('webhooks: register, list, get, deliveries, redeliver, rotate the secret, deactivate — successes and refusals', async () => {
    const n = (...a: Parameters<typeof checked> extends [Mode, ...infer R] ? R : never) => checked('normal', ...a);
    const partnerId = newPartner();
    const owner = await tokenFor(['partner_admin'], partnerId, `${partnerId}-owner`);
    const other = await tokenFor(['partner_admin'], newPartner());
    const url = 'http://127.0.0.1:9/openapi'; // a closed port: the redelivery fails at once, nothing leaves the machine
    expectStatus(await n('POST', '/v1/webhooks', owner, { url: 'ftp://example.com/x', events: ['incentive.reminder'] }), 400);
    expectStatus(await n('POST', '/v1/webhooks', vendor, { url, events: ['incentive.reminder'] }), 403);
    expectStatus(await checked('time-skipping', 'POST', '/v1/webhooks', owner, { url, events: ['incentive.reminder'] }), 422);
    const created = await n('POST', '/v1/webhooks', owner, { url, events: ['incentive.reminder', 'incentive.expired'] });
    expectStatus(created, 201);
    const base = `/v1/webhooks/${created.body.id}`;
    const key = `openapi-${randomUUID()}`;
    const message = await apps.normal.prisma.outbox.create({
      data: { topic: 'incentive.reminder', aggregateId: key, dedupeKey: key, payload: { partnerId }, dueAt: new Date(), dispatchedAt: new Date(), deliveredAt: new Date() },
    });
    const deliveryId = randomUUID();
    await apps.normal.prisma.webhookDelivery.create({
      data: { id: deliveryId, endpointId: created.body.id, outboxId: message.id, status: 'DEAD', attempts: 12, lastResponseStatus: 500, lastError: 'the endpoint answered 500', lastAttemptAt: new Date(), createdAt: new Date() },
    });
    expectStatus(await n('GET', '/v1/webhooks?limit=1', owner), 200);
    expectStatus(await n('GET', '/v1/webhooks?limit=0', owner), 400);
    expectStatus(await n('GET', base, vendor), 200);
    expectStatus(await n('GET', base, other), 404);
    expectStatus(await n('GET', '/v1/webhooks/nope', owner), 400);
    expectStatus(await n('GET', `${base}/deliveries?limit=5`, owner), 200);
    expectStatus(await n('GET', `${base}/deliveries`, other), 404);
    expectStatus(await n('POST', `${base}/deliveries/${randomUUID()}/redeliver`, owner), 404);
    expectStatus(await n('POST', `${base}/deliveries/${deliveryId}/redeliver`, owner), 202);
    expectStatus(await n('POST', `${base}/deliveries/${deliveryId}/redeliver`, owner), 409);
    expectStatus(await n('POST', `${base}/rotate-secret`, other), 404);
    expectStatus(await n('POST', `${base}/rotate-secret`, owner), 200);
    expectStatus(await n('DELETE', base, other), 404);
    expectStatus(await n('DELETE', base, owner), 200);
    expectStatus(await n('POST', `${base}/rotate-secret`, owner), 409);
    expectStatus(await n('PATCH', base, owner, { active: 'yes' }), 400);
    expectStatus(await n('PATCH', base, other, { active: true }), 404);
    expectStatus(await n('PATCH', base, owner, { active: true }), 200);
  });

  it('time-skipping mode: clock advance and its document', async () => {
    const partner = await tokenFor(['partner_admin'], newPartner());
    expectStatus(await checked('time-skipping', 'GET', '/v1/openapi.json'), 200);
    expectStatus(await checked('time-skipping', 'POST', '/v1/admin/clock/advance', vendor, { duration: 'PT1M' }), 200);
    expectStatus(await checked('time-skipping', 'POST', '/v1/admin/clock/advance', vendor, { duration: 'soon' }), 400);
    expectStatus(await checked('time-skipping', 'POST', '/v1/admin/clock/advance', partner, { duration: 'PT1M' }), 403);
    expectStatus(await checked('time-skipping', 'POST', '/v1/admin/clock/advance', undefined, { duration: 'PT1M' }), 401);
  });

  it('every path, path review, webhook and clock route was exercised with a success answer', () => {
    expect(unexercised('reviews')).toEqual([]);
  });
});
