/**
 * Rules over a partner's live facts — its registered experts and its certificates — shared by the certification
 * catalog (an application's prerequisites) and the development paths (a level's requirement items). Pure: the
 * facts are loaded by platform/partner-facts.ts.
 */
import { z } from 'zod';
import { CERTIFICATION_TYPES, type ExpertFacts } from './incentive-rules.js';

export const CERTIFICATION_CATEGORIES = ['ADVANCED_CLOUD_SOFTWARE', 'ROLE', 'CAPABILITY_DIFFERENTIATION'] as const;
export type CertificationCategory = (typeof CERTIFICATION_CATEGORIES)[number];

export const code = z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/, 'UPPER_SNAKE_CASE');
const count = z.number().int().min(1).max(1000);

export const partnerRuleSchema = z.discriminatedUnion('kind', [
  /** At least `min` active, full-time experts registered. */
  z.strictObject({ kind: z.literal('FULL_TIME_EXPERTS'), min: count }),
  /** At least `min` active experts holding this expert certification, valid today. */
  z.strictObject({ kind: z.literal('EXPERTS_WITH_CERTIFICATION'), certification: code, min: count }),
  /** At least `min` active certificates of a category (or of one type), valid today. */
  z.strictObject({ kind: z.literal('ACTIVE_CERTIFICATES'), category: z.enum(CERTIFICATION_CATEGORIES).optional(), type: code.optional(), min: count }),
]);
export type PartnerRule = z.output<typeof partnerRuleSchema>;

/**
 * The checks a list of rules needs beyond its shape: expert certifications that exist, certificate rules naming
 * exactly one of category or type, a type of the catalog (`knownTypes`). Reports issues under `path`.
 */
export function checkRules(rules: readonly PartnerRule[], ctx: z.RefinementCtx, path: (string | number)[], knownTypes: readonly string[]) {
  rules.forEach((rule, j) => {
    const at = [...path, j];
    if (rule.kind === 'EXPERTS_WITH_CERTIFICATION' && !CERTIFICATION_TYPES.includes(rule.certification)) {
      ctx.addIssue({ code: 'custom', path: [...at, 'certification'], message: `${rule.certification} is not an expert certification (domain/incentive-rules.json)` });
    }
    if (rule.kind === 'ACTIVE_CERTIFICATES') {
      if (!rule.category === !rule.type) ctx.addIssue({ code: 'custom', path: at, message: 'name exactly one of category or type' });
      if (rule.type && !knownTypes.includes(rule.type)) ctx.addIssue({ code: 'custom', path: [...at, 'type'], message: `${rule.type} is not in the certification catalog` });
    }
  });
}

/** What the rules are checked against: the partner's experts and certificates as they are now. */
export type PartnerFacts = {
  experts: readonly ExpertFacts[];
  certificates: readonly { type: string; category: string; validFrom: string; validTo: string; active: boolean }[];
};

export type RuleResult = { rule: PartnerRule; description: string; required: number; actual: number; met: boolean };

export const describeRule = (rule: PartnerRule): string => {
  switch (rule.kind) {
    case 'FULL_TIME_EXPERTS':
      return `at least ${rule.min} full-time experts registered`;
    case 'EXPERTS_WITH_CERTIFICATION':
      return `at least ${rule.min} expert${rule.min > 1 ? 's' : ''} holding a valid ${rule.certification} certification`;
    case 'ACTIVE_CERTIFICATES':
      return `at least ${rule.min} active ${rule.type ?? rule.category} certificate${rule.min > 1 ? 's' : ''}`;
  }
};

const validOn = (c: { validFrom: string; validTo: string }, today: string) => c.validFrom <= today && today <= c.validTo;

/**
 * Every rule, met or not, with the actual and required values, on local date `today` (YYYY-MM-DD, Asia/Shanghai).
 * Callers refuse while any is unmet — and list all of them.
 */
export function evaluateRules(rules: readonly PartnerRule[], facts: PartnerFacts, today: string): RuleResult[] {
  const active = facts.experts.filter((e) => e.active);
  return rules.map((rule) => {
    const actual =
      rule.kind === 'FULL_TIME_EXPERTS'
        ? active.filter((e) => e.fullTime).length
        : rule.kind === 'EXPERTS_WITH_CERTIFICATION'
          ? active.filter((e) => e.certifications.some((c) => c.type === rule.certification && validOn(c, today))).length
          : facts.certificates.filter((c) => c.active && validOn(c, today) && (rule.type ? c.type === rule.type : c.category === rule.category)).length;
    return { rule, description: describeRule(rule), required: rule.min, actual, met: actual >= rule.min };
  });
}

export const unmet = <R extends { met: boolean }>(results: readonly R[]) => results.filter((r) => !r.met);
