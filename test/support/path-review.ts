/**
 * Steps the path review deadline tests share, on a test file's environment (support/env.ts): a member's review
 * started (as the cycle would) and opened, one qualified and submitted, and its row, events and window reminders.
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { expect } from 'vitest';
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
import { isoDate, nextFriday } from './calendar.js';
import { DAY, type TestEnv } from './env.js';
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
/** The window reminders (enqueuePathReviewMessage inputs) sent for `windowEndsAt` — some were sent for an earlier end. */
export const forEnd = (end: number) => (m: { payload: { windowEndsAt: string } }) => m.payload.windowEndsAt === new Date(end).toISOString();

/** How many recomputations (the activity that counts again) the workflow has completed. */
export async function recomputations(handle: WorkflowHandle): Promise<number> {
  const events = (await handle.fetchHistory()).events ?? [];
  const ids = new Set(
    events.filter((e) => ['planPathReviewWindow', 'planPathReviewDeadline'].includes(e.activityTaskScheduledEventAttributes?.activityType?.name ?? '')).map((e) => String(e.eventId)),
  );
  return events.filter((e) => ids.has(String(e.activityTaskCompletedEventAttributes?.scheduledEventId))).length;
}

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

  /**
   * A review whose cycle started at the next Friday 15:00 (the server's clock moved there), so every date is counted
   * by hand in the test calendar (Asia/Shanghai, no DST; Saturday and Sunday rest): the working days after it are the
   * weekdays of the weeks that follow — Mon–Fri of week 1 are 1–5 (3–7 days on), of week 2 are 6–10 (10–14 days on),
   * and so on. `at(n)`: n × 24 h after the start; `date(n)`: the local date n days on. Unchanged, the window ends on
   * working day 30 (Fri, 42 days on); its reminders are at 20 (Fri, 28 days on) and 27 (Tue, 39 days on).
   */
  async function startOnFriday(pathId: 'SOFTWARE' | 'CONSULTING_SI', level: string) {
    const friday = nextFriday(await env.currentTimeMs(), 15);
    await env.advanceTo(friday.toMillis());
    const review = await startReview(pathId, level, friday.toJSDate());
    const at = (days: number) => friday.toMillis() + days * DAY;
    expect(review.snapshot.windowEndsAt).toBe(new Date(at(42)).toISOString());
    return { ...review, at, date: (days: number) => isoDate(friday.plus({ days })) };
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

  return { startReview, startOnFriday, submittedReview, reviewRow, eventTypes, reminders };
}
