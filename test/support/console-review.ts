/**
 * Set-up for the reviewer queue's browser test (test/console.review.browser.test.ts), through the API as partners do
 * it: a certification application with its materials uploaded and submitted, and a level raise asked for — each
 * answering what the test needs to check the console against: the API's own reads, and the SHA-256 of the uploaded
 * bytes computed here. For the bulk test (test/console.review.bulk.browser.test.ts) also a partner's incentives of
 * several months waiting for its verification.
 */
import { createHash, randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import { expect } from 'vitest';
import { tokenFor } from './app.js';
import { certificationSteps } from './certification.js';
import { expectOk, PNG, type TestEnv } from './env.js';
import { incentiveWorkflow, incentiveWorkflowId } from '../../workflows/incentive/workflow.js';
import { attestExpert, insertExpert } from './experts.js';
import { qualifySoftware } from './path-facts.js';
import { eventually } from './wait.js';

export const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** A PDF of its own (a comment makes its bytes, and so its SHA-256, unique to this upload). */
export const uniquePdf = () => Buffer.from(`%PDF-1.4\n% ${randomUUID()}\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n`);

export type Uploaded = { kind: string; fileName: string; bytes: Buffer; sha256: string };

/** A qualified partner applies for ROLE_CONSULTING, uploads its two materials, sets them and submits: IN_REVIEW. */
export async function submittedCertification(env: TestEnv, prefix: string) {
  const partnerId = `P-${prefix}-${randomUUID().slice(0, 6)}`;
  const owner = await tokenFor(['partner_admin'], partnerId, `${partnerId}-owner`);
  await certificationSteps(env).qualify(partnerId);
  const draft = await env.api('POST', '/v1/certifications', owner, { type: 'ROLE_CONSULTING' });
  expectOk(draft, 201);
  const id = draft.body.id as string;
  const files: Uploaded[] = [
    { kind: 'CASE_STUDIES', fileName: `cases-${prefix}.pdf`, bytes: uniquePdf(), sha256: '' },
    { kind: 'TEAM_ROSTER', fileName: `roster-${prefix}.png`, bytes: PNG, sha256: '' },
  ].map((file) => ({ ...file, sha256: sha256(file.bytes) }));
  const materials = [];
  for (const file of files) {
    const type = file.fileName.endsWith('.pdf') ? 'application/pdf' : 'image/png';
    const uploaded = await env.api('POST', `/v1/certifications/${id}/files`, owner, file.bytes, { 'content-type': type, 'content-disposition': `attachment; filename="${file.fileName}"` });
    expectOk(uploaded, 201);
    materials.push({ kind: file.kind, materialId: uploaded.body.id as string });
  }
  expectOk(await env.api('PUT', `/v1/certifications/${id}/materials`, owner, { materials }));
  const submitted = await env.api('POST', `/v1/certifications/${id}/submit`, owner);
  expectOk(submitted);
  expect(submitted.body.status).toBe('IN_REVIEW');
  return { partnerId, id, files, view: submitted.body as { reviewDueAt: string; submittedAt: string } };
}

/** A partner qualified for SOFTWARE's CERTIFIED level asks for it: SUBMITTED, due in its SLA. */
export async function submittedLevelRaise(env: TestEnv, prefix: string) {
  const partnerId = `P-${prefix}-${randomUUID().slice(0, 6)}`;
  const owner = await tokenFor(['partner_admin'], partnerId, `${partnerId}-owner`);
  await qualifySoftware(env.prisma, partnerId, 'CERTIFIED');
  const raised = await env.api('POST', `/v1/partners/${partnerId}/level-raises`, owner, { pathId: 'SOFTWARE' });
  expectOk(raised, 201);
  return { partnerId, id: raised.body.id as string, view: raised.body as { reviewDueAt: string; submittedAt: string } };
}

export { acceptableCountdowns } from './reference-countdown.js';

export type PendingIncentive = { id: string; period: string; headcount: number; totalMinor: number; status: string };

/**
 * `months` incentives of one partner waiting for its verification: two qualifying experts registered and attested,
 * then each of the last `months` months' incentive workflows started as the monthly schedule starts them (each
 * generated now, so each has its full verification window). Answered as the partner reads them through the API.
 */
export async function pendingIncentives(env: TestEnv, partnerId: string, owner: string, months: number): Promise<PendingIncentive[]> {
  for (const [employeeId, certification] of [['BULK-1', 'CLOUD_PROFESSIONAL'], ['BULK-2', 'CLOUD_EXPERT']] as const) {
    await attestExpert(env.prisma, partnerId, await insertExpert(env.prisma, partnerId, { employeeId, certification }));
  }
  const thisMonth = DateTime.fromMillis(Date.now(), { zone: 'Asia/Shanghai' }).startOf('month');
  const incentives: PendingIncentive[] = [];
  for (let back = 1; back <= months; back++) {
    const period = thisMonth.minus({ months: back }).toFormat('yyyy-MM');
    await env.client.workflow.start(incentiveWorkflow, { workflowId: incentiveWorkflowId(partnerId, period), taskQueue: env.taskQueue, args: [{ partnerId, period }] });
    const id = `${partnerId}-${period}`;
    incentives.push(
      await eventually(async () => {
        const res = await env.api('GET', `/v1/incentives/${id}`, owner);
        return res.status === 200 && res.body.status === 'PENDING_VERIFICATION' ? (res.body as PendingIncentive) : undefined;
      }),
    );
  }
  return incentives;
}
