/**
 * The OpenAPI contract, partner organization routes: real requests to health, the document, calendars,
 * opportunities, members and roles, experts — successes and refusals — each answer validated against the schema the
 * document gives for that route and status (support/openapi-contract.ts); every route of the area answered a success;
 * and the check itself catches drift.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it, beforeAll } from 'vitest';
import { call, JWT_SECRET, tokenFor } from './support/app.js';
import { testCalendar } from './support/calendar.js';
import { expectStatus, type Mode, newPartner, shareBody, useContract } from './support/openapi-contract.js';
import { reviewItems } from './support/access-matrix-review-queue.js';
import { customerToken } from './support/customer-fixtures.js';

const { apps, checked, unexercised, routeFor, contractErrors } = useContract();
let vendor: string;
beforeAll(async () => {
  vendor = await tokenFor(['vendor_staff']);
});

describe('contract: real answers match the document', () => {
  it('health, the document itself, calendar', async () => {
    const n = (...a: Parameters<typeof checked> extends [Mode, ...infer R] ? R : never) => checked('normal', ...a);
    expectStatus(await n('GET', '/healthz'), 200);
    expectStatus(await n('GET', '/livez'), 200);
    expectStatus(await n('GET', '/readyz'), 200);
    expectStatus(await n('GET', '/v1/openapi.json'), 200);
    expectStatus(await n('GET', '/v1/calendars/CN/deadline?from=2026-01-05T02:00:00Z&workingDays=3', vendor), 200);
    expectStatus(await n('GET', '/v1/calendars/CN/deadline?from=2026-09-28T02:00:00Z&workingDays=10', vendor), 200); // over a holiday
    expectStatus(await n('GET', '/v1/calendars/XX/deadline?from=2026-01-05T02:00:00Z&workingDays=3', vendor), 404);
    // CN counts unpublished years provisionally with its statutory rules; SA (fail-closed) refuses them.
    const provisional = await n('GET', '/v1/calendars/CN/deadline?from=2031-03-03T02:00:00Z&workingDays=3', vendor);
    expectStatus(provisional, 200);
    expect(provisional.body.explanation).toMatchObject({ provisional: true, provisionalYears: [2031] });
    expectStatus(await n('GET', '/v1/calendars/SA/deadline?from=2031-03-03T02:00:00Z&workingDays=3', vendor), 422);
    expectStatus(await n('GET', '/v1/calendars/CN/deadline?from=yesterday&workingDays=3', vendor), 400);
    expectStatus(await n('GET', '/v1/calendars/CN/deadline?from=2026-01-05T02:00:00Z&workingDays=3'), 401);
    // A year day by day: published, provisional (CN's rules), refused (SA fails closed), malformed, unknown.
    expectStatus(await n('GET', '/v1/calendars/CN/years/2026', vendor), 200);
    expectStatus(await n('GET', '/v1/calendars/CN/years/2031', vendor), 200);
    expectStatus(await n('GET', '/v1/calendars/SA/years/2031', vendor), 422);
    expectStatus(await n('GET', '/v1/calendars/CN/years/26', vendor), 400);
    expectStatus(await n('GET', '/v1/calendars/XX/years/2026', vendor), 404);
  });

  it('calendars: list, get, replace (created, replaced, invalid, stale), partner assignment — successes and refusals', async () => {
    const n = (...a: Parameters<typeof checked> extends [Mode, ...infer R] ? R : never) => checked('normal', ...a);
    const admin = await tokenFor(['vendor_admin']);
    const partnerId = newPartner();
    const partner = await tokenFor(['partner_admin'], partnerId);
    const name = `OA-${randomUUID().slice(0, 8)}`;
    const body = { zone: 'Asia/Riyadh', restWeekdays: [5, 6], years: { first: 2026, last: 2026 }, holidays: [{ from: '2026-09-23', to: '2026-09-23', name: 'National Day' }], makeupWorkdays: [] };
    expectStatus(await n('GET', '/v1/calendars', partner), 200);
    expectStatus(await n('GET', '/v1/calendars/SA', vendor), 200);
    expectStatus(await n('GET', '/v1/calendars/XX', vendor), 404);
    expectStatus(await n('PUT', `/v1/calendars/${name}`, admin, body), 201);
    expectStatus(await n('PUT', `/v1/calendars/${name}`, admin, { ...body, holidays: [] }, { 'If-Match': '"1"' }), 200);
    expectStatus(await n('PUT', `/v1/calendars/${name}`, admin, body, { 'If-Match': '"1"' }), 412);
    expectStatus(await n('PUT', `/v1/calendars/${name}`, admin, { ...body, zone: 'Nowhere/Else' }), 422);
    expectStatus(await n('PUT', `/v1/calendars/${name}`, admin, { ...body, zone: 7 }), 400);
    expectStatus(await n('PUT', `/v1/calendars/${name}`, vendor, body), 403);
    expectStatus(await n('GET', `/v1/calendars/${name}`, vendor), 200); // with changes
    expectStatus(await n('GET', `/v1/partners/${partnerId}/calendar`, partner), 200);
    expectStatus(await n('GET', `/v1/partners/${partnerId}/calendar`, await tokenFor(['partner_admin'], newPartner())), 404);
    expectStatus(await n('PUT', `/v1/partners/${partnerId}/calendar`, admin, { name }), 200);
    expectStatus(await n('PUT', `/v1/partners/${partnerId}/calendar`, admin, { name: 'NO-SUCH' }), 422);
    expectStatus(await n('PUT', `/v1/partners/${partnerId}/calendar`, partner, { name }), 403);
    expectStatus(await n('GET', `/v1/partners/${partnerId}/calendar`, partner), 200);
  });

  it('opportunities: share, list, get, accept, reject, updates, close — successes and refusals', async () => {
    const n = (...a: Parameters<typeof checked> extends [Mode, ...infer R] ? R : never) => checked('normal', ...a);
    const partnerId = newPartner();
    const partner = await tokenFor(['partner_admin'], partnerId);
    const other = await tokenFor(['partner_admin'], newPartner());
    const { signToken } = await import('../domain/auth.js');
    const iam = await signToken({ sub: 'iam-oa', roles: ['partner_admin'], partnerId, accountType: 'iam_user' }, JWT_SECRET);

    // share
    const key = randomUUID();
    const shared = await n('POST', '/v1/opportunities', vendor, shareBody(partnerId), { 'Idempotency-Key': key });
    expectStatus(shared, 201);
    const id = shared.body.id as string;
    expectStatus(await n('POST', '/v1/opportunities', vendor, { ...shareBody(partnerId), title: 'other' }, { 'Idempotency-Key': key }), 422);
    expectStatus(await n('POST', '/v1/opportunities', vendor, { ...shareBody(partnerId), extra: 1 }), 400);
    expectStatus(await n('POST', '/v1/opportunities', vendor, '{"partnerId":'), 400);
    expectStatus(await n('POST', '/v1/opportunities', vendor, { ...shareBody(partnerId), title: 'x'.repeat(70_000) }), 413);
    expectStatus(await n('POST', '/v1/opportunities', undefined, shareBody(partnerId)), 401);
    expectStatus(await n('POST', '/v1/opportunities', partner, shareBody(partnerId)), 403);
    const previous = apps.normal.calendar;
    const year = new Date().getUTCFullYear();
    apps.normal.calendar = testCalendar(Date.now(), { years: [year - 3, year - 1] });
    try {
      expectStatus(await n('POST', '/v1/opportunities', vendor, shareBody(newPartner())), 422);
    } finally {
      apps.normal.calendar = previous;
    }
    const plain = await n('POST', '/v1/opportunities', vendor, { partnerId, customerName: 'No amount', title: 'Plain' });
    expectStatus(plain, 201);

    // list, get
    expectStatus(await n('GET', '/v1/opportunities?limit=1', vendor), 200);
    const page = await n('GET', `/v1/opportunities?partnerId=${partnerId}&status=PENDING_ACCEPTANCE`, partner);
    expectStatus(page, 200);
    expect(page.body.items).toHaveLength(2);
    expectStatus(await n('GET', '/v1/opportunities?limit=0', vendor), 400);
    expectStatus(await n('GET', '/v1/opportunities?cursor=garbage', vendor), 400);
    expectStatus(await n('GET', '/v1/opportunities'), 401);
    expectStatus(await n('GET', '/v1/opportunities', iam), 403);
    expectStatus(await n('GET', `/v1/opportunities/${id}`, partner), 200);
    expectStatus(await n('GET', `/v1/opportunities/${id}`, other), 404);
    expectStatus(await n('GET', '/v1/opportunities/not-a-uuid', vendor), 400);

    // accept → updates → close
    expectStatus(await n('POST', `/v1/opportunities/${id}/updates`, partner, { stage: 'PROPOSAL', note: 'too early' }), 409);
    expectStatus(await n('POST', `/v1/opportunities/${id}/accept`, vendor), 403);
    expectStatus(await n('POST', `/v1/opportunities/${id}/accept`, other), 404);
    expectStatus(await n('POST', `/v1/opportunities/${id}/accept`, partner, { unexpected: true }), 400);
    expectStatus(await n('POST', `/v1/opportunities/${id}/accept`, partner), 200);
    expectStatus(await n('POST', `/v1/opportunities/${id}/accept`, partner), 409);
    expectStatus(await n('POST', `/v1/opportunities/${id}/updates`, partner, { stage: 'PROPOSAL' }), 400);
    expectStatus(await n('POST', `/v1/opportunities/${id}/updates`, partner, { stage: 'PROPOSAL', note: 'proposal sent' }), 200);
    expectStatus(await n('POST', `/v1/opportunities/${id}/close`, partner, { outcome: 'MAYBE' }), 400);
    const closed = await n('POST', `/v1/opportunities/${id}/close`, partner, { outcome: 'WON', note: 'signed' });
    expectStatus(closed, 200);
    await apps.normal.client.workflow.getHandle(`opportunity-${id}`).result();
    expectStatus(await n('POST', `/v1/opportunities/${id}/close`, partner, { outcome: 'LOST' }), 409); // ended: currentStatus extension
    expectStatus(await n('POST', `/v1/opportunities/${id}/updates`, partner, { stage: 'PROPOSAL', note: 'late' }), 409);

    // reject
    const second = plain.body.id as string;
    expectStatus(await n('POST', `/v1/opportunities/${second}/reject`, partner, { reasonCode: 'BORED' }), 400);
    expectStatus(await n('POST', `/v1/opportunities/${second}/reject`, other, { reasonCode: 'OTHER' }), 404);
    expectStatus(await n('POST', `/v1/opportunities/${second}/reject`, partner, { reasonCode: 'CANNOT_SUPPORT', note: 'no capacity' }), 200);
    expectStatus(await n('POST', `/v1/opportunities/${second}/reject`, partner, { reasonCode: 'OTHER' }), 409);
    expectStatus(await n('GET', `/v1/opportunities/${second}`, vendor), 200);
  });

  it('members and custom roles: list, create, change, delete — successes and refusals', async () => {
    const n = (...a: Parameters<typeof checked> extends [Mode, ...infer R] ? R : never) => checked('normal', ...a);
    const partnerId = newPartner();
    const owner = await tokenFor(['partner_admin'], partnerId, `${partnerId}-owner`);
    const other = await tokenFor(['partner_admin'], newPartner());
    const base = `/v1/partners/${partnerId}`;

    const role = await n('POST', `${base}/roles`, owner, { name: 'Reader', permissions: ['opportunity.read'] }, { 'Idempotency-Key': randomUUID() });
    expectStatus(role, 201);
    const roleId = role.body.id as string;
    expectStatus(await n('POST', `${base}/roles`, owner, { name: 'Reader', permissions: ['opportunity.read'] }), 409);
    expectStatus(await n('POST', `${base}/roles`, owner, { name: 'Sharer', permissions: ['opportunity.share'] }), 422);
    expectStatus(await n('POST', `${base}/roles`, owner, { name: 'Bad', permissions: [] }), 400);
    expectStatus(await n('POST', `${base}/roles`, other, { name: 'X', permissions: ['opportunity.read'] }), 404);
    expectStatus(await n('GET', `${base}/roles`, owner), 200);
    expectStatus(await n('GET', `${base}/roles`, vendor), 403);
    expectStatus(await n('PATCH', `${base}/roles/${roleId}`, owner, { name: 'Readers', permissions: ['opportunity.read', 'calendar.read'] }), 200);
    expectStatus(await n('PATCH', `${base}/roles/${randomUUID()}`, owner, { name: 'Nobody' }), 404);

    const member = await n('POST', `${base}/members`, owner, { sub: 'oa-member', displayName: 'OA member', roles: [roleId], workResidence: 'Hangzhou' }, { 'Idempotency-Key': randomUUID() });
    expectStatus(member, 201);
    const memberId = member.body.id as string;
    expectStatus(await n('POST', `${base}/members`, owner, { sub: 'oa-member', displayName: 'Again' }), 409);
    expectStatus(await n('POST', `${base}/members`, owner, { sub: 'oa-2', displayName: 'Two', roles: ['partner_chief'] }), 422);
    expectStatus(await n('GET', `${base}/members`, owner), 200);
    expectStatus(await n('GET', `${base}/members`, other), 404);
    expectStatus(await n('PATCH', `${base}/members/${memberId}`, owner, {}), 400);
    expectStatus(await n('PATCH', `${base}/members/${memberId}`, owner, { roles: ['partner_finance'], active: true }), 200);
    expectStatus(await n('PATCH', `${base}/members/${memberId}`, owner, { workResidence: null }), 200);

    const spare = await n('POST', `${base}/roles`, owner, { name: 'Spare', permissions: ['calendar.read'] });
    expectStatus(spare, 201);
    expectStatus(await n('PATCH', `${base}/members/${memberId}`, owner, { roles: [spare.body.id] }), 200);
    expectStatus(await n('DELETE', `${base}/roles/${spare.body.id}`, owner), 409);
    expectStatus(await n('DELETE', `${base}/roles/${roleId}`, owner), 200);
    expectStatus(await n('DELETE', `${base}/roles/${roleId}`, owner), 404);

    // A deactivated member: 403 on its own partner's routes.
    const self = await tokenFor(['partner_admin'], partnerId, 'oa-member');
    expectStatus(await n('PATCH', `${base}/members/${memberId}`, owner, { active: false }), 200);
    expectStatus(await n('GET', `${base}/members`, self), 403);
  });

  it('experts: list, register, change, attest — successes and refusals', async () => {
    const n = (...a: Parameters<typeof checked> extends [Mode, ...infer R] ? R : never) => checked('normal', ...a);
    const partnerId = newPartner();
    const owner = await tokenFor(['partner_admin'], partnerId, `${partnerId}-owner`);
    const other = await tokenFor(['partner_admin'], newPartner());
    const base = `/v1/partners/${partnerId}/experts`;
    const expert = {
      employeeId: 'OA-1',
      name: 'OA expert',
      fullTime: true,
      fullTimeSince: '2025-01-01',
      certifications: [{ type: 'CLOUD_EXPERT', validFrom: '2025-01-01', validTo: '2027-12-31' }],
    };
    const created = await n('POST', base, owner, expert, { 'Idempotency-Key': randomUUID() });
    expectStatus(created, 201);
    const id = created.body.id as string;
    expectStatus(await n('POST', base, owner, { employeeId: 'OA-2', name: 'Part-timer', fullTime: false }), 201);
    expectStatus(await n('POST', base, owner, { ...expert, employeeId: 'OA-5', registeredOn: '2020-01-01' }), 400); // stamped by the server
    const attester = await tokenFor(['vendor_ecosystem_manager']);
    const facts = { fullTimeSince: expert.fullTimeSince, certifications: expert.certifications };
    expectStatus(await n('POST', `${base}/${id}/attestation`, attester, facts), 200);
    expectStatus(await n('POST', `${base}/${id}/attestation`, attester, { fullTimeSince: '2024-01-01' }), 409);
    expectStatus(await n('POST', `${base}/${id}/attestation`, attester, {}), 400);
    expectStatus(await n('POST', `${base}/${id}/attestation`, owner, facts), 403);
    expectStatus(await n('POST', `/v1/partners/${newPartner()}/experts/${id}/attestation`, attester, facts), 404);
    expectStatus(await n('POST', base, owner, expert), 409);
    expectStatus(await n('POST', base, owner, { ...expert, employeeId: 'OA-3', certifications: [{ type: 'NOPE', validFrom: '2025-01-01', validTo: '2025-02-01' }] }), 400);
    expectStatus(await n('POST', base, other, { ...expert, employeeId: 'OA-4' }), 404);
    expectStatus(await n('GET', base, owner), 200);
    expectStatus(await n('GET', `${base}?active=false`, owner), 200);
    expectStatus(await n('GET', base, other), 404);
    expectStatus(await n('GET', base, vendor), 403);
    expectStatus(await n('PATCH', `${base}/${id}`, owner, { fullTime: false }), 200);
    expectStatus(await n('PATCH', `${base}/${id}`, owner, { fullTimeSince: '2026-01-01' }), 422);
    expectStatus(await n('PATCH', `${base}/${id}`, owner, { active: false }), 200);
    expectStatus(await n('PATCH', `${base}/${randomUUID()}`, owner, { active: false }), 404);
  });

  // The reviewer queue's routes fall in this file's area (support/openapi-contract.ts areaOf names no area of theirs).
  it('reviewer queue: list, claim, assign, release — successes and refusals', async () => {
    const n = (...a: Parameters<typeof checked> extends [Mode, ...infer R] ? R : never) => checked('normal', ...a);
    const { id, partnerId } = await reviewItems(() => apps.normal.base, () => apps.normal.prisma).customerReport();
    const manager = await tokenFor(['vendor_ecosystem_manager'], undefined, 'oa-rq-manager');
    const reviewer = await tokenFor(['vendor_reviewer'], undefined, 'oa-rq-reviewer');
    const item = `/v1/review-queue/customer-report/${id}`;
    expectStatus(await n('GET', `/v1/review-queue?partnerId=${partnerId}`, manager), 200);
    expectStatus(await n('GET', '/v1/review-queue?kind=customer-report&claim=unclaimed&limit=1', manager), 200);
    expectStatus(await n('GET', '/v1/review-queue?cursor=nope', manager), 400);
    expectStatus(await n('POST', `${item}/claim`, manager), 200);
    expectStatus(await n('POST', `${item}/claim`, reviewer), 403); // may not decide customer reports
    expectStatus(await n('POST', `${item}/assign`, manager, { reviewer: 'oa-rq-other' }), 200);
    expectStatus(await n('POST', `${item}/claim`, manager), 409);
    expectStatus(await n('POST', `${item}/assign`, manager, {}), 400);
    expectStatus(await n('DELETE', `${item}/claim`, manager), 200);
    expectStatus(await n('POST', `/v1/review-queue/customer-report/${randomUUID()}/claim`, manager), 404);
    expectStatus(await n('GET', '/v1/review-queue', await tokenFor(['partner_admin'], partnerId)), 403);
    expectStatus(await n('GET', '/v1/review-queue'), 401);
  });

  it('me: a vendor, a partner and a customer as the API sees them; no token', async () => {
    const n = (...a: Parameters<typeof checked> extends [Mode, ...infer R] ? R : never) => checked('normal', ...a);
    expectStatus(await n('GET', '/v1/me', vendor), 200);
    expectStatus(await n('GET', '/v1/me', await tokenFor(['partner_finance'], newPartner())), 200);
    expectStatus(await n('GET', '/v1/me', await customerToken('C-oa-me')), 200);
    expectStatus(await n('GET', '/v1/me'), 401);
  });

  it('every health, calendar, opportunity, member, role, expert and reviewer-queue route was exercised with a success answer', () => {
    expect(unexercised('partner')).toEqual([]);
  });

  it('catches drift: an undocumented status, an extra field, a missing field, a wrong type', async () => {
    const route = routeFor('normal', 'GET', '/v1/opportunities');
    const res = await call(apps.normal.base, 'GET', '/v1/opportunities?limit=1', vendor);
    expect(contractErrors('normal', route, res)).toEqual([]);
    const item = res.body.items[0];
    const drifted = (body: unknown, status = 200) => contractErrors('normal', route, { ...res, status, body });
    expect(drifted({ ...res.body, total: 3 })).not.toEqual([]);
    expect(drifted({ ...res.body, items: [{ ...item, secret: 'x' }] })).not.toEqual([]);
    const { sharedAt: _, ...withoutSharedAt } = item;
    expect(drifted({ ...res.body, items: [withoutSharedAt] })).not.toEqual([]);
    expect(drifted({ ...res.body, items: [{ ...item, estimatedAmount: { currency: 'CNY', minor: '100' } }] })).not.toEqual([]);
    expect(drifted(res.body, 418)).toEqual(['status 418 is not documented for GET /v1/opportunities']);
  });
});
