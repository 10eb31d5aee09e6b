/**
 * Per-partner quotas on the real stack (API + worker + Temporal dev server + PostgreSQL), with small limits given
 * through the app's deps: open applications (certification applications not yet decided, path reviews applied in and
 * not yet decided) and stored bytes (every file of the partner). A refusal is 422 quota-exceeded naming the quota, the
 * limit, the current use and the field; it changes nothing, and concurrent requests cannot pass the quota together.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type Call, tokenFor } from './support/app.js';
import { expectOk, useTestEnv } from './support/env.js';
import { attestExpert, insertExpert } from './support/experts.js';
import { eventually } from './support/wait.js';

const QUOTAS = { webhookEndpoints: 10, openApplications: 3, storedBytes: 1000 };
/** The cycle year of this file's path reviews (other files use others). */
const YEAR = 2023;
const env = useTestEnv({ taskQueue: 'quotas-test', server: 'dev', api: { quotas: QUOTAS } });
const { api } = env;

function expectQuota(res: Call, quota: string, limit: number, used: number, field: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(422);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ type: 'urn:partnerflow:problem:quota-exceeded', status: 422, quota, limit, used });
  expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
}

async function partner(tag: string) {
  const partnerId = `P-q${tag}-${randomUUID().slice(0, 8)}`;
  return { partnerId, owner: await tokenFor(['partner_admin'], partnerId, `${partnerId}-owner`) };
}

const draft = (owner: string, headers?: Record<string, string>) => api('POST', '/v1/certifications', owner, { type: 'ROLE_CONSULTING' }, headers);

/** A certification application in `status`, straight through Prisma (what its workflow would have persisted). */
async function insertApplication(partnerId: string, status: string) {
  const at = new Date();
  await env.prisma.certificationApplication.create({
    data: { id: randomUUID(), partnerId, type: 'ROLE_CONSULTING', category: 'ROLE', appliesTo: 'PARTNER', status, terms: {}, createdBy: 'quotas-test', createdAt: at, lastSeq: 0, updatedAt: at },
  });
}

/** A path review in `status`, straight through Prisma; each of a partner's in its own year. */
async function insertReview(partnerId: string, status: string, year: number) {
  const at = new Date();
  await env.prisma.pathReview.create({
    data: {
      id: `SOFTWARE-${partnerId}-${year}`,
      pathId: 'SOFTWARE',
      partnerId,
      year,
      level: 'CERTIFIED',
      status,
      terms: {},
      cycleStartedAt: at,
      openedAt: at,
      windowEndsAt: at,
      reminderTimes: [],
      lastSeq: 0,
      updatedAt: at,
    },
  });
}

const openApplicationsOf = (partnerId: string) => env.prisma.certificationApplication.count({ where: { partnerId } });
const keys = () => env.prisma.idempotencyKey.count();

/** A PDF of exactly `size` bytes, different for every `seed`. */
function pdf(size: number, seed: string): Buffer {
  const head = `%PDF-1.4\n%${seed}\n`;
  const tail = '\n%%EOF\n';
  return Buffer.from(head + 'x'.repeat(size - head.length - tail.length) + tail);
}
const upload = (id: string, token: string, bytes: Buffer, name = 'file.pdf') =>
  api('POST', `/v1/certifications/${id}/files`, token, bytes, { 'content-type': 'application/pdf', 'content-disposition': `attachment; filename="${name}"` });
const storedBytesOf = async (partnerId: string) => (await env.prisma.material.aggregate({ where: { partnerId }, _sum: { size: true } }))._sum.size ?? 0;

describe('open applications quota', () => {
  it('counts undecided applications only; past it a new draft is refused and changes nothing; an idempotent retry is not refused', async () => {
    const { partnerId, owner } = await partner('a');
    // Decided applications and reviews not applied in (OPEN) or decided do not count.
    for (const status of ['APPROVED', 'REJECTED', 'WITHDRAWN_BY_TIMEOUT', 'EXPIRED']) await insertApplication(partnerId, status);
    for (const [i, status] of ['OPEN', 'PASSED', 'FAILED', 'LAPSED'].entries()) await insertReview(partnerId, status, 2001 + i);
    const key = randomUUID();
    const first = await draft(owner, { 'Idempotency-Key': key });
    expectOk(first, 201);
    expectOk(await draft(owner), 201);
    expectOk(await draft(owner), 201);

    const before = { applications: await openApplicationsOf(partnerId), keys: await keys() };
    expectQuota(await draft(owner), 'openApplications', 3, 3, 'type');
    expectQuota(await draft(owner, { 'Idempotency-Key': randomUUID() }), 'openApplications', 3, 3, 'type');
    expect({ applications: await openApplicationsOf(partnerId), keys: await keys() }).toEqual(before);
    // The retry of a request that already opened its application opens nothing new: it answers the first result.
    const retry = await draft(owner, { 'Idempotency-Key': key });
    expectOk(retry, 201);
    expect(retry.body.id).toBe(first.body.id);
  });

  it('reviews applied in and not decided count, and so does every undecided certification status', async () => {
    const { partnerId, owner } = await partner('b');
    await insertReview(partnerId, 'APPLIED', 2001);
    await insertReview(partnerId, 'SUBMITTED', 2002);
    expectOk(await draft(owner), 201);
    expectQuota(await draft(owner), 'openApplications', 3, 3, 'type');

    const other = await partner('c');
    await insertReview(other.partnerId, 'SUPPLEMENT_REQUESTED', 2001);
    for (const status of ['SUBMITTED', 'IN_REVIEW']) await insertApplication(other.partnerId, status);
    expectQuota(await draft(other.owner), 'openApplications', 3, 3, 'type');
  });

  it('concurrent drafts cannot pass the quota together', async () => {
    const { partnerId, owner } = await partner('d');
    const results = await Promise.all(Array.from({ length: 6 }, () => draft(owner)));
    expect(results.map((r) => r.status).sort()).toEqual([201, 201, 201, 422, 422, 422]);
    for (const refused of results.filter((r) => r.status === 422)) expectQuota(refused, 'openApplications', 3, 3, 'type');
    expect(await openApplicationsOf(partnerId)).toBe(3);
  });

  it("applying in a path review opens an application: refused past the quota (the review stays OPEN), counted once applied", async () => {
    const full = await partner('e');
    const room = await partner('f');
    const admin = await tokenFor(['vendor_admin'], undefined, 'admin-quotas');
    const manager = await tokenFor(['vendor_ecosystem_manager'], undefined, 'manager-quotas');
    for (const p of [full, room]) expectOk(await api('PUT', `/v1/partners/${p.partnerId}/paths/SOFTWARE`, admin, { level: 'CERTIFIED' }));
    expectOk(await api('POST', '/v1/admin/path-reviews', manager, { pathId: 'SOFTWARE', year: YEAR }), 202);
    const reviewOf = (p: { partnerId: string }) => `SOFTWARE-${p.partnerId}-${YEAR}`;
    for (const p of [full, room]) {
      await eventually(async () => ((await api('GET', `/v1/path-reviews/${reviewOf(p)}`, p.owner)).body?.status === 'OPEN' ? true : undefined));
      // What SOFTWARE / CERTIFIED asks: an ACTIVE ADVANCED_CLOUD_SOFTWARE certificate and 2 full-time experts.
      for (const employeeId of ['E1', 'E2']) await attestExpert(env.prisma, p.partnerId, await insertExpert(env.prisma, p.partnerId, { employeeId }));
      await insertCertificate(p.partnerId);
    }

    for (let i = 0; i < 3; i++) expectOk(await draft(full.owner), 201);
    const before = await env.prisma.pathReview.findUniqueOrThrow({ where: { id: reviewOf(full) }, include: { events: true } });
    expectQuota(await api('POST', `/v1/path-reviews/${reviewOf(full)}/apply`, full.owner), 'openApplications', 3, 3, 'id');
    expect(await env.prisma.pathReview.findUniqueOrThrow({ where: { id: reviewOf(full) }, include: { events: true } })).toEqual(before);

    for (let i = 0; i < 2; i++) expectOk(await draft(room.owner), 201);
    const applied = await api('POST', `/v1/path-reviews/${reviewOf(room)}/apply`, room.owner);
    expectOk(applied);
    expect(applied.body.status).toBe('APPLIED');
    expectQuota(await draft(room.owner), 'openApplications', 3, 3, 'type');
  });
});

/** An ACTIVE ADVANCED_CLOUD_SOFTWARE certificate with the approved application it belongs to, straight through Prisma. */
async function insertCertificate(partnerId: string) {
  const id = randomUUID();
  const at = new Date();
  const type = 'ADVANCED_CLOUD_SOFTWARE';
  await env.prisma.certificationApplication.create({
    data: { id, partnerId, type, category: type, appliesTo: 'PARTNER', status: 'APPROVED', terms: {}, createdBy: 'quotas-test', createdAt: at, decidedAt: at, lastSeq: 0, updatedAt: at },
  });
  const day = (s: string) => new Date(`${s}T00:00:00Z`);
  await env.prisma.certificate.create({
    data: { number: `PF-Q-${id}`, applicationId: id, partnerId, type, category: type, labels: [], scope: 'partner', validFrom: day('2020-01-01'), validTo: day('2099-12-31'), status: 'ACTIVE', issuedAt: at, updatedAt: at },
  });
}

describe('stored bytes quota', () => {
  it("counts every file of the partner; the upload past it is refused and changes nothing; the same bytes again and exactly the limit pass", async () => {
    const { partnerId, owner } = await partner('g');
    const [a, b] = [(await draft(owner)).body.id as string, (await draft(owner)).body.id as string];
    expectOk(await upload(a, owner, pdf(400, 'one')), 201);
    expectOk(await upload(b, owner, pdf(400, 'two')), 201); // another application of the same partner: 800 bytes
    const before = { bytes: await storedBytesOf(partnerId), files: await env.prisma.material.count({ where: { partnerId } }), keys: await keys() };
    expectQuota(await upload(a, owner, pdf(201, 'three')), 'storedBytes', 1000, 800, '(body)');
    expectQuota(await upload(b, owner, pdf(201, 'four'), 'four.pdf'), 'storedBytes', 1000, 800, '(body)');
    expectQuota(await api('POST', `/v1/certifications/${a}/files`, owner, pdf(300, 'five'), {
      'content-type': 'application/pdf',
      'content-disposition': 'attachment; filename="five.pdf"',
      'Idempotency-Key': randomUUID(),
    }), 'storedBytes', 1000, 800, '(body)');
    expect({ bytes: await storedBytesOf(partnerId), files: await env.prisma.material.count({ where: { partnerId } }), keys: await keys() }).toEqual(before);

    expectOk(await upload(a, owner, pdf(400, 'one')), 200); // already stored: nothing new
    expectOk(await upload(a, owner, pdf(200, 'six')), 201); // exactly the quota
    expect(await storedBytesOf(partnerId)).toBe(1000);
    // Another partner's files are its own.
    const other = await partner('h');
    expectOk(await upload((await draft(other.owner)).body.id, other.owner, pdf(1000, 'seven')), 201);
  });

  it('concurrent uploads to different applications cannot pass the quota together', async () => {
    const { partnerId, owner } = await partner('i');
    const ids = [(await draft(owner)).body.id, (await draft(owner)).body.id, (await draft(owner)).body.id] as string[];
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => upload(ids[i % 3]!, owner, pdf(400, `race-${i}`))));
    expect(results.map((r) => r.status).sort()).toEqual([201, 201, 422, 422, 422, 422]);
    for (const refused of results.filter((r) => r.status === 422)) expectQuota(refused, 'storedBytes', 1000, 800, '(body)');
    expect(await storedBytesOf(partnerId)).toBe(800);
  });
});
