/** The opportunity's accept deadline rule: pure, used by its activity and by the API to fail fast before sharing. */
import type { BusinessCalendar, DeadlineExplanation } from './calendar.js';

export const ACCEPT_WORKING_DAYS = 3;
/** The partner is reminded this many working days before its accept deadline. */
export const ACCEPT_REMINDER_WORKING_DAYS = 1;

export type AcceptPlan = {
  acceptDeadline: string;
  /** ACCEPT_REMINDER_WORKING_DAYS working days before the deadline, at the same local time. */
  reminderAt: string;
  explanation: DeadlineExplanation;
  calendar: string;
  zone: string;
};

/** The accept deadline for an opportunity shared at `sharedAt`, and when to remind the partner of it. */
export function planAcceptDeadline(sharedAt: Date, calendar: BusinessCalendar): AcceptPlan {
  const { deadline, explanation } = calendar.addWorkingDays(sharedAt, ACCEPT_WORKING_DAYS);
  const reminder = calendar.addWorkingDays(sharedAt, ACCEPT_WORKING_DAYS - ACCEPT_REMINDER_WORKING_DAYS).deadline;
  return { acceptDeadline: deadline.toISOString(), reminderAt: reminder.toISOString(), explanation, calendar: calendar.name, zone: calendar.zone };
}
