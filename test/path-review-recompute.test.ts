/**
 * Path review deadlines follow the calendar, on the time-skipping test server with the real activities on a real
 * PostgreSQL: a holiday inside the pending window pushes windowEndsAt (history, row, reminders planned again for the
 * new end, search attribute, LAPSED at the new end); a make-up day pulls it in, already past it lapses at once; after
 * sent reminders a moved window is announced again (domain/reminders.ts: one at once, or each at its new time); the supplement
 * deadline is recomputed from the request; a change outside the window, or a review with no pending deadline,
 * records nothing; and end to end through calendarChangeWorkflow, which finds the review by its partner's calendar.
 * Deadlines reaching into a year whose holiday schedule is not published are provisional (history, query, Web UI,
 * reminders) until the official year re-times them: confirmed (the mark clears) or moved (path-review.deadline-changed).
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BusinessCalendar } from '../domain/calendar.js';
import type { PrismaClient } from '../platform/db.js';
import { calendarChangeWorkflow } from '../workflows/calendar-change/workflow.js';
import {
  type Actor,
  apply,
  decide,
  getPathReview,
  pathReviewId,
  pathReviewWorkflow,
  pathReviewWorkflowId,
  recomputeDeadline,
  setMaterial,
  submit,
} from '../workflows/path-review/workflow.js';
import { ProcessDeadline } from '../workflows/kit/search-attributes.js';
import { fixedCalendar, isoDate, testCalendar, ZONE } from './support/calendar.js';
import { attestExpert, insertExpert } from './support/experts.js';
import { cnCalendar, deadlineChangedMessages, nextThursdayDec24, officialNextYear, provisionalAttribute } from './support/provisional.js';
import { startTestWorker, timeSkippingEnv } from './support/temporal.js';
import { advanceClockTo, eventually } from './support/wait.js';
import { recordHistory } from './support/histories.js';

const taskQueue = 'path-review-recompute-test';
let env: TestWorkflowEnvironment;
let prisma: PrismaClient;
let stopWorker: () => Promise<void>;
let base: number;
let calendar: BusinessCalendar;

beforeAll(async () => {
  env = await timeSkippingEnv();
  base = await env.currentTimeMs();
  calendar = testCalendar(base);
  ({ prisma, stop: stopWorker } = await startTestWorker(env, taskQueue, fixedCalendar(() => calendar)));
});

afterAll(async () => {
  await stopWorker?.();
  await env?.teardown();
});

const YEAR = 2027;
const vendor: Actor = { sub: 'vendor-1' };
const partner = () => `P-rc-${randomUUID().slice(0, 8)}`;
const local = (iso: string | number | Date) => DateTime.fromJSDate(new Date(iso), { zone: ZONE });
const withDays = (days: { holidays?: string[]; makeupWorkdays?: string[] }) => testCalendar(base, days);

const advanceTo = (target: number) => advanceClockTo(env, target);

/** Not handle.result(): awaiting a result lets the time-skipping server skip ahead on its own. */
const completed = (handle: WorkflowHandle) => eventually(async () => ((await handle.describe()).status.name === 'COMPLETED' ? true : undefined));

/** A review opened now, its window counted from `cycleStartedAt` (default: now). */
async function startReview(pathId: 'SOFTWARE' | 'CONSULTING_SI', level: string, cycleStartedAt?: Date) {
  const partnerId = partner();
  const at = cycleStartedAt ?? new Date(await env.currentTimeMs());
  await prisma.pathMembership.create({ data: { partnerId, pathId, level, since: at, updatedAt: at } });
  const reviewId = pathReviewId(pathId, partnerId, YEAR);
  const handle = await env.client.workflow.start(pathReviewWorkflow, {
    workflowId: pathReviewWorkflowId(reviewId),
    taskQueue,
    args: [{ pathId, partnerId, year: YEAR, level, cycleStartedAt: at.toISOString() }],
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
  for (const employeeId of ['E1', 'E2', 'E3']) await attestExpert(prisma, partnerId, await insertExpert(prisma, partnerId, { employeeId }));
  const id = randomUUID();
  const at = new Date();
  await prisma.certificationApplication.create({
    data: { id, partnerId, type: 'ROLE_CONSULTING', category: 'ROLE', appliesTo: 'PARTNER', status: 'APPROVED', terms: {}, createdBy: 'seed', createdAt: at, lastSeq: 1, updatedAt: at },
  });
  await prisma.certificate.create({
    data: { number: `PF-T-${id}`, applicationId: id, partnerId, type: 'ROLE_CONSULTING', category: 'ROLE', labels: [], scope: 'partner', validFrom: new Date('2020-01-01'), validTo: new Date('2099-12-31'), status: 'ACTIVE', issuedAt: at, updatedAt: at },
  });
  await handle.executeUpdate(apply, { args: [{ actor }] });
  for (const kind of started.snapshot.terms!.materials) {
    const materialId = randomUUID();
    const sha256 = randomUUID().replaceAll('-', '').padEnd(64, '0');
    const row = await prisma.material.create({
      data: { id: materialId, ownerKind: 'path-review', ownerId: reviewId, partnerId, fileName: `${kind}.pdf`, contentType: 'application/pdf', size: 3, sha256, bytes: Buffer.from('pdf'), uploadedBy: actor.sub },
    });
    const material = { materialId, fileName: row.fileName, sha256, size: 3, contentType: row.contentType, uploadedBy: actor.sub, uploadedAt: row.uploadedAt.toISOString() };
    await handle.executeUpdate(setMaterial, { args: [{ actor, kind, material }] });
  }
  await handle.executeUpdate(submit, { args: [{ actor }] });
  return started;
}

const reviewRow = (id: string) => prisma.pathReview.findUniqueOrThrow({ where: { id }, include: { events: { orderBy: { seq: 'asc' } } } });
const eventTypes = async (id: string) => (await reviewRow(id)).events.map((e) => e.type);
const reminders = (reviewId: string) => prisma.outbox.findMany({ where: { topic: 'path-review.window-reminder', aggregateId: reviewId }, orderBy: [{ dueAt: 'asc' }, { id: 'asc' }] }); // id: the order they were written in, for equal due times
/** Each reminder message as [dueAt, daysBefore, the windowEndsAt it announces]. */
const announced = (messages: { dueAt: Date; payload: unknown }[]) =>
  messages.map((m) => {
    const p = m.payload as { daysBefore: number; windowEndsAt: string };
    return [m.dueAt.getTime(), p.daysBefore, p.windowEndsAt];
  });
const firstSaturdayAfter = (start: Date) => {
  let day = local(start).plus({ days: 1 });
  while (day.weekday !== 6) day = day.plus({ days: 1 });
  return day;
};
const processDeadline = async (handle: WorkflowHandle) => (await handle.describe()).typedSearchAttributes.get(ProcessDeadline)?.toISOString();

/** How many recomputations (the activity that counts again) the workflow has completed. */
async function recomputations(handle: WorkflowHandle): Promise<number> {
  const events = (await handle.fetchHistory()).events ?? [];
  const ids = new Set(
    events.filter((e) => ['planPathReviewWindow', 'planPathReviewDeadline'].includes(e.activityTaskScheduledEventAttributes?.activityType?.name ?? '')).map((e) => String(e.eventId)),
  );
  return events.filter((e) => ids.has(String(e.activityTaskCompletedEventAttributes?.scheduledEventId))).length;
}


// First in the file: its clock jump to 24 December comes before other tests leave workflows (and terminations) behind.
describe('path review deadlines reaching into a year whose holiday schedule is not published', () => {
  const DAY = 24 * 3600 * 1000;
  const eventCount = (id: string, count: number) =>
    eventually(async () => {
      const r = await reviewRow(id);
      return r.events.length === count ? r : undefined;
    });
  const provisionalExplanation = (next: number) => ({
    provisional: true,
    provisionalYears: [next],
    provisionalNote: expect.stringContaining('may move'),
    skippedDays: expect.arrayContaining([{ date: `${next}-01-01`, reason: 'HOLIDAY', name: "New Year's Day (provisional)" }]),
  });

  it('are provisional (history, query, Web UI, reminder); the official year re-times them: a confirmed supplementDeadline clears its mark, a moved window is announced', async () => {
    const dec24 = nextThursdayDec24(await env.currentTimeMs());
    const [year, next] = [dec24.year, dec24.year + 1];
    calendar = cnCalendar(year - 1, year); // next year not published: counted with CN's statutory rules
    try {
      await advanceTo(dec24.toMillis());
      // The window counts from Thu 11-26 10:00, 28 days earlier: Fri 27 (1), Mon 30 – Fri 12-04 (2–6), three full weeks
      // (7–21, the 20th Thu 12-24), Mon 28 – Thu 31 (22–25), Fri 01-01 New Year's Day (statutory), Mon 04 – Fri 08 (26–30)
      // → Fri 01-08 10:00, 43 days on. Reminders: 10 working days before (the 20th: Thu 12-24 10:00, due at once) and 3 (the
      // 27th: Tue 01-05).
      const cycleStart = dec24.minus({ days: 28 });
      const window = await startReview('SOFTWARE', 'ADVANCED', cycleStart.toJSDate());
      const windowEndsAt = cycleStart.plus({ days: 43 }).toJSDate().toISOString();
      expect(window.snapshot).toMatchObject({ windowEndsAt, deadlineProvisional: true, provisionalYears: [next] });
      expect((await reviewRow(window.reviewId)).events[0]!.data).toMatchObject({ explanation: provisionalExplanation(next) });
      expect(await provisionalAttribute(window.handle)).toBe(true);
      const [first] = await eventually(async () => {
        const rows = await reminders(window.reviewId);
        return rows.length ? rows : undefined;
      });
      expect(first).toMatchObject({ dueAt: dec24.toJSDate(), payload: { daysBefore: 10, windowEndsAt, deadlineProvisional: true, provisionalYears: [next] } });

      // Submitted, then a supplement asked now: 10 working days, as for a review SLA → Fri 01-08, 15 days on.
      const supplementing = await submittedReview();
      const asked = await supplementing.handle.executeUpdate(decide, { args: [{ actor: vendor, decision: 'REQUEST_SUPPLEMENT', note: 'more' }] });
      const askedAt = (await reviewRow(supplementing.reviewId)).events.at(-1)!;
      expect(askedAt).toMatchObject({ type: 'SUPPLEMENT_REQUESTED', data: { explanation: provisionalExplanation(next) } });
      const supplementDeadline = new Date(askedAt.at.getTime() + 15 * DAY).toISOString();
      expect(asked).toMatchObject({ status: 'SUPPLEMENT_REQUESTED', supplementDeadline, deadlineProvisional: true, provisionalYears: [next] });
      expect(await provisionalAttribute(supplementing.handle)).toBe(true);

      // The official year says what the rules said: the supplement deadline stands, its mark clears, nothing is sent.
      calendar = officialNextYear(year);
      const seen = (await reviewRow(supplementing.reviewId)).events.length;
      await supplementing.handle.signal(recomputeDeadline, { reason: `calendar CN: ${next} published`, calendar: 'CN', version: 3 });
      const confirmed = await eventCount(supplementing.reviewId, seen + 1);
      expect(confirmed.supplementDeadline!.toISOString()).toBe(supplementDeadline);
      expect(confirmed.events.at(-1)).toMatchObject({ type: 'DEADLINE_CHANGED', data: { deadline: 'supplementDeadline', from: supplementDeadline, to: supplementDeadline } });
      expect(confirmed.events.at(-1)!.note).toContain('no longer provisional');
      expect(confirmed.events.at(-1)!.data).not.toHaveProperty('explanation.provisional');
      expect(await deadlineChangedMessages(prisma, supplementing.reviewId)).toEqual([]);
      expect(await provisionalAttribute(supplementing.handle)).toBe(false);
      expect(await supplementing.handle.query(getPathReview)).not.toHaveProperty('deadlineProvisional');

      // The official year, with a bridge day (Mon 01-04), loaded as a new version of the window's partner calendar: the
      // calendar change finds the review (its window touches the newly covered year) and signals it.
      // 26th working day Tue 01-05 … 29th Fri 01-08, 30th Mon 01-11 → 46 days on.
      const name = `PRV-${randomUUID().slice(0, 6)}`;
      const at = new Date();
      const version = (v: number, lastYear: number, changes?: object) => ({
        calendarName: name, version: v, zone: ZONE, restWeekdays: [6, 7], firstYear: year - 1, lastYear, holidays: [], makeupWorkdays: [], changedBy: 'test', changedAt: at,
        ...(changes ? { changes } : {}),
      });
      await prisma.calendar.create({ data: { name, createdBy: 'test', createdAt: at } });
      await prisma.calendarVersion.create({ data: version(1, year) });
      await prisma.calendarVersion.create({ data: version(2, next, { everyDate: false, dates: [], newlyCoveredYears: [next] }) });
      await prisma.partnerCalendar.create({ data: { partnerId: window.partnerId, calendarName: name, assignedBy: 'test', assignedAt: at } });
      calendar = officialNextYear(year, { bridge: true });
      const change = await env.client.workflow.start(calendarChangeWorkflow, {
        workflowId: `calendar-change-${name}-v2`,
        taskQueue,
        args: [{ scope: { kind: 'CALENDAR', calendar: name, version: 2, defaultCalendar: 'CN' }, reason: `calendar ${name}: ${next} published` }],
      });
      await completed(change);
      expect(await change.result()).toEqual({ signaled: 1 });
      const to = cycleStart.plus({ days: 46 }).toJSDate().toISOString();
      const moved = await eventCount(window.reviewId, 2);
      expect(moved.windowEndsAt.toISOString()).toBe(to);
      expect(moved.events[1]).toMatchObject({ type: 'DEADLINE_CHANGED', data: { deadline: 'windowEndsAt', from: windowEndsAt, to } });
      const [message, ...more] = await eventually(async () => {
        const rows = await deadlineChangedMessages(prisma, window.reviewId);
        return rows.length ? rows : undefined;
      });
      expect(more).toEqual([]);
      expect(message).toMatchObject({
        topic: 'path-review.deadline-changed',
        payload: { reviewId: window.reviewId, partnerId: window.partnerId, deadline: 'windowEndsAt', from: windowEndsAt, to, reason: `calendar ${name}: ${next} published` },
      });
      expect(message!.payload).not.toHaveProperty('deadlineProvisional');
      // The 10-day reminder is announced again for the new end, no longer provisional.
      const again = await eventually(async () => {
        const rows = await reminders(window.reviewId);
        return rows.length === 2 ? rows : undefined;
      });
      expect(again.map((r) => (r.payload as { windowEndsAt: string }).windowEndsAt).sort()).toEqual([windowEndsAt, to].sort());
      expect(again.find((r) => (r.payload as { windowEndsAt: string }).windowEndsAt === to)!.payload).not.toHaveProperty('deadlineProvisional');
      expect(await provisionalAttribute(window.handle)).toBe(false);
      expect(await window.handle.query(getPathReview)).not.toHaveProperty('deadlineProvisional');
    } finally {
      calendar = testCalendar(base);
    }
  });
});


describe('path review deadlines follow the calendar', () => {
  it('a holiday inside the window pushes windowEndsAt one working day: history, row, reminders re-planned for the new end, lapse at the new end', async () => {
    const { handle, reviewId, start, snapshot } = await startReview('SOFTWARE', 'ADVANCED');
    const [r10, r3, oldEnd] = [20, 27, 30].map((n) => calendar.addWorkingDays(start, n).deadline.getTime()) as [number, number, number];
    expect(Date.parse(snapshot.windowEndsAt!)).toBe(oldEnd);
    await advanceTo(r10 + 1000);
    await eventually(async () => ((await reminders(reviewId)).length === 1 ? true : undefined));

    // A closure on the 24th working day: after the sent reminder, before the other one and the end.
    calendar = withDays({ holidays: [isoDate(local(calendar.addWorkingDays(start, 24).deadline))] });
    const [newR3, newEnd] = [27, 30].map((n) => calendar.addWorkingDays(start, n).deadline.getTime()) as [number, number];
    expect(newEnd).toBeGreaterThan(oldEnd);
    await handle.signal(recomputeDeadline, { reason: 'calendar TEST changed', calendar: 'TEST', version: 2 });
    const row = await eventually(async () => {
      const r = await reviewRow(reviewId);
      return r.windowEndsAt.getTime() === newEnd ? r : undefined;
    });
    expect(row.events.map((e) => e.type)).toEqual(['OPENED', 'DEADLINE_CHANGED']);
    expect(row.events[1]).toMatchObject({
      fromStatus: 'OPEN',
      toStatus: 'OPEN',
      actor: 'system',
      data: { deadline: 'windowEndsAt', from: new Date(oldEnd).toISOString(), to: new Date(newEnd).toISOString(), calendar: 'TEST', calendarVersion: 2, reasons: ['calendar TEST changed'] },
    });
    expect(row.events[1]!.note).toContain('TEST v2');
    expect(row.reminderTimes).toEqual([
      { days: 10, at: new Date(r10).toISOString() },
      { days: 3, at: new Date(newR3).toISOString() },
    ]);
    // The 10-day reminder's time (before the holiday) has passed: it goes out again at once, naming the new end.
    const again = await eventually(async () => {
      const rows = await reminders(reviewId);
      return rows.length === 2 ? rows : undefined;
    });
    expect(announced(again)).toEqual([
      [r10, 10, new Date(oldEnd).toISOString()],
      [r10, 10, new Date(newEnd).toISOString()],
    ]);
    expect((await handle.query(getPathReview)).reminders).toEqual([
      { days: 10, at: new Date(r10).toISOString(), sent: true },
      { days: 3, at: new Date(newR3).toISOString(), sent: false },
    ]);
    expect(await processDeadline(handle)).toBe(new Date(newEnd).toISOString());

    await advanceTo(newR3 + 1000);
    const sent = await eventually(async () => {
      const rows = await reminders(reviewId);
      return rows.length === 3 ? rows : undefined;
    });
    expect(announced(sent).at(-1)).toEqual([newR3, 3, new Date(newEnd).toISOString()]);
    await advanceTo(oldEnd + 1000);
    expect((await handle.query(getPathReview)).status).toBe('OPEN');
    await advanceTo(newEnd);
    await completed(handle);
    expect(await handle.query(getPathReview)).toMatchObject({ status: 'LAPSED', decidedAt: new Date(newEnd).toISOString() });
    expect(await eventTypes(reviewId)).toEqual(['OPENED', 'DEADLINE_CHANGED', 'LAPSED']);
    calendar = testCalendar(base);
    await recordHistory(handle, 'path-review-deadline-recomputed');
  });

  it('a make-up day pulls windowEndsAt in; already past, the review lapses at once', async () => {
    const { handle, reviewId, start } = await startReview('SOFTWARE', 'CERTIFIED');
    const oldEnd = calendar.addWorkingDays(start, 30).deadline.getTime();
    let saturday = local(start).plus({ days: 1 });
    while (saturday.weekday !== 6) saturday = saturday.plus({ days: 1 });
    const pulledIn = withDays({ makeupWorkdays: [isoDate(saturday)] }).addWorkingDays(start, 30).deadline.getTime();
    expect(pulledIn).toBeLessThan(oldEnd);
    await advanceTo(pulledIn + 30 * 60_000);
    expect((await handle.query(getPathReview)).status).toBe('OPEN');
    calendar = withDays({ makeupWorkdays: [isoDate(saturday)] });
    await handle.signal(recomputeDeadline, { reason: 'calendar TEST changed' });
    await completed(handle);
    const row = await reviewRow(reviewId);
    expect(row.events.map((e) => e.type)).toEqual(['OPENED', 'DEADLINE_CHANGED', 'LAPSED']);
    expect(row.windowEndsAt.getTime()).toBe(pulledIn);
    expect(row.events[2]!.at.getTime()).toBeGreaterThanOrEqual(pulledIn + 30 * 60_000);
    expect(row.events[2]!.at.getTime()).toBe(row.events[1]!.at.getTime());
    expect(row.status).toBe('LAPSED');
    expect((await reminders(reviewId)).length).toBe(2); // the new end has passed: no reminder for it
    calendar = testCalendar(base);
  });

  it('both reminders sent, a make-up day pulls the window in past both new reminder times: exactly one new reminder (3 days) at once', async () => {
    const { handle, reviewId, start } = await startReview('SOFTWARE', 'ADVANCED');
    const [r10, r3, oldEnd] = [20, 27, 30].map((n) => calendar.addWorkingDays(start, n).deadline.getTime()) as [number, number, number];
    await advanceTo(r3 + 1000);
    await eventually(async () => ((await reminders(reviewId)).length === 2 ? true : undefined));

    calendar = withDays({ makeupWorkdays: [isoDate(firstSaturdayAfter(start))] });
    const [newR10, newR3, newEnd] = [20, 27, 30].map((n) => calendar.addWorkingDays(start, n).deadline.getTime()) as [number, number, number];
    expect(newR3).toBeLessThan(r3); // both new reminder times have passed
    expect(newEnd).toBeLessThan(oldEnd);
    expect(newEnd).toBeGreaterThan(r3 + 1000);
    await handle.signal(recomputeDeadline, { reason: 'calendar TEST changed' });
    const sent = await eventually(async () => {
      const rows = await reminders(reviewId);
      return rows.length === 3 ? rows : undefined;
    });
    expect(await env.currentTimeMs()).toBeLessThan(r3 + 60_000); // at once: no timer waited for
    expect(announced(sent)).toEqual([
      // by dueAt: the new 3-day reminder is due (and sent at once) before the old one's time
      [r10, 10, new Date(oldEnd).toISOString()],
      [newR3, 3, new Date(newEnd).toISOString()],
      [r3, 3, new Date(oldEnd).toISOString()],
    ]);
    expect((await handle.query(getPathReview)).reminders).toEqual([
      { days: 10, at: new Date(newR10).toISOString(), sent: true }, // skipped: the 3-day one is the latest due
      { days: 3, at: new Date(newR3).toISOString(), sent: true },
    ]);

    await advanceTo(newEnd);
    await completed(handle);
    expect(await handle.query(getPathReview)).toMatchObject({ status: 'LAPSED', decidedAt: new Date(newEnd).toISOString() });
    expect(await eventTypes(reviewId)).toEqual(['OPENED', 'DEADLINE_CHANGED', 'LAPSED']);
    expect((await reminders(reviewId)).length).toBe(3);
    calendar = testCalendar(base);
    await recordHistory(handle, 'path-review-reminders-window-pulled-in');
  });

  it('the 10-day reminder sent, a holiday pushes the window out: new 10-day and 3-day reminders at their new times, not before', async () => {
    const { handle, reviewId, start } = await startReview('SOFTWARE', 'ADVANCED');
    const [r10, oldEnd] = [20, 30].map((n) => calendar.addWorkingDays(start, n).deadline.getTime()) as [number, number];
    await advanceTo(r10 + 1000);
    await eventually(async () => ((await reminders(reviewId)).length === 1 ? true : undefined));

    calendar = withDays({ holidays: [isoDate(local(calendar.addWorkingDays(start, 5).deadline))] }); // already past
    const [newR10, newR3, newEnd] = [20, 27, 30].map((n) => calendar.addWorkingDays(start, n).deadline.getTime()) as [number, number, number];
    expect(newR10).toBeGreaterThan(r10 + 1000);
    await handle.signal(recomputeDeadline, { reason: 'calendar TEST changed' });
    await eventually(async () => ((await reviewRow(reviewId)).windowEndsAt.getTime() === newEnd ? true : undefined));
    expect((await handle.query(getPathReview)).reminders).toEqual([
      { days: 10, at: new Date(newR10).toISOString(), sent: false },
      { days: 3, at: new Date(newR3).toISOString(), sent: false },
    ]);

    const count = async (n: number) => eventually(async () => ((await reminders(reviewId)).length === n ? reminders(reviewId) : undefined));
    await advanceTo(newR10 - 1000);
    expect((await reminders(reviewId)).length).toBe(1);
    await advanceTo(newR10 + 1000);
    await count(2);
    await advanceTo(newR3 - 1000);
    expect((await reminders(reviewId)).length).toBe(2);
    await advanceTo(newR3 + 1000);
    expect(announced(await count(3))).toEqual([
      [r10, 10, new Date(oldEnd).toISOString()],
      [newR10, 10, new Date(newEnd).toISOString()],
      [newR3, 3, new Date(newEnd).toISOString()],
    ]);
    await advanceTo(newEnd);
    await completed(handle);
    expect(await handle.query(getPathReview)).toMatchObject({ status: 'LAPSED', decidedAt: new Date(newEnd).toISOString() });
    calendar = testCalendar(base);
    await recordHistory(handle, 'path-review-reminders-window-pushed-out');
  });

  it('a change outside the window records nothing; a submitted review (no pending deadline) ignores the signal', async () => {
    const { handle, reviewId, snapshot } = await startReview('SOFTWARE', 'CERTIFIED');
    calendar = withDays({ holidays: [isoDate(local(snapshot.windowEndsAt!).plus({ days: 60 }))] });
    await handle.signal(recomputeDeadline, { reason: 'calendar TEST changed' });
    await eventually(async () => ((await recomputations(handle)) === 1 ? true : undefined));
    expect(await eventTypes(reviewId)).toEqual(['OPENED']);
    expect((await handle.query(getPathReview)).windowEndsAt).toBe(snapshot.windowEndsAt);
    await handle.terminate('done with it');

    const review = await submittedReview();
    calendar = withDays({ holidays: [isoDate(local(calendar.addWorkingDays(review.start, 5).deadline))] });
    await review.handle.signal(recomputeDeadline, { reason: 'calendar TEST changed' });
    await review.handle.executeUpdate(decide, { args: [{ actor: vendor, decision: 'PASS' }] }); // handled after the signal
    await completed(review.handle);
    expect(await eventTypes(review.reviewId)).toEqual(['OPENED', 'APPLIED', 'MATERIAL_SET', 'MATERIAL_SET', 'SUBMITTED', 'PASSED']);
    expect(await recomputations(review.handle)).toBe(0);
    calendar = testCalendar(base);
  });

  it('the supplement deadline is recomputed from the request; the review lapses at the new deadline', async () => {
    const { handle, reviewId } = await submittedReview();
    const asked = await handle.executeUpdate(decide, { args: [{ actor: vendor, decision: 'REQUEST_SUPPLEMENT', note: 'add cases' }] });
    const askedAt = (await prisma.pathReviewEvent.findFirstOrThrow({ where: { reviewId, type: 'SUPPLEMENT_REQUESTED' } })).at;
    const oldDeadline = Date.parse(asked.supplementDeadline!);
    calendar = withDays({ holidays: [isoDate(local(calendar.addWorkingDays(askedAt, 5).deadline))] });
    const newDeadline = calendar.addWorkingDays(askedAt, 10).deadline.getTime();
    await handle.signal(recomputeDeadline, { reason: 'calendar TEST changed', calendar: 'TEST', version: 3 });
    const row = await eventually(async () => {
      const r = await reviewRow(reviewId);
      return r.supplementDeadline?.getTime() === newDeadline ? r : undefined;
    });
    expect(row.events.at(-1)).toMatchObject({
      type: 'DEADLINE_CHANGED',
      fromStatus: 'SUPPLEMENT_REQUESTED',
      toStatus: 'SUPPLEMENT_REQUESTED',
      data: { deadline: 'supplementDeadline', from: new Date(oldDeadline).toISOString(), to: new Date(newDeadline).toISOString() },
    });
    expect(row.windowEndsAt.toISOString()).toBe(asked.windowEndsAt); // the window is no longer pending: untouched
    expect(await processDeadline(handle)).toBe(new Date(newDeadline).toISOString());
    await advanceTo(oldDeadline + 1000);
    expect((await handle.query(getPathReview)).status).toBe('SUPPLEMENT_REQUESTED');
    await advanceTo(newDeadline + 1000);
    await completed(handle);
    expect((await reviewRow(reviewId)).status).toBe('LAPSED');
    calendar = testCalendar(base);
  });

  it('end to end: calendarChangeWorkflow finds the review by its partner calendar and changed date, and signals it', async () => {
    const { handle, reviewId, partnerId, start, snapshot } = await startReview('SOFTWARE', 'CERTIFIED');
    const name = `RC-${randomUUID().slice(0, 6)}`;
    const holiday = isoDate(local(calendar.addWorkingDays(start, 12).deadline));
    const at = new Date();
    const version = (v: number, changes?: object) => ({
      calendarName: name,
      version: v,
      zone: ZONE,
      restWeekdays: [6, 7],
      firstYear: local(base).year - 1,
      lastYear: local(base).year + 30,
      holidays: v === 1 ? [] : [{ from: holiday, to: holiday, name: 'Typhoon closure' }],
      makeupWorkdays: [],
      changedBy: 'test',
      changedAt: at,
      ...(changes ? { changes } : {}),
    });
    await prisma.calendar.create({ data: { name, createdBy: 'test', createdAt: at } });
    await prisma.calendarVersion.create({ data: version(1) });
    await prisma.calendarVersion.create({ data: version(2, { everyDate: false, dates: [{ date: holiday, from: 'WORKDAY', to: 'HOLIDAY' }] }) });
    await prisma.partnerCalendar.create({ data: { partnerId, calendarName: name, assignedBy: 'test', assignedAt: at } });
    const other = await startReview('SOFTWARE', 'CERTIFIED'); // counts in the default calendar: not visited

    calendar = withDays({ holidays: [holiday] });
    const newEnd = calendar.addWorkingDays(start, 30).deadline.toISOString();
    const change = await env.client.workflow.start(calendarChangeWorkflow, {
      workflowId: `calendar-change-${name}-v2`,
      taskQueue,
      args: [{ scope: { kind: 'CALENDAR', calendar: name, version: 2, defaultCalendar: 'CN' }, reason: `calendar ${name} v2`, batchSize: 1 }],
    });
    await completed(change);
    expect(await change.result()).toEqual({ signaled: 1 });
    const row = await eventually(async () => {
      const r = await reviewRow(reviewId);
      return r.windowEndsAt.toISOString() === newEnd ? r : undefined;
    });
    expect(row.events.at(-1)).toMatchObject({ type: 'DEADLINE_CHANGED', data: { from: snapshot.windowEndsAt, to: newEnd, reasons: [`calendar ${name} v2`] } });
    expect(await eventTypes(other.reviewId)).toEqual(['OPENED']);
    await handle.terminate('done with it');
    await other.handle.terminate('done with it');
    calendar = testCalendar(base);
  });
});
