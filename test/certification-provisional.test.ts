/**
 * Certification deadlines reaching into a year whose holiday schedule is not published, on the time-skipping test
 * server with the real activities on a real PostgreSQL: reviewDueAt and supplementDeadline provisional (history,
 * query, Web UI), then re-timed by the official year — a confirmed date clears its mark, a moved one is announced.
 */
import { describe, expect, it } from 'vitest';
import { getCertification, recomputeDeadline, review } from '../workflows/certification/workflow.js';
import { testCalendar } from './support/calendar.js';
import { certificationSteps, vendor } from './support/certification.js';
import { DAY, useTestEnv } from './support/env.js';
import { cnCalendar, deadlineChangedMessages, nextThursdayDec24, officialNextYear, provisionalAttribute } from './support/provisional.js';
import { eventually } from './support/wait.js';

const taskQueue = 'certification-provisional-test';
const env = useTestEnv({ taskQueue });
const { advanceTo } = env;
const { inReview } = certificationSteps(env);

describe('review and supplement deadlines reaching into a year whose holiday schedule is not published', () => {
  const row = (id: string) => env.prisma.certificationApplication.findUniqueOrThrow({ where: { id }, include: { events: { orderBy: { seq: 'asc' } } } });
  const eventCount = (id: string, count: number) =>
    eventually(async () => {
      const r = await row(id);
      return r.events.length === count ? r : undefined;
    });

  it('are provisional (history, query, Web UI); the official year re-times them: a confirmed reviewDueAt clears its mark, a moved supplementDeadline is announced', async () => {
    const dec24 = nextThursdayDec24(await env.currentTimeMs());
    const [year, next] = [dec24.year, dec24.year + 1];
    env.calendar = cnCalendar(year - 1, year); // next year not published: counted with CN's statutory rules
    try {
      await advanceTo(dec24.toMillis());
      const reviewed = await inReview();
      const supplementing = await inReview();
      const requested = await supplementing.handle.executeUpdate(review, { args: [{ actor: vendor, decision: 'REQUEST_SUPPLEMENT', note: 'more' }] });
      // Instants count from the round's start or the request (Thu 12-24 10:00 and the seconds the test took); no DST.
      const at = (from: string, days: number) => new Date(Date.parse(from) + days * DAY).toISOString();
      // Thu 12-24 + 10 working days: Fri 25 (1), Mon 28–Thu 31 (2–5), Fri 01-01 New Year's Day (statutory), Mon 04–Fri 08
      // (6–10) → Fri 01-08, 15 days on.
      const reviewDueAt = at(reviewed.snapshot.reviewStartedAt!, 15);
      const supplementDeadline = at(requested.supplementRequestedAt!, 15);
      expect(reviewed.snapshot).toMatchObject({ status: 'IN_REVIEW', reviewDueAt, deadlineProvisional: true, provisionalYears: [next] });
      expect(requested).toMatchObject({ status: 'SUPPLEMENT_REQUESTED', supplementDeadline, deadlineProvisional: true, provisionalYears: [next] });
      for (const [{ events }, type] of [[await row(reviewed.applicationId), 'REVIEW_STARTED'], [await row(supplementing.applicationId), 'SUPPLEMENT_REQUESTED']] as const) {
        expect(events.find((e) => e.type === type)!.data).toMatchObject({
          explanation: {
            provisional: true,
            provisionalYears: [next],
            provisionalNote: expect.stringContaining('may move'),
            skippedDays: expect.arrayContaining([{ date: `${next}-01-01`, reason: 'HOLIDAY', name: "New Year's Day (provisional)" }]),
          },
        });
      }
      for (const { handle } of [reviewed, supplementing]) expect(await provisionalAttribute(handle)).toBe(true);

      // The official year says what the rules said: reviewDueAt stands, its mark clears, nothing is sent.
      env.calendar = officialNextYear(year);
      await reviewed.handle.signal(recomputeDeadline, { reason: `calendar CN: ${next} published`, calendar: 'CN', version: 3 });
      const confirmed = await eventCount(reviewed.applicationId, 6); // CREATED, 2 × MATERIAL_SET, SUBMITTED, REVIEW_STARTED, DEADLINE_CHANGED
      expect(confirmed.reviewDueAt!.toISOString()).toBe(reviewDueAt);
      expect(confirmed.events[5]).toMatchObject({ type: 'DEADLINE_CHANGED', data: { deadline: 'reviewDueAt', from: reviewDueAt, to: reviewDueAt } });
      expect(confirmed.events[5]!.note).toContain('no longer provisional');
      expect(confirmed.events[5]!.data).not.toHaveProperty('explanation.provisional');
      expect(await deadlineChangedMessages(env.prisma, reviewed.applicationId)).toEqual([]);
      expect(await provisionalAttribute(reviewed.handle)).toBe(false);
      expect(await reviewed.handle.query(getCertification)).not.toHaveProperty('deadlineProvisional');

      // The official year adds a bridge day (Mon 01-04): Fri 25 (1), 28–31 (2–5), Tue 05–Fri 08 (6–9), Mon 11 (10) → Mon 01-11, 18 days on.
      env.calendar = officialNextYear(year, { bridge: true });
      await supplementing.handle.signal(recomputeDeadline, { reason: `calendar CN: ${next} published`, calendar: 'CN', version: 3 });
      const moved = await eventCount(supplementing.applicationId, 7); // … SUPPLEMENT_REQUESTED, DEADLINE_CHANGED
      const to = at(requested.supplementRequestedAt!, 18);
      expect(moved.supplementDeadline!.toISOString()).toBe(to);
      expect(moved.events[6]).toMatchObject({ type: 'DEADLINE_CHANGED', data: { deadline: 'supplementDeadline', from: supplementDeadline, to } });
      const [message, ...more] = await eventually(async () => {
        const rows = await deadlineChangedMessages(env.prisma, supplementing.applicationId);
        return rows.length ? rows : undefined;
      });
      expect(more).toEqual([]);
      expect(message).toMatchObject({
        topic: 'certification.deadline-changed',
        payload: { applicationId: supplementing.applicationId, partnerId: supplementing.partnerId, deadline: 'supplementDeadline', from: supplementDeadline, to, reason: `calendar CN: ${next} published` },
      });
      expect(message!.payload).not.toHaveProperty('deadlineProvisional');
      expect(await provisionalAttribute(supplementing.handle)).toBe(false);
      expect(await supplementing.handle.query(getCertification)).toMatchObject({ supplementDeadline: to });
      expect(await supplementing.handle.query(getCertification)).not.toHaveProperty('deadlineProvisional');
    } finally {
      env.calendar = testCalendar(await env.currentTimeMs());
    }
  });
});
