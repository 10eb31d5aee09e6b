/**
 * The dates of an agreement version (issue 17 section 5, 签署新签约主体的协议), pure. An agreement's effective date and
 * sign-by date are contractual calendar dates, not working-day deadlines: a date written in a contract does not move
 * when a holiday schedule is published, so neither follows the partner's working-day calendar (and the version is one
 * for every partner, whatever its calendar). Both are read in the contracting zone, Asia/Shanghai (UTC+8, no DST).
 */

/** The zone the contract's dates are read in. */
export const AGREEMENT_ZONE = 'Asia/Shanghai';
const OFFSET = '+08:00';
const DAY_MS = 24 * 60 * 60 * 1000;

/** Calendar days before the sign-by instant at which an unsigned partner is reminded (earliest first). */
export const AGREEMENT_REMINDER_DAYS_BEFORE = [7, 1] as const;

/** The version is in force from its effective date's first instant in the contracting zone. */
export const effectiveInstant = (effectiveDate: string) => new Date(`${effectiveDate}T00:00:00.000${OFFSET}`).toISOString();

/** A partner may sign until the end of the sign-by date in the contracting zone (the next day's first instant). */
export const signByInstant = (signByDate: string) => new Date(Date.parse(`${signByDate}T00:00:00.000${OFFSET}`) + DAY_MS).toISOString();

/** The reminders still ahead of `publishedAt`: each `daysBefore` calendar days before the sign-by instant. */
export function agreementReminders(signByAt: string, publishedAt: string): { daysBefore: number; at: string }[] {
  return AGREEMENT_REMINDER_DAYS_BEFORE.map((daysBefore) => ({ daysBefore, at: new Date(Date.parse(signByAt) - daysBefore * DAY_MS).toISOString() })).filter(
    (r) => Date.parse(r.at) > Date.parse(publishedAt),
  );
}
