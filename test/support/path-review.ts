/**
 * Steps the path review deadline tests share, on a test file's environment (support/env.ts): a member's review
 * started (as the cycle would) and opened, one qualified and submitted, and its row, events and window reminders.
 */
import { randomUUID } from 'node:crypto';
import {
  type Actor,
  apply,
  getPathReview,
  pathReviewId,
  pathReviewWorkflow,
  pathReviewWorkflowId,
  setMaterial,
  submit,
} from '../../workflows/path-review/workflow.js';
import type { TestEnv } from './env.js';
import { attestExpert, insertExpert } from './experts.js';
import { eventually } from './wait.js';

export const vendor: Actor = { sub: 'vendor-1' };
export const partner = () => `P-rc-${randomUUID().slice(0, 8)}`;

/** Each reminder message as [dueAt, daysBefore, the windowEndsAt it announces]. */
export const announced = (messages: { dueAt: Date; payload: unknown }[]) =>
  messages.map((m) => {
    const p = m.payload as { daysBefore: number; windowEndsAt: string };
    return [m.dueAt.getTime(), p.daysBefore, p.windowEndsAt];
  });

/** The steps, on `env`'s server, task queue and database, for reviews of `year`. */
export function pathReviewSteps(env: TestEnv, year: number) {
  /** A review opened now, its window counted from `cycleStartedAt` (default: now). */
  async function startReview(pathId: 'SOFTWARE' | 'CONSULTING_SI', level: string, cycleStartedAt?: Date) {
    const partnerId = partner();
    const at = cycleStartedAt ?? new Date(await env.currentTimeMs());
    await env.prisma.pathMembership.create({ data: { partnerId, pathId, level, since: at, updatedAt: at } });
    const reviewId = pathReviewId(pathId, partnerId, year);
    const handle = await env.client.workflow.start(pathReviewWorkflow, {
      workflowId: pathReviewWorkflowId(reviewId),
      taskQueue: env.taskQueue,
      args: [{ pathId, partnerId, year: year, level, cycleStartedAt: at.toISOString() }],
    });
    const snapshot = await eventually(async () => {
      const s = await handle.query(getPathReview);
      return s.openedAt ? s : undefined;
    });
    return { handle, snapshot, reviewId, partnerId, start: at, actor: { sub: 'partner-user', partnerId } as Actor };
  }

  /** CONSULTING_SI MEMBER, qualified (2 experts, a ROLE_CONSULTING certificate), applied, materials set, submitted. */
  async function submittedReview() {
    const started = await startReview('CONSULTING_SI', 'MEMBER');
    const { partnerId, handle, reviewId, actor } = started;
    for (const employeeId of ['E1', 'E2', 'E3']) await attestExpert(env.prisma, partnerId, await insertExpert(env.prisma, partnerId, { employeeId }));
    const id = randomUUID();
    const at = new Date();
    await env.prisma.certificationApplication.create({
      data: { id, partnerId, type: 'ROLE_CONSULTING', category: 'ROLE', appliesTo: 'PARTNER', status: 'APPROVED', terms: {}, createdBy: 'seed', createdAt: at, lastSeq: 1, updatedAt: at },
    });
    await env.prisma.certificate.create({
      data: { number: `PF-T-${id}`, applicationId: id, partnerId, type: 'ROLE_CONSULTING', category: 'ROLE', labels: [], scope: 'partner', validFrom: new Date('2020-01-01'), validTo: new Date('2099-12-31'), status: 'ACTIVE', issuedAt: at, updatedAt: at },
    });
    await handle.executeUpdate(apply, { args: [{ actor }] });
    for (const kind of started.snapshot.terms!.materials) {
      const materialId = randomUUID();
      const sha256 = randomUUID().replaceAll('-', '').padEnd(64, '0');
      const row = await env.prisma.material.create({
        data: { id: materialId, ownerKind: 'path-review', ownerId: reviewId, partnerId, fileName: `${kind}.pdf`, contentType: 'application/pdf', size: 3, sha256, bytes: Buffer.from('pdf'), uploadedBy: actor.sub },
      });
      const material = { materialId, fileName: row.fileName, sha256, size: 3, contentType: row.contentType, uploadedBy: actor.sub, uploadedAt: row.uploadedAt.toISOString() };
      await handle.executeUpdate(setMaterial, { args: [{ actor, kind, material }] });
    }
    await handle.executeUpdate(submit, { args: [{ actor }] });
    return started;
  }

  const reviewRow = (id: string) => env.prisma.pathReview.findUniqueOrThrow({ where: { id }, include: { events: { orderBy: { seq: 'asc' } } } });
  const eventTypes = async (id: string) => (await reviewRow(id)).events.map((e) => e.type);
  // id: the order they were written in, for equal due times
  const reminders = (reviewId: string) =>
    env.prisma.outbox.findMany({ where: { topic: 'path-review.window-reminder', aggregateId: reviewId }, orderBy: [{ dueAt: 'asc' }, { id: 'asc' }] });

  return { startReview, submittedReview, reviewRow, eventTypes, reminders };
}
