/**
 * The opportunity workflow on the time-skipping test server, with the real activities on a real
 * PostgreSQL: every path, exact deadlines and DB = workflow after each. The accept/expiry race:
 * deadline-boundaries.opportunity.test.ts. Reminders, the expiry message and
 * deadlines following the calendar: opportunity-recompute.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { createOpportunityActivities } from '../activities/opportunity.js';
import { accept, close, getState, postUpdate, reject } from '../workflows/opportunity/workflow.js';
import { isoDate, nextFriday, testCalendar } from './support/calendar.js';
import { DAY, useTestEnv } from './support/env.js';
import { newPartner as partner, opportunityState, refusalType, shareOpportunity } from './support/opportunity.js';
import { recordHistory } from './support/histories.js';

const env = useTestEnv({ taskQueue: 'opportunity-workflow-test' });
const { advanceTo } = env;
const shareOne = (partnerId?: string) => shareOpportunity(env, partnerId);
const dbState = (opportunityId: string) => opportunityState(env.prisma, opportunityId);

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
    // Shared Friday 15:00 (and a few ms): Mon, Tue, Wed → Wednesday 15:00, 5 × 24 h on.
    const deadline = Date.parse(snapshot.sharedAt!) + 5 * DAY;
    expect(Date.parse(snapshot.sharedAt!) - friday.toMillis()).toBeLessThan(60_000);
    expect(snapshot.acceptDeadline).toBe(new Date(deadline).toISOString());

    await advanceTo(deadline - 1000);
    expect((await handle.query(getState)).status).toBe('PENDING_ACCEPTANCE');
    expect((await dbState(opportunityId)).status).toBe('PENDING_ACCEPTANCE');

    expect((await handle.result()).status).toBe('EXPIRED');
    const { row, events } = await dbState(opportunityId);
    expect(events).toEqual(['SHARED', 'EXPIRED']);
    expect(row.events[1]!.at.getTime()).toBeGreaterThanOrEqual(deadline);
    expect(row.events[1]!.at.getTime()).toBeLessThan(deadline + 1000);
    expect(row.events[1]).toMatchObject({ actor: 'system', reasonCode: 'ACCEPT_DEADLINE_PASSED', data: { reclaimed: true } });
    await recordHistory(handle, 'opportunity-expired-local-persistence');

    // Expired, the workflow has ended: a late accept finds no process to act on.
    await expect(handle.executeUpdate(accept, { args: [{ actor: { sub: 'u', partnerId } }] })).rejects.toBeInstanceOf(WorkflowNotFoundError);
    expect((await dbState(opportunityId)).events).toEqual(['SHARED', 'EXPIRED']);
  });

  it('skips a holiday and counts a make-up working Sunday', async () => {
    const friday = nextFriday(await env.currentTimeMs(), 15);
    const makeupSunday = friday.plus({ days: 2 });
    const [holidayMon, holidayTue] = [friday.plus({ days: 3 }), friday.plus({ days: 4 })];
    env.calendar = testCalendar(friday.toMillis(), { holidays: [isoDate(holidayMon), isoDate(holidayTue)], makeupWorkdays: [isoDate(makeupSunday)] });
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
      env.calendar = testCalendar(await env.currentTimeMs());
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
    await recordHistory(handle, 'opportunity-won-local-persistence');
  });

  it('fails closed when the calendar has no data for the year: nothing is shared', async () => {
    const previous = env.calendar;
    const year = new Date(await env.currentTimeMs()).getUTCFullYear();
    env.calendar = testCalendar(Date.UTC(year, 0, 1), { years: [year - 4, year - 1] });
    try {
      // A partner of its own: any row or event written for this share would be counted here.
      const partnerId = partner();
      const error = await shareOne(partnerId).catch((e: unknown) => e);
      expect(refusalType(error)).toBe('CALENDAR_YEAR_NOT_COVERED');
      expect(await env.prisma.opportunity.count({ where: { partnerId } })).toBe(0);
    } finally {
      env.calendar = previous;
    }
  });
});

describe('opportunity activities are idempotent', () => {
  it('writes a transition once however often it is retried', async () => {
    const activities = createOpportunityActivities({ prisma: env.prisma, calendarFor: env.calendarFor });
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
