/**
 * The share's write is a local activity (workflows/kit/persistence.ts): it runs before its workflow task is durable,
 * and a worker that dies before the task completes leaves it behind. The retried task shares again with the same
 * sharedAt (the workflow's start) and takes its plan again; the write must then leave the row as the retry planned it,
 * whatever the lost task wrote — and never rewind an opportunity past its share. Real PostgreSQL, the real activities;
 * the expected deadlines are counted by hand. (A worker killed inside a write: test/crash.test.ts.)
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createOpportunityActivities } from '../activities/opportunity.js';
import type { BusinessCalendar } from '../domain/calendar.js';
import { createPrisma } from '../platform/db.js';
import { fixedCalendar, testCalendar } from './support/calendar.js';
import { testDatabaseUrl } from './support/database.js';

const prisma = createPrisma(testDatabaseUrl());
afterAll(() => prisma.$disconnect());

// Monday 2031-03-03 18:00 in Shanghai (10:00 UTC). Weekends only: + 3 working days = Thursday 18:00 (10:00 UTC);
// with Tuesday a holiday: Friday 2031-03-07 18:00 (10:00 UTC).
const SHARED_AT = '2031-03-03T10:00:00.000Z';
const weekendsOnly = testCalendar(Date.parse(SHARED_AT));
const tuesdayOff = testCalendar(Date.parse(SHARED_AT), { holidays: ['2031-03-04'] });

async function share(opportunityId: string, calendar: BusinessCalendar) {
  const activities = createOpportunityActivities({ prisma, calendarFor: fixedCalendar(() => calendar) });
  const plan = await activities.planAcceptDeadline({ partnerId: 'P-LOCAL', sharedAt: SHARED_AT });
  await activities.recordShared({ opportunityId, partnerId: 'P-LOCAL', customerName: 'C', title: 'T', sharedBy: 'vendor', sharedAt: SHARED_AT, ...plan });
  return activities;
}

async function stored(opportunityId: string) {
  const row = await prisma.opportunity.findUniqueOrThrow({ where: { id: opportunityId }, include: { events: { orderBy: { seq: 'asc' } } } });
  return {
    status: row.status,
    sharedAt: row.sharedAt.toISOString(),
    acceptDeadline: row.acceptDeadline.toISOString(),
    events: row.events.map((e) => `${e.seq} ${e.type} ${e.at.toISOString()} ${JSON.stringify(e.data)}`),
  };
}

describe("the share's local write", () => {
  it('written again by a retried first task: one row, one SHARED history row, as it was', async () => {
    const id = randomUUID();
    await share(id, weekendsOnly);
    await share(id, weekendsOnly);
    expect(await stored(id)).toEqual({
      status: 'PENDING_ACCEPTANCE',
      sharedAt: SHARED_AT,
      acceptDeadline: '2031-03-06T10:00:00.000Z',
      events: [`1 SHARED ${SHARED_AT} {"calendar":"TEST","acceptDeadline":"2031-03-06T10:00:00.000Z"}`],
    });
  });

  it('the calendar edited between the lost task and its retry: the row takes the retried plan (the history row keeps the first)', async () => {
    const id = randomUUID();
    await share(id, weekendsOnly);
    await share(id, tuesdayOff);
    expect(await stored(id)).toMatchObject({ acceptDeadline: '2031-03-07T10:00:00.000Z', events: [expect.stringContaining('"acceptDeadline":"2031-03-06T10:00:00.000Z"')] });
  });

  it('never rewinds an opportunity past its share', async () => {
    const id = randomUUID();
    const activities = await share(id, weekendsOnly);
    await activities.recordTransition({ opportunityId: id, seq: 2, type: 'ACCEPTED', fromStatus: 'PENDING_ACCEPTANCE', toStatus: 'ACCEPTED', actor: 'alice', at: '2031-03-04T09:00:00.000Z' });
    await share(id, tuesdayOff);
    expect(await stored(id)).toMatchObject({ status: 'ACCEPTED', acceptDeadline: '2031-03-06T10:00:00.000Z' });
  });
});
