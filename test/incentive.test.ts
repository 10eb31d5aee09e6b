/**
 * The incentive verification workflow on the time-skipping test server, with the real activities on a real
 * PostgreSQL: verification, refusals, the 14-working-day lapse, the reminder, objections, double starts. The deadline
 * following the calendar: incentive-recompute.test.ts and incentive-provisional.test.ts.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { DateTime } from 'luxon';
import { beforeAll, describe, expect, it } from 'vitest';
import { createIncentiveActivities } from '../activities/incentive.js';
import {
  getIncentive,
  type IncentiveSnapshot,
  incentiveWorkflow,
  incentiveWorkflowId,
  object,
  resolveObjection,
  verify,
} from '../workflows/incentive/workflow.js';
import { expectActedAt } from './support/acted.js';
import { isoDate, nextFriday, testCalendar, ZONE } from './support/calendar.js';
import { DAY, useTestEnv } from './support/env.js';
import { incentiveSteps, materials, partner, refusal } from './support/incentive.js';
import { eventually } from './support/wait.js';
import { recordHistory } from './support/histories.js';

const taskQueue = 'incentive-workflow-test';
const env = useTestEnv({ taskQueue });
const { advanceTo } = env;
/** The month before the server's clock at start: the verifications' period. */
let period: string;
beforeAll(async () => {
  period = DateTime.fromMillis(await env.currentTimeMs(), { zone: ZONE }).minus({ months: 1 }).toFormat('yyyy-MM');
});
const { addExpert, start, incentiveId, dbState, settlements, reminders } = incentiveSteps(env, () => period);

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
    // A second, distinct verify is refused: the incentive is closed, its workflow ended.
    await expect(handle.executeUpdate(verify, { args: [...args] })).rejects.toBeInstanceOf(WorkflowNotFoundError);

    const { row, events } = await dbState(partnerId);
    expect(events).toEqual(['GENERATED', 'VERIFIED']);
    expect(row).toMatchObject({ status: 'VERIFIED', headcount: 2, totalMinor: 400000n, lastSeq: 2 });
    expect(row.settlement).toMatchObject({ partnerId, period, amountMinor: 400000n, currency: 'CNY' });
    expect(row.settlement!.settledAt.getTime()).toBe(row.events[1]!.at.getTime());
    expect(await settlements(partnerId)).toBe(1);

    // The activity retried after its commit writes nothing twice.
    const activities = createIncentiveActivities({ prisma: env.prisma, calendarFor: env.calendarFor });
    await activities.recordIncentiveTransition({
      incentiveId: row.id, seq: 2, type: 'VERIFIED', fromStatus: 'PENDING_VERIFICATION', toStatus: 'VERIFIED', actor: 'partner-user',
      at: row.events[1]!.at.toISOString(), settlement: { partnerId, period, amountMinor: 400000, currency: 'CNY' },
    });
    expect(await settlements(partnerId)).toBe(1);
    expect((await dbState(partnerId)).events).toEqual(['GENERATED', 'VERIFIED']);
    await recordHistory(handle, 'incentive-verified-local-persistence');
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
    env.calendar = testCalendar(friday.toMillis(), { holidays: [isoDate(holidayMon), isoDate(holidayTue)], makeupWorkdays: [isoDate(makeupSunday)] });
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
      const message = await env.prisma.outbox.findFirstOrThrow({ where: { aggregateId: incentiveId(partnerId) } });
      // deliveredAt: the relay (workflows/webhook/workflow.ts) sets it once it has fanned the message out.
      // One reminder per deadline it announces (domain/reminders.ts).
      const dedupeKey = `incentive-reminder-${incentiveId(partnerId)}-${new Date(deadline).toISOString()}`;
      expect(message).toMatchObject({ dedupeKey, payload: { partnerId, period, verificationDeadline: new Date(deadline).toISOString() } });
      expect(message.dueAt.getTime()).toBe(reminderAt);
      // Sent when the workflow's clock reached its time: the count read a second before could have come too soon.
      await expectActedAt(handle, 'enqueueIncentiveReminder', [reminderAt]);

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
      await createIncentiveActivities({ prisma: env.prisma }).enqueueIncentiveReminder({
        incentiveId: incentiveId(partnerId), partnerId, period, verificationDeadline: result.verificationDeadline!, dueAt: result.reminderAt!,
      });
      expect(await reminders(partnerId)).toBe(1);
      // Expired, the workflow has ended: a late verify finds no process to act on.
      await expect(handle.executeUpdate(verify, { args: [{ actor: { sub: 'u', partnerId }, headcount: 1, totalMinor: 100000, materials }] })).rejects.toBeInstanceOf(
        WorkflowNotFoundError,
      );
    } finally {
      env.calendar = testCalendar(await env.currentTimeMs());
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
    const again = await createIncentiveActivities({ prisma: env.prisma, calendarFor: env.calendarFor }).generateIncentive({
      partnerId, period, generatedAt: new Date(await env.currentTimeMs()).toISOString(),
    });
    expect(again.generatedAt).toBe(first.snapshot.generatedAt);
    expect(await env.prisma.incentive.count({ where: { partnerId } })).toBe(1);
    expect(await env.prisma.incentiveLine.count({ where: { incentiveId: incentiveId(partnerId) } })).toBe(1);
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
