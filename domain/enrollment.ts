/**
 * Joining a program (issue 17 section 3, 成为云经销商): which programs partnerflow enrols online, which need the
 * vendor's review and within how many working days, and which of the partner's instruments joining voids. Pure: the
 * callers load the facts (platform/partner-account.ts) and record the joining (activities/enrollment-joining.ts).
 */
import type { AccountFacts, InstrumentKind, Program } from './account.js';
import type { Money } from './money.js';

/**
 * Per program: whether the vendor reviews the enrollment before the partner joins, and whether joining voids the
 * partner's unused vouchers, coupons and stored-value cards. The distributor plan is joined offline only: the
 * eligibility rules refuse it (program-offline-only), so it has no entry here.
 */
export const ENROLLMENT_POLICY: Record<Exclude<Program, 'DISTRIBUTOR'>, { vendorReview: boolean; voidsInstruments: boolean }> = {
  SOLUTION_PROVIDER: { vendorReview: false, voidsInstruments: false },
  RESELLER: { vendorReview: true, voidsInstruments: true },
};
export type EnrollableProgram = keyof typeof ENROLLMENT_POLICY;
export const isEnrollable = (program: string): program is EnrollableProgram => Object.hasOwn(ENROLLMENT_POLICY, program);

/** The vendor's review SLA when the worker configures none, in working days of the partner's calendar from the request. */
export const DEFAULT_ENROLLMENT_REVIEW_SLA_WORKING_DAYS = 5;
/** How long an invitation waits for the partner when the worker configures nothing: working days from the invitation. */
export const DEFAULT_ENROLLMENT_INVITATION_WORKING_DAYS = 10;
/** How long an approval waits for the partner's confirmation: working days from the approval (or the request without review). */
export const DEFAULT_ENROLLMENT_CONFIRMATION_WORKING_DAYS = 10;

/** The three working-day deadlines of an enrollment, as the worker configures them (stored with each enrollment). */
export type EnrollmentDeadlines = { reviewSlaWorkingDays: number; invitationWorkingDays: number; confirmationWorkingDays: number };
export const DEFAULT_ENROLLMENT_DEADLINES: EnrollmentDeadlines = {
  reviewSlaWorkingDays: DEFAULT_ENROLLMENT_REVIEW_SLA_WORKING_DAYS,
  invitationWorkingDays: DEFAULT_ENROLLMENT_INVITATION_WORKING_DAYS,
  confirmationWorkingDays: DEFAULT_ENROLLMENT_CONFIRMATION_WORKING_DAYS,
};

/** An instrument joining would void, as the partner sees and confirms it. */
export type VoidableInstrument = { kind: InstrumentKind; id: string; issuer: string; amount: Money };

/**
 * The partner's unused instruments (state ACTIVE in their current observation), ordered by kind then id: exactly what
 * joining the reseller program voids. Used, expired or already voided ones are left alone.
 */
export function voidableInstruments(facts: AccountFacts): VoidableInstrument[] {
  return facts.instruments.filter((i) => i.state === 'ACTIVE').map(({ kind, id, issuer, amount }) => ({ kind, id, issuer, amount }));
}

/** The canonical text of a list the partner confirms: its hash (platform/partner-account.ts) changes whenever the list does. */
export const instrumentListText = (list: readonly VoidableInstrument[]) =>
  JSON.stringify(list.map((i) => [i.kind, i.id, i.issuer, i.amount.currency, i.amount.minor]));
