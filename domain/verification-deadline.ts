/** The monthly incentive's verification deadline rule: pure, used by its activities. */
import type { BusinessCalendar, DeadlineExplanation } from './calendar.js';

/** The partner has 14 working days from generation to verify the list. */
export const VERIFICATION_WORKING_DAYS = 14;
/**
 * The reminder goes out 11 working days after generation, i.e. 3 working days before the deadline counted in
 * working-day time (the same wall-clock time, 3 working days earlier), not 3 calendar days before it.
 */
export const REMINDER_WORKING_DAYS = VERIFICATION_WORKING_DAYS - 3;

/** The verification deadline and reminder for an incentive generated at `generatedAt`, in the partner's calendar. */
export type VerificationPlan = {
  verificationDeadline: string;
  reminderAt: string;
  explanation: DeadlineExplanation;
  calendar: string;
  zone: string;
};

/** Pure: the plan for `generatedAt` in `calendar` (the deadline 14 working days on, the reminder 3 before it). */
export function planVerificationDeadline(generatedAt: Date, calendar: BusinessCalendar): VerificationPlan {
  const { deadline, explanation } = calendar.addWorkingDays(generatedAt, VERIFICATION_WORKING_DAYS);
  const reminder = calendar.addWorkingDays(generatedAt, REMINDER_WORKING_DAYS).deadline;
  return { verificationDeadline: deadline.toISOString(), reminderAt: reminder.toISOString(), explanation, calendar: calendar.name, zone: calendar.zone };
}
