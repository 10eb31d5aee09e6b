/**
 * The opportunity workflow on the time-skipping test server, with the real activities on a real
 * PostgreSQL: every path, exact deadlines, races, and DB = workflow after each.
 */
import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation, type WorkflowHandle, WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpportunityActivities } from '../activities/opportunity.js';
import type { BusinessCalendar } from '../domain/calendar.js';
import type { PrismaClient } from '../platform/db.js';
import {
  accept,
  close,
  getState,
  opportunityWorkflow,
  postUpdate,
  recomputeDeadline,
  reject,
  share,
} from '../workflows/opportunity/workflow.js';
import { isoDate, nextFriday, testCalendar, fixedCalendar } from './support/calendar.js';
import { startTestWorker, timeSkippingEnv } from './support/temporal.js';
import { advanceClockTo, eventually } from './support/wait.js';
import { recordHistory } from './support/histories.js';

const taskQueue = 'opportunity-workflow-test';
let env: TestWorkflowEnvironment;
let prisma: PrismaClient;
let stopWorker: () => Promise<void>;
let calendar: BusinessCalendar;

beforeAll(async () => {
  env = await timeSkippingEnv();
  calendar = testCalendar(await env.currentTimeMs());
  ({ prisma, stop: stopWorker } = await startTestWorker(env, taskQueue, fixedCalendar(() => calendar)));
});

afterAll(async () => {
  await stopWorker?.();
  await env?.teardown();
});

const DAY = 24 * 3600 * 1000;
const partner = () => `P-${randomUUID().slice(0, 8)}`;

/** Shares one opportunity; `on` another server and worker (the race below runs on its own). */
async function shareOne(partnerId = partner(), on: { env: TestWorkflowEnvironment; taskQueue: string } = { env, taskQueue }) {
  const opportunityId = randomUUID();
  const workflowId = `opportunity-${opportunityId}`;
  const snapshot = await on.env.client.workflow.executeUpdateWithStart(share, {
    startWorkflowOperation: new WithStartWorkflowOperation(opportunityWorkflow, {
      workflowId,
      taskQueue: on.taskQueue,
      args: [{ opportunityId, partnerId, customerName: 'ACME', title: 'Cloud migration', sharedBy: 'vendor-1' }],
      workflowIdConflictPolicy: 'USE_EXISTING',
    }),
  });
  return { opportunityId, partnerId, snapshot, handle: on.env.client.workflow.getHandle(workflowId) };
}

const advanceTo = (target: number) => advanceClockTo(env, target);

async function dbState(opportunityId: string) {
  const row = await prisma.opportunity.findUniqueOrThrow({ where: { id: opportunityId }, include: { events: { orderBy: { seq: 'asc' } } } });
  return { status: row.status, events: row.events.map((e) => e.type), row };
}


const refusalType = (error: unknown) =>
  error instanceof WorkflowUpdateFailedError ? (error.cause as { type?: string } | undefined)?.type : `not a refusal: ${String(error)}`;

describe('opportunity workflow', () => {
  it('counts 3 working days across a weekend: Fri 15:00 → Wed 15:00, and accepts in time', async () => {
    const friday = nextFriday(await env.currentTimeMs(), 15);
    await advanceTo(friday.toMillis());
    const { opportunityId, partnerId, snapshot, handle } = await shareOne();
    // Locked, the test server's clock still runs in real time: sharing lands a few ms after the target.
    const sharedAt = Date.parse(snapshot.sharedAt!);
    expect(sharedAt - friday.toMillis()).toBeGreaterThanOrEqual(0);
    expect(sharedAt - friday.toMillis()).toBeLessThan(60_000);
    expect(snapshot.acceptDeadline).toBe(new Date(sharedAt + 5 * DAY).toISOString());

    const accepted = await handle.executeUpdate(accept, { args: [{ actor: { sub: 'partner-user', partnerId } }] });
    expect(accepted.status).toBe('ACCEPTED');
    expect(await dbState(opportunityId)).toMatchObject({ status: 'ACCEPTED', events: ['SHARED', 'ACCEPTED'] });
    const described = await handle.describe();
    expect(described.searchAttributes).toMatchObject({ PartnerId: [partnerId], ProcessStatus: ['ACCEPTED'] });
  });

  it('rejects with a reason and ends', async () => {
    const { opportunityId, partnerId, handle } = await shareOne();
    await handle.executeUpdate(reject, { args: [{ actor: { sub: 'u', partnerId }, reasonCode: 'DUPLICATE', note: 'already ours' }] });
    expect((await handle.result()).status).toBe('REJECTED');
    const { row, events } = await dbState(opportunityId);
    expect(events).toEqual(['SHARED', 'REJECTED']);
    expect(row.events[1]).toMatchObject({ reasonCode: 'DUPLICATE', note: 'already ours', actor: 'u', fromStatus: 'PENDING_ACCEPTANCE' });
  });

  it('expires at exactly the deadline, not a second earlier, and then refuses accept', async () => {
    const friday = nextFriday(await env.currentTimeMs(), 15);
    await advanceTo(friday.toMillis());
    const { opportunityId, partnerId, snapshot, handle } = await shareOne();
    const deadline = Date.parse(snapshot.acceptDeadline!);

    await advanceTo(deadline - 1000);
    expect((await handle.query(getState)).status).toBe('PENDING_ACCEPTANCE');
    expect((await dbState(opportunityId)).status).toBe('PENDING_ACCEPTANCE');

    expect((await handle.result()).status).toBe('EXPIRED');
    const { row, events } = await dbState(opportunityId);
    expect(events).toEqual(['SHARED', 'EXPIRED']);
    expect(row.events[1]!.at.getTime()).toBeGreaterThanOrEqual(deadline);
    expect(row.events[1]!.at.getTime()).toBeLessThan(deadline + 1000);
    expect(row.events[1]).toMatchObject({ actor: 'system', reasonCode: 'ACCEPT_DEADLINE_PASSED', data: { reclaimed: true } });
    await recordHistory(handle, 'opportunity-expired');

    await expect(handle.executeUpdate(accept, { args: [{ actor: { sub: 'u', partnerId } }] })).rejects.toThrow();
    expect((await dbState(opportunityId)).events).toEqual(['SHARED', 'EXPIRED']);
  });

  it('skips a holiday and counts a make-up working Sunday', async () => {
    const friday = nextFriday(await env.currentTimeMs(), 15);
    const makeupSunday = friday.plus({ days: 2 });
    const [holidayMon, holidayTue] = [friday.plus({ days: 3 }), friday.plus({ days: 4 })];
    calendar = testCalendar(friday.toMillis(), { holidays: [isoDate(holidayMon), isoDate(holidayTue)], makeupWorkdays: [isoDate(makeupSunday)] });
    try {
      await advanceTo(friday.toMillis());
      const { opportunityId, snapshot, handle } = await shareOne();
      // Fri 9h + Sun 24h (make-up) + Wed 24h + Thu 15h = 72h of working-day time.
      const expected = Date.parse(snapshot.sharedAt!) + 6 * DAY;
      expect(snapshot.acceptDeadline).toBe(new Date(expected).toISOString());
      const { row } = await dbState(opportunityId);
      expect(row.deadlineExplanation).toMatchObject({
        skippedDays: [
          { date: isoDate(friday.plus({ days: 1 })), reason: 'REST_DAY' },
          { date: isoDate(holidayMon), reason: 'HOLIDAY', name: 'Test Festival' },
          { date: isoDate(holidayTue), reason: 'HOLIDAY', name: 'Test Festival' },
        ],
      });
      await advanceTo(expected - 1000);
      expect((await handle.query(getState)).status).toBe('PENDING_ACCEPTANCE');
      expect((await handle.result()).status).toBe('EXPIRED');
    } finally {
      calendar = testCalendar(await env.currentTimeMs());
    }
  });

  it('refuses updates and close before acceptance, and another partner, without changing anything', async () => {
    const { opportunityId, partnerId, handle } = await shareOne();
    const actor = { sub: 'u', partnerId };
    await expect(handle.executeUpdate(postUpdate, { args: [{ actor, stage: 'PROPOSAL', note: 'x' }] })).rejects.toSatisfy(
      (e) => refusalType(e) === 'NOT_ACCEPTED',
    );
    await expect(handle.executeUpdate(close, { args: [{ actor, outcome: 'WON' }] })).rejects.toSatisfy((e) => refusalType(e) === 'NOT_ACCEPTED');
    await expect(handle.executeUpdate(accept, { args: [{ actor: { sub: 'v', partnerId: 'P-other' } }] })).rejects.toSatisfy(
      (e) => refusalType(e) === 'OPPORTUNITY_NOT_FOUND',
    );
    expect(await dbState(opportunityId)).toMatchObject({ status: 'PENDING_ACCEPTANCE', events: ['SHARED'] });
    expect((await handle.query(getState)).seq).toBe(1);
  });

  it('posts updates after acceptance and closes as WON', async () => {
    const { opportunityId, partnerId, handle } = await shareOne();
    const actor = { sub: 'u', partnerId };
    await handle.executeUpdate(accept, { args: [{ actor }] });
    await handle.executeUpdate(postUpdate, { args: [{ actor, stage: 'SOLUTION_DESIGN', note: 'workshop held' }] });
    await handle.executeUpdate(postUpdate, { args: [{ actor, stage: 'PROPOSAL', note: 'proposal sent' }] });
    const closed = await handle.executeUpdate(close, { args: [{ actor, outcome: 'WON', note: 'signed' }] });
    expect(closed.status).toBe('WON');
    expect((await handle.result()).status).toBe('WON');
    const { row, events } = await dbState(opportunityId);
    expect(events).toEqual(['SHARED', 'ACCEPTED', 'UPDATE_POSTED', 'UPDATE_POSTED', 'CLOSED']);
    expect(row.events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(row.events[2]!.data).toEqual({ stage: 'SOLUTION_DESIGN' });
    expect(row.closedAt).not.toBeNull();
    await recordHistory(handle, 'opportunity-won');
  });

  it('fails closed when the calendar has no data for the year: nothing is shared', async () => {
    const previous = calendar;
    const year = new Date(await env.currentTimeMs()).getUTCFullYear();
    calendar = testCalendar(Date.UTC(year, 0, 1), { years: [year - 4, year - 1] });
    try {
      const error = await shareOne().catch((e: unknown) => e);
      expect(refusalType(error)).toBe('CALENDAR_YEAR_NOT_COVERED');
      expect(await prisma.opportunity.count({ where: { sharedBy: 'vendor-1', sharedAt: { gte: new Date(await env.currentTimeMs()) } } })).toBe(0);
    } finally {
      calendar = previous;
    }
  });
});

describe('accept reminder, expiry message and deadline recomputation', () => {
  const outbox = (opportunityId: string) => prisma.outbox.findMany({ where: { aggregateId: opportunityId }, orderBy: { id: 'asc' } });
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
    calendar = testCalendar(await env.currentTimeMs());
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
    expect((await handle.result()).status).toBe('EXPIRED');
    const expiredAt = (await dbState(opportunityId)).row.events[1]!.at;
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
    calendar = testCalendar(friday.toMillis(), { holidays: [isoDate(friday.plus({ days: 3 }))] }); // Monday
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
    calendar = testCalendar(friday.toMillis(), { holidays: [isoDate(friday.plus({ days: 5 }))] }); // Wednesday: deadline Thursday, reminder still Tuesday
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
    calendar = testCalendar(await env.currentTimeMs());
    await recordHistory(handle, 'opportunity-reminder-deadline-moved');
  });

  it('a make-up day pulls the deadline in; already past, it expires at once', async () => {
    const { opportunityId, handle, friday, at } = await shareOnFriday();
    const pulledIn = at(4); // Saturday works: Tuesday 15:00
    await advanceTo(pulledIn + 30 * 60_000); // Tuesday 15:30: still pending on the old calendar
    expect((await handle.query(getState)).status).toBe('PENDING_ACCEPTANCE');
    calendar = testCalendar(friday.toMillis(), { makeupWorkdays: [isoDate(friday.plus({ days: 1 }))] });
    await handle.signal(recomputeDeadline, { reason: 'calendar TEST changed' });
    await eventually(async () => ((await dbState(opportunityId)).status === 'EXPIRED' ? true : undefined));
    const { events, row } = await dbState(opportunityId);
    expect(events).toEqual(['SHARED', 'DEADLINE_CHANGED', 'EXPIRED']);
    expect(row.acceptDeadline.getTime()).toBe(pulledIn);
    expect(row.events[2]!.at.getTime()).toBeGreaterThanOrEqual(pulledIn + 30 * 60_000);
  });

  it('a change outside the window, or after the outcome, changes nothing', async () => {
    const { opportunityId, partnerId, handle, friday, at } = await shareOnFriday();
    calendar = testCalendar(friday.toMillis(), { holidays: [isoDate(friday.plus({ days: 40 }))] });
    await handle.signal(recomputeDeadline, { reason: 'calendar TEST changed' });
    await handle.executeUpdate(accept, { args: [{ actor: { sub: 'u', partnerId } }] }); // handled after the signal
    calendar = testCalendar(friday.toMillis(), { holidays: [isoDate(friday.plus({ days: 3 }))] });
    await handle.signal(recomputeDeadline, { reason: 'calendar TEST changed again' });
    await handle.executeUpdate(postUpdate, { args: [{ actor: { sub: 'u', partnerId }, stage: 'QUALIFYING', note: 'n' }] });
    const { events, row } = await dbState(opportunityId);
    expect(events).toEqual(['SHARED', 'ACCEPTED', 'UPDATE_POSTED']);
    expect(row.acceptDeadline.getTime()).toBe(at(5));
    calendar = testCalendar(await env.currentTimeMs());
  });
});

describe('opportunity activities are idempotent', () => {
  it('writes a transition once however often it is retried', async () => {
    const activities = createOpportunityActivities({ prisma, calendarFor: fixedCalendar(() => calendar) });
    const opportunityId = randomUUID();
    const sharedAt = new Date(await env.currentTimeMs()).toISOString();
    const plan = await activities.planAcceptDeadline({ partnerId: 'P-1', sharedAt });
    const shareInput = { opportunityId, partnerId: 'P-1', customerName: 'C', title: 'T', sharedBy: 'v', sharedAt, ...plan };
    await activities.recordShared(shareInput);
    await activities.recordShared(shareInput);
    const transition = {
      opportunityId,
      seq: 2,
      type: 'ACCEPTED' as const,
      fromStatus: 'PENDING_ACCEPTANCE' as const,
      toStatus: 'ACCEPTED' as const,
      actor: 'u',
      at: new Date().toISOString(),
    };
    await Promise.all([activities.recordTransition(transition), activities.recordTransition(transition)]);
    await activities.recordTransition(transition);
    expect(await dbState(opportunityId)).toMatchObject({ status: 'ACCEPTED', events: ['SHARED', 'ACCEPTED'] });
  });
});

/**
 * The race runs on a time-skipping server of its own, fresh per attempt: racing updates against the timer at times
 * trips a bug of the time-skipping test server ("invalid history builder state for action" on a task completion), after
 * which the update never answers and that server's clock stops skipping. A retry on a clean server keeps such an
 * attempt from failing the run or stalling the other tests; every attempt checks the full outcome.
 */
describe('accept racing the deadline', () => {
  it('gives exactly one outcome when accept races the deadline', { retry: 2, timeout: 45_000 }, async ({ onTestFinished }) => {
    const raceEnv = await timeSkippingEnv();
    // Also after a timeout (the attempt's own code is then abandoned, its finally never runs): the stalled server
    // must not outlive the run. The worker gets 5 s to stop before its server goes.
    let stopWorker: () => Promise<void> = async () => {};
    onTestFinished(async () => {
      await Promise.race([stopWorker(), new Promise((resolve) => setTimeout(resolve, 5_000))]);
      await raceEnv.teardown();
    });
    const raceQueue = `opportunity-race-${randomUUID().slice(0, 8)}`;
    const raceCalendar = testCalendar(await raceEnv.currentTimeMs());
    const { stop } = await startTestWorker(raceEnv, raceQueue, fixedCalendar(() => raceCalendar));
    stopWorker = stop;
    const races = await Promise.all([0, 1, 2, 3, 4].map(() => shareOne(partner(), { env: raceEnv, taskQueue: raceQueue })));
    const deadline = Date.parse(races[0]!.snapshot.acceptDeadline!);
    const accepts = races.map(({ handle, partnerId }, i) =>
      (async () => {
        // Spread the accepts around the deadline: some land before the timer, some after.
        await new Promise((r) => setTimeout(r, i * 15));
        return handle.executeUpdate(accept, { args: [{ actor: { sub: 'u', partnerId } }] }).then(
          () => 'ACCEPTED',
          (e: unknown) => refusalType(e) ?? 'refused',
        );
      })(),
    );
    await Promise.all([advanceClockTo(raceEnv, deadline), ...accepts]);
    const outcomes = await Promise.all(accepts);
    for (const [i, { opportunityId, handle }] of races.entries()) {
      const state = await handle.query(getState);
      const db = await dbState(opportunityId);
      const decisions = db.events.filter((e) => e === 'ACCEPTED' || e === 'EXPIRED');
      expect(decisions, `race ${i}: ${outcomes[i]}`).toHaveLength(1);
      expect(db.status).toBe(state.status);
      expect(state.status === 'ACCEPTED').toBe(outcomes[i] === 'ACCEPTED');
    }
  });
});
