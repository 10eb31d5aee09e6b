/** Deadline computation inside activities. */
import { ApplicationFailure } from '@temporalio/activity';
import { type BusinessCalendar, CalendarYearNotCoveredError, type DeadlineExplanation } from '../domain/calendar.js';

/**
 * Runs a calendar computation; a year the calendar has no data for becomes a non-retryable failure of type
 * CALENDAR_YEAR_NOT_COVERED — deadlines fail closed, and a retry cannot bring the missing data.
 */
export function failClosed<T>(compute: () => T): T {
  try {
    return compute();
  } catch (error) {
    if (error instanceof CalendarYearNotCoveredError) {
      throw ApplicationFailure.nonRetryable(error.message, 'CALENDAR_YEAR_NOT_COVERED', { calendar: error.calendar, year: error.year });
    }
    throw error;
  }
}

/**
 * `workingDays` working days from `from` (fails closed) and, when `remindBefore` is given and the period is longer,
 * the reminder instant `remindBefore` working days before it: the same start counted `workingDays − remindBefore`
 * working days, so at the deadline's local time.
 */
export function planWorkingDays(calendar: BusinessCalendar, from: string, workingDays: number, remindBefore?: number): { deadline: string; explanation: DeadlineExplanation; reminderAt?: string } {
  const { deadline, explanation } = failClosed(() => calendar.addWorkingDays(new Date(from), workingDays));
  const reminder = remindBefore !== undefined && workingDays > remindBefore ? failClosed(() => calendar.addWorkingDays(new Date(from), workingDays - remindBefore)).deadline : undefined;
  return { deadline: deadline.toISOString(), explanation, ...(reminder ? { reminderAt: reminder.toISOString() } : {}) };
}
