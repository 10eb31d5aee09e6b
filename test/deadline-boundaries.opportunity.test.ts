/**
 * The opportunity's accept deadline at its boundary (issue 15, point 2): the deadline from a hand-computed
 * reference; accept and reject a second before it go through; decided at it to the millisecond, or after it, they are
 * refused with ACCEPT_DEADLINE_PASSED; the expiry happens at it, not a second earlier; and accept racing the expiry
 * gives exactly one outcome per opportunity, with both outcomes seen. Tolerances, and why: test/support/boundary.ts.
 */
import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation, type WorkflowHandle } from '@temporalio/client';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { PrismaClient } from '../platform/db.js';
import { accept, getState, opportunityWorkflow, opportunityWorkflowId, reject, share } from '../workflows/opportunity/workflow.js';
import { answerOf, DAY, DONE, eachKindAnswered, expectTimerAtDeadline, landed, ownServer, SECOND, type Server, sweepDeadline, toFriday, type Trial } from './support/boundary.js';
import { advanceClockTo, eventually } from './support/wait.js';

/**
 * By hand, for an opportunity shared on a Friday afternoon in the plain test calendar (Asia/Shanghai, no DST;
 * Saturday and Sunday rest days): 3 working days from a working day at time t end at t on the 3rd following working
 * day — Monday (1), Tuesday (2), Wednesday (3) — i.e. 5 × 24 h after sharing, to the millisecond.
 */
const acceptDeadlineOf = (sharedAt: string) => Date.parse(sharedAt) + 5 * DAY;


/** Shares one opportunity (on a Friday afternoon: see toFriday), its deadline by hand. */
async function shareOne({ env, taskQueue }: Server) {
  const opportunityId = randomUUID();
  const partnerId = `P-${randomUUID().slice(0, 8)}`;
  const workflowId = opportunityWorkflowId(opportunityId);
  const snapshot = await env.client.workflow.executeUpdateWithStart(share, {
    startWorkflowOperation: new WithStartWorkflowOperation(opportunityWorkflow, {
      workflowId,
      taskQueue,
      args: [{ opportunityId, partnerId, customerName: 'ACME', title: 'Cloud migration', sharedBy: 'vendor-1' }],
      workflowIdConflictPolicy: 'USE_EXISTING',
    }),
  });
  const deadline = acceptDeadlineOf(snapshot.sharedAt!);
  expect(snapshot.acceptDeadline).toBe(new Date(deadline).toISOString());
  const handle: WorkflowHandle = env.client.workflow.getHandle(workflowId);
  return { opportunityId, handle, actor: { sub: 'partner-user', partnerId }, deadline };
}

const transitions = (prisma: PrismaClient, opportunityId: string) =>
  prisma.opportunityEvent.findMany({ where: { opportunityId }, orderBy: { seq: 'asc' } });

describe('the accept deadline at its boundary', () => {
  it('accept and reject a second before it go through; the expiry comes at it, not a second earlier', async () => {
    const server = await ownServer(onTestFinished);
    const { env, prisma } = server;
    await toFriday(server);
    const accepting = await shareOne(server);
    const rejecting = await shareOne(server);
    const lapsing = await shareOne(server);

    // A second before: through, decided by workflow time before the deadline (the clock ran a few ms on meanwhile).
    await advanceClockTo(env, accepting.deadline - SECOND);
    expect(await answerOf(accepting.handle.executeUpdate(accept, { args: [{ actor: accepting.actor }] }))).toBe(DONE);
    await advanceClockTo(env, rejecting.deadline - SECOND);
    expect(await answerOf(rejecting.handle.executeUpdate(reject, { args: [{ actor: rejecting.actor, reasonCode: 'DUPLICATE' }] }))).toBe(DONE);
    for (const [o, type] of [[accepting, 'ACCEPTED'], [rejecting, 'REJECTED']] as const) {
      const decided = (await transitions(prisma, o.opportunityId)).find((e) => e.type === type)!;
      expect(o.deadline - decided.at.getTime()).toBeGreaterThan(0);
      expect(o.deadline - decided.at.getTime()).toBeLessThanOrEqual(SECOND);
    }

    // The timer: pending a second before the deadline, expired at it.
    await advanceClockTo(env, lapsing.deadline - SECOND);
    expect((await lapsing.handle.query(getState)).status).toBe('PENDING_ACCEPTANCE');
    expect((await transitions(prisma, lapsing.opportunityId)).map((e) => e.type)).toEqual(['SHARED']);
    await advanceClockTo(env, lapsing.deadline + SECOND);
    const expired = await eventually(async () => (await transitions(prisma, lapsing.opportunityId)).find((e) => e.type === 'EXPIRED'));
    expect(expired.at.getTime() - lapsing.deadline).toBeGreaterThanOrEqual(0);
    expect(expired.at.getTime() - lapsing.deadline).toBeLessThan(SECOND);
    expect(expired).toMatchObject({ actor: 'system', reasonCode: 'ACCEPT_DEADLINE_PASSED' });
    await expectTimerAtDeadline(lapsing.handle, lapsing.deadline);
  });

  /**
   * The race: accept sent around the expiry timer, on a dozen opportunities a round. Each is decided by the time of the
   * workflow task that ran accept's validator against its deadline; at least one lands exactly on it (a validator
   * comparing with `>` would accept that one), at least one before (accepted in time) and one after. Two of the dozen
   * reject instead, aimed a few ms after the deadline: one going through just before it would race the expiry's timer
   * (test/support/boundary.ts).
   */
  it('accept racing the expiry, to the millisecond: exactly one outcome per opportunity, both outcomes seen; reject after it refused', { timeout: 240_000 }, async () => {
    const answers = { before: DONE, atOrAfter: 'ACCEPT_DEADLINE_PASSED', closed: 'NOT_PENDING_ACCEPTANCE' };
    const outcomes = new Set<string>();
    const opportunities = new Map<string, { opportunityId: string; decision: 'ACCEPTED' | 'REJECTED' }>(); // by workflow id
    const samples = await sweepDeadline(
      onTestFinished,
      async (server) => {
        await toFriday(server);
        const trials: Trial[] = [];
        for (let n = 0; n < 12; n++) {
          const { opportunityId, handle, actor, deadline } = await shareOne(server);
          const rejecting = n % 6 === 4;
          opportunities.set(handle.workflowId, { opportunityId, decision: rejecting ? 'REJECTED' : 'ACCEPTED' });
          trials.push(
            rejecting
              ? { label: `reject of ${opportunityId}`, handle, deadline, act: () => handle.executeUpdate(reject, { args: [{ actor, reasonCode: 'OTHER' }] }), answers, aim: 5 }
              : { label: `accept of ${opportunityId}`, handle, deadline, act: () => handle.executeUpdate(accept, { args: [{ actor }] }), answers },
          );
        }
        return trials;
      },
      {
        until: eachKindAnswered(['reject'], 'ACCEPT_DEADLINE_PASSED'),
        // Past every deadline: each opportunity was decided in time or expired — never both, never neither.
        afterRound: async ({ env, prisma }, round) => {
          await advanceClockTo(env, Math.max(...round.map((s) => s.deadline)) + SECOND);
          for (const s of round) {
            const { opportunityId, decision } = opportunities.get(s.handle.workflowId)!;
            const decisions = await eventually(async () => {
              const rows = (await transitions(prisma, opportunityId)).filter((e) => e.type === decision || e.type === 'EXPIRED');
              return rows.length > 0 ? rows : undefined;
            });
            const outcome = s.answer === DONE ? decision : 'EXPIRED';
            expect(decisions.map((e) => e.type), `${s.label}: ${landed(s)} the deadline, answered ${s.answer}`).toEqual([outcome]);
            expect((await s.handle.query(getState)).status).toBe(outcome);
            // Decided in time: at the validator's own time. Expired: not before the deadline — through the round the
            // server's clock runs in real time, so on a loaded machine the expiry's task may start late (its timing: the
            // test above).
            const at = decisions[0]!.at.getTime();
            const inTime = outcome === 'EXPIRED' ? at >= s.deadline : at === s.decidedAt;
            expect(inTime, `${s.label}: ${outcome} ${at - s.deadline} ms from its deadline`).toBe(true);
            outcomes.add(outcome);
          }
        },
      },
    );
    expect(samples.some((s) => s.label.startsWith('reject') && s.answer === 'ACCEPT_DEADLINE_PASSED'), 'reject refused for the deadline').toBe(true);
    expect([...outcomes], 'both outcomes of the race').toEqual(expect.arrayContaining(['ACCEPTED', 'EXPIRED']));
  });
});
