/**
 * The working-day deadlines the worker gives the processes it starts from now on (each process stores its own, so a
 * change never moves an open one's deadline): the vendor's review SLAs of project specialists, level raises and
 * enrollments, an enrollment invitation's expiry and the partner's confirmation deadline. Read from the environment
 * once at the worker's start (docs/configuration.md); unset, each is its process's default in domain/.
 */
import { z } from 'zod';
import { DEFAULT_ENROLLMENT_DEADLINES } from '../domain/enrollment.js';
import { DEFAULT_LEVEL_RAISE_REVIEW_SLA_WORKING_DAYS } from '../workflows/level-raise/contract.js';
import { DEFAULT_REVIEW_SLA_WORKING_DAYS } from '../workflows/specialist/contract.js';

const workingDays = (fallback: number) => z.coerce.number().int().min(1).max(60).default(fallback);

const schema = z.object({
  SPECIALIST_REVIEW_SLA_WORKING_DAYS: workingDays(DEFAULT_REVIEW_SLA_WORKING_DAYS),
  LEVEL_RAISE_REVIEW_SLA_WORKING_DAYS: workingDays(DEFAULT_LEVEL_RAISE_REVIEW_SLA_WORKING_DAYS),
  ENROLLMENT_REVIEW_SLA_WORKING_DAYS: workingDays(DEFAULT_ENROLLMENT_DEADLINES.reviewSlaWorkingDays),
  ENROLLMENT_INVITATION_WORKING_DAYS: workingDays(DEFAULT_ENROLLMENT_DEADLINES.invitationWorkingDays),
  ENROLLMENT_CONFIRMATION_WORKING_DAYS: workingDays(DEFAULT_ENROLLMENT_DEADLINES.confirmationWorkingDays),
});

/** The activities' deadline options (ActivityDeps), or `Invalid configuration: <variable>: <why>` as platform/config.ts says it. */
export function processDeadlinesOf(env: NodeJS.ProcessEnv = process.env) {
  const parsed = schema.safeParse(env);
  if (!parsed.success) throw new Error(`Invalid configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const c = parsed.data;
  return {
    specialistReviewSlaWorkingDays: c.SPECIALIST_REVIEW_SLA_WORKING_DAYS,
    levelRaiseReviewSlaWorkingDays: c.LEVEL_RAISE_REVIEW_SLA_WORKING_DAYS,
    enrollmentReviewSlaWorkingDays: c.ENROLLMENT_REVIEW_SLA_WORKING_DAYS,
    enrollmentInvitationWorkingDays: c.ENROLLMENT_INVITATION_WORKING_DAYS,
    enrollmentConfirmationWorkingDays: c.ENROLLMENT_CONFIRMATION_WORKING_DAYS,
  };
}
