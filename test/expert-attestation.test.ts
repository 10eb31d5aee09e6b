/**
 * Facts that earn money or rank are not the partner's to assert (api/experts/client.ts, platform/partner-facts.ts),
 * on the real stack (API + PostgreSQL; the incentive generation and certification prerequisites through their real
 * activities, path requirements through the API): registeredOn is the server's; an expert's full-time status and
 * certifications count nowhere until the vendor attests them, per fact; a partner change withdraws the changed fact
 * until attested again; an attestation of facts that are not so now is 409 and attests nothing; only expert.attest
 * holders attest, and only an expert of the partner in the path; every step is in the expert's history.
 */
import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { createCertificationActivities } from '../activities/certification.js';
import { createIncentiveActivities } from '../activities/incentive.js';
import { type Call, tokenFor } from './support/app.js';
import { ZONE } from './support/calendar.js';
import { expectProblem, fields, useTestEnv } from './support/env.js';

const env = useTestEnv({ taskQueue: 'expert-attestation-test', server: 'dev', api: true });
const { api } = env;
const ok = (res: Call, status = 200) => {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  return res.body;
};

const CP = { type: 'CLOUD_PROFESSIONAL', validFrom: '2019-01-01', validTo: '2099-12-31' }; // backdated to 2019
const CE = { type: 'CLOUD_EXPERT', validFrom: '2019-01-01', validTo: '2099-12-31' };
/** Months after this one (Asia/Shanghai): each generation below gets a month of its own, all after registeredOn. */
const monthAhead = (n: number) => DateTime.now().setZone(ZONE).plus({ months: n }).toFormat('yyyy-MM');

async function organization() {
  const partnerId = `P-at-${randomUUID().slice(0, 8)}`;
  return {
    partnerId,
    base: `/v1/partners/${partnerId}/experts`,
    owner: await tokenFor(['partner_admin'], partnerId, `${partnerId}-owner`),
    attester: await tokenFor(['vendor_ecosystem_manager'], undefined, 'vendor-attester'),
  };
}

/** What counts now: incentive lines of a fresh month, certification prerequisites and the SOFTWARE CERTIFIED requirements. */
async function counted(partnerId: string, month: number) {
  const generated = await createIncentiveActivities({ prisma: env.prisma, calendarFor: env.calendarFor }).generateIncentive({ partnerId, period: monthAhead(month), generatedAt: new Date().toISOString() });
  const certification = createCertificationActivities({ prisma: env.prisma, calendarFor: env.calendarFor });
  const actual = async (type: string) => (await certification.checkCertificationPrerequisites({ partnerId, type, at: new Date().toISOString() })).results.map((r) => r.actual);
  const path = ok(await api('GET', `/v1/partners/${partnerId}/paths/SOFTWARE/requirements?level=CERTIFIED`, await tokenFor(['vendor_staff'])));
  return {
    lines: generated.lines.map((l) => [l.employeeId, l.amountMinor]),
    cloudProfessionals: (await actual('ADVANCED_CLOUD_SOFTWARE'))[0], // at least 2 experts holding CLOUD_PROFESSIONAL
    roleConsulting: await actual('ROLE_CONSULTING'), // [full-time experts, experts holding CLOUD_EXPERT]
    fullTimeForPath: path.items[1].actual as number, // at least 2 full-time experts registered
  };
}

const snapshotDb = async () =>
  JSON.stringify(
    [await env.prisma.expert.findMany({ orderBy: { id: 'asc' }, include: { certifications: { orderBy: { id: 'asc' } } } }), await env.prisma.expertChange.count()],
    (_, v) => (typeof v === 'bigint' ? String(v) : v),
  );

describe('expert attestation', () => {
  it('self-asserted, backdated facts count nowhere; attested they count; a partner change withdraws that fact until attested again', async () => {
    const { partnerId, base, owner, attester } = await organization();
    const today = DateTime.now().setZone(ZONE);
    const body = { fullTime: true, fullTimeSince: '2019-01-01', certifications: [CP] };
    const a = ok(await api('POST', base, owner, { ...body, employeeId: 'A', name: 'Expert A' }), 201);
    const b = ok(await api('POST', base, owner, { ...body, employeeId: 'B', name: 'Expert B' }), 201);
    expect([today.minus({ minutes: 1 }).toISODate(), today.toISODate()]).toContain(a.registeredOn); // the server's date, not the partner's
    expect(a.attested).toEqual({ fullTime: null, certifications: [] });

    // 1. Only the partner's word: nothing earns, nothing meets a prerequisite or requirement.
    expect(await counted(partnerId, 1)).toEqual({ lines: [], cloudProfessionals: 0, roleConsulting: [0, 0], fullTimeForPath: 0 });

    // 2. The vendor attests A entirely and only B's certification.
    const attestedA = ok(await api('POST', `${base}/${a.id}/attestation`, attester, { fullTimeSince: '2019-01-01', certifications: [CP] }));
    expect(attestedA.attested).toEqual({
      fullTime: { since: '2019-01-01', attestedAt: expect.any(String), attestedBy: 'vendor-attester' },
      certifications: [{ ...CP, attestedAt: attestedA.attested.fullTime.attestedAt, attestedBy: 'vendor-attester' }],
    });
    ok(await api('POST', `${base}/${b.id}/attestation`, attester, { certifications: [CP] }));
    expect(await counted(partnerId, 2)).toEqual({ lines: [['A', 100000]], cloudProfessionals: 2, roleConsulting: [1, 0], fullTimeForPath: 1 });

    // 3. Partner edits: A's since-date (further back) withdraws A's full-time status only; B's new certification comes
    //    unattested while its unchanged one stays attested (per fact).
    const editedA = ok(await api('PATCH', `${base}/${a.id}`, owner, { fullTimeSince: '2018-06-01' }));
    expect(editedA.attested).toEqual({ fullTime: null, certifications: [expect.objectContaining(CP)] });
    const editedB = ok(await api('PATCH', `${base}/${b.id}`, owner, { certifications: [CP, CE] }));
    expect(editedB.attested.certifications.map((c: { type: string }) => c.type)).toEqual(['CLOUD_PROFESSIONAL']);
    expect(await counted(partnerId, 3)).toEqual({ lines: [], cloudProfessionals: 2, roleConsulting: [0, 0], fullTimeForPath: 0 });
    // A changed validity is another certification: unattested.
    ok(await api('PATCH', `${base}/${a.id}`, owner, { certifications: [{ ...CP, validTo: '2098-12-31' }] }));
    expect((await counted(partnerId, 4)).cloudProfessionals).toBe(1);

    // 4. The vendor attests what it checked before the edit: 409 naming each fact that differs, nothing attested.
    const before = await snapshotDb();
    const stale = await api('POST', `${base}/${a.id}/attestation`, attester, { fullTimeSince: '2019-01-01', certifications: [CP] });
    expectProblem(stale, 409, 'expert-changed');
    expect(fields(stale)).toEqual(['fullTimeSince', 'certifications.0']);
    expect(stale.body.current).toEqual({ fullTime: true, fullTimeSince: '2018-06-01', certifications: [{ ...CP, validTo: '2098-12-31' }] });
    expect(await snapshotDb()).toBe(before);

    // 5. Attested again as it is now: it counts again.
    ok(await api('POST', `${base}/${a.id}/attestation`, attester, { fullTimeSince: '2018-06-01', certifications: [{ ...CP, validTo: '2098-12-31' }] }));
    ok(await api('POST', `${base}/${b.id}/attestation`, attester, { fullTimeSince: '2019-01-01', certifications: [CE] }));
    expect(await counted(partnerId, 5)).toEqual({ lines: [['A', 100000], ['B', 300000]], cloudProfessionals: 2, roleConsulting: [2, 1], fullTimeForPath: 2 });
    // Attesting what is attested already changes nothing and records nothing.
    const again = await snapshotDb();
    ok(await api('POST', `${base}/${b.id}/attestation`, attester, { certifications: [CE, CP] }));
    expect(await snapshotDb()).toBe(again);

    // 6. Every step is in A's history, in order, with what was attested or withdrawn.
    const history = await env.prisma.expertChange.findMany({ where: { expertId: a.id }, orderBy: { seq: 'asc' } });
    expect(history.map((r) => [r.seq, (r.change as { kind: string }).kind, r.actor])).toEqual([
      [1, 'created', `${partnerId}-owner`],
      [2, 'attested', 'vendor-attester'],
      [3, 'updated', `${partnerId}-owner`],
      [4, 'updated', `${partnerId}-owner`],
      [5, 'attested', 'vendor-attester'],
    ]);
    expect(history[1]!.change).toEqual({
      kind: 'attested',
      before: { attested: { fullTimeSince: null, certifications: [] } },
      after: { attested: { fullTimeSince: '2019-01-01', certifications: [CP] } },
    });
    expect(history[2]!.change).toEqual({
      kind: 'updated',
      before: { fullTimeSince: '2019-01-01', attested: { fullTimeSince: '2019-01-01', certifications: [CP] } },
      after: { fullTimeSince: '2018-06-01', attested: { fullTimeSince: null, certifications: [CP] } },
    });
    expect(history[3]!.change).toMatchObject({ before: { attested: { certifications: [CP] } }, after: { attested: { certifications: [] } } });
    expect(history[4]!.change).toMatchObject({ after: { attested: { fullTimeSince: '2018-06-01', certifications: [{ ...CP, validTo: '2098-12-31' }] } } });
  });

  it('only expert.attest holders attest (partner_admin 403), only an expert of the partner in the path (404); refusals change nothing', async () => {
    const { partnerId, base, owner, attester } = await organization();
    const expert = ok(await api('POST', base, owner, { employeeId: 'A', name: 'Expert A', fullTime: true, fullTimeSince: '2019-01-01', certifications: [CP] }), 201);
    const facts = { fullTimeSince: '2019-01-01', certifications: [CP] };
    const other = await organization();
    const before = await snapshotDb();
    expectProblem(await api('POST', `${base}/${expert.id}/attestation`, owner, facts), 403);
    expectProblem(await api('POST', `${base}/${expert.id}/attestation`, await tokenFor(['partner_admin'], other.partnerId), facts), 403);
    expectProblem(await api('POST', `${base}/${expert.id}/attestation`, await tokenFor(['vendor_staff']), facts), 403);
    expectProblem(await api('POST', `${base}/${expert.id}/attestation`, undefined, facts), 401);
    // This partner's expert under another partner's path, or no such expert: 404.
    expectProblem(await api('POST', `${other.base}/${expert.id}/attestation`, attester, facts), 404);
    expectProblem(await api('POST', `${base}/${randomUUID()}/attestation`, attester, facts), 404);
    // The body names at least one fact, each well formed, and nothing else.
    const invalid: [unknown, string][] = [
      [{}, '(body)'],
      [{ certifications: [] }, 'certifications'],
      [{ fullTimeSince: '2019-02-30' }, 'fullTimeSince'],
      [{ certifications: [{ ...CP, type: 'ASTROLOGER' }] }, 'certifications.0.type'],
      [{ ...facts, fullTime: true }, 'fullTime'],
    ];
    for (const [body, field] of invalid) {
      const res = await api('POST', `${base}/${expert.id}/attestation`, attester, body);
      expectProblem(res, 400, 'validation-error');
      expect(fields(res), JSON.stringify(body)).toContain(field);
    }
    expect(await snapshotDb()).toBe(before);
    expect((await counted(partnerId, 1)).lines).toEqual([]);

    // vendor_admin holds expert.attest too.
    const attested = ok(await api('POST', `${base}/${expert.id}/attestation`, await tokenFor(['vendor_admin'], undefined, 'vendor-admin'), facts));
    expect(attested.attested.fullTime).toMatchObject({ since: '2019-01-01', attestedBy: 'vendor-admin' });
  });
});
