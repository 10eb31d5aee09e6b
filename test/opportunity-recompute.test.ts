/**
 * The opportunity's accept reminder, its expiry message and its deadline following the calendar, on the
 * time-skipping test server with the real activities on a real PostgreSQL: reminded one working day before, the
 * expiry told in the transaction that records it, a holiday or make-up day moving a pending deadline (history, row,
 * search attribute, expiry), and a reminder already sent for a deadline that moves.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { accept, getState, postUpdate, recomputeDeadline } from '../workflows/opportunity/workflow.js';
import { expectActedAt } from './support/acted.js';
import { isoDate, nextFriday, testCalendar } from './support/calendar.js';
import { DAY, useTestEnv } from './support/env.js';
import { opportunityState, shareOpportunity } from './support/opportunity.js';
import { eventually } from './support/wait.js';
import { recordHistory } from './support/histories.js';

const env = useTestEnv({ taskQueue: 'opportunity-recompute-test' });
const { advanceTo } = env;
const shareOne = (partnerId?: string) => shareOpportunity(env, partnerId);
const dbState = (opportunityId: string) => opportunityState(env.prisma, opportunityId);

describe('accept reminder, expiry message and deadline recomputation', () => {
  const outbox = (opportunityId: string) => env.prisma.outbox.findMany({ where: { aggregateId: opportunityId }, orderBy: { id: 'asc' } });
  const processDeadline = async (handle: WorkflowHandle) => ((await handle.describe()).searchAttributes.ProcessDeadline?.[0] as Date | undefined)?.toISOString();
  // The query shows the new deadline as soon as the workflow decides it; the row only once the transition commits.
  const pendingWith = async (handle: WorkflowHandle, opportunityId: string, deadline: number) =>
    eventually(async () =>
      (await handle.query(getState)).acceptDeadline === new Date(deadline).toISOString() && (await dbState(opportunityId)).row.acceptDeadline.getTime() === deadline
        ? true
        : undefined,
    );

  /** Shares at Friday 15:00 (deadline Wednesday 15:00) on the plain test calendar. */
  async function shareOnFriday() {
    env.calendar = testCalendar(await env.currentTimeMs());
    const friday = nextFriday(await env.currentTimeMs(), 15);
    await advanceTo(friday.toMillis());
    const shared = await shareOne();
    // Instants count from sharedAt (Friday 15:00 and a few ms); calendar dates from Friday.
    const at = (days: number) => Date.parse(shared.snapshot.sharedAt!) + days * DAY;
    expect(shared.snapshot.acceptDeadline).toBe(new Date(at(5)).toISOString());
    return { ...shared, friday, at };
  }

  it('reminds one working day before the deadline, and tells of the expiry in the transaction that records it', async () => {
    const { opportunityId, partnerId, handle, at } = await shareOnFriday();
    const reminderAt = at(4); // Tuesday 15:00: Wednesday 15:00 less one working day
    await advanceTo(reminderAt - 1000);
    expect(await outbox(opportunityId)).toEqual([]);
    await advanceTo(reminderAt + 1000);
    const [reminder] = await eventually(async () => ((await outbox(opportunityId)).length === 1 ? outbox(opportunityId) : undefined));
    expect(reminder).toMatchObject({ topic: 'opportunity.accept-reminder', dueAt: new Date(reminderAt), payload: { opportunityId, partnerId, acceptDeadline: new Date(at(5)).toISOString() } });
    // Sent when the workflow's clock reached Tuesday 15:00: the empty outbox a second before could have been read
    // before an early reminder's row was written.
    await expectActedAt(handle, 'enqueueOpportunityMessage', [reminderAt], (m) => m.topic === 'opportunity.accept-reminder');
    expect((await handle.result()).status).toBe('EXPIRED');
    const expiredAt = (await dbState(opportunityId)).row.events[1]!.at;
    expect(expiredAt.getTime() - at(5)).toBeGreaterThanOrEqual(0);
    expect(expiredAt.getTime() - at(5)).toBeLessThan(1000);
    expect((await outbox(opportunityId)).map((m) => [m.topic, m.dueAt.getTime(), (m.payload as { partnerId: string }).partnerId])).toEqual([
      ['opportunity.accept-reminder', reminderAt, partnerId],
      ['opportunity.expired', expiredAt.getTime(), partnerId],
    ]);
    // Announced to the webhook relay right after each append (no sweeper runs in this test worker).
    await eventually(async () => ((await outbox(opportunityId)).every((m) => m.dispatchedAt !== null) ? true : undefined), 10_000);
  });

  it('a holiday added inside the window pushes the deadline by one working day: history, row, search attribute, expiry', async () => {
    const { opportunityId, handle, friday, at } = await shareOnFriday();
    const [oldDeadline, newDeadline] = [at(5), at(6)];
    env.calendar = testCalendar(friday.toMillis(), { holidays: [isoDate(friday.plus({ days: 3 }))] }); // Monday
    await handle.signal(recomputeDeadline, { reason: 'calendar TEST changed', calendar: 'TEST', version: 2 });
    await pendingWith(handle, opportunityId, newDeadline);
    const { row, events } = await dbState(opportunityId);
    expect(events).toEqual(['SHARED', 'DEADLINE_CHANGED']);
    expect(row.acceptDeadline.getTime()).toBe(newDeadline);
    expect(row.events[1]).toMatchObject({
      fromStatus: 'PENDING_ACCEPTANCE',
      toStatus: 'PENDING_ACCEPTANCE',
      actor: 'system',
      reasonCode: 'CALENDAR_CHANGED',
      data: { from: new Date(oldDeadline).toISOString(), to: new Date(newDeadline).toISOString(), calendar: 'TEST', reasons: ['calendar TEST changed'] },
    });
    expect(row.events[1]!.note).toContain('v2');
    expect(await processDeadline(handle)).toBe(new Date(newDeadline).toISOString());
    await advanceTo(oldDeadline + 1000);
    expect((await handle.query(getState)).status).toBe('PENDING_ACCEPTANCE');
    expect((await handle.result()).status).toBe('EXPIRED');
    const expired = (await dbState(opportunityId)).row.events[2]!;
    expect(expired.at.getTime()).toBeGreaterThanOrEqual(newDeadline);
    expect(expired.at.getTime()).toBeLessThan(newDeadline + 1000);
    await recordHistory(handle, 'opportunity-deadline-recomputed');
  });

  it('reminder sent, then a holiday on the deadline day moves the deadline but not the reminder time: reminded again at once', async () => {
    const { opportunityId, handle, friday, at } = await shareOnFriday();
    await advanceTo(at(4) + 1000); // Tuesday: the reminder for Wednesday's deadline
    await eventually(async () => ((await outbox(opportunityId)).length === 1 ? true : undefined));
    env.calendar = testCalendar(friday.toMillis(), { holidays: [isoDate(friday.plus({ days: 5 }))] }); // Wednesday: deadline Thursday, reminder still Tuesday
    await handle.signal(recomputeDeadline, { reason: 'calendar TEST changed' });
    // The move itself is announced (opportunity.deadline-changed), then the reminder for the new date.
    const messages = await eventually(async () => ((await outbox(opportunityId)).length === 3 ? outbox(opportunityId) : undefined));
    expect(await env.currentTimeMs()).toBeLessThan(at(4) + 60_000); // at once: no timer waited for
    const reminders = messages.filter((m) => m.topic === 'opportunity.accept-reminder');
    expect(reminders.map((m) => [m.topic, m.dueAt.getTime(), (m.payload as { acceptDeadline: string }).acceptDeadline])).toEqual([
      ['opportunity.accept-reminder', at(4), new Date(at(5)).toISOString()],
      ['opportunity.accept-reminder', at(4), new Date(at(6)).toISOString()],
    ]);
    expect(messages.filter((m) => m.topic === 'opportunity.deadline-changed').map((m) => m.payload)).toEqual([
      expect.objectContaining({ opportunityId, deadline: 'acceptDeadline', from: new Date(at(5)).toISOString(), to: new Date(at(6)).toISOString() }),
    ]);
    expect((await handle.result()).status).toBe('EXPIRED');
    expect((await dbState(opportunityId)).row.events[2]!.at.getTime()).toBeGreaterThanOrEqual(at(6));
    env.calendar = testCalendar(await env.currentTimeMs());
    await recordHistory(handle, 'opportunity-reminder-deadline-moved');
  });

  it('a make-up day pulls the deadline in; already past, it expires at once', async () => {
    const { opportunityId, handle, friday, at } = await shareOnFriday();
    const pulledIn = at(4); // Saturday works: Tuesday 15:00
    await advanceTo(pulledIn + 30 * 60_000); // Tuesday 15:30: still pending on the old calendar
    expect((await handle.query(getState)).status).toBe('PENDING_ACCEPTANCE');
    env.calendar = testCalendar(friday.toMillis(), { makeupWorkdays: [isoDate(friday.plus({ days: 1 }))] });
    await handle.signal(recomputeDeadline, { reason: 'calendar TEST changed' });
    await eventually(async () => ((await dbState(opportunityId)).status === 'EXPIRED' ? true : undefined));
    const { events, row } = await dbState(opportunityId);
    expect(events).toEqual(['SHARED', 'DEADLINE_CHANGED', 'EXPIRED']);
    expect(row.acceptDeadline.getTime()).toBe(pulledIn);
    expect(row.events[2]!.at.getTime()).toBeGreaterThanOrEqual(pulledIn + 30 * 60_000);
  });

  it('a change outside the window, or after the outcome, changes nothing', async () => {
    const { opportunityId, partnerId, handle, friday, at } = await shareOnFriday();
    env.calendar = testCalendar(friday.toMillis(), { holidays: [isoDate(friday.plus({ days: 40 }))] });
    await handle.signal(recomputeDeadline, { reason: 'calendar TEST changed' });
    await handle.executeUpdate(accept, { args: [{ actor: { sub: 'u', partnerId } }] }); // handled after the signal
    env.calendar = testCalendar(friday.toMillis(), { holidays: [isoDate(friday.plus({ days: 3 }))] });
    await handle.signal(recomputeDeadline, { reason: 'calendar TEST changed again' });
    await handle.executeUpdate(postUpdate, { args: [{ actor: { sub: 'u', partnerId }, stage: 'QUALIFYING', note: 'n' }] });
    const { events, row } = await dbState(opportunityId);
    expect(events).toEqual(['SHARED', 'ACCEPTED', 'UPDATE_POSTED']);
    expect(row.acceptDeadline.getTime()).toBe(at(5));
    env.calendar = testCalendar(await env.currentTimeMs());
  });
});

