/** Business-calendar questions: what deadline N working days from a moment gives. */
import { z } from 'zod';
import { type BusinessCalendar, CalendarYearNotCoveredError } from '../../domain/calendar.js';
import { problems } from '../../domain/problems.js';
import { calendarProblem } from '../clients/opportunity.js';
import { defineRoute, type RouteDef } from '../http.js';
import { deadlineAnswerSchema } from '../schemas.js';

export function calendarRoutes(calendarByName: (name: string) => BusinessCalendar | undefined): RouteDef[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/calendars/:name/deadline',
      permission: 'calendar.read',
      summary: 'The deadline `workingDays` working days after `from`, with the days skipped and why.',
      params: z.strictObject({ name: z.string().max(64) }),
      query: z.strictObject({
        from: z.string().datetime({ offset: true, message: 'must be an ISO 8601 date-time with Z or an offset' }),
        workingDays: z.coerce.number().int().min(1).max(366),
      }),
      responses: { 200: deadlineAnswerSchema },
      problems: [404, 422],
      handler: async ({ params, query }) => {
        const calendar = calendarByName(params.name);
        if (!calendar) throw problems.notFound(`Calendar ${params.name}`);
        try {
          const { deadline, explanation } = calendar.addWorkingDays(new Date(query.from), query.workingDays);
          return { status: 200, body: { deadline: deadline.toISOString(), explanation } };
        } catch (error) {
          if (error instanceof CalendarYearNotCoveredError) throw calendarProblem(error);
          throw error;
        }
      },
    }),
  ];
}
