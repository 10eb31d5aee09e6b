/**
 * Unlinking a customer (解除关联, issue 18 section 3): which customers may be unlinked, how the objection window and the
 * request limit are counted, what a refusal says (every reason at once, each with a stable code, its evidence and, in
 * the request's language, a message and a remedy — as customer reports do), and what the preview's hash covers. Pure:
 * the caller loads the customer's facts (domain/customer.ts), its earlier requests and its funds.
 *
 * Unknown is not false: FROZEN, RESERVED_INSTANCES or SUPPORT_PLANS never fed is its own reason
 * (`customer-fact-unknown`), never a silent pass — the unlink moves money, so it waits until billing has spoken.
 */
import { createHash } from 'node:crypto';
import { DateTime } from 'luxon';
import type { CustomerFacts } from './customer.js';
import { integerTermsOf, type TermVariables } from './terms.js';
import type { Language } from './eligibility-messages.js';

/** The terms of unlink requests made from now on (each request stores its own objection days). */
export type UnlinkTerms = {
  /** Calendar days the other side has to object, in the partner's zone, to the minute. */
  objectionDays: number;
  /** At most this many requests per customer (any outcome) … */
  limit: number;
  /** … within this many calendar months before the request (see limitWindowStart). */
  limitMonths: number;
};

export const DEFAULT_UNLINK_TERMS: UnlinkTerms = { objectionDays: 10, limit: 3, limitMonths: 3 };

const VARIABLES: TermVariables<UnlinkTerms> = {
  objectionDays: ['UNLINK_OBJECTION_DAYS', 1, 90],
  limit: ['UNLINK_LIMIT', 1, 100],
  limitMonths: ['UNLINK_LIMIT_MONTHS', 1, 24],
};

/** The terms from the environment (docs/configuration.md), read once by the API and the worker; a bad value stops the start. */
export const unlinkTermsOf = (env: Readonly<Record<string, string | undefined>>): UnlinkTerms => integerTermsOf(env, DEFAULT_UNLINK_TERMS, VARIABLES);

/** The side that asks; the other side may object. */
export const UNLINK_SIDES = ['PARTNER', 'CUSTOMER'] as const;
export type UnlinkSide = (typeof UNLINK_SIDES)[number];
export const otherSide = (side: UnlinkSide): UnlinkSide => (side === 'PARTNER' ? 'CUSTOMER' : 'PARTNER');

/**
 * The start of the limit's window for a request at `at`: the same local time `months` calendar months earlier in
 * `zone` (a day the earlier month lacks is its last: 31 May → 28/29 February). A request counts when it was made after
 * that instant, whatever became of it (objected, refused at execution, unlinked): the window is (at − months, at]. So
 * with 3 in 3 months, requests on 10 Jan, 20 Feb and 1 Mar (10:00) refuse a fourth until 10 Apr 10:00, the minute the
 * one of 10 Jan is 3 months old and leaves the window.
 */
export const limitWindowStart = (at: string, months: number, zone: string): string => DateTime.fromISO(at, { zone }).minus({ months }).toUTC().toISO()!;
/** When a counted request leaves the window: `months` calendar months after it, the same local time. */
export const leavesWindowAt = (requestedAt: string, months: number, zone: string): string => DateTime.fromISO(requestedAt, { zone }).plus({ months }).toUTC().toISO()!;

export const UNLINK_UNMET_CODES = ['customer-frozen', 'customer-reserved-instances', 'customer-support-plans', 'customer-fact-unknown', 'unlink-limit-reached'] as const;
export type UnlinkUnmetCode = (typeof UNLINK_UNMET_CODES)[number];
export type UnlinkUnmet = { code: UnlinkUnmetCode; evidence: Record<string, unknown> };

/** The customer's facts that refuse an unlink now (checked at the request and again at execution), in a stable order. */
export function factsUnmet(f: CustomerFacts): UnlinkUnmet[] {
  const unmet: UnlinkUnmet[] = [];
  const unknown: UnlinkUnmet[] = [];
  const id = f.customerId;
  if (f.FROZEN === null) unknown.push({ code: 'customer-fact-unknown', evidence: { fact: 'FROZEN', customerId: id } });
  else if (f.FROZEN.frozen) unmet.push({ code: 'customer-frozen', evidence: { fact: 'FROZEN', customerId: id } });
  if (f.RESERVED_INSTANCES === null) unknown.push({ code: 'customer-fact-unknown', evidence: { fact: 'RESERVED_INSTANCES', customerId: id } });
  else if (f.RESERVED_INSTANCES.count > 0) unmet.push({ code: 'customer-reserved-instances', evidence: { fact: 'RESERVED_INSTANCES', customerId: id, count: f.RESERVED_INSTANCES.count } });
  if (f.SUPPORT_PLANS === null) unknown.push({ code: 'customer-fact-unknown', evidence: { fact: 'SUPPORT_PLANS', customerId: id } });
  else if (f.SUPPORT_PLANS.count > 0) unmet.push({ code: 'customer-support-plans', evidence: { fact: 'SUPPORT_PLANS', customerId: id, count: f.SUPPORT_PLANS.count } });
  return [...unmet, ...unknown];
}

/**
 * The limit's reason, if the customer's requests made in the window (their requestedAt, oldest first) reach the limit:
 * with the window's start and when the next request becomes possible (the oldest counted leaves the window).
 */
export function limitUnmet(c: { customerId: string; at: string; zone: string; terms: UnlinkTerms; requestedAts: readonly string[] }): UnlinkUnmet[] {
  const since = limitWindowStart(c.at, c.terms.limitMonths, c.zone);
  const counted = c.requestedAts.filter((r) => Date.parse(r) > Date.parse(since)).sort((a, b) => Date.parse(a) - Date.parse(b));
  if (counted.length < c.terms.limit) return [];
  const freeAt = leavesWindowAt(counted[counted.length - c.terms.limit]!, c.terms.limitMonths, c.zone);
  return [{ code: 'unlink-limit-reached', evidence: { customerId: c.customerId, limit: c.terms.limit, months: c.terms.limitMonths, since, requests: counted, nextPossibleAt: freeAt } }];
}

/** What an unlink would do, as the preview shows it and its hash covers (texts aside: they follow the language). */
export type UnlinkOutcome = {
  partnerId: string;
  customerId: string;
  association: { id: string; mode: string; associatedAt: string };
  /** Per currency (ordered): the unspent allocation that returns to the partner, and where (platform/funds.ts's rule). */
  reclaim: { currency: string; unspent: number; toCredit: number; toRecharge: number }[];
  unmet: UnlinkUnmetCode[];
};

/** The preview's hash: SHA-256 of its outcome as canonical JSON. A POST carrying another hash is 409: something changed. */
export function previewHash(o: UnlinkOutcome): string {
  const canonical = {
    partnerId: o.partnerId,
    customerId: o.customerId,
    association: { id: o.association.id, mode: o.association.mode, associatedAt: o.association.associatedAt },
    reclaim: o.reclaim.map((r) => ({ currency: r.currency, unspent: r.unspent, toCredit: r.toCredit, toRecharge: r.toRecharge })),
    unmet: [...o.unmet],
  };
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

type Text = { message: string; remedy: string };
const FACT_NAMES: Record<string, Record<Language, string>> = {
  FROZEN: { 'zh-CN': '账号是否冻结', en: 'whether the account is frozen' },
  RESERVED_INSTANCES: { 'zh-CN': '有效的预留实例', en: 'its reserved instances still valid' },
  SUPPORT_PLANS: { 'zh-CN': '有效的支持计划', en: 'its support plans still valid' },
};

/** The message and remedy of one reason in `language`, built from its evidence alone. */
export function describeUnlinkUnmet(u: UnlinkUnmet, language: Language): UnlinkUnmet & Text {
  const e = u.evidence;
  const en = language === 'en';
  const texts: Record<UnlinkUnmetCode, () => Text> = {
    'customer-frozen': () =>
      en
        ? { message: `Customer account ${e.customerId} is frozen.`, remedy: 'Ask again once the account is unfrozen (settle what froze it with the vendor).' }
        : { message: `客户账号 ${e.customerId} 已冻结。`, remedy: '请在账号解冻后再申请解除关联（先与云厂商处理冻结原因）。' },
    'customer-reserved-instances': () =>
      en
        ? { message: `Customer account ${e.customerId} holds ${e.count} reserved instance(s) still valid.`, remedy: 'Ask again once the reserved instances have expired or been released.' }
        : { message: `客户账号 ${e.customerId} 有 ${e.count} 个仍有效的预留实例。`, remedy: '请在预留实例到期或释放后再申请解除关联。' },
    'customer-support-plans': () =>
      en
        ? { message: `Customer account ${e.customerId} holds ${e.count} support plan(s) still valid.`, remedy: 'Ask again once the support plans have ended.' }
        : { message: `客户账号 ${e.customerId} 有 ${e.count} 个仍有效的支持计划。`, remedy: '请在支持计划结束后再申请解除关联。' },
    'customer-fact-unknown': () => {
      const fact = FACT_NAMES[String(e.fact)]?.[language] ?? String(e.fact);
      return en
        ? { message: `Not yet known: the cloud platform has not reported ${fact} of customer account ${e.customerId}.`, remedy: 'Ask again once it has been reported; if it stays unknown, ask your partner manager.' }
        : { message: `尚未获知：云平台尚未上报客户账号 ${e.customerId} 的${fact}。`, remedy: '请待其上报后再申请；如长期未知，请联系您的合作伙伴经理。' };
    },
    'unlink-limit-reached': () =>
      en
        ? {
            message: `Customer account ${e.customerId} already had ${e.limit} unlink requests since ${e.since} (at most ${e.limit} in ${e.months} calendar months, whatever their outcome).`,
            remedy: `A new request is possible from ${e.nextPossibleAt}.`,
          }
        : {
            message: `客户账号 ${e.customerId} 自 ${e.since} 起已有 ${e.limit} 次解除关联申请（${e.months} 个自然月内最多 ${e.limit} 次，无论结果）。`,
            remedy: `自 ${e.nextPossibleAt} 起可再次申请。`,
          },
  };
  return { ...u, ...texts[u.code]() };
}

/** The consequences the preview states in words, beside its figures (seed: vouchers and refunds). */
export function unlinkConsequences(language: Language): { vouchers: string; refunds: string; association: string } {
  return language === 'en'
    ? {
        association: 'The association ends when the unlink executes: the partner no longer manages this customer, and the customer may associate with another partner.',
        vouchers: 'Vouchers the vendor issued to the customer stay usable by the customer.',
        refunds: "Refunds of what the customer consumed during the associated period go to the partner's account (its recharge), also after the unlink.",
      }
    : {
        association: '解除关联生效后，关联关系结束：合作伙伴不再管理该客户，客户可与其他合作伙伴关联。',
        vouchers: '云厂商发放给客户的代金券仍可由客户继续使用。',
        refunds: '客户在关联期间消费产生的退款，退至合作伙伴账户（充值账户），解除关联后亦然。',
      };
}
