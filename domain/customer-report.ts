/**
 * Customer reporting (报备, issue 18 section 2): which enterprises a partner may report, how long a report protects
 * them, and what a refusal says — every reason at once, each with a stable code, the fact behind it (`evidence`) and,
 * in the request's language (zh-CN or en), a message and a remedy, as the eligibility rules do (domain/eligibility.ts).
 * Pure: the caller loads the facts of the enterprise's customer accounts (domain/customer.ts) and its associations.
 *
 * Judged on every customer account whose current ENTERPRISE fact is the reported credit code: one account that is
 * associated, signed directly, registered too long ago or followed by direct sales is enough. An enterprise with no
 * known account is a prospect and may be reported. Unknown is not false: a fact a rule needs that was never fed is
 * unmet as `customer-fact-unknown`, never a silent pass.
 */
import { DateTime } from 'luxon';
import type { CustomerFacts } from './customer.js';
import { integerTermsOf, type TermVariables } from './terms.js';
import type { Language } from './eligibility-messages.js';

/** The terms of reports made from now on (each report stores its own protection; the cap counts the open ones). */
export type CustomerReportTerms = {
  /** Calendar days a report protects the enterprise for the partner (from the report, or from a manual approval). */
  protectionDays: number;
  /** At most this many reports of one partner IN_MANUAL_REVIEW, PROTECTED or INVITED. */
  openCap: number;
  /** Calendar days an invitation link is valid. */
  invitationDays: number;
  /** An account registered more than this many calendar days before the report cannot be reported. */
  registeredWithinDays: number;
  /** The vendor's manual review SLA, in working days of the partner's calendar. */
  reviewSlaWorkingDays: number;
};

export const DEFAULT_CUSTOMER_REPORT_TERMS: CustomerReportTerms = {
  protectionDays: 15,
  openCap: 100,
  invitationDays: 7,
  registeredWithinDays: 7,
  reviewSlaWorkingDays: 3,
};

/** The configuration variables of the terms (docs/configuration.md), read by the API and the worker alike. */
const VARIABLES: TermVariables<CustomerReportTerms> = {
  protectionDays: ['CUSTOMER_REPORT_PROTECTION_DAYS', 1, 365],
  openCap: ['CUSTOMER_REPORT_OPEN_CAP', 1, 100_000],
  invitationDays: ['CUSTOMER_INVITATION_DAYS', 1, 90],
  registeredWithinDays: ['CUSTOMER_REPORT_REGISTERED_WITHIN_DAYS', 0, 3650],
  reviewSlaWorkingDays: ['CUSTOMER_REPORT_REVIEW_SLA_WORKING_DAYS', 1, 60],
};

/** The terms from the environment; unset ones are the defaults; a malformed one throws `Invalid configuration: NAME …`. */
export const customerReportTermsOf = (env: Readonly<Record<string, string | undefined>>): CustomerReportTerms => integerTermsOf(env, DEFAULT_CUSTOMER_REPORT_TERMS, VARIABLES);

/**
 * `days` calendar days after the instant `from`, in `zone`: the same local time of day (to the millisecond), so a
 * protection reported at 14:37 ends at 14:37 of the local date `days` later — across a daylight-saving change too
 * (Asia/Shanghai has none: there it is days × 24 h).
 */
export const calendarDaysAfter = (from: string, days: number, zone: string): string =>
  DateTime.fromISO(from, { zone }).plus({ days }).toUTC().toISO()!;

/** The local date (YYYY-MM-DD) of instant `at` in `zone`. */
export const localDateOf = (at: string, zone: string): string => DateTime.fromISO(at, { zone }).toISODate()!;

export const REPORT_UNMET_CODES = [
  'customer-already-associated',
  'customer-direct-contract',
  'customer-registered-too-long-ago',
  'customer-spend-followed-by-direct-sales',
  'customer-fact-unknown',
] as const;
export type ReportUnmetCode = (typeof REPORT_UNMET_CODES)[number];
export type ReportUnmet = { code: ReportUnmetCode; evidence: Record<string, unknown> };

/** What a report is judged on: the enterprise's accounts' current facts and open associations, on the partner's local date. */
export type ReportContext = {
  creditCode: string;
  /** The partner's local date of the report. */
  today: string;
  accounts: readonly CustomerFacts[];
  /** The customer accounts of this enterprise associated with a partner now (which partner is never said). */
  associatedCustomerIds: readonly string[];
  registeredWithinDays: number;
};

const daysBetween = (from: string, to: string) => DateTime.fromISO(to).diff(DateTime.fromISO(from), 'days').days;

/** Every reason the enterprise cannot be reported, in a stable order: by rule, then by account id. */
export function reportUnmet(c: ReportContext): ReportUnmet[] {
  const accounts = [...c.accounts].sort((a, b) => a.customerId.localeCompare(b.customerId));
  const unmet: ReportUnmet[] = [];
  const unknown: ReportUnmet[] = [];
  const missing = (a: CustomerFacts, fact: 'REGISTERED' | 'DIRECT_CONTRACT' | 'DIRECT_SALES_SPEND') =>
    unknown.push({ code: 'customer-fact-unknown', evidence: { fact, customerId: a.customerId } });
  for (const customerId of [...c.associatedCustomerIds].sort()) unmet.push({ code: 'customer-already-associated', evidence: { fact: 'ASSOCIATION', customerId } });
  for (const a of accounts) {
    if (a.DIRECT_CONTRACT === null) missing(a, 'DIRECT_CONTRACT');
    else if (a.DIRECT_CONTRACT.signed) unmet.push({ code: 'customer-direct-contract', evidence: { fact: 'DIRECT_CONTRACT', customerId: a.customerId } });
  }
  for (const a of accounts) {
    if (a.REGISTERED === null) missing(a, 'REGISTERED');
    else if (daysBetween(a.REGISTERED.registeredOn, c.today) > c.registeredWithinDays) {
      unmet.push({
        code: 'customer-registered-too-long-ago',
        evidence: { fact: 'REGISTERED', customerId: a.customerId, registeredOn: a.REGISTERED.registeredOn, today: c.today, withinDays: c.registeredWithinDays },
      });
    }
  }
  for (const a of accounts) {
    if (a.DIRECT_SALES_SPEND === null) missing(a, 'DIRECT_SALES_SPEND');
    else if (a.DIRECT_SALES_SPEND.followed) unmet.push({ code: 'customer-spend-followed-by-direct-sales', evidence: { fact: 'DIRECT_SALES_SPEND', customerId: a.customerId } });
  }
  return [...unmet, ...unknown];
}

type Text = { message: string; remedy: string };
const MANUAL = { 'zh-CN': '如确有理由，可在报备时申请人工审核（manualReview 并附说明）。', en: 'If you have a reason, ask for manual review instead (manualReview with a justification).' };
const FACT_NAMES: Record<string, Record<Language, string>> = {
  REGISTERED: { 'zh-CN': '注册日期', en: 'the registration date' },
  DIRECT_CONTRACT: { 'zh-CN': '是否与云厂商直签', en: 'whether it has a direct contract with the vendor' },
  DIRECT_SALES_SPEND: { 'zh-CN': '现金消费是否已由直销跟进', en: "whether its cash spend is followed by the vendor's direct sales" },
};

/** The message and remedy of one reason in `language`, built from its evidence alone. */
export function describeReportUnmet(u: ReportUnmet, language: Language): ReportUnmet & Text {
  const e = u.evidence;
  const en = language === 'en';
  const texts: Record<ReportUnmetCode, () => Text> = {
    'customer-already-associated': () =>
      en
        ? { message: `Customer account ${e.customerId} of this enterprise is already associated with a partner.`, remedy: `The customer may ask to unlink from its current partner first. ${MANUAL.en}` }
        : { message: `该企业的客户账号 ${e.customerId} 已与合作伙伴关联。`, remedy: `客户可先申请与当前合作伙伴解除关联。${MANUAL['zh-CN']}` },
    'customer-direct-contract': () =>
      en
        ? { message: `Customer account ${e.customerId} has a direct contract with the vendor.`, remedy: `Customers the vendor contracts directly cannot be reported. ${MANUAL.en}` }
        : { message: `客户账号 ${e.customerId} 与云厂商签有直签合同。`, remedy: `直签客户不能报备。${MANUAL['zh-CN']}` },
    'customer-registered-too-long-ago': () =>
      en
        ? { message: `Customer account ${e.customerId} was registered on ${e.registeredOn}, more than ${e.withinDays} days before ${e.today}.`, remedy: `Only accounts registered within ${e.withinDays} days can be reported. ${MANUAL.en}` }
        : { message: `客户账号 ${e.customerId} 注册于 ${e.registeredOn}，距 ${e.today} 已超过 ${e.withinDays} 天。`, remedy: `只能报备注册 ${e.withinDays} 天内的账号。${MANUAL['zh-CN']}` },
    'customer-spend-followed-by-direct-sales': () =>
      en
        ? { message: `The cash spend of customer account ${e.customerId} is already followed by the vendor's direct sales.`, remedy: `Ask your partner manager about working with the direct sales team. ${MANUAL.en}` }
        : { message: `客户账号 ${e.customerId} 的现金消费已由云厂商直销跟进。`, remedy: `请联系您的合作伙伴经理协调直销团队。${MANUAL['zh-CN']}` },
    'customer-fact-unknown': () => {
      const fact = FACT_NAMES[String(e.fact)]?.[language] ?? String(e.fact);
      return en
        ? { message: `Not yet known: the cloud platform has not reported ${fact} of customer account ${e.customerId}.`, remedy: 'Report again once it has been reported; if it stays unknown, ask your partner manager.' }
        : { message: `尚未获知：云平台尚未上报客户账号 ${e.customerId} 的${fact}。`, remedy: '请待其上报后再报备；如长期未知，请联系您的合作伙伴经理。' };
    },
  };
  return { ...u, ...texts[u.code]() };
}
