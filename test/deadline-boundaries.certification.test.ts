/**
 * The certification's supplement deadline at its boundary (issue 15, point 2): the deadline from a hand-computed
 * reference; a supplement and a replaced material a second before it go through; decided at it to the millisecond,
 * or after it, both are refused with SUPPLEMENT_DEADLINE_PASSED; the withdrawal happens at it, not a second earlier.
 * Tolerances, and why: test/support/boundary.ts. (reviewDueAt refuses nothing: past it the review is escalated.)
 */
import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation, type WorkflowHandle } from '@temporalio/client';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { PrismaClient } from '../platform/db.js';
import {
  type Actor,
  certificationWorkflow,
  certificationWorkflowId,
  create,
  getCertification,
  review,
  setMaterial,
  submit,
  supplement,
} from '../workflows/certification/workflow.js';
import { attestExpert, insertExpert } from './support/experts.js';
import { answerOf, DAY, DONE, eachKindAnswered, expectTimerAtDeadline, ownServer, SECOND, type Server, sweepDeadline, toFriday, type Trial } from './support/boundary.js';
import { advanceClockTo, eventually } from './support/wait.js';

const vendor: Actor = { sub: 'vendor-1' };
const KINDS = ['CASE_STUDIES', 'TEAM_ROSTER']; // what ROLE_CONSULTING asks for

/**
 * By hand, for a supplement requested on a Friday afternoon in the plain test calendar (Asia/Shanghai, no DST;
 * Saturday and Sunday rest days), ROLE_CONSULTING giving 10 working days: from a working day at time t, t on the 10th
 * following working day — Mon–Fri (1–5), Mon–Fri (6–10) — the Friday two weeks on, 14 × 24 h after the request.
 */
const supplementDeadlineOf = (requestedAt: string) => Date.parse(requestedAt) + 14 * DAY;

/** A material row uploaded for the application (as the API does), set as `kind`. */
async function attach(prisma: PrismaClient, handle: WorkflowHandle, applicationId: string, actor: Actor, kind: string) {
  const id = randomUUID();
  const sha256 = randomUUID().replaceAll('-', '').padEnd(64, '0');
  const row = await prisma.material.create({
    data: { id, ownerKind: 'certification', ownerId: applicationId, partnerId: actor.partnerId!, fileName: `${kind}.pdf`, contentType: 'application/pdf', size: 3, sha256, bytes: Buffer.from('pdf'), uploadedBy: actor.sub },
  });
  const material = { materialId: id, fileName: row.fileName, sha256, size: 3, contentType: row.contentType, uploadedBy: actor.sub, uploadedAt: row.uploadedAt.toISOString() };
  return handle.executeUpdate(setMaterial, { args: [{ actor, kind, material }] });
}

/** A partner that meets ROLE_CONSULTING's prerequisites: three full-time experts, one of them a CLOUD_EXPERT. */
async function qualifiedPartner({ prisma }: Server) {
  const partnerId = `P-${randomUUID().slice(0, 8)}`;
  for (const [employeeId, certification] of [['E1', 'CLOUD_EXPERT'], ['E2', undefined], ['E3', undefined]] as const) {
    await attestExpert(prisma, partnerId, await insertExpert(prisma, partnerId, { employeeId, ...(certification ? { certification } : {}) }));
  }
  return partnerId;
}

/** One of the partner's ROLE_CONSULTING applications, submitted, and asked by the vendor for a supplement. */
async function supplementRequested({ env, taskQueue, prisma }: Server, partnerId: string) {
  const applicationId = randomUUID();
  const workflowId = certificationWorkflowId(applicationId);
  await env.client.workflow.executeUpdateWithStart(create, {
    args: [{}],
    startWorkflowOperation: new WithStartWorkflowOperation(certificationWorkflow, {
      workflowId,
      taskQueue,
      args: [{ applicationId, partnerId, type: 'ROLE_CONSULTING', createdBy: 'partner-user' }],
      workflowIdConflictPolicy: 'USE_EXISTING',
    }),
  });
  const handle = env.client.workflow.getHandle<typeof certificationWorkflow>(workflowId);
  const actor: Actor = { sub: 'partner-user', partnerId };
  for (const kind of KINDS) await attach(prisma, handle, applicationId, actor, kind);
  await handle.executeUpdate(submit, { args: [{ actor }] });
  const requested = await handle.executeUpdate(review, { args: [{ actor: vendor, decision: 'REQUEST_SUPPLEMENT', note: 'a third case' }] });
  const deadline = supplementDeadlineOf(requested.supplementRequestedAt!);
  expect(requested.supplementDeadline).toBe(new Date(deadline).toISOString());
  return { applicationId, handle, actor, deadline, attach: (kind: string) => attach(prisma, handle, applicationId, actor, kind) };
}

const transitions = (prisma: PrismaClient, applicationId: string) => prisma.certificationEvent.findMany({ where: { applicationId }, orderBy: { seq: 'asc' } });

describe('the supplement deadline at its boundary', () => {
  it('a supplement and a replaced material a second before it go through; the withdrawal comes at it, not a second earlier', async () => {
    const server = await ownServer(onTestFinished);
    const { env, prisma } = server;
    await toFriday(server);
    const partnerId = await qualifiedPartner(server);
    const supplementing = await supplementRequested(server, partnerId);
    const replacing = await supplementRequested(server, partnerId);
    const lapsing = await supplementRequested(server, partnerId);

    // A second before: through, decided by workflow time before the deadline (the clock ran a few ms on meanwhile).
    const actions = [
      [supplementing, () => supplementing.handle.executeUpdate(supplement, { args: [{ actor: supplementing.actor, note: 'third case added' }] }), 'SUPPLEMENTED'],
      [replacing, () => replacing.attach('CASE_STUDIES'), 'MATERIAL_SET'],
    ] as const;
    for (const [application, act, type] of actions) {
      await advanceClockTo(env, application.deadline - SECOND);
      expect(await answerOf(act()), type).toBe(DONE);
      const decided = (await transitions(prisma, application.applicationId)).findLast((e) => e.type === type)!;
      expect(application.deadline - decided.at.getTime()).toBeGreaterThan(0);
      expect(application.deadline - decided.at.getTime()).toBeLessThanOrEqual(SECOND);
    }
    expect((await supplementing.handle.query(getCertification)).status).toBe('IN_REVIEW');

    // The timer: still waiting for the supplement a second before the deadline, withdrawn at it.
    await advanceClockTo(env, lapsing.deadline - SECOND);
    expect((await lapsing.handle.query(getCertification)).status).toBe('SUPPLEMENT_REQUESTED');
    expect((await prisma.certificationApplication.findUniqueOrThrow({ where: { id: lapsing.applicationId } })).status).toBe('SUPPLEMENT_REQUESTED');
    await advanceClockTo(env, lapsing.deadline + SECOND);
    const withdrawn = await eventually(async () => (await transitions(prisma, lapsing.applicationId)).find((e) => e.type === 'WITHDRAWN_BY_TIMEOUT'));
    expect(withdrawn.at.getTime() - lapsing.deadline).toBeGreaterThanOrEqual(0);
    expect(withdrawn.at.getTime() - lapsing.deadline).toBeLessThan(SECOND);
    expect(withdrawn).toMatchObject({ actor: 'system', toStatus: 'WITHDRAWN_BY_TIMEOUT' });
    await expectTimerAtDeadline(lapsing.handle, lapsing.deadline);
  });

  /**
   * A material of a kind the type does not ask for changes nothing: before the deadline it is refused for its kind,
   * at it and after it for the deadline; a late supplement too. Applications a round, at least
   * one decided exactly at its deadline (a validator comparing with `>` would let the partner through).
   */
  it('a supplement and a material decided at the deadline to the millisecond, or after it, are refused with SUPPLEMENT_DEADLINE_PASSED', { timeout: 240_000 }, async () => {
    const brochure = { materialId: randomUUID(), fileName: 'b.pdf', sha256: 'b'.repeat(64), size: 3, contentType: 'application/pdf', uploadedBy: 'partner-user', uploadedAt: new Date(0).toISOString() };
    const samples = await sweepDeadline(onTestFinished, async (server) => {
      await toFriday(server);
      const partnerId = await qualifiedPartner(server);
      const trials: Trial[] = [];
      for (let n = 0; n < 10; n++) {
        const application = await supplementRequested(server, partnerId);
        const { handle, actor } = application;
        trials.push(
          n % 3 === 2
            ? {
                label: `supplement of ${application.applicationId}`,
                handle,
                deadline: application.deadline,
                act: () => handle.executeUpdate(supplement, { args: [{ actor, note: 'late case' }] }),
                // Aimed after the deadline: one going through just before it would race the withdrawal's timer (boundary.ts).
                aim: 5,
                answers: { before: DONE, atOrAfter: 'SUPPLEMENT_DEADLINE_PASSED', closed: 'NOT_SUPPLEMENT_REQUESTED' },
              }
            : {
                label: `material of ${application.applicationId}`,
                handle,
                deadline: application.deadline,
                act: () => handle.executeUpdate(setMaterial, { args: [{ actor, kind: 'BROCHURE', material: brochure }] }),
                answers: { before: 'INVALID_REQUEST', atOrAfter: 'SUPPLEMENT_DEADLINE_PASSED', closed: 'NOT_EDITABLE' },
              },
        );
      }
      return trials;
    }, { until: eachKindAnswered(['supplement', 'material'], 'SUPPLEMENT_DEADLINE_PASSED') });
    for (const kind of ['supplement', 'material']) {
      expect(samples.some((s) => s.label.startsWith(kind) && s.answer === 'SUPPLEMENT_DEADLINE_PASSED'), kind).toBe(true);
    }
  });
});
