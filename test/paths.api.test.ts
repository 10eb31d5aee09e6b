/**
 * The development-path HTTP API end to end: real Express app, real worker, Temporal's time-skipping test server,
 * real PostgreSQL. The catalog; the vendor puts a partner on a path and changes its level (one change row per real
 * change, none for a no-op), the partner reads its memberships and their history, another partner gets 404;
 * requirements evaluated live — every unmet item listed with actual vs required, met once experts and a
 * certificate exist, another level on request; refusals naming their field.
 */
import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { tokenFor } from './support/app.js';
import { ZONE } from './support/calendar.js';
import { expectOk, expectProblem, fields, useTestEnv } from './support/env.js';
import { attestExpert, insertExpert } from './support/experts.js';

const env = useTestEnv({ taskQueue: 'paths-api-test', api: true });
const { api } = env;

async function setup() {
  const partnerId = `P-pa-${randomUUID().slice(0, 8)}`;
  return {
    partnerId,
    base: `/v1/partners/${partnerId}/paths`,
    owner: await tokenFor(['partner_admin'], partnerId, `${partnerId}-owner`),
    sales: await tokenFor(['partner_sales'], partnerId, `${partnerId}-sales`),
    manager: await tokenFor(['vendor_ecosystem_manager'], undefined, 'manager-pa'),
    admin: await tokenFor(['vendor_admin'], undefined, 'admin-pa'),
    staff: await tokenFor(['vendor_staff'], undefined, 'staff-pa'),
    other: await tokenFor(['partner_admin'], `P-pa-other-${randomUUID().slice(0, 6)}`),
  };
}

const day = (s: string) => new Date(`${s}T00:00:00Z`);

/** An ACTIVE certificate of `type`, straight through Prisma (with the approved application it belongs to). */
async function insertCertificate(partnerId: string, { type = 'ADVANCED_CLOUD_SOFTWARE', category = 'ADVANCED_CLOUD_SOFTWARE', validFrom = '2020-01-01', validTo = '2099-12-31' } = {}) {
  const id = randomUUID();
  const at = new Date();
  await env.prisma.certificationApplication.create({
    data: {
      id,
      partnerId,
      type,
      category,
      appliesTo: 'PARTNER',
      status: 'APPROVED',
      terms: {},
      createdBy: 'paths-test',
      createdAt: at,
      decidedAt: at,
      lastSeq: 0,
      updatedAt: at,
      certificate: {
        create: {
          number: `PF-TEST-${id}`,
          partnerId,
          type,
          category,
          labels: [],
          scope: 'partner',
          validFrom: day(validFrom),
          validTo: day(validTo),
          status: 'ACTIVE',
          issuedAt: at,
          updatedAt: at,
        },
      },
    },
  });
}

const changes = (partnerId: string) => env.prisma.pathMembershipChange.findMany({ where: { partnerId }, orderBy: { id: 'asc' } });

describe('development paths API', () => {
  it('GET /v1/paths: every path with levels, requirement items described, review settings and the consequence of failure', async () => {
    const { sales } = await setup();
    const res = await api('GET', '/v1/paths', sales);
    expectOk(res);
    expect(res.body.version).toEqual(expect.any(String));
    expect(res.body.items.map((p: { id: string }) => p.id)).toEqual(['SOFTWARE', 'CONSULTING_SI']);
    const software = res.body.items[0];
    expect(software).toMatchObject({ onFail: 'DOWNGRADE', review: { month: 3, day: 1, windowWorkingDays: 30, materials: ['ANNUAL_REPORT'] } });
    expect(software.levels.map((l: { level: string }) => l.level)).toEqual(['CERTIFIED', 'ADVANCED']);
    expect(software.levels[0].requirements).toEqual([
      { kind: 'ACTIVE_CERTIFICATES', category: 'ADVANCED_CLOUD_SOFTWARE', min: 1, description: 'at least 1 active ADVANCED_CLOUD_SOFTWARE certificate' },
      { kind: 'FULL_TIME_EXPERTS', min: 2, description: 'at least 2 full-time experts registered' },
    ]);
    expect(res.body.items[1].onFail).toBe('REMOVE');
    expectProblem(await api('GET', '/v1/paths'), 401);
  });

  it('the vendor sets a membership (one change row per real change), the partner reads it with its history, another partner gets 404', async () => {
    const { partnerId, base, owner, sales, manager, admin, staff, other } = await setup();
    expect((await api('GET', base, owner)).body).toEqual({ items: [] });

    const joined = await api('PUT', `${base}/SOFTWARE`, manager, { level: 'CERTIFIED', note: 'Signed the programme agreement' });
    expectOk(joined);
    expect(joined.body).toMatchObject({ partnerId, pathId: 'SOFTWARE', pathName: 'Software partner path', level: 'CERTIFIED', levelName: 'Certified software partner', currentReview: null });
    expect(joined.body.history).toEqual([
      { fromLevel: null, toLevel: 'CERTIFIED', reason: 'SET_BY_VENDOR', reviewId: null, levelRaiseId: null, actor: 'manager-pa', at: joined.body.since, note: 'Signed the programme agreement' },
    ]);

    // The same level again changes nothing and records nothing.
    const again = await api('PUT', `${base}/SOFTWARE`, admin, { level: 'CERTIFIED' });
    expectOk(again);
    expect(again.body.since).toBe(joined.body.since);
    expect(await changes(partnerId)).toHaveLength(1);

    const raised = await api('PUT', `${base}/SOFTWARE`, admin, { level: 'ADVANCED' });
    expectOk(raised);
    expect(raised.body.level).toBe('ADVANCED');
    expect(raised.body.since > joined.body.since).toBe(true);
    expect(raised.body.history.map((c: { fromLevel: string | null; toLevel: string }) => `${c.fromLevel}→${c.toLevel}`)).toEqual(['CERTIFIED→ADVANCED', 'null→CERTIFIED']);
    expectOk(await api('PUT', `${base}/CONSULTING_SI`, manager, { level: 'MEMBER' }));

    for (const token of [owner, sales, staff]) {
      const mine = await api('GET', base, token);
      expectOk(mine);
      expect(mine.body.items.map((m: { pathId: string; level: string }) => `${m.pathId}:${m.level}`)).toEqual(['CONSULTING_SI:MEMBER', 'SOFTWARE:ADVANCED']);
      expect(mine.body.items[1].history).toHaveLength(2);
    }
    expectProblem(await api('GET', base, other), 404, 'not-found');
    expectProblem(await api('PUT', `${base}/SOFTWARE`, owner, { level: 'CERTIFIED' }), 403, 'forbidden');
    expectProblem(await api('DELETE', `${base}/SOFTWARE`, owner), 403, 'forbidden');
    expectProblem(await api('PUT', `${base}/SOFTWARE`, staff, { level: 'CERTIFIED' }), 403, 'forbidden');

    const removed = await api('DELETE', `${base}/CONSULTING_SI?note=${encodeURIComponent('Left the programme')}`, admin);
    expectOk(removed);
    expect(removed.body.items.map((m: { pathId: string }) => m.pathId)).toEqual(['SOFTWARE']);
    expectOk(await api('DELETE', `${base}/CONSULTING_SI`, admin)); // not a member any more: nothing to record
    const rows = await changes(partnerId);
    expect(rows.map((c) => `${c.pathId} ${c.fromLevel}→${c.toLevel} ${c.reason} ${c.actor} ${c.note}`)).toEqual([
      'SOFTWARE null→CERTIFIED SET_BY_VENDOR manager-pa Signed the programme agreement',
      'SOFTWARE CERTIFIED→ADVANCED SET_BY_VENDOR admin-pa null',
      'CONSULTING_SI null→MEMBER SET_BY_VENDOR manager-pa null',
      'CONSULTING_SI MEMBER→null SET_BY_VENDOR admin-pa Left the programme',
    ]);
    // Audited like every other state-changing route.
    const audited = await env.prisma.auditLog.findMany({ where: { action: { startsWith: 'PUT /v1/partners/:partnerId/paths' }, actor: 'manager-pa' } });
    expect(audited.length).toBeGreaterThanOrEqual(2);
  });

  it('requirements are evaluated live: every unmet item with actual vs required, then met after experts and a certificate; another level on request', async () => {
    const { partnerId, base, owner, manager, staff, other } = await setup();
    const requirements = `${base}/SOFTWARE/requirements`;
    const notMember = await api('GET', requirements, owner);
    expectProblem(notMember, 409, 'not-a-member');
    expect(notMember.body.levels).toEqual(['CERTIFIED', 'ADVANCED']);

    const preview = await api('GET', `${requirements}?level=CERTIFIED`, owner);
    expectOk(preview);
    expect(preview.body).toMatchObject({ partnerId, pathId: 'SOFTWARE', level: 'CERTIFIED', levelName: 'Certified software partner', currentLevel: null, allMet: false });
    expect([DateTime.now().setZone(ZONE).minus({ minutes: 1 }).toISODate(), DateTime.now().setZone(ZONE).toISODate()]).toContain(preview.body.today);
    expect(preview.body.items.map((i: { description: string; required: number; actual: number; met: boolean }) => [i.description, i.required, i.actual, i.met])).toEqual([
      ['at least 1 active ADVANCED_CLOUD_SOFTWARE certificate', 1, 0, false],
      ['at least 2 full-time experts registered', 2, 0, false],
    ]);
    expect(preview.body.items[0].requirement).toEqual({ kind: 'ACTIVE_CERTIFICATES', category: 'ADVANCED_CLOUD_SOFTWARE', min: 1 });

    expectOk(await api('PUT', `${base}/SOFTWARE`, manager, { level: 'CERTIFIED' }));
    await attestExpert(env.prisma, partnerId, await insertExpert(env.prisma, partnerId, { employeeId: 'E1' }));
    await attestExpert(env.prisma, partnerId, await insertExpert(env.prisma, partnerId, { employeeId: 'E2' }));
    await insertCertificate(partnerId, { validFrom: '2020-01-01', validTo: '2021-12-31' }); // expired: does not count
    const half = await api('GET', requirements, owner);
    expectOk(half);
    expect(half.body).toMatchObject({ level: 'CERTIFIED', currentLevel: 'CERTIFIED', allMet: false });
    expect(half.body.items.map((i: { actual: number; met: boolean }) => [i.actual, i.met])).toEqual([
      [0, false],
      [2, true],
    ]);

    await insertCertificate(partnerId);
    const met = await api('GET', requirements, staff);
    expectOk(met);
    expect(met.body.allMet).toBe(true);
    expect(met.body.items.map((i: { actual: number; met: boolean }) => [i.actual, i.met])).toEqual([
      [1, true],
      [2, true],
    ]);

    // What the next level needs.
    const next = await api('GET', `${requirements}?level=ADVANCED`, owner);
    expectOk(next);
    expect(next.body).toMatchObject({ level: 'ADVANCED', currentLevel: 'CERTIFIED', allMet: false });
    expect(next.body.items.map((i: { description: string; required: number; actual: number; met: boolean }) => [i.description, i.required, i.actual, i.met])).toEqual([
      ['at least 2 active ADVANCED_CLOUD_SOFTWARE certificates', 2, 1, false],
      ['at least 3 experts holding a valid CLOUD_PROFESSIONAL certification', 3, 2, false],
    ]);
    expectProblem(await api('GET', requirements, other), 404, 'not-found');
  });

  it('refusals: unknown path 404, unknown level 422 naming level, malformed or unknown fields 400 naming them', async () => {
    const { base, owner, manager } = await setup();
    expectProblem(await api('GET', `${base}/PLATFORM/requirements?level=CERTIFIED`, owner), 404, 'not-found');
    expectProblem(await api('PUT', `${base}/PLATFORM`, manager, { level: 'CERTIFIED' }), 404, 'not-found');
    expectProblem(await api('DELETE', `${base}/PLATFORM`, manager), 404, 'not-found');

    const unknownLevel = await api('GET', `${base}/SOFTWARE/requirements?level=PLATINUM`, owner);
    expectProblem(unknownLevel, 422, 'unknown-level');
    expect(fields(unknownLevel)).toEqual(['level']);
    expect(unknownLevel.body.detail).toContain('CERTIFIED, ADVANCED');
    const putUnknown = await api('PUT', `${base}/SOFTWARE`, manager, { level: 'PLATINUM' });
    expectProblem(putUnknown, 422, 'unknown-level');
    expect(fields(putUnknown)).toEqual(['level']);

    const lower = await api('GET', `${base}/SOFTWARE/requirements?level=gold`, owner);
    expectProblem(lower, 400, 'validation-error');
    expect(fields(lower)).toEqual(['query.level']);
    expect(fields(await api('GET', `${base}/SOFTWARE/requirements?level=CERTIFIED&since=2020`, owner))).toEqual(['query.since']);
    expect(fields(await api('GET', `${base}/software/requirements`, owner))).toEqual(['path.pathId']);
    expect(fields(await api('PUT', `${base}/SOFTWARE`, manager, { level: 'CERTIFIED', reason: 'x' }))).toEqual(['reason']);
    expect(fields(await api('PUT', `${base}/SOFTWARE`, manager, {}))).toEqual(['level']);
    expect(fields(await api('PUT', `${base}/SOFTWARE`, manager, { level: 'CERTIFIED', note: 'a\u0000b' }))).toEqual(['note']);
    expect(fields(await api('DELETE', `${base}/SOFTWARE?note=`, manager))).toEqual(['query.note']);
    expect(fields(await api('DELETE', `${base}/SOFTWARE`, manager, { note: 'in the body' }))).toEqual(['(body)']);
    expect(await env.prisma.pathMembership.count({ where: { partnerId: base.split('/')[3]! } })).toBe(0);
  });
});
