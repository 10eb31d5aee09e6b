/**
 * The fuzz test's picture of the whole state (test/fuzz*.test.ts): the database's rows (counted, or hashed where a
 * refused request could change a value) and the number of Temporal workflows, taken once the state stops moving.
 */
import { createHash } from 'node:crypto';
import type { TestEnv } from './env.js';

export function fuzzState(env: TestEnv) {
  // Runs this file starts start after this instant; a row left RUNNING by an earlier file of this test worker (its
  // server torn down mid-run) never finishes and is not waited for.
  const since = new Date();
  async function snapshot() {
    const rows = await env.prisma.opportunity.findMany({ select: { id: true, status: true, lastSeq: true }, orderBy: { id: 'asc' } });
    return {
      opportunities: rows.length,
      events: await env.prisma.opportunityEvent.count(),
      keys: await env.prisma.idempotencyKey.count(),
      audit: await env.prisma.auditLog.count(),
      rowsHash: createHash('sha256').update(JSON.stringify(rows)).digest('hex'),
      organization: createHash('sha256')
        .update(
          JSON.stringify([
            await env.prisma.partnerMember.findMany({ orderBy: { id: 'asc' }, include: { roles: { orderBy: { role: 'asc' } } } }),
            await env.prisma.partnerRole.findMany({ orderBy: { id: 'asc' } }),
          ]),
        )
        .digest('hex'),
      experts: createHash('sha256')
        .update(
          JSON.stringify(
            await env.prisma.expert.findMany({ orderBy: { id: 'asc' }, include: { certifications: { orderBy: { id: 'asc' } } } }),
            (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v),
          ),
        )
        .digest('hex'),
      expertChanges: await env.prisma.expertChange.count(),
      pathMemberships: createHash('sha256')
        .update(JSON.stringify(await env.prisma.pathMembership.findMany({ orderBy: [{ partnerId: 'asc' }, { pathId: 'asc' }] })))
        .digest('hex'),
      pathMembershipChanges: await env.prisma.pathMembershipChange.count(),
      incentives: createHash('sha256')
        .update(
          JSON.stringify(
            await env.prisma.incentive.findMany({ select: { id: true, status: true, lastSeq: true, headcount: true, totalMinor: true }, orderBy: { id: 'asc' } }),
            (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v),
          ),
        )
        .digest('hex'),
      incentiveEvents: await env.prisma.incentiveEvent.count(),
      settlements: await env.prisma.settlement.count(),
      certifications: createHash('sha256')
        .update(JSON.stringify(await env.prisma.certificationApplication.findMany({ select: { id: true, status: true, lastSeq: true }, orderBy: { id: 'asc' } })))
        .digest('hex'),
      certificationEvents: await env.prisma.certificationEvent.count(),
      pathReviews: createHash('sha256')
        .update(JSON.stringify(await env.prisma.pathReview.findMany({ select: { id: true, status: true, lastSeq: true }, orderBy: { id: 'asc' } })))
        .digest('hex'),
      pathReviewCycles: createHash('sha256')
        .update(JSON.stringify(await env.prisma.pathReviewCycle.findMany({ orderBy: [{ pathId: 'asc' }, { year: 'asc' }] })))
        .digest('hex'),
      calendars: createHash('sha256')
        .update(JSON.stringify(await env.prisma.calendarVersion.findMany({ select: { calendarName: true, version: true }, orderBy: [{ calendarName: 'asc' }, { version: 'asc' }] })))
        .digest('hex'),
      partnerCalendars: createHash('sha256')
        .update(JSON.stringify(await env.prisma.partnerCalendar.findMany({ orderBy: { partnerId: 'asc' } })))
        .digest('hex'),
      partnerCalendarChanges: await env.prisma.partnerCalendarChange.count(),
      certificates: await env.prisma.certificate.count(),
      // Status and runs only: a redelivery's attempts keep moving while it retries.
      webhooks: createHash('sha256')
        .update(
          JSON.stringify([
            await env.prisma.webhookEndpoint.findMany({ select: { id: true, active: true }, orderBy: { id: 'asc' } }),
            await env.prisma.webhookDelivery.findMany({ select: { id: true, status: true, runs: true }, orderBy: { id: 'asc' } }),
          ]),
        )
        .digest('hex'),
      materials: await env.prisma.material.count(),
      workflows: (await env.client.workflow.count()).count,
    };
  }

  /** After an accepted (2xx) request: wait until the database and Temporal visibility stop moving. */
  /** Incentive generation runs go on after their 202 (minutes at scale): wait until none is running. */
  async function runsFinished(): Promise<void> {
    const giveUp = Date.now() + 120_000; // a run that failed leaves its row RUNNING: the snapshot comparison then tells
    for (let quiet = 0; quiet < 2 && Date.now() < giveUp; ) {
      const running: string[] = [];
      for await (const w of env.client.workflow.list({ query: `WorkflowType = 'incentiveRunWorkflow' AND ExecutionStatus = 'Running'` })) running.push(w.workflowId);
      for await (const w of env.client.workflow.list({ query: `WorkflowType = 'pathReviewCycleWorkflow' AND ExecutionStatus = 'Running'` })) running.push(w.workflowId);
      // Path review cycles by visibility only: a cycle row left RUNNING by another test file's torn-down server never finishes.
      const rows = await env.prisma.incentiveRun.count({ where: { status: 'RUNNING', startedAt: { gte: since } } });
      if (running.length === 0 && rows === 0) quiet++;
      else quiet = 0;
      await Promise.all(running.map((id) => env.client.workflow.getHandle(id).result().catch(() => undefined)));
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async function settled() {
    await runsFinished();
    let last = await snapshot();
    for (let i = 0; i < 40; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const next = await snapshot();
      if (JSON.stringify(next) === JSON.stringify(last)) return next;
      last = next;
    }
    return last;
  }
  return { snapshot, settled };
}
export type Snapshot = Awaited<ReturnType<ReturnType<typeof fuzzState>['snapshot']>>;
