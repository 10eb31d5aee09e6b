/**
 * A partner's calendar as the reviewed applications' activities use it: the local date of an instant in the
 * partner's zone (prerequisites, requirements and certificates are judged on local dates), working-day deadlines
 * (fail closed), and the partner's attested facts on the local date of an action.
 */
import { DateTime } from 'luxon';
import type { CalendarLookup, DeadlineExplanation } from '../../domain/calendar.js';
import type { PartnerFacts } from '../../domain/partner-rules.js';
import type { PrismaClient } from '../../platform/db.js';
import { loadPartnerFacts } from '../../platform/partner-facts.js';
import { planWorkingDays } from '../calendar.js';

/** The local date (YYYY-MM-DD) of instant `at` in `zone`. */
export const localDate = (at: string | Date, zone: string) =>
  DateTime.fromJSDate(typeof at === 'string' ? new Date(at) : at).setZone(zone).toISODate()!;

/** `workingDays` from `from`, and given `remindBefore`, the reminder that many working days before the deadline. */
export type WorkingDaysRequest = { partnerId: string; from: string; workingDays: number; remindBefore?: number };
export type WorkingDaysPlan = { deadline: string; explanation: DeadlineExplanation; reminderAt?: string };

export function partnerCalendar(prisma: PrismaClient, calendarFor: CalendarLookup) {
  const zoneOf = async (partnerId: string) => (await calendarFor(partnerId)).calendar.zone;
  return {
    zoneOf,
    /** A review SLA or supplement deadline in the partner's calendar (fails closed), with its reminder's instant. */
    async planWorkingDays(a: WorkingDaysRequest): Promise<WorkingDaysPlan> {
      return planWorkingDays((await calendarFor(a.partnerId)).calendar, a.from, a.workingDays, a.remindBefore);
    },
    /** The partner's live facts (experts, certificates) and the local date of `at` they are judged on. */
    async factsOn(partnerId: string, at: string): Promise<{ today: string; facts: PartnerFacts }> {
      const today = localDate(at, await zoneOf(partnerId));
      return { today, facts: await loadPartnerFacts(prisma, partnerId) };
    },
  };
}
