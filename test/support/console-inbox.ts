/**
 * The state a partner's inbox test starts from, set up through the API wherever the API can (the experts a
 * certification's prerequisites and an incentive's lines count are registered and attested as the other tests do,
 * and the month's incentive workflow is started as its schedule would): an opportunity shared, an incentive
 * generated, a certification application sent back for a supplement, an agreement version published in force, an
 * invitation into a program, an annual path review opened.
 */
import { DateTime } from 'luxon';
import { incentiveWorkflow, incentiveWorkflowId } from '../../workflows/incentive/workflow.js';
import { pathReviewId, pathReviewWorkflow, pathReviewWorkflowId } from '../../workflows/path-review/workflow.js';
import { tokenFor } from './app.js';
import { agreementSteps, shanghaiDate } from './agreement.js';
import { certificationSteps } from './certification.js';
import { PDF, PNG, type TestEnv } from './env.js';
import { attestExpert, insertExpert } from './experts.js';
import { eventually } from './wait.js';

/** Answers the helpers need, read as the API wrote them. */
type Body = Record<string, unknown>;

export function inboxFixtures(env: TestEnv) {
  let vendor: string;
  let publisher: string;
  let reviewer: string;
  const agreements = agreementSteps(env, () => publisher);
  const { qualify } = certificationSteps(env);
  const ok = (res: { status: number; body: unknown }, status = 200) => {
    if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body as Body;
  };

  return {
    async tokens() {
      vendor = await tokenFor(['vendor_staff']);
      publisher = await tokenFor(['vendor_ecosystem_manager'], undefined, 'publisher-inbox');
      reviewer = await tokenFor(['vendor_reviewer'], undefined, 'reviewer-inbox');
    },

    async shareOpportunity(partnerId: string, title: string) {
      return ok(await env.api('POST', '/v1/opportunities', vendor, { partnerId, customerName: 'ACME Ltd.', title }), 201) as { id: string; title: string; acceptDeadline: string };
    },

    /** Last month's incentive (Asia/Shanghai) with two qualifying experts, generated; as the partner reads it. */
    async generatedIncentive(partnerId: string, owner: string) {
      for (const [employeeId, certification] of [['INC-1', 'CLOUD_PROFESSIONAL'], ['INC-2', 'CLOUD_EXPERT']] as const) {
        await attestExpert(env.prisma, partnerId, await insertExpert(env.prisma, partnerId, { employeeId, certification }));
      }
      const period = DateTime.fromMillis(Date.now(), { zone: 'Asia/Shanghai' }).minus({ months: 1 }).toFormat('yyyy-MM');
      await env.client.workflow.start(incentiveWorkflow, { workflowId: incentiveWorkflowId(partnerId, period), taskQueue: env.taskQueue, args: [{ partnerId, period }] });
      const id = `${partnerId}-${period}`;
      return eventually(async () => {
        const res = await env.api('GET', `/v1/incentives/${id}`, owner);
        return res.status === 200 ? (res.body as { id: string; period: string; headcount: number; totalMinor: number; verificationDeadline: string; deadlineExplanation: { countedDays: unknown[] } }) : undefined;
      });
    },

    /** A ROLE_CONSULTING application submitted with both materials, which the reviewer sent back with `note`. */
    async supplementRequested(partnerId: string, owner: string, note: string) {
      await qualify(partnerId);
      const id = ok(await env.api('POST', '/v1/certifications', owner, { type: 'ROLE_CONSULTING' }), 201).id as string;
      const upload = async (bytes: Buffer, type: string, name: string) =>
        ok(await env.api('POST', `/v1/certifications/${id}/files`, owner, bytes, { 'content-type': type, 'content-disposition': `attachment; filename="${name}"` }), 201).id as string;
      const materials = [
        { kind: 'CASE_STUDIES', materialId: await upload(PDF, 'application/pdf', 'cases.pdf') },
        { kind: 'TEAM_ROSTER', materialId: await upload(PNG, 'image/png', 'roster.png') },
      ];
      ok(await env.api('PUT', `/v1/certifications/${id}/materials`, owner, { materials }));
      ok(await env.api('POST', `/v1/certifications/${id}/submit`, owner));
      return ok(await env.api('POST', `/v1/certifications/${id}/review`, reviewer, { decision: 'REQUEST_SUPPLEMENT', note })) as {
        id: string;
        status: string;
        supplementDeadline: string;
        materials: { kind: string; name: string }[];
      };
    },

    /**
     * The partner a member of the SOFTWARE path at CERTIFIED, and this year's review of it opened now (as the cycle
     * would open it): OPEN, waiting for the partner to apply; as the partner reads it.
     */
    async openPathReview(partnerId: string, owner: string) {
      const at = new Date();
      await env.prisma.pathMembership.create({ data: { partnerId, pathId: 'SOFTWARE', level: 'CERTIFIED', since: at, updatedAt: at } });
      const year = DateTime.fromJSDate(at, { zone: 'Asia/Shanghai' }).year;
      const id = pathReviewId('SOFTWARE', partnerId, year);
      await env.client.workflow.start(pathReviewWorkflow, {
        workflowId: pathReviewWorkflowId(id),
        taskQueue: env.taskQueue,
        args: [{ pathId: 'SOFTWARE', partnerId, year, level: 'CERTIFIED', cycleStartedAt: at.toISOString() }],
      });
      return eventually(async () => {
        const res = await env.api('GET', `/v1/path-reviews/${id}`, owner);
        return res.status === 200 && (res.body as { status: string }).status === 'OPEN' ? (res.body as { id: string; year: number; status: string; windowEndsAt: string }) : undefined;
      });
    },

    /** The vendor's invitation into `program`, with a note: INVITED, waiting for the partner. */
    async invitation(partnerId: string, program: string, note: string) {
      return ok(await env.api('POST', '/v1/enrollment-invitations', publisher, { partnerId, program, note }), 201) as { id: string; status: string; invitationExpiresAt: string };
    },

    /** A version in force from today (Asia/Shanghai), to be signed by the end of the day `signByDays` later. */
    publishAgreement: (signByDays: number, text: string) => agreements.publish({ effectiveDate: shanghaiDate(0), signByDate: shanghaiDate(signByDays), text }),

    vendorToken: () => vendor,
  };
}
