/**
 * The incentive HTTP API end to end: real Express app, real worker, Temporal's time-skipping test server, real
 * PostgreSQL. Experts are registered through the API; incentive workflows are started directly (the monthly
 * schedule is built elsewhere). List/get with partner isolation, material uploads (type checked by content, size,
 * file name, idempotent bytes, cap) and downloads, verify (mismatch, materials, settlement once), objection →
 * resolution → verify, rejected objection, and the deadline.
 */
import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import { beforeAll, describe, expect, it } from 'vitest';
import { MATERIAL_MAX_BYTES } from '../api/kit/materials.js';
import { incentiveWorkflow, incentiveWorkflowId } from '../workflows/incentive/workflow.js';
import { type Call, tokenFor } from './support/app.js';
import { ZONE } from './support/calendar.js';
import { JPEG, PDF, PNG, useTestEnv } from './support/env.js';
import { PLAIN_WEEK, referenceDeadline } from './support/reference-deadline.js';
import { attestExpert, insertExpert } from './support/experts.js';

const taskQueue = 'incentive-api-test';
const env = useTestEnv({ taskQueue, api: true });
const { api } = env;
/** The month before the server's clock at start, and the one before it: the incentives' periods. */
let period: string;
let earlier: string;

beforeAll(async () => {
  const now = DateTime.fromMillis(await env.currentTimeMs(), { zone: ZONE });
  period = now.minus({ months: 1 }).toFormat('yyyy-MM');
  earlier = now.minus({ months: 2 }).toFormat('yyyy-MM');
});

const pdfNo = (n: number) => Buffer.concat([PDF, Buffer.from(`% copy ${n}\n`)]);

function expectProblem(res: Call, status: number, type?: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, type: expect.stringMatching(/^urn:partnerflow:problem:/), title: expect.any(String) });
  if (type) expect(res.body.type).toBe(`urn:partnerflow:problem:${type}`);
}
const fields = (res: Call) => (res.body.errors as { field: string }[]).map((e) => e.field);

/** A partner with two qualifying experts (100000 + 300000 CNY) and one that does not qualify. */
async function partnerWithExperts() {
  const partnerId = `P-ia-${randomUUID().slice(0, 8)}`;
  const owner = await tokenFor(['partner_admin'], partnerId, `${partnerId}-owner`);
  const expertIds: string[] = [];
  // Registered long before the month (registeredOn is the server's stamp through the API), attested by the vendor.
  for (const [employeeId, certification] of [['E1', 'CLOUD_PROFESSIONAL'], ['E2', 'CLOUD_EXPERT'], ['E3', 'CLOUD_ASSOCIATE']] as const) {
    expertIds.push(await attestExpert(env.prisma, partnerId, await insertExpert(env.prisma, partnerId, { employeeId, certification })));
  }
  return { partnerId, owner, finance: await tokenFor(['partner_finance'], partnerId, `${partnerId}-finance`), experts: expertIds };
}

/** Starts the month's workflow directly, as the schedule will, and waits until the incentive is generated. */
async function generated(partnerId: string, month = period) {
  await env.client.workflow.start(incentiveWorkflow, { workflowId: incentiveWorkflowId(partnerId, month), taskQueue, args: [{ partnerId, period: month }] });
  const id = `${partnerId}-${month}`;
  for (const until = Date.now() + 10_000; Date.now() < until; await new Promise((r) => setTimeout(r, 50))) {
    if (await env.prisma.incentive.findUnique({ where: { id } })) return id;
  }
  throw new Error(`incentive ${id} was not generated`);
}

async function setup() {
  const p = await partnerWithExperts();
  return { ...p, id: await generated(p.partnerId), vendor: await tokenFor(['vendor_admin'], undefined, 'vendor-admin-ia'), other: await tokenFor(['partner_admin'], `P-ia-other-${randomUUID().slice(0, 6)}`) };
}

const upload = (id: string, token: string | undefined, bytes: Buffer, type = 'application/pdf', fileName = 'roster.pdf', headers: Record<string, string> = {}) =>
  api('POST', `/v1/incentives/${id}/materials`, token, bytes, { 'content-type': type, 'content-disposition': `attachment; filename="${fileName}"`, ...headers });

const materialCount = (id: string) => env.prisma.material.count({ where: { ownerKind: 'incentive', ownerId: id } });

describe('incentive API', () => {
  it('lists and shows incentives; another partner gets 404 and an empty list', async () => {
    const { partnerId, owner, finance, id, vendor, other, experts } = await setup();
    const older = await generated(partnerId, earlier);

    const shown = await api('GET', `/v1/incentives/${id}`, finance);
    expect(shown.status, JSON.stringify(shown.body)).toBe(200);
    expect(shown.body).toMatchObject({
      id,
      partnerId,
      period,
      status: 'PENDING_VERIFICATION',
      headcount: 2,
      totalMinor: 400000,
      currency: 'CNY',
      materials: [],
      settlement: null,
      objection: null,
      deadlineExplanation: { workingDays: 14, zone: ZONE },
    });
    expect(shown.body.lines.map((l: { expertId: string; amountMinor: number }) => [l.expertId, l.amountMinor])).toEqual([
      [experts[0], 100000],
      [experts[1], 300000],
    ]);
    expect(shown.body.history.map((e: { type: string }) => e.type)).toEqual(['GENERATED']);
    // 14 working days from generation in the plain test calendar, by the independent day-by-day reference.
    expect(shown.body.verificationDeadline).toBe(new Date(referenceDeadline(Date.parse(shown.body.generatedAt), 14, PLAIN_WEEK)).toISOString());
    // The same instant, in the partner's zone.
    expect(Date.parse(shown.body.local.verificationDeadline)).toBe(Date.parse(shown.body.verificationDeadline));
    expect(shown.body.local.verificationDeadline).toMatch(/\+08:00$/);

    expectProblem(await api('GET', `/v1/incentives/${id}`, other), 404, 'not-found');
    expectProblem(await api('GET', `/v1/incentives/${partnerId}-1999-01`, owner), 404);
    expectProblem(await api('GET', '/v1/incentives/not-an-incentive', owner), 400);
    expect((await api('GET', `/v1/incentives/${id}`, vendor)).status).toBe(200);

    const mine = await api('GET', '/v1/incentives?limit=1', owner);
    expect(mine.status).toBe(200);
    expect(mine.body.items.map((i: { id: string }) => i.id)).toEqual([older]); // newest generated first
    const next = await api('GET', `/v1/incentives?limit=1&cursor=${mine.body.nextCursor}`, owner);
    expect(next.body.items.map((i: { id: string }) => i.id)).toEqual([id]);
    expect(next.body.nextCursor).toBeNull();
    expect((await api('GET', `/v1/incentives?period=${period}`, owner)).body.items.map((i: { id: string }) => i.id)).toEqual([id]);
    expect((await api('GET', '/v1/incentives', other)).body.items).toEqual([]);
    expect((await api('GET', `/v1/incentives?partnerId=${partnerId}`, other)).body).toEqual({ items: [], nextCursor: null });
    const byVendor = await api('GET', `/v1/incentives?partnerId=${partnerId}&status=PENDING_VERIFICATION`, vendor);
    expect(byVendor.body.items.map((i: { id: string }) => i.id).sort()).toEqual([id, older].sort());
    expectProblem(await api('GET', '/v1/incentives?period=2026-13', owner), 400);
    expectProblem(await api('GET', '/v1/incentives?cursor=garbage', owner), 400);
    expectProblem(await api('GET', '/v1/incentives', await tokenFor(['partner_sales'], partnerId)), 403);
  });

  it('uploads materials checked by content, size and name; the same bytes again are the same material; downloads them', async () => {
    const { owner, finance, id, vendor, other } = await setup();

    const pdf = await upload(id, owner, PDF, 'application/pdf', 'roster 2026.pdf', { 'idempotency-key': 'upload-1' });
    expect(pdf.status, JSON.stringify(pdf.body)).toBe(201);
    expect(pdf.body).toMatchObject({ fileName: 'roster 2026.pdf', contentType: 'application/pdf', size: PDF.length, uploadedBy: `${id.slice(0, -8)}-owner` });
    expect(pdf.body.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(pdf.headers.get('location')).toBe(`/v1/incentives/${id}/materials/${pdf.body.id}`);
    const again = await upload(id, finance, PDF, 'application/pdf', 'another name.pdf');
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(pdf.body.id);
    const png = await upload(id, finance, PNG, 'image/png', 'x.png', { 'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent('证书.png')}` });
    expect(png.status, JSON.stringify(png.body)).toBe(201);
    expect((await upload(id, finance, JPEG, 'image/jpeg; charset=binary', 'scan.jpg')).status).toBe(201);
    const unicode = await api('POST', `/v1/incentives/${id}/materials`, owner, pdfNo(1), {
      'content-type': 'application/pdf',
      'content-disposition': "attachment; filename*=UTF-8''%E5%90%8D%E5%8D%95.pdf",
    });
    expect(unicode.body.fileName).toBe('名单.pdf');
    expect(await materialCount(id)).toBe(4);

    // Refusals store nothing.
    expectProblem(await upload(id, owner, PNG, 'application/pdf'), 422, 'content-type-mismatch');
    expectProblem(await upload(id, owner, Buffer.from('MZ\x90\x00 not a pdf'), 'application/pdf'), 422, 'content-type-mismatch');
    expectProblem(await upload(id, owner, PDF, 'text/plain'), 415, 'unsupported-media-type');
    expectProblem(await api('POST', `/v1/incentives/${id}/materials`, owner, { file: 'json' }), 415);
    expectProblem(await upload(id, owner, Buffer.alloc(0)), 400);
    const tooLarge = await upload(id, owner, Buffer.concat([PDF, Buffer.alloc(MATERIAL_MAX_BYTES)]));
    expectProblem(tooLarge, 413, 'payload-too-large');
    expect(tooLarge.body.detail).toContain('10 MiB');
    for (const name of ['a/b.pdf', '..\\\\x.pdf', 'x'.repeat(201) + '.pdf', ' ']) {
      const bad = await upload(id, owner, pdfNo(2), 'application/pdf', name);
      expectProblem(bad, 400);
      expect(fields(bad)).toEqual(['Content-Disposition']);
    }
    for (const header of ["attachment; filename*=UTF-8''a%01b.pdf", "attachment; filename*=UTF-8''a%E2%80%AEfdp.exe", 'inline; filename="x.pdf"', 'attachment']) {
      expectProblem(await api('POST', `/v1/incentives/${id}/materials`, owner, pdfNo(2), { 'content-type': 'application/pdf', 'content-disposition': header }), 400);
    }
    expectProblem(await api('POST', `/v1/incentives/${id}/materials`, owner, pdfNo(2), { 'content-type': 'application/pdf' }), 400);
    expectProblem(await upload(id, owner, pdfNo(3), 'application/pdf', 'x.pdf', { 'idempotency-key': 'upload-1' }), 422, 'idempotency-key-reused');
    expectProblem(await upload(id, other, pdfNo(2)), 404);
    expectProblem(await upload(id, vendor, pdfNo(2)), 403);
    expectProblem(await upload(id, undefined, pdfNo(2)), 401);
    expect(await materialCount(id)).toBe(4);

    // Downloads: the owner partner and vendor staff, as an attachment of the checked type.
    for (const token of [owner, vendor]) {
      const file = await api('GET', `/v1/incentives/${id}/materials/${png.body.id}`, token);
      expect(file.status).toBe(200);
      expect(file.headers.get('content-type')).toBe('image/png');
      expect(file.headers.get('content-disposition')).toBe(`attachment; filename="??.png"; filename*=UTF-8''%E8%AF%81%E4%B9%A6.png`);
      expect(file.headers.get('x-content-type-options')).toBe('nosniff');
      expect(Buffer.compare(file.body as Buffer, PNG)).toBe(0);
    }
    expectProblem(await api('GET', `/v1/incentives/${id}/materials/${png.body.id}`, other), 404);
    expectProblem(await api('GET', `/v1/incentives/${id}/materials/${randomUUID()}`, owner), 404);
    const view = await api('GET', `/v1/incentives/${id}`, owner);
    expect(view.body.materials.map((m: { id: string }) => m.id)).toContain(png.body.id);

    // At most 20 per incentive.
    for (let n = 10; (await materialCount(id)) < 20; n++) expect((await upload(id, owner, pdfNo(n))).status).toBe(201);
    expectProblem(await upload(id, owner, pdfNo(99)), 409, 'material-limit-reached');
    expect((await upload(id, owner, PDF)).status).toBe(200); // a known file is still answered
    expect(await materialCount(id)).toBe(20);
  });

  it('verify: a mismatch names both differences; materials must be this incentive\'s; OK settles exactly once', async () => {
    const { owner, finance, id, partnerId, vendor } = await setup();
    const foreign = await setup();
    const mine = (await upload(id, owner, PDF)).body.id as string;
    const theirs = (await upload(foreign.id, foreign.owner, PDF)).body.id as string;

    const mismatch = await api('POST', `/v1/incentives/${id}/verify`, finance, { headcount: 3, totalMinor: 5000, materials: [mine] });
    expectProblem(mismatch, 422, 'list-mismatch');
    expect(mismatch.body.detail).toContain('headcount 3 ≠ list 2; total 5000 ≠ list 400000');
    expect(mismatch.body.errors).toEqual([
      { field: 'headcount', message: 'headcount 3 ≠ list 2' },
      { field: 'totalMinor', message: 'total 5000 ≠ list 400000' },
    ]);
    const onlyTotal = await api('POST', `/v1/incentives/${id}/verify`, finance, { headcount: 2, totalMinor: 5000, materials: [mine] });
    expect(fields(onlyTotal)).toEqual(['totalMinor']);
    const none = await api('POST', `/v1/incentives/${id}/verify`, finance, { headcount: 2, totalMinor: 400000, materials: [] });
    expectProblem(none, 422, 'materials-required');
    expect(fields(none)).toEqual(['materials']);
    const unknown = await api('POST', `/v1/incentives/${id}/verify`, finance, { headcount: 2, totalMinor: 400000, materials: [mine, theirs, randomUUID()] });
    expectProblem(unknown, 422, 'unknown-material');
    expect(fields(unknown)).toEqual(['materials.1', 'materials.2']);
    expect(fields(await api('POST', `/v1/incentives/${id}/verify`, finance, { headcount: 2, totalMinor: 400000, materials: [mine, mine] }))).toEqual(['materials.1']);
    expectProblem(await api('POST', `/v1/incentives/${id}/verify`, vendor, { headcount: 2, totalMinor: 400000, materials: [mine] }), 403);
    expectProblem(await api('POST', `/v1/incentives/${id}/verify`, foreign.owner, { headcount: 2, totalMinor: 400000, materials: [mine] }), 404);
    expect((await env.prisma.incentiveEvent.count({ where: { incentiveId: id } }))).toBe(1); // nothing entered history

    const verified = await api('POST', `/v1/incentives/${id}/verify`, finance, { headcount: 2, totalMinor: 400000, materials: [mine] });
    expect(verified.status, JSON.stringify(verified.body)).toBe(200);
    expect(verified.body).toMatchObject({ status: 'VERIFIED', settlement: { amountMinor: 400000, currency: 'CNY' } });
    const event = verified.body.history.at(-1);
    expect(event).toMatchObject({ type: 'VERIFIED', actor: `${partnerId}-finance` });
    expect(event.data.materials).toEqual([expect.objectContaining({ materialId: mine, fileName: 'roster.pdf', sha256: expect.any(String), uploadedBy: `${partnerId}-owner` })]);
    expect(await env.prisma.settlement.count({ where: { incentiveId: id } })).toBe(1);

    await env.client.workflow.getHandle(incentiveWorkflowId(partnerId, period)).result();
    const twice = await api('POST', `/v1/incentives/${id}/verify`, finance, { headcount: 2, totalMinor: 400000, materials: [mine] });
    expectProblem(twice, 409, 'incentive-closed');
    expect(twice.body.currentStatus).toBe('VERIFIED');
    expectProblem(await upload(id, owner, pdfNo(5)), 409, 'not-pending-verification');
    expect(await env.prisma.settlement.count({ where: { incentiveId: id } })).toBe(1);
  });

  it('objection → resolution with adjustments → verify with the new totals', async () => {
    const { owner, id, experts, vendor } = await setup();
    const material = (await upload(id, owner, PDF)).body.id as string;

    const unknownLine = await api('POST', `/v1/incentives/${id}/objections`, owner, { lines: [{ expertId: experts[2], reason: 'not on the list' }] });
    expectProblem(unknownLine, 422, 'unknown-line');
    expect(fields(unknownLine)).toEqual(['lines.0.expertId']);
    expect(fields(await api('POST', `/v1/incentives/${id}/objections`, owner, { lines: [{ expertId: experts[0], reason: 'a\u0000b' }] }))).toEqual(['lines.0.reason']);
    expectProblem(await api('POST', `/v1/incentives/${id}/objections/resolve`, vendor, { rejectObjection: true, note: 'nothing to resolve' }), 409, 'not-objected');

    const objected = await api('POST', `/v1/incentives/${id}/objections`, owner, { lines: [{ expertId: experts[0], reason: 'Left in the middle of the month' }] });
    expect(objected.status, JSON.stringify(objected.body)).toBe(200);
    expect(objected.body).toMatchObject({ status: 'OBJECTED', objection: [{ expertId: experts[0], reason: 'Left in the middle of the month' }] });
    expectProblem(await api('POST', `/v1/incentives/${id}/verify`, owner, { headcount: 2, totalMinor: 400000, materials: [material] }), 409, 'not-pending-verification');

    expectProblem(await api('POST', `/v1/incentives/${id}/objections/resolve`, owner, { rejectObjection: true, note: 'mine' }), 403);
    expectProblem(await api('POST', `/v1/incentives/${id}/objections/resolve`, await tokenFor(['vendor_staff']), { rejectObjection: true, note: 'x' }), 403);
    expect(fields(await api('POST', `/v1/incentives/${id}/objections/resolve`, vendor, { note: 'neither' }))).toEqual(['adjustments']);
    expect(fields(await api('POST', `/v1/incentives/${id}/objections/resolve`, vendor, { rejectObjection: true, adjustments: [{ expertId: experts[0], remove: true }], note: 'both' }))).toEqual(['adjustments']);
    expect(fields(await api('POST', `/v1/incentives/${id}/objections/resolve`, vendor, { adjustments: [{ expertId: experts[2], remove: true }], note: 'x' }))).toEqual(['adjustments.0.expertId']);

    const resolved = await api('POST', `/v1/incentives/${id}/objections/resolve`, await tokenFor(['vendor_ecosystem_manager']), {
      adjustments: [{ expertId: experts[0], amountMinor: 50000 }],
      note: 'Half a month',
    });
    expect(resolved.status, JSON.stringify(resolved.body)).toBe(200);
    expect(resolved.body).toMatchObject({ status: 'PENDING_VERIFICATION', headcount: 2, totalMinor: 350000, objection: null });
    expect(resolved.body.history.map((e: { type: string }) => e.type)).toEqual(['GENERATED', 'OBJECTED', 'OBJECTION_RESOLVED']);

    expect(fields(await api('POST', `/v1/incentives/${id}/verify`, owner, { headcount: 2, totalMinor: 400000, materials: [material] }))).toEqual(['totalMinor']);
    const verified = await api('POST', `/v1/incentives/${id}/verify`, owner, { headcount: 2, totalMinor: 350000, materials: [material] });
    expect(verified.status, JSON.stringify(verified.body)).toBe(200);
    expect(verified.body).toMatchObject({ status: 'VERIFIED', settlement: { amountMinor: 350000 } });
  });

  it('a rejected objection leaves the list as it was; the line can be removed in a second round', async () => {
    const { owner, id, experts, vendor } = await setup();
    const object = () => api('POST', `/v1/incentives/${id}/objections`, owner, { lines: [{ expertId: experts[1], reason: 'Wrong certification' }] });
    expect((await object()).status).toBe(200);
    const rejected = await api('POST', `/v1/incentives/${id}/objections/resolve`, vendor, { rejectObjection: true, note: 'The certificate was valid all month' });
    expect(rejected.status, JSON.stringify(rejected.body)).toBe(200);
    expect(rejected.body).toMatchObject({ status: 'PENDING_VERIFICATION', headcount: 2, totalMinor: 400000, objection: null });
    expect(rejected.body.history.at(-1)).toMatchObject({ type: 'OBJECTION_REJECTED', note: 'The certificate was valid all month' });

    expect((await object()).status).toBe(200);
    const removed = await api('POST', `/v1/incentives/${id}/objections/resolve`, vendor, { adjustments: [{ expertId: experts[1], remove: true }], note: 'Removed' });
    expect(removed.body).toMatchObject({ headcount: 1, totalMinor: 100000 });
    expect(removed.body.lines.map((l: { expertId: string }) => l.expertId)).toEqual([experts[0]]);
  });

  it('after the deadline: verify and uploads are refused with 409 and the current status', async () => {
    const { owner, id, partnerId } = await setup();
    const material = (await upload(id, owner, PDF)).body.id as string;
    const { verificationDeadline } = (await api('GET', `/v1/incentives/${id}`, owner)).body;
    const now = await env.currentTimeMs();
    await env.sleep(Date.parse(verificationDeadline) - now + 1000);
    await env.client.workflow.getHandle(incentiveWorkflowId(partnerId, period)).result();

    const late = await api('POST', `/v1/incentives/${id}/verify`, owner, { headcount: 2, totalMinor: 400000, materials: [material] });
    expectProblem(late, 409, 'incentive-closed');
    expect(late.body.currentStatus).toBe('EXPIRED');
    expectProblem(await upload(id, owner, pdfNo(1)), 409, 'not-pending-verification');
    expect((await api('GET', `/v1/incentives/${id}`, owner)).body).toMatchObject({ status: 'EXPIRED', settlement: null });
    expect(await env.prisma.settlement.count({ where: { incentiveId: id } })).toBe(0);
  });
});
