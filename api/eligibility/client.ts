/**
 * The eligibility preflight: loads what the rules of domain/eligibility.ts decide on — the partner account's current
 * facts and funds (platform/partner-account.ts), and for the process checks the member (api/members' table) or the path
 * membership with the partner's live facts (the same evaluation as api/paths) — and answers every unmet condition in
 * the request's language. Nothing is written: there is no workflow, and the processes that enforce the same
 * conditions (sections 3–6 of issue 17) call eligibilityOf() themselves inside the transaction that decides.
 *
 * Rules: the answer discloses the account's facts and balances as evidence, so it needs what reading the account
 * needs (account.read); partner staff see their own partner only (another partner's answers 404, as if absent),
 * vendor staff holding account.readAll any partner's. A member of another partner reads as not associated with this
 * one, never as existing elsewhere.
 */
import { canSeePartner, type Principal } from '../../domain/auth.js';
import type { CalendarLookup } from '../../domain/calendar.js';
import { type EligibilityContext, type EligibilityProgram, eligibilityOf } from '../../domain/eligibility.js';
import { describeUnmet, type Language } from '../../domain/eligibility-messages.js';
import { problems } from '../../domain/problems.js';
import { databaseCalendarLookup } from '../../platform/calendars.js';
import type { PrismaClient } from '../../prisma/generated/client.js';
import { partnerToday } from '../paths/client.js';
import { currentAccountFacts, fundsBalances, levelUpContextOf, specialistContextOf } from '../../platform/partner-account.js';
import type { EligibilityView } from './schemas.js';

export type EligibilityQuery = { program: EligibilityProgram; memberId?: string | undefined; pathId?: string | undefined };
export type EligibilityClientDeps = { prisma: PrismaClient; calendarFor?: CalendarLookup; now?: () => Date };

export function createEligibilityClient({ prisma, calendarFor = databaseCalendarLookup(prisma), now = () => new Date() }: EligibilityClientDeps) {
  /** What the process checks need beside the account: the member, or the partner's place on the path. */
  async function contextOf(partnerId: string, query: EligibilityQuery): Promise<EligibilityContext> {
    // The member and its latest application, loaded as the submission's activity loads them (platform/partner-account.ts).
    if (query.program === 'PROJECT_SPECIALIST') return { projectSpecialist: await specialistContextOf(prisma, partnerId, query.memberId!) };
    // The partner's place on the path, loaded as the raise's request and its activity load it (the query's pathId is
    // one of the paths: its schema is their enum).
    if (query.program === 'LEVEL_UP') return { levelUp: (await levelUpContextOf(prisma, partnerId, query.pathId!, await partnerToday(calendarFor, partnerId, now())))! };
    return {};
  }

  return {
    async eligibility(principal: Principal, partnerId: string, query: EligibilityQuery, language: Language): Promise<EligibilityView> {
      if (!canSeePartner(principal, partnerId, 'account.readAll')) throw problems.notFound(`Partner ${partnerId}`);
      const [facts, balances, context] = await Promise.all([currentAccountFacts(prisma, partnerId), fundsBalances(prisma, partnerId), contextOf(partnerId, query)]);
      const { program, eligible, unmet } = eligibilityOf(query.program, facts, balances, context);
      return { partnerId, program, eligible, language, unmet: unmet.map((u) => describeUnmet(u, language)) };
    },
  };
}

export type EligibilityClient = ReturnType<typeof createEligibilityClient>;
