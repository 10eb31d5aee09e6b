/**
 * The incentive verification workflow on the time-skipping test server, with the real activities on a real
 * PostgreSQL: verification, refusals, the 14-working-day lapse, the reminder, objections, double starts, and the
 * deadline following the calendar (recomputeDeadline, directly and through calendarChangeWorkflow), also into a
 * year whose holiday schedule is not published (provisional, then re-timed by the official year).
 */
import { randomUUID } from 'node:crypto';
import { type WorkflowHandle, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AFFECTED_PROCESSES, type CalendarChangeScope } from '../activities/calendar-change.js';
import { createIncentiveActivities } from '../activities/incentive.js';
import type { BusinessCalendar } from '../domain/calendar.js';
import type { PrismaClient } from '../platform/db.js';
import {
  getIncentive,
  type IncentiveSnapshot,
  incentiveWorkflow,
  incentiveWorkflowId,
  object,
  recomputeDeadline,
  resolveObjection,
  verify,
} from '../workflows/incentive/workflow.js';
import { calendarChangeWorkflow, calendarChangeWorkflowId } from '../workflows/calendar-change/workflow.js';
import { isoDate, nextFriday, testCalendar, ZONE, fixedCalendar } from './support/calendar.js';
import { attestExpert, insertExpert } from './support/experts.js';
import { cnCalendar, deadlineChangedMessages, nextThursdayDec24, officialNextYear, provisionalAttribute } from './support/provisional.js';
import { startTestWorker, timeSkippingEnv } from './support/temporal.js';
import { advanceClockTo, eventually } from './support/wait.js';
import { recordHistory } from './support/histories.js';

const taskQueue = 'incentive-workflow-test';
let env: TestWorkflowEnvironment;
let prisma: PrismaClient;
let stopWorker: () => Promise<void>;
let calendar: BusinessCalendar;
let period: string;

beforeAll(async () => {
  env = await timeSkippingEnv();
  const now = await env.currentTimeMs();
  calendar = testCalendar(now);
  period = DateTime.fromMillis(now, { zone: ZONE }).minus({ months: 1 }).toFormat('yyyy-MM');
  ({ prisma, stop: stopWorker } = await startTestWorker(env, taskQueue, fixedCalendar(() => calendar)));
});

afterAll(async () => {
  await stopWorker?.();
  await env?.teardown();
});

const DAY = 24 * 3600 * 1000;
const partner = () => `P-${randomUUID().slice(0, 8)}`;
const sha = 'a'.repeat(64);
const materials = [{ fileName: 'roster.pdf', sha256: sha, size: 1234, contentType: 'application/pdf' }];

/** An expert with one certification (valid for ages), attested by the vendor; `qualifies: false` makes it part-time. */
const addExpert = async (partnerId: string, employeeId: string, certification: string, qualifies = true) =>
  attestExpert(prisma, partnerId, await insertExpert(prisma, partnerId, { employeeId, certification, fullTime: qualifies }));

async function start(partnerId: string) {
  const handle = await env.client.workflow.start(incentiveWorkflow, {
    workflowId: incentiveWorkflowId(partnerId, period),
    taskQueue,
    args: [{ partnerId, period }],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  const snapshot = await eventually(async () => {
    const s = await handle.query(getIncentive);
    return s.generatedAt ? s : undefined;
  });
  return { handle, snapshot };
}

const advanceTo = (target: number) => advanceClockTo(env, target);

const incentiveId = (partnerId: string) => `${partnerId}-${period}`;
async function dbState(partnerId: string) {
  const row = await prisma.incentive.findUniqueOrThrow({
    where: { id: incentiveId(partnerId) },
    include: { lines: { orderBy: { employeeId: 'asc' } }, events: { orderBy: { seq: 'asc' } }, settlement: true },
  });
  return { row, status: row.status, events: row.events.map((e) => e.type) };
}
const settlements = (partnerId: string) => prisma.settlement.count({ where: { incentiveId: incentiveId(partnerId) } });
const reminders = (partnerId: string) => prisma.outbox.count({ where: { topic: 'incentive.reminder', aggregateId: incentiveId(partnerId) } });


const refusal = (error: unknown) =>
  error instanceof WorkflowUpdateFailedError
    ? { type: (error.cause as { type?: string } | undefined)?.type, message: (error.cause as Error | undefined)?.message }
    : { type: `not a refusal: ${String(error)}`, message: '' };

// First in the file: its clock jump to 24 December comes before other tests leave workflows (and terminations) behind.
describe('a verification deadline reaching into a year whose holiday schedule is not published', () => {
  const eventCount = (partnerId: string, count: number) =>
    eventually(async () => {
      const { row } = await dbState(partnerId);
      return row.events.length === count ? row : undefined;
    });

  it('is provisional (explanation, row, query, Web UI); the official year re-times it: confirmed clears the mark, moved is announced', async () => {
    const dec24 = nextThursdayDec24(await env.currentTimeMs());
    const [year, next] = [dec24.year, dec24.year + 1];
    calendar = cnCalendar(year - 1, year); // next year not published: counted with CN's statutory rules
    try {
      await advanceTo(dec24.toMillis());
      const [confirmedOne, movedOne] = [partner(), partner()];
      const confirmed = await start(confirmedOne);
      const moved = await start(movedOne);
      // Instants count from generatedAt (Thu 12-24 10:00 and the seconds the test took); no DST in Shanghai.
      const at = (s: IncentiveSnapshot, days: number) => new Date(Date.parse(s.generatedAt!) + days * DAY).toISOString();
      // Thu 12-24 + 14 working days: Fri 25 (1), Mon 28–Thu 31 (2–5), Fri 01-01 New Year's Day (statutory), Mon 04–Fri 08
      // (6–10), Mon 11–Thu 14 (11–14) → Thu 01-14, 21 days on; the reminder at 11 working days: Mon 01-11, 18 days on.
      for (const { snapshot, handle } of [confirmed, moved]) {
        expect(snapshot).toMatchObject({ verificationDeadline: at(snapshot, 21), reminderAt: at(snapshot, 18), deadlineProvisional: true, provisionalYears: [next] });
        expect(await provisionalAttribute(handle)).toBe(true);
      }
      expect((await dbState(confirmedOne)).row.deadlineExplanation).toMatchObject({
        provisional: true,
        provisionalYears: [next],
        provisionalNote: expect.stringContaining('may move'),
        skippedDays: expect.arrayContaining([{ date: `${next}-01-01`, reason: 'HOLIDAY', name: "New Year's Day (provisional)" }]),
      });

      // The official year says what the rules said: the date stands, the mark clears, nothing is sent.
      calendar = officialNextYear(year);
      await confirmed.handle.signal(recomputeDeadline, { reason: `calendar CN: ${next} published`, calendar: 'CN', version: 3 });
      const confirmedRow = await eventCount(confirmedOne, 2);
      const deadline = at(confirmed.snapshot, 21);
      expect(confirmedRow.verificationDeadline.toISOString()).toBe(deadline);
      expect(confirmedRow.reminderAt.toISOString()).toBe(at(confirmed.snapshot, 18));
      expect(confirmedRow.events[1]).toMatchObject({ type: 'DEADLINE_CHANGED', reasonCode: 'CALENDAR_CHANGED', data: { from: deadline, to: deadline } });
      expect(confirmedRow.events[1]!.note).toContain('no longer provisional');
      expect(confirmedRow.deadlineExplanation).not.toHaveProperty('provisional');
      expect(await deadlineChangedMessages(prisma, incentiveId(confirmedOne))).toEqual([]);
      expect(await provisionalAttribute(confirmed.handle)).toBe(false);
      expect(await confirmed.handle.query(getIncentive)).not.toHaveProperty('deadlineProvisional');
      await confirmed.handle.signal(recomputeDeadline, { reason: 'again', calendar: 'CN', version: 3 });
      await confirmed.handle.query(getIncentive); // the signal is in history before the query answers
      await eventually(async () => ((await confirmed.handle.fetchHistory()).events!.filter((e) => e.activityTaskCompletedEventAttributes).length === 4 ? true : undefined));
      expect((await dbState(confirmedOne)).events).toEqual(['GENERATED', 'DEADLINE_CHANGED']); // unchanged date and mark: nothing more

      // The official year adds a bridge day (Mon 01-04): Fri 25 (1), 28–31 (2–5), Tue 05–Fri 08 (6–9), Mon 11–Fri 15
      // (10–14) → Fri 01-15, 22 days on; the reminder: Tue 01-12, 19 days on.
      calendar = officialNextYear(year, { bridge: true });
      await moved.handle.signal(recomputeDeadline, { reason: `calendar CN: ${next} published`, calendar: 'CN', version: 3 });
      const movedRow = await eventCount(movedOne, 2);
      const [from, to] = [at(moved.snapshot, 21), at(moved.snapshot, 22)];
      expect(movedRow.verificationDeadline.toISOString()).toBe(to);
      expect(movedRow.reminderAt.toISOString()).toBe(at(moved.snapshot, 19));
      expect(movedRow.events[1]).toMatchObject({ type: 'DEADLINE_CHANGED', data: { from, to, reasons: [`calendar CN: ${next} published`] } });
      expect(movedRow.deadlineExplanation).not.toHaveProperty('provisional');
      const [message, ...more] = await eventually(async () => {
        const rows = await deadlineChangedMessages(prisma, incentiveId(movedOne));
        return rows.length ? rows : undefined;
      });
      expect(more).toEqual([]);
      expect(message).toMatchObject({
        topic: 'incentive.deadline-changed',
        payload: { incentiveId: incentiveId(movedOne), partnerId: movedOne, period, deadline: 'verificationDeadline', from, to, reason: `calendar CN: ${next} published` },
      });
      expect(message!.payload).not.toHaveProperty('deadlineProvisional');
      expect(await provisionalAttribute(moved.handle)).toBe(false);
      expect(await moved.handle.query(getIncentive)).toMatchObject({ verificationDeadline: to, reminderAt: at(moved.snapshot, 19) });
    } finally {
      calendar = testCalendar(await env.currentTimeMs());
    }
  });
});

describe('incentive workflow', () => {
  it('verifies in time: VERIFIED and exactly one settlement, however often verify is sent', async () => {
    const partnerId = partner();
    await addExpert(partnerId, 'E1', 'CLOUD_PROFESSIONAL');
    await addExpert(partnerId, 'E2', 'CLOUD_EXPERT');
    await addExpert(partnerId, 'E3', 'CLOUD_ASSOCIATE'); // not a qualifying certification
    const { handle, snapshot } = await start(partnerId);
    expect(snapshot).toMatchObject({ status: 'PENDING_VERIFICATION', headcount: 2, totalMinor: 400000, currency: 'CNY' });
    expect(snapshot.lines.map((l) => [l.employeeId, l.certification, l.amountMinor])).toEqual([
      ['E1', 'CLOUD_PROFESSIONAL', 100000],
      ['E2', 'CLOUD_EXPERT', 300000],
    ]);
    const described = await handle.describe();
    expect(described.searchAttributes).toMatchObject({ PartnerId: [partnerId], IncentivePeriod: [period], ProcessStatus: ['PENDING_VERIFICATION'] });

    const actor = { sub: 'partner-user', partnerId };
    const args = [{ actor, headcount: 2, totalMinor: 400000, materials }] as const;
    // The same update sent twice (a client retry with one update id) is one update.
    const [a, b] = await Promise.all([
      handle.executeUpdate(verify, { args: [...args], updateId: 'verify-1' }),
      handle.executeUpdate(verify, { args: [...args], updateId: 'verify-1' }),
    ]);
    expect(a.status).toBe('VERIFIED');
    expect(b.status).toBe('VERIFIED');
    expect((await handle.result()).status).toBe('VERIFIED');
    // A second, distinct verify is refused: the incentive is closed.
    await expect(handle.executeUpdate(verify, { args: [...args] })).rejects.toThrow();

    const { row, events } = await dbState(partnerId);
    expect(events).toEqual(['GENERATED', 'VERIFIED']);
    expect(row).toMatchObject({ status: 'VERIFIED', headcount: 2, totalMinor: 400000n, lastSeq: 2 });
    expect(row.settlement).toMatchObject({ partnerId, period, amountMinor: 400000n, currency: 'CNY' });
    expect(row.settlement!.settledAt.getTime()).toBe(row.events[1]!.at.getTime());
    expect(await settlements(partnerId)).toBe(1);

    // The activity retried after its commit writes nothing twice.
    const activities = createIncentiveActivities({ prisma, calendarFor: fixedCalendar(() => calendar) });
    await activities.recordIncentiveTransition({
      incentiveId: row.id, seq: 2, type: 'VERIFIED', fromStatus: 'PENDING_VERIFICATION', toStatus: 'VERIFIED', actor: 'partner-user',
      at: row.events[1]!.at.toISOString(), settlement: { partnerId, period, amountMinor: 400000, currency: 'CNY' },
    });
    expect(await settlements(partnerId)).toBe(1);
    expect((await dbState(partnerId)).events).toEqual(['GENERATED', 'VERIFIED']);
    await recordHistory(handle, 'incentive-verified');
  });

  it('refuses verify with the wrong headcount or total, showing the difference, and changes nothing', async () => {
    const partnerId = partner();
    await addExpert(partnerId, 'E1', 'CLOUD_PROFESSIONAL');
    await addExpert(partnerId, 'E2', 'DATA_PROFESSIONAL');
    const { handle } = await start(partnerId);
    const actor = { sub: 'u', partnerId };
    const error = await handle.executeUpdate(verify, { args: [{ actor, headcount: 3, totalMinor: 5000, materials }] }).catch((e: unknown) => e);
    expect(refusal(error)).toMatchObject({ type: 'LIST_MISMATCH', message: 'headcount 3 ≠ list 2; total 5000 ≠ list 220000' });
    const onlyTotal = await handle.executeUpdate(verify, { args: [{ actor, headcount: 2, totalMinor: 5000, materials }] }).catch((e: unknown) => e);
    expect(refusal(onlyTotal).message).toBe('total 5000 ≠ list 220000');
    const other = await handle.executeUpdate(verify, { args: [{ actor: { sub: 'x', partnerId: 'P-other' }, headcount: 2, totalMinor: 220000, materials }] }).catch((e: unknown) => e);
    expect(refusal(other).type).toBe('INCENTIVE_NOT_FOUND');
    expect(await dbState(partnerId)).toMatchObject({ status: 'PENDING_VERIFICATION', events: ['GENERATED'] });
    expect((await handle.query(getIncentive)).seq).toBe(1);
    expect(await settlements(partnerId)).toBe(0);
  });

  it('reminds once at 11 working days and expires at exactly 14 working days across a holiday and a make-up day', async () => {
    const friday = nextFriday(await env.currentTimeMs(), 15);
    const makeupSunday = friday.plus({ days: 2 });
    const [holidayMon, holidayTue] = [friday.plus({ days: 3 }), friday.plus({ days: 4 })];
    calendar = testCalendar(friday.toMillis(), { holidays: [isoDate(holidayMon), isoDate(holidayTue)], makeupWorkdays: [isoDate(makeupSunday)] });
    try {
      await advanceTo(friday.toMillis());
      const partnerId = partner();
      await addExpert(partnerId, 'E1', 'CLOUD_PROFESSIONAL');
      const { handle, snapshot } = await start(partnerId);
      const generatedAt = Date.parse(snapshot.generatedAt!);
      // Working days after Fri: Sun (make-up) 1, Wed–Fri 2–4, 5–9, Mon–Tue 10–11 (reminder), Wed–Fri 12–14.
      const deadline = generatedAt + 21 * DAY;
      const reminderAt = generatedAt + 18 * DAY;
      expect(snapshot.verificationDeadline).toBe(new Date(deadline).toISOString());
      expect(snapshot.reminderAt).toBe(new Date(reminderAt).toISOString());
      const { row } = await dbState(partnerId);
      expect(row.deadlineExplanation).toMatchObject({
        workingDays: 14,
        countedDays: expect.arrayContaining([{ date: isoDate(makeupSunday), kind: 'MAKEUP_WORKDAY', name: 'Test Festival make-up day' }]),
        skippedDays: expect.arrayContaining([{ date: isoDate(holidayMon), reason: 'HOLIDAY', name: 'Test Festival' }]),
      });

      await advanceTo(reminderAt - 1000);
      expect(await reminders(partnerId)).toBe(0);
      await advanceTo(reminderAt + 1000);
      await eventually(async () => ((await reminders(partnerId)) === 1 ? true : undefined));
      const message = await prisma.outbox.findFirstOrThrow({ where: { aggregateId: incentiveId(partnerId) } });
      // deliveredAt: the relay (workflows/webhook/workflow.ts) sets it once it has fanned the message out.
      // One reminder per deadline it announces (domain/reminders.ts).
      const dedupeKey = `incentive-reminder-${incentiveId(partnerId)}-${new Date(deadline).toISOString()}`;
      expect(message).toMatchObject({ dedupeKey, payload: { partnerId, period, verificationDeadline: new Date(deadline).toISOString() } });
      expect(message.dueAt.getTime()).toBe(reminderAt);

      await advanceTo(deadline - 1000);
      expect((await handle.query(getIncentive)).status).toBe('PENDING_VERIFICATION');
      expect((await dbState(partnerId)).status).toBe('PENDING_VERIFICATION');

      const result = await handle.result();
      expect(result).toMatchObject({ status: 'EXPIRED', reminderSent: true });
      const db = await dbState(partnerId);
      expect(db.events).toEqual(['GENERATED', 'EXPIRED']);
      expect(db.row.events[1]!.at.getTime()).toBeGreaterThanOrEqual(deadline);
      expect(db.row.events[1]!.at.getTime()).toBeLessThan(deadline + 1000);
      expect(await settlements(partnerId)).toBe(0);
      expect(await reminders(partnerId)).toBe(1);
      // Enqueued again (a retried activity): still one reminder.
      await createIncentiveActivities({ prisma }).enqueueIncentiveReminder({
        incentiveId: incentiveId(partnerId), partnerId, period, verificationDeadline: result.verificationDeadline!, dueAt: result.reminderAt!,
      });
      expect(await reminders(partnerId)).toBe(1);
      await expect(handle.executeUpdate(verify, { args: [{ actor: { sub: 'u', partnerId }, headcount: 1, totalMinor: 100000, materials }] })).rejects.toThrow();
    } finally {
      calendar = testCalendar(await env.currentTimeMs());
    }
  });

  it('objection round-trip: object → OBJECTED → resolve with an adjustment → verify the new total → VERIFIED', async () => {
    const partnerId = partner();
    await addExpert(partnerId, 'E1', 'CLOUD_PROFESSIONAL');
    await addExpert(partnerId, 'E2', 'SECURITY_PROFESSIONAL');
    await addExpert(partnerId, 'E3', 'CLOUD_EXPERT');
    const { handle, snapshot } = await start(partnerId);
    const [e1, e2, e3] = snapshot.lines.map((l) => l.expertId);
    const actor = { sub: 'u', partnerId };
    const vendor = { sub: 'vendor-1' };

    await expect(handle.executeUpdate(object, { args: [{ actor, lines: [{ expertId: 'nope', reason: 'x' }] }] })).rejects.toSatisfy(
      (e) => refusal(e).type === 'INVALID_REQUEST',
    );
    const objected = await handle.executeUpdate(object, { args: [{ actor, lines: [{ expertId: e1!, reason: 'left in March' }, { expertId: e2!, reason: 'rate' }] }] });
    expect(objected).toMatchObject({ status: 'OBJECTED', objection: [{ expertId: e1 }, { expertId: e2 }] });
    await expect(handle.executeUpdate(verify, { args: [{ actor, headcount: 3, totalMinor: 520000, materials }] })).rejects.toSatisfy(
      (e) => refusal(e).type === 'NOT_PENDING_VERIFICATION',
    );
    await expect(handle.executeUpdate(resolveObjection, { args: [{ actor, rejectObjection: true, note: 'no' }] })).rejects.toSatisfy(
      (e) => refusal(e).type === 'VENDOR_ONLY',
    );

    const resolved: IncentiveSnapshot = await handle.executeUpdate(resolveObjection, {
      args: [{ actor: vendor, adjustments: [{ expertId: e1!, remove: true }, { expertId: e2!, amountMinor: 100000 }], note: 'agreed' }],
    });
    expect(resolved).toMatchObject({ status: 'PENDING_VERIFICATION', headcount: 2, totalMinor: 400000, verificationDeadline: snapshot.verificationDeadline });
    expect(resolved.objection).toBeUndefined();
    let db = await dbState(partnerId);
    expect(db.row).toMatchObject({ status: 'PENDING_VERIFICATION', headcount: 2, totalMinor: 400000n });
    expect(db.row.lines.map((l) => [l.expertId, l.amountMinor])).toEqual([[e2, 100000n], [e3, 300000n]]);

    // A second objection, rejected by the vendor: the list stays as it is.
    await handle.executeUpdate(object, { args: [{ actor, lines: [{ expertId: e3!, reason: 'too high' }] }] });
    const rejected = await handle.executeUpdate(resolveObjection, { args: [{ actor: vendor, rejectObjection: true, note: 'rate is per rules' }] });
    expect(rejected).toMatchObject({ status: 'PENDING_VERIFICATION', totalMinor: 400000 });

    await expect(handle.executeUpdate(verify, { args: [{ actor, headcount: 3, totalMinor: 520000, materials }] })).rejects.toSatisfy(
      (e) => refusal(e).message === 'headcount 3 ≠ list 2; total 520000 ≠ list 400000',
    );
    expect((await handle.executeUpdate(verify, { args: [{ actor, headcount: 2, totalMinor: 400000, materials }] })).status).toBe('VERIFIED');
    db = await dbState(partnerId);
    expect(db.events).toEqual(['GENERATED', 'OBJECTED', 'OBJECTION_RESOLVED', 'OBJECTED', 'OBJECTION_REJECTED', 'VERIFIED']);
    expect(db.row.events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(db.row.settlement).toMatchObject({ amountMinor: 400000n });
  });

  it('a double start of the same partner and period is one workflow and one incentive', async () => {
    const partnerId = partner();
    await addExpert(partnerId, 'E1', 'CLOUD_PROFESSIONAL');
    const first = await start(partnerId);
    const second = await start(partnerId);
    expect(second.handle.firstExecutionRunId).toBe(first.handle.firstExecutionRunId);
    await expect(
      env.client.workflow.start(incentiveWorkflow, { workflowId: incentiveWorkflowId(partnerId, period), taskQueue, args: [{ partnerId, period }] }),
    ).rejects.toThrow(/already started/i);
    // The generation activity itself, run again (a retry, or another run): nothing is created twice.
    const again = await createIncentiveActivities({ prisma, calendarFor: fixedCalendar(() => calendar) }).generateIncentive({
      partnerId, period, generatedAt: new Date(await env.currentTimeMs()).toISOString(),
    });
    expect(again.generatedAt).toBe(first.snapshot.generatedAt);
    expect(await prisma.incentive.count({ where: { partnerId } })).toBe(1);
    expect(await prisma.incentiveLine.count({ where: { incentiveId: incentiveId(partnerId) } })).toBe(1);
    expect((await dbState(partnerId)).events).toEqual(['GENERATED']);
  });

  it('a partner with no qualifying experts still gets an incentive, with zero lines (headcount 0), to verify', async () => {
    const partnerId = partner();
    await addExpert(partnerId, 'E1', 'CLOUD_PROFESSIONAL', false); // not full-time
    const { handle, snapshot } = await start(partnerId);
    expect(snapshot).toMatchObject({ status: 'PENDING_VERIFICATION', headcount: 0, totalMinor: 0, lines: [] });
    expect((await dbState(partnerId)).row).toMatchObject({ headcount: 0, totalMinor: 0n, lines: [] });
    await handle.executeUpdate(verify, { args: [{ actor: { sub: 'u', partnerId }, headcount: 0, totalMinor: 0, materials: [] }] });
    expect((await dbState(partnerId)).row.settlement).toMatchObject({ amountMinor: 0n });
  });
});

describe('the verification deadline follows the calendar', () => {
  /** Generated on a Friday 15:00 (no holidays): reminder Mon +17 days, deadline Thu +20 days. */
  async function generateOnFriday(partnerId = partner()) {
    const friday = nextFriday(await env.currentTimeMs(), 15);
    calendar = testCalendar(friday.toMillis());
    await advanceTo(friday.toMillis());
    const { handle, snapshot } = await start(partnerId);
    const generatedAt = Date.parse(snapshot.generatedAt!);
    expect(snapshot.verificationDeadline).toBe(new Date(generatedAt + 20 * DAY).toISOString());
    return { partnerId, handle, friday, at: (days: number) => generatedAt + days * DAY };
  }
  const withDeadline = (handle: WorkflowHandle, deadline: number) =>
    eventually(async () => {
      const s = await handle.query(getIncentive);
      return s.verificationDeadline === new Date(deadline).toISOString() ? s : undefined;
    });
  const activitiesCompleted = async (handle: WorkflowHandle) =>
    (await handle.fetchHistory()).events!.filter((e) => e.activityTaskCompletedEventAttributes).length;

  it('a holiday added inside the window pushes the deadline by one working day: history, row, reminder, search attribute, expiry', async () => {
    const { partnerId, handle, friday, at } = await generateOnFriday();
    try {
      const [oldDeadline, newDeadline] = [at(20), at(21)];
      calendar = testCalendar(friday.toMillis(), { holidays: [isoDate(friday.plus({ days: 3 }))] }); // Monday
      await handle.signal(recomputeDeadline, { reason: 'calendar TEST changed', calendar: 'TEST', version: 2 });
      const moved = await withDeadline(handle, newDeadline);
      expect(moved).toMatchObject({ status: 'PENDING_VERIFICATION', reminderAt: new Date(at(18)).toISOString(), reminderSent: false });
      const { row, events } = await dbState(partnerId);
      expect(events).toEqual(['GENERATED', 'DEADLINE_CHANGED']);
      expect(row.verificationDeadline.getTime()).toBe(newDeadline);
      expect(row.reminderAt.getTime()).toBe(at(18));
      expect(row.deadlineExplanation).toMatchObject({ workingDays: 14, skippedDays: expect.arrayContaining([{ date: isoDate(friday.plus({ days: 3 })), reason: 'HOLIDAY', name: 'Test Festival' }]) });
      expect(row.events[1]).toMatchObject({
        fromStatus: 'PENDING_VERIFICATION',
        toStatus: 'PENDING_VERIFICATION',
        actor: 'system',
        reasonCode: 'CALENDAR_CHANGED',
        data: { from: new Date(oldDeadline).toISOString(), to: new Date(newDeadline).toISOString(), calendar: 'TEST', calendarVersion: 2, reasons: ['calendar TEST changed'] },
      });
      expect(row.events[1]!.note).toContain('TEST v2');
      const described = await handle.describe();
      expect((described.searchAttributes.ProcessDeadline?.[0] as Date).getTime()).toBe(newDeadline);

      await advanceTo(oldDeadline + 1000);
      expect((await handle.query(getIncentive)).status).toBe('PENDING_VERIFICATION');
      const reminder = await prisma.outbox.findFirstOrThrow({ where: { topic: 'incentive.reminder', aggregateId: incentiveId(partnerId) } });
      expect(reminder.dueAt.getTime()).toBe(at(18));
      expect(reminder.payload).toMatchObject({ verificationDeadline: new Date(newDeadline).toISOString() });
      expect((await handle.result()).status).toBe('EXPIRED');
      const expired = (await dbState(partnerId)).row.events[2]!;
      expect(expired.type).toBe('EXPIRED');
      expect(expired.at.getTime()).toBeGreaterThanOrEqual(newDeadline);
      expect(expired.at.getTime()).toBeLessThan(newDeadline + 1000);
      await recordHistory(handle, 'incentive-deadline-recomputed');
    } finally {
      calendar = testCalendar(await env.currentTimeMs());
    }
  });

  it('a make-up day pulls the deadline in; already past, it expires at once', async () => {
    const { partnerId, handle, friday, at } = await generateOnFriday();
    try {
      const pulledIn = at(19); // Saturday works: Wednesday 15:00
      await advanceTo(pulledIn + 30 * 60_000); // Wednesday 15:30: still pending on the old calendar
      expect((await handle.query(getIncentive)).status).toBe('PENDING_VERIFICATION');
      calendar = testCalendar(friday.toMillis(), { makeupWorkdays: [isoDate(friday.plus({ days: 1 }))] });
      await handle.signal(recomputeDeadline, { reason: 'calendar TEST changed' });
      await eventually(async () => ((await dbState(partnerId)).status === 'EXPIRED' ? true : undefined));
      const { events, row } = await dbState(partnerId);
      expect(events).toEqual(['GENERATED', 'DEADLINE_CHANGED', 'EXPIRED']);
      expect(row.verificationDeadline.getTime()).toBe(pulledIn);
      expect(row.events[2]!.at.getTime()).toBeGreaterThanOrEqual(pulledIn + 30 * 60_000);
      expect(row.events[2]!.at.getTime()).toBeLessThan(pulledIn + 31 * 60_000);
      expect(await reminders(partnerId)).toBe(1); // the deadline has passed: no reminder for it
    } finally {
      calendar = testCalendar(await env.currentTimeMs());
    }
  });

  /** The reminder messages in the outbox, in the order they were appended. */
  const reminderMessages = (partnerId: string) =>
    prisma.outbox.findMany({ where: { topic: 'incentive.reminder', aggregateId: incentiveId(partnerId) }, orderBy: { id: 'asc' } });
  const announced = (messages: { dueAt: Date; payload: unknown }[]) =>
    messages.map((m) => [m.dueAt.getTime(), (m.payload as { verificationDeadline: string }).verificationDeadline]);

  it('reminder sent, then a make-up day pulls the deadline in: a reminder for the new deadline at once, expiry at the new deadline', async () => {
    const { partnerId, handle, friday, at } = await generateOnFriday();
    try {
      await advanceTo(at(17) + 1000); // Monday: the reminder for Thursday's deadline
      await eventually(async () => ((await reminders(partnerId)) === 1 ? true : undefined));
      // Saturday (past) becomes a make-up day: reminder Friday +14 (passed), deadline Wednesday +19.
      calendar = testCalendar(friday.toMillis(), { makeupWorkdays: [isoDate(friday.plus({ days: 1 }))] });
      await handle.signal(recomputeDeadline, { reason: 'calendar TEST changed' });
      const messages = await eventually(async () => {
        const rows = await reminderMessages(partnerId);
        return rows.length === 2 ? rows : undefined;
      });
      expect(await env.currentTimeMs()).toBeLessThan(at(17) + 60_000); // at once: no timer waited for
      expect(announced(messages)).toEqual([
        [at(17), new Date(at(20)).toISOString()],
        [at(14), new Date(at(19)).toISOString()],
      ]);
      expect(messages[1]!.dedupeKey).toBe(`incentive-reminder-${incentiveId(partnerId)}-${new Date(at(19)).toISOString()}`);
      // The row commits before the workflow hears the activity completed; its state follows a moment later.
      const state = await eventually(async () => {
        const s = await handle.query(getIncentive);
        return s.reminderSent ? s : undefined;
      });
      expect(state).toMatchObject({ reminderAt: new Date(at(14)).toISOString(), reminderSent: true, verificationDeadline: new Date(at(19)).toISOString() });

      await advanceTo(at(19) - 1000);
      expect((await handle.query(getIncentive)).status).toBe('PENDING_VERIFICATION');
      expect((await handle.result()).status).toBe('EXPIRED');
      const { events, row } = await dbState(partnerId);
      expect(events).toEqual(['GENERATED', 'DEADLINE_CHANGED', 'EXPIRED']);
      expect(row.events[2]!.at.getTime()).toBeGreaterThanOrEqual(at(19));
      expect(row.events[2]!.at.getTime()).toBeLessThan(at(19) + 1000);
      expect(await reminders(partnerId)).toBe(2);
      await recordHistory(handle, 'incentive-reminder-deadline-pulled-in');
    } finally {
      calendar = testCalendar(await env.currentTimeMs());
    }
  });

  it('reminder sent, then a holiday pushes the deadline out: a new reminder at the new reminder time, not before', async () => {
    const { partnerId, handle, friday, at } = await generateOnFriday();
    try {
      await advanceTo(at(17) + 1000);
      await eventually(async () => ((await reminders(partnerId)) === 1 ? true : undefined));
      // The Monday of the first week (past) becomes a holiday: reminder Tuesday +18, deadline Friday +21.
      calendar = testCalendar(friday.toMillis(), { holidays: [isoDate(friday.plus({ days: 3 }))] });
      await handle.signal(recomputeDeadline, { reason: 'calendar TEST changed' });
      await withDeadline(handle, at(21));
      expect(await handle.query(getIncentive)).toMatchObject({ reminderAt: new Date(at(18)).toISOString(), reminderSent: false });

      await advanceTo(at(18) - 1000);
      expect(await reminders(partnerId)).toBe(1);
      await advanceTo(at(18) + 1000);
      const messages = await eventually(async () => {
        const rows = await reminderMessages(partnerId);
        return rows.length === 2 ? rows : undefined;
      });
      expect(announced(messages)).toEqual([
        [at(17), new Date(at(20)).toISOString()],
        [at(18), new Date(at(21)).toISOString()],
      ]);
      await advanceTo(at(20) + 1000);
      expect((await handle.query(getIncentive)).status).toBe('PENDING_VERIFICATION');
      expect((await handle.result()).status).toBe('EXPIRED');
      expect((await dbState(partnerId)).row.events[2]!.at.getTime()).toBeGreaterThanOrEqual(at(21));
      expect(await reminders(partnerId)).toBe(2);
      await recordHistory(handle, 'incentive-reminder-deadline-pushed-out');
    } finally {
      calendar = testCalendar(await env.currentTimeMs());
    }
  });

  it('recomputes an OBJECTED incentive too, keeping it OBJECTED', async () => {
    const partnerId = partner();
    await addExpert(partnerId, 'E1', 'CLOUD_PROFESSIONAL');
    const { handle, friday, at } = await generateOnFriday(partnerId);
    try {
      const [line] = (await handle.query(getIncentive)).lines;
      await handle.executeUpdate(object, { args: [{ actor: { sub: 'u', partnerId }, lines: [{ expertId: line!.expertId, reason: 'left' }] }] });
      calendar = testCalendar(friday.toMillis(), { holidays: [isoDate(friday.plus({ days: 10 }))] }); // Monday, week 2
      await handle.signal(recomputeDeadline, { reason: 'calendar TEST changed' });
      await withDeadline(handle, at(21));
      const { row, events } = await dbState(partnerId);
      expect(events).toEqual(['GENERATED', 'OBJECTED', 'DEADLINE_CHANGED']);
      expect(row).toMatchObject({ status: 'OBJECTED' });
      expect(row.events[2]).toMatchObject({ fromStatus: 'OBJECTED', toStatus: 'OBJECTED' });
      expect(row.verificationDeadline.getTime()).toBe(at(21));
    } finally {
      calendar = testCalendar(await env.currentTimeMs());
    }
  });

  it('a change outside the window changes nothing; a verified incentive ignores the signal', async () => {
    const { partnerId, handle, friday, at } = await generateOnFriday();
    try {
      calendar = testCalendar(friday.toMillis(), { holidays: [isoDate(friday.plus({ days: 40 }))] });
      await handle.signal(recomputeDeadline, { reason: 'calendar TEST changed' });
      await eventually(async () => ((await activitiesCompleted(handle)) >= 2 ? true : undefined)); // generate + plan
      expect((await dbState(partnerId)).events).toEqual(['GENERATED']);

      await handle.executeUpdate(verify, { args: [{ actor: { sub: 'u', partnerId }, headcount: 0, totalMinor: 0, materials: [] }] });
      calendar = testCalendar(friday.toMillis(), { holidays: [isoDate(friday.plus({ days: 3 }))] });
      const late = await handle.signal(recomputeDeadline, { reason: 'calendar TEST changed again' }).catch((e: unknown) => e);
      if (late) expect(late).toBeInstanceOf(WorkflowNotFoundError); // already completed
      expect((await handle.result()).status).toBe('VERIFIED');
      const { row, events } = await dbState(partnerId);
      expect(events).toEqual(['GENERATED', 'VERIFIED']);
      expect(row.verificationDeadline.getTime()).toBe(at(20));
    } finally {
      calendar = testCalendar(await env.currentTimeMs());
    }
  });

  it('calendarChangeWorkflow finds the pending incentives whose window holds a changed date and they recompute', async () => {
    const name = `INC-${randomUUID().slice(0, 6)}`;
    const [pending, verified, other] = [partner(), partner(), partner()];
    const now = new Date(await env.currentTimeMs());
    await prisma.calendar.create({ data: { name, createdBy: 'test', createdAt: now } });
    await prisma.partnerCalendar.createMany({ data: [pending, verified].map((partnerId) => ({ partnerId, calendarName: name, assignedBy: 'test', assignedAt: now })) });
    const { handle, friday, at } = await generateOnFriday(pending);
    const closed = await start(verified);
    await closed.handle.executeUpdate(verify, { args: [{ actor: { sub: 'u', partnerId: verified }, headcount: 0, totalMinor: 0, materials: [] }] });
    await start(other); // counts in the default calendar, not the changed one
    const monday = isoDate(friday.plus({ days: 3 }));
    await prisma.calendarVersion.create({
      data: {
        calendarName: name, version: 2, zone: ZONE, restWeekdays: [6, 7], firstYear: friday.year - 1, lastYear: friday.year + 30, holidays: [], makeupWorkdays: [],
        changedBy: 'test', changedAt: now, changes: { everyDate: false, dates: [{ date: monday, from: 'WORKDAY', to: 'HOLIDAY' }] },
      },
    });
    const query = (dates: string[], extra: Partial<Parameters<typeof AFFECTED_PROCESSES.incentive>[0]> = {}) =>
      AFFECTED_PROCESSES.incentive({ prisma, calendar: name, defaultCalendar: 'CN', dates, everyDate: false, now: new Date(at(0)), after: '', limit: 10, ...extra });
    const ids = async (rows: Promise<{ workflowId: string }[]>) => (await rows).map((r) => r.workflowId);
    expect(await ids(query([monday]))).toEqual([incentiveWorkflowId(pending, period)]);
    expect(await ids(query([isoDate(friday.plus({ days: 40 }))]))).toEqual([]);
    expect(await ids(query([], { everyDate: true }))).toEqual([incentiveWorkflowId(pending, period)]);
    expect(await ids(query([monday], { now: new Date(at(21)) }))).toEqual([]); // deadline already past
    expect(await ids(query([], { calendar: undefined, partnerId: pending, everyDate: true }))).toEqual([incentiveWorkflowId(pending, period)]);
    expect(await ids(query([], { calendar: undefined, partnerId: verified, everyDate: true }))).toEqual([]);

    try {
      calendar = testCalendar(friday.toMillis(), { holidays: [monday] });
      const scope: CalendarChangeScope = { kind: 'CALENDAR', calendar: name, version: 2, defaultCalendar: 'CN' };
      const change = await env.client.workflow.start(calendarChangeWorkflow, {
        workflowId: calendarChangeWorkflowId(scope),
        taskQueue,
        args: [{ scope, reason: `calendar ${name} v2` }],
      });
      // Not change.result(): awaiting a result lets the time-skipping server skip ahead on its own.
      await eventually(async () => ((await change.describe()).status.name === 'COMPLETED' ? true : undefined));
      expect(await change.result()).toEqual({ signaled: 1 });
      await withDeadline(handle, at(21));
      const { row } = await dbState(pending);
      expect(row.events.map((e) => e.type)).toEqual(['GENERATED', 'DEADLINE_CHANGED']);
      expect(row.events[1]).toMatchObject({ data: { calendarVersion: 2, reasons: [`calendar ${name} v2`] } });
      expect((await dbState(other)).events).toEqual(['GENERATED']);
    } finally {
      calendar = testCalendar(await env.currentTimeMs());
    }
  });
});
