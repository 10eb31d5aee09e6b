/**
 * An opportunity whose accept window reaches into a year its calendar has not published: counted provisionally with
 * CN's statutory rules (New Year's Day skipped), marked so in the explanation, the row and the Web UI search attribute;
 * then the official year arrives and re-times it — a moved deadline is recorded and announced
 * (`opportunity.deadline-changed`), an unchanged one is confirmed and its mark cleared without a message.
 * Time-skipping server, real activities, real PostgreSQL.
 */
import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation } from '@temporalio/client';
import type { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { getState, opportunityWorkflow, recomputeDeadline, share } from '../workflows/opportunity/workflow.js';
import { nextWednesdayDec30 } from './support/calendar.js';
import { DAY, useTestEnv } from './support/env.js';
import { cnCalendar, provisionalAttribute } from './support/provisional.js';
import { advanceClockTo, eventually } from './support/wait.js';

const taskQueue = 'opportunity-provisional-test';
const env = useTestEnv({ taskQueue });

async function shareOn(dec30: DateTime) {
  await advanceClockTo(env, dec30.toMillis());
  const opportunityId = randomUUID();
  const snapshot = await env.client.workflow.executeUpdateWithStart(share, {
    startWorkflowOperation: new WithStartWorkflowOperation(opportunityWorkflow, {
      workflowId: `opportunity-${opportunityId}`,
      taskQueue,
      args: [{ opportunityId, partnerId: `P-${opportunityId.slice(0, 8)}`, customerName: 'ACME', title: 'Migration', sharedBy: 'vendor-1' }],
      workflowIdConflictPolicy: 'USE_EXISTING',
    }),
  });
  return { opportunityId, snapshot, handle: env.client.workflow.getHandle(`opportunity-${opportunityId}`) };
}

const row = (id: string) => env.prisma.opportunity.findUniqueOrThrow({ where: { id }, include: { events: { orderBy: { seq: 'asc' } } } });
const outbox = (id: string) => env.prisma.outbox.findMany({ where: { aggregateId: id }, orderBy: { id: 'asc' } });

describe('accept deadlines reaching into an unpublished year', () => {
  it('provisional: New Year skipped by the statutory rules, marked in the explanation, the row and the Web UI; official data moving it is announced', async () => {
    const dec30 = nextWednesdayDec30(await env.currentTimeMs());
    const year = dec30.year;
    env.calendar = cnCalendar(year - 1, year); // next year not published
    // Wed 12-30 10:00 + 3 working days: Thu 31 (1), Fri 01-01 New Year's Day (statutory), Sat 02, Sun 03, Mon 04 (2), Tue 05 (3).
    const { opportunityId, snapshot, handle } = await shareOn(dec30);
    // Instants count from sharedAt (10:00 and the few ms the workflow took); no DST in Shanghai.
    const at = (days: number) => new Date(Date.parse(snapshot.sharedAt!) + days * DAY).toISOString();
    expect(snapshot.acceptDeadline).toBe(at(6));
    const shared = await row(opportunityId);
    expect(shared.deadlineExplanation).toMatchObject({
      provisional: true,
      provisionalYears: [year + 1],
      provisionalNote: expect.stringContaining('may move'),
      skippedDays: [{ date: `${year + 1}-01-01`, reason: 'HOLIDAY', name: "New Year's Day (provisional)" }, { date: `${year + 1}-01-02` }, { date: `${year + 1}-01-03` }],
    });
    expect(await provisionalAttribute(handle)).toBe(true);

    // The official schedule is published: 01-01 and a bridge on Mon 01-04 → Thu 31 (1), Tue 05 (2), Wed 06 (3).
    env.calendar = cnCalendar(year - 1, year + 1, { [`${year + 1}-01-01`]: "New Year's Day", [`${year + 1}-01-04`]: "New Year's Day" });
    await handle.signal(recomputeDeadline, { reason: `calendar CN: ${year + 1} published`, calendar: 'CN', version: 3 });
    const moved = at(7);
    const after = await eventually(async () => {
      const r = await row(opportunityId);
      return r.acceptDeadline.toISOString() === moved ? r : undefined;
    });
    expect(after.events.map((e) => e.type)).toEqual(['SHARED', 'DEADLINE_CHANGED']);
    expect(after.deadlineExplanation).not.toHaveProperty('provisional');
    expect(after.events[1]!.data).toMatchObject({ from: at(6), to: moved });
    const messages = await eventually(async () => ((await outbox(opportunityId)).length === 1 ? outbox(opportunityId) : undefined));
    expect(messages[0]).toMatchObject({
      topic: 'opportunity.deadline-changed',
      payload: { opportunityId, deadline: 'acceptDeadline', from: at(6), to: moved, reason: `calendar CN: ${year + 1} published` },
    });
    expect(messages[0]!.payload).not.toHaveProperty('deadlineProvisional');
    // The row is written by a local activity inside the workflow task; the attribute lands when that task completes.
    await eventually(async () => (await provisionalAttribute(handle)) === false || undefined);
    expect((await handle.query(getState)).acceptDeadline).toBe(moved);
  });

  it('official data confirming the date: the mark clears, the history says so, no message is sent', async () => {
    const dec30 = nextWednesdayDec30(await env.currentTimeMs());
    const year = dec30.year;
    env.calendar = cnCalendar(year - 1, year);
    const { opportunityId, snapshot, handle } = await shareOn(dec30);
    const deadline = new Date(Date.parse(snapshot.sharedAt!) + 6 * DAY).toISOString(); // Tue 01-05 10:00, as above
    expect((await row(opportunityId)).deadlineExplanation).toMatchObject({ provisional: true });

    env.calendar = cnCalendar(year - 1, year + 1, { [`${year + 1}-01-01`]: "New Year's Day" }); // exactly what the rules said
    await handle.signal(recomputeDeadline, { reason: `calendar CN: ${year + 1} published`, calendar: 'CN', version: 3 });
    const confirmed = await eventually(async () => {
      const r = await row(opportunityId);
      return r.events.length === 2 ? r : undefined;
    });
    expect(confirmed.acceptDeadline.toISOString()).toBe(deadline);
    expect(confirmed.events[1]).toMatchObject({ type: 'DEADLINE_CHANGED', data: { from: deadline, to: deadline } });
    expect(confirmed.events[1]!.note).toContain('no longer provisional');
    expect(confirmed.deadlineExplanation).not.toHaveProperty('provisional');
    expect(await provisionalAttribute(handle)).toBe(false);
    // No deadline-changed message: the date the partner knows stands. (The row above committed in the same
    // transaction that would have appended it.)
    expect((await outbox(opportunityId)).filter((m) => m.topic === 'opportunity.deadline-changed')).toEqual([]);

    // A second signal with the same calendar records nothing more.
    await handle.signal(recomputeDeadline, { reason: 'again', calendar: 'CN', version: 3 });
    await handle.query(getState); // the signal is in history before the query answers
    expect((await row(opportunityId)).events).toHaveLength(2);
  });
});
