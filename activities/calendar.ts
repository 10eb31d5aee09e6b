/** Deadline computation inside activities. */
import { ApplicationFailure } from '@temporalio/activity';
import { CalendarYearNotCoveredError } from '../domain/calendar.js';

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
