/**
 * Items waiting for the vendor's decision, made through the real API as their partners would (each of a fresh
 * partner of its own: one open raise, enrollment or report per partner and subject), and the access-matrix entries of
 * the reviewer queue (issue 20 section 3), which act on them. test/review-queue.api.test.ts makes its items here too.
 *
 * The queue is the vendor's: no partner role holds review.queue or review.assign, so whose item it is never decides an
 * answer (partnerOwned: false). A claim is made per allowed call, on an item of its own: a claim would otherwise make
 * the next allowed caller's claim a 409.
 */
import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '../../platform/db.js';
import { call, tokenFor } from './app.js';
import type { MatrixEntry, MatrixTable } from './access-matrix.js';
import { unique } from './access-matrix-table.js';
import { enterprises, freshCreditCode, insertCustomerFacts, reportableFacts } from './customer-fixtures.js';
import { PDF } from './env.js';
import { attestExpert, insertExpert } from './experts.js';
import { joinPath, qualifySoftware } from './path-facts.js';
import type { Client } from '@temporalio/client';
import { pathReviewId, pathReviewWorkflow, pathReviewWorkflowId } from '../../workflows/path-review/workflow.js';

const observedAt = '2026-03-01T00:00:00Z';
const pdf = { 'content-type': 'application/pdf', 'content-disposition': 'attachment; filename="review.pdf"' };

/** Until `ready` answers, at most a minute (an activity records what the workflow decided a moment later). */
async function until<T>(what: string, ready: () => Promise<T | undefined>): Promise<T> {
  for (const started = Date.now(); Date.now() - started < 60_000; await new Promise((r) => setTimeout(r, 100))) {
    const value = await ready();
    if (value !== undefined) return value;
  }
  throw new Error(`setup: waited a minute for ${what}`);
}

/**
 * Makers of waiting items on the API at `base()`, each for `partnerId` (fresh unless given). A path review is started
 * as its cycle starts it (its workflow, on `temporal()`'s task queue); the other kinds through their partner's routes.
 */
export function reviewItems(base: () => string, prisma: () => PrismaClient, temporal?: () => { client: Client; taskQueue: string }) {
  const send = async (token: string, method: string, path: string, body?: unknown, headers?: Record<string, string>) => {
    const res = await call(base(), method, path, token, body, headers);
    if (res.status >= 300) throw new Error(`setup: ${method} ${path} answered ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as { id: string; status: string };
  };
  const admin = (partnerId: string) => tokenFor(['partner_admin'], partnerId, `${partnerId}-admin`);
  const feed = async (partnerId: string, facts: unknown[]) =>
    send(await tokenFor(['vendor_system'], undefined, 'review-queue-feeder'), 'POST', `/v1/partners/${partnerId}/account/facts`, { source: 'review-queue', facts }, { 'Idempotency-Key': randomUUID() });

  return {
    /** An ADVANCED_CLOUD_SOFTWARE application of `solutionName`, submitted: IN_REVIEW once its review round starts. */
    async certification(partnerId = unique('P-rq-cert'), solutionName = 'Review queue solution') {
      for (const employeeId of ['RQ1', 'RQ2']) await attestExpert(prisma(), partnerId, await insertExpert(prisma(), partnerId, { employeeId }));
      const token = await admin(partnerId);
      const { id } = await send(token, 'POST', '/v1/certifications', { type: 'ADVANCED_CLOUD_SOFTWARE', solutionName });
      const file = await send(token, 'POST', `/v1/certifications/${id}/files`, PDF, pdf);
      await send(token, 'PUT', `/v1/certifications/${id}/materials`, { materials: ['SOLUTION_DESCRIPTION', 'TEST_REPORT'].map((kind) => ({ kind, materialId: file.id })) });
      await send(token, 'POST', `/v1/certifications/${id}/submit`);
      await until(`certification ${id} IN_REVIEW`, async () => ((await prisma().certificationApplication.findUnique({ where: { id } }))?.status === 'IN_REVIEW' ? true : undefined));
      return { partnerId, id };
    },
    /** A raise to CERTIFIED on SOFTWARE: SUBMITTED. */
    async levelRaise(partnerId = unique('P-rq-lr')) {
      await qualifySoftware(prisma(), partnerId, 'CERTIFIED');
      const { id } = await send(await admin(partnerId), 'POST', `/v1/partners/${partnerId}/level-raises`, { pathId: 'SOFTWARE' });
      return { partnerId, id };
    },
    /** A reseller-ready partner asking for RESELLER: IN_REVIEW. */
    async enrollment(partnerId = unique('P-rq-en')) {
      await feed(partnerId, [
        { kind: 'PROGRAM_MEMBERSHIP', subject: 'RESELLER', value: { state: 'NOT_JOINED' }, observedAt },
        { kind: 'OPEN_RESOURCES', value: { count: 0 }, observedAt },
        { kind: 'INVOICEABLE_AMOUNT', value: { amount: { currency: 'CNY', minor: 0 } }, observedAt },
        { kind: 'POSTPAID', value: { enabled: false }, observedAt },
        ...['OFFLINE_DIRECT', 'TELESALES_AUTHORISED_DISCOUNT', 'DIRECT_SPECIAL_PRICE'].map((subject) => ({ kind: 'DESIGNATED_CONTRACT', subject, value: { signed: false }, observedAt })),
        { kind: 'DISTRIBUTOR_RELATIONSHIP', value: { relation: 'NONE' }, observedAt },
      ]);
      const { id } = await send(await admin(partnerId), 'POST', `/v1/partners/${partnerId}/enrollments`, { program: 'RESELLER' }, { 'Idempotency-Key': randomUUID() });
      return { partnerId, id };
    },
    /** A member (with a work residence) of a reseller partner applying to be a SOFTWARE project specialist: SUBMITTED. */
    async specialist(partnerId = unique('P-rq-sp'), displayName = 'Queue Specialist') {
      await feed(partnerId, [{ kind: 'PROGRAM_MEMBERSHIP', subject: 'RESELLER', value: { state: 'JOINED' }, observedAt }]);
      const token = await admin(partnerId);
      const member = await send(token, 'POST', `/v1/partners/${partnerId}/members`, { sub: unique('rq-specialist'), displayName, roles: ['partner_sales'], workResidence: 'Hangzhou' });
      const { id } = await send(token, 'POST', '/v1/specialist-applications', { memberId: member.id, pathId: 'SOFTWARE' });
      return { partnerId, id, memberId: member.id };
    },
    /** The partner's SOFTWARE review of `year` at CERTIFIED (whose requirements it meets), applied for and submitted: SUBMITTED. */
    async pathReview(partnerId = unique('P-rq-pr'), year = 2100) {
      if (!temporal) throw new Error('reviewItems: a path review is started on Temporal: pass temporal()');
      await joinPath(prisma(), partnerId, 'SOFTWARE', 'CERTIFIED');
      await qualifySoftware(prisma(), partnerId, 'CERTIFIED');
      const id = pathReviewId('SOFTWARE', partnerId, year);
      const { client, taskQueue } = temporal();
      await client.workflow.start(pathReviewWorkflow, {
        workflowId: pathReviewWorkflowId(id),
        taskQueue,
        args: [{ pathId: 'SOFTWARE', partnerId, year, level: 'CERTIFIED', cycleStartedAt: new Date().toISOString() }],
      });
      const token = await admin(partnerId);
      // Applying is refused (409 review-not-opened) until the review's first activity has opened it.
      await until(`path review ${id} applied`, async () => {
        const res = await call(base(), 'POST', `/v1/path-reviews/${id}/apply`, token);
        if (res.status !== 200 && res.status !== 409 && res.status !== 404) throw new Error(`setup: apply answered ${res.status} ${JSON.stringify(res.body)}`);
        return res.status === 200 ? true : undefined;
      });
      const file = await send(token, 'POST', `/v1/path-reviews/${id}/files`, PDF, pdf);
      await send(token, 'PUT', `/v1/path-reviews/${id}/materials`, { materials: [{ kind: 'ANNUAL_REPORT', materialId: file.id }] });
      await send(token, 'POST', `/v1/path-reviews/${id}/submit`);
      return { partnerId, id };
    },
    /** A report of a fresh enterprise asking for manual review: IN_MANUAL_REVIEW. */
    async customerReport(partnerId = unique('P-rq-cr')) {
      const creditCode = freshCreditCode();
      await enterprises(creditCode);
      const now = new Date().toISOString();
      await insertCustomerFacts(unique('C-rq'), reportableFacts(creditCode, now.slice(0, 10), now));
      const { id } = await send(await admin(partnerId), 'POST', `/v1/partners/${partnerId}/customer-reports`, { creditCode, manualReview: true, justification: 'review queue' });
      return { partnerId, id, creditCode };
    },
  };
}

/**
 * The queue's routes in the access matrix: the list (its items are the vendor's, none a partner's), and a claim, an
 * assignment and a release on waiting customer reports — the one kind both vendor_reviewer's and
 * vendor_ecosystem_manager's tokens reach: the manager may decide it, the reviewer may not (alsoDemands). A claim
 * consumes its item (a second allowed claim would be 409), so each call has one of its own; every assignment replaces
 * the claim of one shared item, and the releases share another that nobody claims (releasing it answers 200 to
 * whoever holds review.queue).
 */
export function reviewQueueEntries(base: () => string, prisma: () => PrismaClient): MatrixTable {
  const items = reviewItems(base, prisma);
  let assigned: Promise<{ id: string }> | undefined;
  let released: Promise<{ id: string }> | undefined;
  const params = (id: string) => ({ kind: 'customer-report', id });
  const claim: MatrixEntry = {
    success: 200,
    partnerOwned: false,
    alsoDemands: 'customerReport.review',
    request: async () => ({ params: params((await items.customerReport()).id) }),
  };
  return {
    'GET /v1/review-queue': { success: 200, partnerOwned: false, request: () => ({ query: { limit: '5' } }) },
    'POST /v1/review-queue/:kind/:id/claim': claim,
    'POST /v1/review-queue/:kind/:id/assign': {
      success: 200,
      partnerOwned: false,
      request: async () => ({ params: params((await (assigned ??= items.customerReport())).id), body: { reviewer: 'matrix-assigned-reviewer' } }),
    },
    'DELETE /v1/review-queue/:kind/:id/claim': { success: 200, partnerOwned: false, request: async () => ({ params: params((await (released ??= items.customerReport())).id) }) },
  };
}
