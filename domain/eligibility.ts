/**
 * Whether a partner may join a program or start one of the processes the partner center gates (issue 17 section 2):
 * every unmet condition at once, each with a stable machine code and the fact that caused it (`evidence`). One rule
 * set per program, as tables: the preflight route (api/eligibility) and every process that enforces the same
 * conditions (joining a program, a project specialist application, a level raise) call eligibilityOf(), so the
 * preflight never answers otherwise than the process. Pure: the caller loads the facts; messages and remedies in the
 * request's language are domain/eligibility-messages.ts's.
 *
 * Unknown is not false. A fed fact never reported reads null (domain/account.ts), and a rule that needs it is then
 * unmet with its own `…-unknown` code: not yet known — which system has not reported it, and the remedy to wait for
 * it — never a silent pass. The ledger is not a fact that can be unknown: its balances are the sums of the postings
 * partnerflow holds (domain/ledger.ts), and a partner without entries has no arrears, no recharge balance and no
 * credit line.
 */
import { type AccountFacts, PROGRAMS } from './account.js';
import { type DevelopmentPath, evaluateRequirements } from './development-paths.js';
import { checkAll, PROGRAM_RULES, type Unmet, unknownEvidence } from './eligibility-rules.js';
import type { FundsBalance } from './ledger.js';
import type { PartnerFacts } from './partner-rules.js';

export { checkAll, PROGRAM_RULES, UNMET_CODES } from './eligibility-rules.js';
export type { AccountRule, Evidence, Unmet, UnmetCode } from './eligibility-rules.js';

/** The three programs, and the checks of the processes the partner center gates. */
export const ELIGIBILITY_PROGRAMS = [...PROGRAMS, 'PROJECT_SPECIALIST', 'LEVEL_UP'] as const;
export type EligibilityProgram = (typeof ELIGIBILITY_PROGRAMS)[number];
export type Eligibility = { program: EligibilityProgram; eligible: boolean; unmet: Unmet[] };

// ---- the processes' checks -----------------------------------------------------------------------------------------

/** A member as the partner's organization holds it (api/members); null: not a member of this partner. */
export type MemberFacts = { id: string; active: boolean; workResidence: string | null };

/**
 * The member's latest project specialist application (issue 17 section 4; platform/partner-account.ts loads it), null
 * when the member never applied: a pending or approved one makes the member ineligible, a rejected or cancelled one
 * does not.
 */
export type SpecialistApplicationFacts = { id: string; status: string };
export const SPECIALIST_REAPPLY_AFTER: readonly string[] = ['REJECTED', 'CANCELLED'];

export type SpecialistContext = { memberId: string; member: MemberFacts | null; lastSpecialistApplication: SpecialistApplicationFacts | null };

/**
 * Partners only in the distribution or solution-provider plans cannot apply: joined one of them and not the reseller
 * program. A membership that decides it and is unknown is unmet as unknown.
 */
function notOnlyDistributionOrSolutionProvider(facts: AccountFacts): Unmet[] {
  const { SOLUTION_PROVIDER: sp, DISTRIBUTOR: distributor, RESELLER: reseller } = facts.programs;
  if (reseller?.state === 'JOINED') return [];
  const joined = ([['SOLUTION_PROVIDER', sp], ['DISTRIBUTOR', distributor]] as const).filter(([, m]) => m?.state === 'JOINED');
  if (joined.length > 0) {
    if (!reseller) return [{ code: 'program-membership-unknown', evidence: unknownEvidence('PROGRAM_MEMBERSHIP', 'RESELLER') }];
    return [{ code: 'partner-only-distribution-or-solution-provider', evidence: { fact: 'PROGRAM_MEMBERSHIP', joined: joined.map(([program]) => program), RESELLER: reseller.state } }];
  }
  // In neither plan as far as is known: only an unknown membership of one of them could still make it so.
  return (['SOLUTION_PROVIDER', 'DISTRIBUTOR'] as const)
    .filter((program) => facts.programs[program] === null)
    .map((program) => ({ code: 'program-membership-unknown' as const, evidence: unknownEvidence('PROGRAM_MEMBERSHIP', program) }));
}

function projectSpecialistUnmet(facts: AccountFacts, { memberId, member, lastSpecialistApplication: last }: SpecialistContext): Unmet[] {
  const unmet: Unmet[] = [];
  const memberEvidence = { fact: 'MEMBER', memberId, found: member !== null, active: member?.active ?? false, workResidence: member?.workResidence ?? null };
  if (!member?.active) unmet.push({ code: 'member-not-associated', evidence: memberEvidence });
  // A member not found has no work residence either, but that is the one reason to fix first: said once.
  if (member && member.workResidence === null) unmet.push({ code: 'member-work-residence-missing', evidence: memberEvidence });
  if (last && !SPECIALIST_REAPPLY_AFTER.includes(last.status)) {
    unmet.push({ code: 'specialist-already-applied', evidence: { fact: 'SPECIALIST_APPLICATION', memberId, applicationId: last.id, status: last.status } });
  }
  return [...unmet, ...notOnlyDistributionOrSolutionProvider(facts)];
}

/** The partner's place on a development path and what its requirements are checked against, on local date `today`. */
export type LevelUpContext = { path: DevelopmentPath; currentLevel: string | null; partnerFacts: PartnerFacts; today: string };

/** The level above `current` (not on the path: its lowest level); null at the top. A level dropped from the data counts as none. */
export function nextLevelOf(path: DevelopmentPath, current: string | null): DevelopmentPath['levels'][number] | null {
  const index = current === null ? -1 : path.levels.findIndex((l) => l.level === current);
  return path.levels[index + 1] ?? null;
}

/** The next level's requirement items not met, as the path requirements evaluate them (domain/development-paths.ts). */
function levelUpUnmet({ path, currentLevel, partnerFacts, today }: LevelUpContext): Unmet[] {
  const next = nextLevelOf(path, currentLevel);
  if (!next) return [{ code: 'path-top-level', evidence: { fact: 'PATH_MEMBERSHIP', pathId: path.id, level: currentLevel } }];
  return evaluateRequirements(path, next.level, partnerFacts, today)
    .filter((item) => !item.met)
    .map(({ requirement, description, required, actual }) => ({
      code: 'level-requirement-unmet' as const,
      evidence: { fact: 'PATH_REQUIREMENT', pathId: path.id, currentLevel, level: next.level, levelName: next.name, requirement, description, required, actual, today },
    }));
}

export type EligibilityContext = { projectSpecialist?: SpecialistContext; levelUp?: LevelUpContext };

/**
 * Every unmet condition of `program` for the partner whose account is `facts` and `balances` (and, for the process
 * checks, the member or path in `context`), in the program's stable order; eligible when none is.
 */
export function eligibilityOf(program: EligibilityProgram, facts: AccountFacts, balances: readonly FundsBalance[], context: EligibilityContext = {}): Eligibility {
  let unmet: Unmet[];
  if (program === 'PROJECT_SPECIALIST') {
    if (!context.projectSpecialist) throw new TypeError('PROJECT_SPECIALIST needs the member (context.projectSpecialist)');
    unmet = projectSpecialistUnmet(facts, context.projectSpecialist);
  } else if (program === 'LEVEL_UP') {
    if (!context.levelUp) throw new TypeError('LEVEL_UP needs the path (context.levelUp)');
    unmet = levelUpUnmet(context.levelUp);
  } else {
    unmet = checkAll(PROGRAM_RULES[program], facts, balances);
  }
  return { program, eligible: unmet.length === 0, unmet };
}
