/**
 * The monthly expert incentive's qualification and amount rules, as data (domain/incentive-rules.json) plus one
 * pure function, qualify(). Changing a rate or which certifications qualify is an edit of the JSON, not the code.
 *
 * An expert qualifies for month M (a calendar month in the rules' time zone, Asia/Shanghai) when ALL hold:
 *   1. the expert is active (not deactivated);
 *   2. full-time for all of M: full-time, with fullTimeSince on or before the 1st of M;
 *   3. registered before M starts: registeredOn before the 1st of M;
 *   4. holding at least one qualifying certification (a type with a rate) valid for the whole month:
 *      validFrom on or before the 1st of M and validTo on or after the last day of M (both ends inclusive).
 * The amount is the monthly rate of the certification type (minor units, one currency for the whole table). An
 * expert with several qualifying certifications valid for M gets the HIGHEST SINGLE rate (rates never add up);
 * on a tie the type listed first in `rates` wins.
 *
 * All dates are local dates (YYYY-MM-DD) in the rules' zone, so comparing the ISO strings is comparing dates.
 */
import { z } from 'zod';
import data from './incentive-rules.json' with { type: 'json' };
import { type Money, moneySchema } from './money.js';
import { PERIOD } from './period.js';

const typeCode = z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/, 'UPPER_SNAKE_CASE');

export const incentiveRulesSchema = z
  .strictObject({
    version: z.string().min(1),
    timeZone: z.string().refine((zone) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: zone });
        return true;
      } catch {
        return false;
      }
    }, 'must be an IANA time zone'),
    certificationTypes: z.array(z.strictObject({ type: typeCode, name: z.string().min(1) })).min(1),
    rates: z.array(z.strictObject({ type: typeCode, rateMinor: moneySchema.shape.minor, currency: moneySchema.shape.currency })),
  })
  .superRefine((rules, ctx) => {
    const types = rules.certificationTypes.map((c) => c.type);
    if (new Set(types).size !== types.length) ctx.addIssue({ code: 'custom', path: ['certificationTypes'], message: 'duplicate certification type' });
    const rated = rules.rates.map((r) => r.type);
    if (new Set(rated).size !== rated.length) ctx.addIssue({ code: 'custom', path: ['rates'], message: 'one rate per certification type' });
    rules.rates.forEach((r, i) => {
      if (!types.includes(r.type)) ctx.addIssue({ code: 'custom', path: ['rates', i, 'type'], message: `${r.type} is not in certificationTypes` });
    });
    if (new Set(rules.rates.map((r) => r.currency)).size > 1) ctx.addIssue({ code: 'custom', path: ['rates'], message: 'all rates must be in one currency' });
  });

export type IncentiveRules = z.output<typeof incentiveRulesSchema>;

/** Validated rules; throws (naming the bad entry) when the JSON is not a valid rule set. */
export function loadIncentiveRules(json: unknown): IncentiveRules {
  const parsed = incentiveRulesSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`incentive rules are not valid: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}

/** The shipped rules (domain/incentive-rules.json). */
export const incentiveRules: IncentiveRules = loadIncentiveRules(data);

/** Every known certification type (experts may hold only these); qualifying ones are those with a rate. */
export const CERTIFICATION_TYPES: readonly string[] = incentiveRules.certificationTypes.map((c) => c.type);

/**
 * The facts rules see: only what the vendor attested (platform/partner-facts.ts countedExpertFacts) — a full-time
 * status or certification only the partner asserted is absent here, so it earns and ranks nothing.
 */
export type ExpertFacts = {
  active: boolean;
  fullTime: boolean;
  /** Local date the current full-time status began; null when not full-time. */
  fullTimeSince: string | null;
  registeredOn: string;
  certifications: readonly { type: string; validFrom: string; validTo: string }[];
};

export type Qualification = {
  qualifies: boolean;
  /** Every unmet condition (empty when it qualifies). */
  reasons: string[];
  amount?: Money;
  /** The certification type the amount comes from. */
  certification?: string;
};


/** First and last local date of a 'YYYY-MM' period. */
export function monthBounds(period: string): { first: string; last: string } {
  const m = PERIOD.exec(period);
  if (!m) throw new RangeError(`period must be YYYY-MM, got ${JSON.stringify(period)}`);
  const days = new Date(Date.UTC(Number(m[1]), Number(m[2]), 0)).getUTCDate();
  return { first: `${period}-01`, last: `${period}-${String(days).padStart(2, '0')}` };
}

export function qualify(expert: ExpertFacts, period: string, rules: IncentiveRules = incentiveRules): Qualification {
  const { first, last } = monthBounds(period);
  const reasons: string[] = [];
  if (!expert.active) reasons.push('the expert is deactivated');
  if (!expert.fullTime || expert.fullTimeSince === null) reasons.push(`not full-time (must be full-time for all of ${period})`);
  else if (expert.fullTimeSince > first) reasons.push(`full-time only since ${expert.fullTimeSince}, not for all of ${period} (needs ${first} or earlier)`);
  if (expert.registeredOn >= first) reasons.push(`registered on ${expert.registeredOn}, not before ${period} starts (must be before ${first})`);

  const rateOf = new Map(rules.rates.map((r, i) => [r.type, { ...r, order: i }]));
  const valid = expert.certifications
    .filter((c) => rateOf.has(c.type) && c.validFrom <= first && c.validTo >= last)
    .map((c) => rateOf.get(c.type)!)
    .sort((a, b) => b.rateMinor - a.rateMinor || a.order - b.order);
  const best = valid[0];
  if (!best) {
    const held = expert.certifications.map((c) => `${c.type} ${c.validFrom}..${c.validTo}${rateOf.has(c.type) ? '' : ' (not qualifying)'}`);
    reasons.push(
      `no qualifying certification valid for all of ${period} (${first}..${last}); qualifying types: ${rules.rates.map((r) => r.type).join(', ')}; held: ${held.length ? held.join(', ') : 'none'}`,
    );
  }
  if (reasons.length || !best) return { qualifies: false, reasons };
  return { qualifies: true, reasons: [], amount: { currency: best.currency, minor: best.rateMinor }, certification: best.type };
}
