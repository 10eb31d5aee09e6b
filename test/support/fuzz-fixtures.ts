/**
 * The objects the fuzz test's id-taking routes act on (test/fuzz*.test.ts), made through the real app and straight
 * on Temporal as the processes would: opportunities, a member, a custom role, experts, incentives, certification
 * applications, path reviews and a webhook endpoint of one fresh partner.
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { incentiveWorkflow, incentiveWorkflowId } from '../../workflows/incentive/workflow.js';
import { pathReviewId, pathReviewWorkflow, pathReviewWorkflowId } from '../../workflows/path-review/workflow.js';
import { call, tokenFor } from './app.js';
import { PDF, type TestEnv } from './env.js';
import { attestExpert, insertExpert } from './experts.js';
import { FUZZ_HOOK_URL } from './fuzz-inputs.js';

/**
 * `ids`: a pending and an accepted opportunity; `incentiveIds`: a pending incentive and an objected one, each with
 * one material (`materialIds`); `certificationIds`: an ADVANCED_CLOUD_SOFTWARE application in DRAFT (its one file set
 * as both materials, prerequisites met: it can be submitted) and one IN_REVIEW, each with its file
 * (`certificationFileIds`) — fixture index 0 / 1 picks the pair; `approvedCertificationId`: one APPROVED with an
 * ACTIVE certificate, the renew route's target; `pathReviews`: SOFTWARE CERTIFIED reviews of the partner per state
 * (APPLIED with its file, `pathReviewFileId`, set as its ANNUAL_REPORT: it can be submitted); `webhookId`: an endpoint
 * of the partner with one DEAD delivery, `webhookDeliveryId` (redeliverable).
 */
export type Fixtures = {
  partnerId: string;
  ids: string[];
  memberId: string;
  roleId: string;
  expertId: string;
  incentiveIds: string[];
  materialIds: string[];
  certificationIds: string[];
  certificationFileIds: string[];
  approvedCertificationId: string;
  pathReviews: Record<PathReviewState, string>;
  pathReviewFileId: string;
  webhookId: string;
  webhookDeliveryId: string;
};
export type PathReviewState = 'OPEN' | 'APPLIED' | 'SUBMITTED' | 'SUPPLEMENT_REQUESTED';
/** The review a path-review route acts on: the state its success needs. */
export const pathReviewStateFor = (path: string): PathReviewState =>
  path.endsWith('/decision') ? 'SUBMITTED' : path.endsWith('/supplement') ? 'SUPPLEMENT_REQUESTED' : /\/(files|materials|submit)$/.test(path) ? 'APPLIED' : 'OPEN';

/**
 * The parts of a fixture set: a test file builds those its routes act on (a fresh set after every accepted request
 * that may have used one up). Incentives, certifications and path reviews count the partner's experts; path
 * reviews need the APPROVED certification's certificate.
 */
export type FixturePart = 'opportunities' | 'members' | 'experts' | 'incentives' | 'certifications' | 'pathReviews' | 'webhook';

/** A fresh set on `env`'s app for a new partner; `vendor` is a vendor_staff token (it shares the opportunities). */
export function fixtureMaker(env: TestEnv, vendor: () => string) {
  async function makeFixtures(parts: readonly FixturePart[]): Promise<Fixtures> {
    const has = (part: FixturePart) => parts.includes(part);
    const partnerId = `P-fz-${randomUUID().slice(0, 8)}`;
    const partner = await tokenFor(['partner_admin'], partnerId);
    const reviewer = await tokenFor(['vendor_reviewer']);
    const fx: Fixtures = {
      partnerId,
      ids: [],
      memberId: '',
      roleId: '',
      expertId: '',
      incentiveIds: [],
      materialIds: [],
      certificationIds: [],
      certificationFileIds: [],
      approvedCertificationId: '',
      pathReviews: { OPEN: '', APPLIED: '', SUBMITTED: '', SUPPLEMENT_REQUESTED: '' },
      pathReviewFileId: '',
      webhookId: '',
      webhookDeliveryId: '',
    };
    const share = async () => {
      const res = await call(env.base, 'POST', '/v1/opportunities', vendor(), { partnerId, customerName: 'ACME', title: 'Fuzz target' });
      expect(res.status).toBe(201);
      return res.body.id as string;
    };
    const opportunities = async () => {
      const pending = await share();
      const accepted = await share();
      expect((await call(env.base, 'POST', `/v1/opportunities/${accepted}/accept`, partner)).status).toBe(200);
      fx.ids = [pending, accepted];
    };
    const members = async () => {
      const member = await call(env.base, 'POST', `/v1/partners/${partnerId}/members`, partner, { sub: 'fuzz-target', displayName: 'Fuzz target', roles: [] });
      expect(member.status).toBe(201);
      const role = await call(env.base, 'POST', `/v1/partners/${partnerId}/roles`, partner, { name: 'Fuzz target', permissions: ['opportunity.read'] });
      expect(role.status).toBe(201);
      [fx.memberId, fx.roleId] = [member.body.id as string, role.body.id as string];
    };
    const incentive = async (period: string) => {
      await env.client.workflow.start(incentiveWorkflow, { workflowId: incentiveWorkflowId(partnerId, period), taskQueue: env.taskQueue, args: [{ partnerId, period }] });
      const id = `${partnerId}-${period}`;
      for (let i = 0; !(await env.prisma.incentive.findUnique({ where: { id } })); i++) {
        if (i > 200) throw new Error(`fixture incentive ${id} was not generated`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const material = await call(env.base, 'POST', `/v1/incentives/${id}/materials`, partner, PDF, { 'content-type': 'application/pdf', 'content-disposition': 'attachment; filename="fixture.pdf"' });
      expect(material.status).toBe(201);
      return { id, materialId: material.body.id as string };
    };
    const certification = async (state: 'DRAFT' | 'IN_REVIEW' | 'APPROVED') => {
      const ok = async (method: string, path: string, token: string, body?: unknown, headers?: Record<string, string>) => {
        const res = await call(env.base, method, path, token, body, headers);
        expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
        return res.body as { id: string };
      };
      const { id } = await ok('POST', '/v1/certifications', partner, { type: 'ADVANCED_CLOUD_SOFTWARE', solutionName: 'Fuzz solution' });
      const file = await ok('POST', `/v1/certifications/${id}/files`, partner, PDF, { 'content-type': 'application/pdf', 'content-disposition': 'attachment; filename="fixture.pdf"' });
      await ok('PUT', `/v1/certifications/${id}/materials`, partner, { materials: ['SOLUTION_DESCRIPTION', 'TEST_REPORT'].map((kind) => ({ kind, materialId: file.id })) });
      if (state !== 'DRAFT') await ok('POST', `/v1/certifications/${id}/submit`, partner);
      if (state === 'APPROVED') await ok('POST', `/v1/certifications/${id}/review`, reviewer, { decision: 'APPROVE' });
      return { id, fileId: file.id };
    };
    // A webhook endpoint with one DEAD delivery, as the relay leaves it after its budget.
    const webhook = async () => {
      const created = await call(env.base, 'POST', '/v1/webhooks', partner, { url: FUZZ_HOOK_URL, events: ['incentive.reminder'] });
      expect(created.status).toBe(201);
      const key = `fuzz-${randomUUID()}`;
      const message = await env.prisma.outbox.create({
        data: { topic: 'incentive.reminder', aggregateId: key, dedupeKey: key, payload: { partnerId }, dueAt: new Date(), dispatchedAt: new Date(), deliveredAt: new Date() },
      });
      const webhookDeliveryId = randomUUID();
      await env.prisma.webhookDelivery.create({ data: { id: webhookDeliveryId, endpointId: created.body.id, outboxId: message.id, status: 'DEAD', attempts: 12, createdAt: new Date() } });
      return { webhookId: created.body.id as string, webhookDeliveryId };
    };
    // Path reviews, started as the cycle would; the partner meets SOFTWARE CERTIFIED (two full-time experts, the APPROVED certificate).
    const pathReview = async (state: PathReviewState, year: number) => {
      const id = pathReviewId('SOFTWARE', partnerId, year);
      const args = [{ pathId: 'SOFTWARE', partnerId, year, level: 'CERTIFIED', cycleStartedAt: new Date().toISOString() }] as const;
      await env.client.workflow.start(pathReviewWorkflow, { workflowId: pathReviewWorkflowId(id), taskQueue: env.taskQueue, args: [...args] });
      for (let i = 0; !(await env.prisma.pathReview.findUnique({ where: { id } })); i++) {
        if (i > 200) throw new Error(`fixture path review ${id} did not open`);
        await new Promise((r) => setTimeout(r, 50));
      }
      if (state === 'OPEN') return { id, fileId: undefined };
      for (let i = 0; ; i++) {
        const applied = await call(env.base, 'POST', `/v1/path-reviews/${id}/apply`, partner);
        if (applied.status === 200) break;
        if (applied.status !== 409 || i > 100) throw new Error(`fixture apply answered ${applied.status} ${JSON.stringify(applied.body)}`);
        await new Promise((r) => setTimeout(r, 50)); // still opening
      }
      const file = await call(env.base, 'POST', `/v1/path-reviews/${id}/files`, partner, PDF, { 'content-type': 'application/pdf', 'content-disposition': 'attachment; filename="fixture.pdf"' });
      expect(file.status, JSON.stringify(file.body)).toBe(201);
      const set = await call(env.base, 'PUT', `/v1/path-reviews/${id}/materials`, partner, { materials: [{ kind: 'ANNUAL_REPORT', materialId: file.body.id }] });
      expect(set.status, JSON.stringify(set.body)).toBe(200);
      if (state !== 'APPLIED') expect((await call(env.base, 'POST', `/v1/path-reviews/${id}/submit`, partner)).status).toBe(200);
      if (state === 'SUPPLEMENT_REQUESTED') {
        const asked = await call(env.base, 'POST', `/v1/path-reviews/${id}/decision`, reviewer, { decision: 'REQUEST_SUPPLEMENT', note: 'fixture' });
        expect(asked.status, JSON.stringify(asked.body)).toBe(200);
      }
      return { id, fileId: file.body.id as string };
    };
    // The processes in their order: the incentives' lines are fixed before the second expert; path reviews after the certificate.
    const processes = async () => {
      // Registered long before the incentive months (through the API registeredOn would be today), attested by the vendor;
      // not the known-good body's employee id: a valid POST then succeeds.
      if (has('experts')) fx.expertId = await attestExpert(env.prisma, partnerId, await insertExpert(env.prisma, partnerId, { employeeId: 'fuzz-target' }));
      if (has('incentives')) {
        const [pendingIncentive, objectedIncentive] = await Promise.all([incentive('2025-06'), incentive('2025-07')]);
        const objected = await call(env.base, 'POST', `/v1/incentives/${objectedIncentive.id}/objections`, partner, { lines: [{ expertId: fx.expertId, reason: 'fixture' }] });
        expect(objected.status).toBe(200);
        fx.incentiveIds = [pendingIncentive.id, objectedIncentive.id];
        fx.materialIds = [pendingIncentive.materialId, objectedIncentive.materialId];
      }
      if (!has('certifications')) return;
      // A second CLOUD_PROFESSIONAL expert for the certification prerequisites, once the incentives' lines are fixed.
      await attestExpert(env.prisma, partnerId, await insertExpert(env.prisma, partnerId, { employeeId: 'fuzz-certification' }));
      const [draft, inReview, approved] = await Promise.all([certification('DRAFT'), certification('IN_REVIEW'), certification('APPROVED')]);
      fx.certificationIds = [draft.id, inReview.id];
      fx.certificationFileIds = [draft.fileId, inReview.fileId];
      fx.approvedCertificationId = approved.id;
      if (!has('pathReviews')) return;
      const [open, applied, submitted, supplementRequested] = await Promise.all([
        pathReview('OPEN', 2101),
        pathReview('APPLIED', 2102),
        pathReview('SUBMITTED', 2103),
        pathReview('SUPPLEMENT_REQUESTED', 2104),
      ]);
      fx.pathReviews = { OPEN: open.id, APPLIED: applied.id, SUBMITTED: submitted.id, SUPPLEMENT_REQUESTED: supplementRequested.id };
      fx.pathReviewFileId = applied.fileId!;
    };
    // Parts that need nothing of each other are made side by side.
    await Promise.all([
      has('opportunities') ? opportunities() : undefined,
      has('members') ? members() : undefined,
      has('webhook') ? webhook().then((made) => Object.assign(fx, made)) : undefined,
      processes(),
    ]);
    return fx;
  }
  return makeFixtures;
}
