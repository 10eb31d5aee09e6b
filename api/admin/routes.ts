/** Time-travel for demos and acceptance tests: only mounted when the stack runs on the time-skipping server. */
import type { Connection } from '@temporalio/client';
import { msNumberToTs, tsToDate } from '@temporalio/common/lib/time.js';
import { Duration } from 'luxon';
import { z } from 'zod';
import { defineRoute, type RouteDef } from '../kit/http.js';
import { clockAdvanceSchema } from './schemas.js';

const MAX_ADVANCE = Duration.fromObject({ days: 400 });

const duration = z
  .string()
  .max(64)
  .transform((value, ctx) => {
    const parsed = Duration.fromISO(value);
    if (!parsed.isValid || parsed.toMillis() <= 0 || parsed > MAX_ADVANCE) {
      ctx.addIssue({ code: 'custom', message: 'must be a positive ISO 8601 duration of at most P400D, e.g. P5D or PT3H' });
      return z.NEVER;
    }
    return parsed;
  });

export function adminRoutes(timeSkipping: Connection): RouteDef[] {
  const testService = timeSkipping.testService!;
  return [
    defineRoute({
      method: 'post',
      path: '/v1/admin/clock/advance',
      permission: 'clock.advance',
      summary: "Move the time-skipping server's clock forward; timers due in between fire.",
      body: z.strictObject({ duration }),
      responses: { 200: clockAdvanceSchema },
      handler: async ({ body }) => {
        const before = await testService.getCurrentTime({});
        // Unlocks skipping for exactly this long, then locks again: time moves only on purpose.
        await testService.unlockTimeSkippingWithSleep({ duration: msNumberToTs(body.duration.toMillis()) });
        const after = await testService.getCurrentTime({});
        const iso = (t: typeof after) => tsToDate(t.time!).toISOString();
        return { status: 200, body: { advancedBy: body.duration.toISO(), from: iso(before), now: iso(after) } };
      },
    }),
  ];
}
