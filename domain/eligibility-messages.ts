/**
 * What an unmet eligibility condition (domain/eligibility.ts) says to a person: its message and its remedy, in
 * Simplified Chinese (the default) or English, chosen by the request's Accept-Language. One entry per code; the
 * compiler refuses a code without its text in both languages. The remedies are the seed's where it names one (close
 * the resources in the console, recharge to clear the arrears, apply to unlink from the current partner, …).
 * Messages are built from the evidence alone, so the text never says anything the evidence does not.
 */
import type { ContractType, FactKind, Program } from './account.js';
import type { Evidence, Unmet, UnmetCode } from './eligibility.js';
import type { PartnerRule } from './partner-rules.js';

export const LANGUAGES = ['zh-CN', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];
export const DEFAULT_LANGUAGE: Language = 'zh-CN';

/**
 * The language of an Accept-Language header (RFC 9110 §12.5.4): the supported one of the highest weight (zh, zh-*
 * → zh-CN; en, en-* → en), ties to the one named first; none named, malformed, or only weight 0 → zh-CN.
 */
export function languageOf(header: string | undefined): Language {
  if (!header) return DEFAULT_LANGUAGE;
  const ranges = header.split(',').map((part, order) => {
    const [tag = '', ...params] = part.trim().split(';');
    const q = params.map((p) => p.trim().match(/^q=([01](?:\.\d{0,3})?)$/i)?.[1]).find((v) => v !== undefined);
    return { tag: tag.trim().toLowerCase(), q: q === undefined ? 1 : Number(q), order };
  });
  const supported = ranges
    .filter((r) => r.q > 0)
    .map((r) => ({ ...r, language: r.tag === 'zh' || r.tag.startsWith('zh-') ? 'zh-CN' : r.tag === 'en' || r.tag.startsWith('en-') ? 'en' : undefined }))
    .filter((r): r is typeof r & { language: Language } => r.language !== undefined)
    .sort((a, b) => b.q - a.q || a.order - b.order);
  return supported[0]?.language ?? DEFAULT_LANGUAGE;
}

type Text = { message: string; remedy: string };
type Texts = (e: Evidence, language: Language) => Text;

const PROGRAM_NAMES: Record<Program, Record<Language, string>> = {
  SOLUTION_PROVIDER: { 'zh-CN': '解决方案提供商计划', en: 'solution-provider plan' },
  RESELLER: { 'zh-CN': '云经销商计划', en: 'reseller program' },
  DISTRIBUTOR: { 'zh-CN': '分销商计划', en: 'distributor plan' },
};
const CONTRACT_NAMES: Record<ContractType, Record<Language, string>> = {
  OFFLINE_DIRECT: { 'zh-CN': '线下直签合同', en: 'offline direct contract' },
  TELESALES_AUTHORISED_DISCOUNT: { 'zh-CN': '电销授权折扣', en: 'telesales authorised discount' },
  DIRECT_SPECIAL_PRICE: { 'zh-CN': '直销特价', en: 'direct special price' },
};
/** Each fed fact as a reason names it, and the system that reports it (the one to wait for while it is unknown). */
const FACT_NAMES: Partial<Record<FactKind, Record<Language, { fact: string; reporter: string }>>> = {
  PROGRAM_MEMBERSHIP: { 'zh-CN': { fact: '计划加入状态', reporter: '云平台' }, en: { fact: 'the program membership', reporter: 'the cloud platform' } },
  DISTRIBUTOR_RELATIONSHIP: { 'zh-CN': { fact: '与分销商的关系', reporter: '云平台' }, en: { fact: 'the relationship to a distributor', reporter: 'the cloud platform' } },
  OPEN_RESOURCES: { 'zh-CN': { fact: '未关闭的资源数', reporter: '计费系统' }, en: { fact: 'the resources not closed', reporter: 'the billing system' } },
  FROZEN: { 'zh-CN': { fact: '账号是否冻结', reporter: '计费系统' }, en: { fact: 'whether the account is frozen', reporter: 'the billing system' } },
  INVOICEABLE_AMOUNT: { 'zh-CN': { fact: '可开票金额', reporter: '计费系统' }, en: { fact: 'the invoiceable amount', reporter: 'the billing system' } },
  POSTPAID: { 'zh-CN': { fact: '是否开通后付费', reporter: '计费系统' }, en: { fact: 'whether postpaid is enabled', reporter: 'the billing system' } },
  DESIGNATED_CONTRACT: { 'zh-CN': { fact: '指定合同的签署状态', reporter: '合同系统' }, en: { fact: 'the designated contract', reporter: 'the contract system' } },
  ENTERPRISE_ROLE: { 'zh-CN': { fact: '企业账号角色', reporter: '账号系统（IAM）' }, en: { fact: 'the enterprise account role', reporter: 'the IAM system' } },
};

/** An amount in minor units in its currency's usual form (¥1,234.56; CN¥1,234.56 in English). */
export function formatMoney(currency: string, minor: number, language: Language): string {
  const format = new Intl.NumberFormat(language, { style: 'currency', currency });
  return format.format(minor / 10 ** (format.resolvedOptions().maximumFractionDigits ?? 2));
}
const amounts = (e: Evidence, field: string, language: Language) =>
  (e.balances as Record<string, number | string>[]).map((b) => formatMoney(String(b.currency), Number(b[field]), language)).join(language === 'en' ? ', ' : '、');
const value = (e: Evidence) => e.value as Record<string, unknown>;
const programOf = (e: Evidence) => PROGRAM_NAMES[e.subject as Program];
/** The text in `language`. */
const t = (language: Language, zh: Text, en: Text): Text => (language === 'en' ? en : zh);

/** Not yet known: which fact, which system has not reported it, and to wait for it. */
const unknown: Texts = (e, language) => {
  const names = FACT_NAMES[e.fact as FactKind]?.[language] ?? { fact: e.fact, reporter: language === 'en' ? 'the cloud platform' : '云平台' };
  const about = e.fact === 'PROGRAM_MEMBERSHIP' ? programOf(e)[language] : e.fact === 'DESIGNATED_CONTRACT' ? CONTRACT_NAMES[e.subject as ContractType][language] : '';
  return language === 'en'
    ? {
        message: `Not yet known: ${names.reporter} has not reported ${names.fact}${about ? ` (${about})` : ''}.`,
        remedy: `Ask again once ${names.reporter} has reported it; if it stays unknown, ask your partner manager to have it reported.`,
      }
    : {
        message: `尚不知道${names.fact}${about ? `（${about}）` : ''}：${names.reporter}尚未报告。`,
        remedy: `请在${names.reporter}报告后再查询；如一直未知，请联系您的渠道经理。`,
      };
};

const unlink = { 'zh-CN': '在控制台申请与当前合作伙伴解除关联。', en: 'Apply in the console to unlink from your current partner.' };
const RELATIONS: Record<string, Record<Language, string>> = {
  CONSULTATIVE_SALE_CUSTOMER: { 'zh-CN': '咨询销售客户', en: 'consultative-sale customer' },
  RESALE_CUSTOMER: { 'zh-CN': '转售客户', en: 'resale customer' },
};

/** Per requirement kind, what to do about it (the requirement itself is described in the message). */
function requirementRemedy(rule: PartnerRule, language: Language): string {
  switch (rule.kind) {
    case 'FULL_TIME_EXPERTS':
      return language === 'en' ? 'Register more full-time experts and have the vendor attest them.' : '登记更多全职专家，并由云厂商完成认定。';
    case 'EXPERTS_WITH_CERTIFICATION':
      return language === 'en'
        ? `Have more experts earn a valid ${rule.certification} certification and register it.`
        : `让更多专家取得有效的 ${rule.certification} 认证并登记。`;
    case 'ACTIVE_CERTIFICATES':
      return language === 'en' ? `Earn more active ${rule.type ?? rule.category} certificates.` : `取得更多有效的 ${rule.type ?? rule.category} 证书。`;
  }
}
function requirementZh(rule: PartnerRule): string {
  switch (rule.kind) {
    case 'FULL_TIME_EXPERTS':
      return `至少 ${rule.min} 名全职专家`;
    case 'EXPERTS_WITH_CERTIFICATION':
      return `至少 ${rule.min} 名持有有效 ${rule.certification} 认证的专家`;
    case 'ACTIVE_CERTIFICATES':
      return `至少 ${rule.min} 个有效的 ${rule.type ?? rule.category} 证书`;
  }
}

export const MESSAGES: Record<UnmetCode, Texts> = {
  'program-joined': (e, l) =>
    t(
      l,
      { message: `已加入${programOf(e)['zh-CN']}。`, remedy: '无需再次加入。' },
      { message: `Already in the ${programOf(e).en}.`, remedy: 'Nothing to do: the partner is already in it.' },
    ),
  'program-joining': (e, l) =>
    t(
      l,
      { message: `正在加入${programOf(e)['zh-CN']}：申请尚未完成。`, remedy: '等待当前申请处理完成，或撤回后重新申请。' },
      { message: `Already joining the ${programOf(e).en}: an application is in progress.`, remedy: 'Wait for the application in progress to be decided, or withdraw it.' },
    ),
  'program-membership-unknown': unknown,
  'distributor-sub-customer': (e, l) =>
    t(
      l,
      { message: `是其他分销商（${String(value(e).distributorId)}）的子客户。`, remedy: unlink['zh-CN'] },
      { message: `A sub-customer of another distributor (${String(value(e).distributorId)}).`, remedy: unlink.en },
    ),
  'tier1-distributor-customer': (e, l) =>
    t(
      l,
      { message: `是一级分销商（${String(value(e).distributorId)}）的${RELATIONS[String(value(e).relation)]?.['zh-CN'] ?? ''}。`, remedy: unlink['zh-CN'] },
      { message: `A ${RELATIONS[String(value(e).relation)]?.en ?? 'customer'} of a tier-1 distributor (${String(value(e).distributorId)}).`, remedy: unlink.en },
    ),
  'distributor-relationship-unknown': unknown,
  'open-resources': (e, l) =>
    t(
      l,
      { message: `有 ${String(value(e).count)} 个资源尚未关闭。`, remedy: '在控制台关闭这些资源（释放或退订）。' },
      { message: `${String(value(e).count)} resource(s) not closed.`, remedy: 'Close the resources in the console (release or unsubscribe them).' },
    ),
  'open-resources-unknown': unknown,
  'account-frozen': (_, l) =>
    t(
      l,
      { message: '账号已冻结。', remedy: '联系客服了解冻结原因并申请解冻。' },
      { message: 'The account is frozen.', remedy: 'Contact customer service to learn why, and have the account unfrozen.' },
    ),
  'frozen-unknown': unknown,
  'in-arrears': (e, l) =>
    t(
      l,
      { message: `账号欠费：${amounts(e, 'arrears', 'zh-CN')}。`, remedy: '充值以结清欠款。' },
      { message: `The account is in arrears: ${amounts(e, 'arrears', 'en')}.`, remedy: 'Recharge to clear the arrears.' },
    ),
  'enterprise-account': (e, l) =>
    t(
      l,
      { message: `是企业${value(e).role === 'MASTER' ? '主' : '子'}账号。`, remedy: '在控制台的企业管理中解除企业主子账号关系。' },
      {
        message: `An enterprise ${value(e).role === 'MASTER' ? 'master' : 'sub'} account.`,
        remedy: "Leave the enterprise's master/sub account relationship in the console's enterprise management.",
      },
    ),
  'enterprise-role-unknown': unknown,
  'credit-account': (e, l) =>
    t(
      l,
      { message: `是信控账号（信用额度 ${amounts(e, 'creditLimit', 'zh-CN')}）。`, remedy: '还清已用信用额度，并联系您的客户经理关闭信用额度。' },
      { message: `A credit account (credit limit ${amounts(e, 'creditLimit', 'en')}).`, remedy: 'Repay the credit used and ask your account manager to close the credit line.' },
    ),
  'recharge-balance-left': (e, l) =>
    t(
      l,
      { message: `充值账户仍有余额：${amounts(e, 'recharge', 'zh-CN')}。`, remedy: '在控制台申请退还充值余额（提现）。' },
      { message: `Balance left in the recharge account: ${amounts(e, 'recharge', 'en')}.`, remedy: 'Apply in the console for a refund (withdrawal) of the recharge balance.' },
    ),
  'invoiceable-amount': (e, l) => {
    const amount = value(e).amount as { currency: string; minor: number };
    return t(
      l,
      { message: `还有可开票金额 ${formatMoney(amount.currency, amount.minor, 'zh-CN')}。`, remedy: '在控制台费用中心索取发票，开完全部可开票金额。' },
      { message: `${formatMoney(amount.currency, amount.minor, 'en')} is still invoiceable.`, remedy: "Request invoices for the whole invoiceable amount in the console's billing center." },
    );
  },
  'invoiceable-amount-unknown': unknown,
  'postpaid-enabled': (_, l) =>
    t(
      l,
      { message: '已开通后付费。', remedy: '在控制台关闭后付费（改为预付费）。' },
      { message: 'Postpaid is enabled.', remedy: 'Switch postpaid off (to prepaid) in the console.' },
    ),
  'postpaid-unknown': unknown,
  'designated-contract': (e, l) => {
    const type = CONTRACT_NAMES[e.subject as ContractType];
    const id = value(e).contractId;
    return t(
      l,
      { message: `已与云厂商签署指定合同：${type['zh-CN']}${id ? `（${String(id)}）` : ''}。`, remedy: '联系您的客户经理终止该合同。' },
      { message: `A designated contract is signed with the vendor: ${type.en}${id ? ` (${String(id)})` : ''}.`, remedy: 'Ask your account manager to terminate that contract.' },
    );
  },
  'designated-contract-unknown': unknown,
  'program-offline-only': (e, l) =>
    t(
      l,
      { message: `${PROGRAM_NAMES[e.program as Program]['zh-CN']}只能线下申请。`, remedy: '请联系您的渠道经理，线下提交申请材料。' },
      { message: `The ${PROGRAM_NAMES[e.program as Program].en} is joined offline only.`, remedy: 'Contact your partner manager and apply offline with the application documents.' },
    ),
  'member-not-associated': (e, l) =>
    t(
      l,
      { message: `成员 ${String(e.memberId)} 不是本合作伙伴的在职成员。`, remedy: '由合作伙伴管理员在成员管理中添加或重新启用该成员。' },
      { message: `Member ${String(e.memberId)} is not an active member of this partner.`, remedy: "Have the partner's administrator add the member, or reactivate them, in member management." },
    ),
  'member-work-residence-missing': (_, l) =>
    t(
      l,
      { message: '成员未填写工作常驻地。', remedy: '在成员管理中填写该成员的工作常驻地。' },
      { message: 'The member has no work residence.', remedy: "Enter the member's work residence in member management." },
    ),
  'partner-only-distribution-or-solution-provider': (_, l) =>
    t(
      l,
      { message: '合作伙伴仅加入了分销或解决方案提供商计划，不能申请项目专员。', remedy: '先加入云经销商计划，再申请项目专员。' },
      { message: 'The partner is only in the distribution or solution-provider plans, which cannot apply for project specialists.', remedy: 'Join the reseller program first, then apply.' },
    ),
  'specialist-already-applied': (e, l) =>
    t(
      l,
      { message: `该成员已申请项目专员（状态：${String(e.status)}）。`, remedy: '等待当前申请处理完成；申请被拒绝或取消后可以再次申请。' },
      { message: `The member already applied to be a project specialist (status: ${String(e.status)}).`, remedy: 'Wait for that application; after a rejection or a cancellation the member may apply again.' },
    ),
  'path-top-level': (e, l) =>
    t(
      l,
      { message: `已处于发展路径 ${String(e.pathId)} 的最高级别（${String(e.level)}）。`, remedy: '无需提升。' },
      { message: `Already at the highest level of path ${String(e.pathId)} (${String(e.level)}).`, remedy: 'Nothing to raise.' },
    ),
  'level-requirement-unmet': (e, l) => {
    const rule = e.requirement as PartnerRule;
    return t(
      l,
      { message: `未满足 ${String(e.level)} 级别的要求：${requirementZh(rule)}（实际 ${String(e.actual)}）。`, remedy: requirementRemedy(rule, 'zh-CN') },
      { message: `Not met for ${String(e.level)}: ${String(e.description)} (actual ${String(e.actual)}).`, remedy: requirementRemedy(rule, 'en') },
    );
  },
};

/** An unmet condition as answered: its code, message and remedy in `language`, and its evidence. */
export const describeUnmet = (unmet: Unmet, language: Language) => ({ code: unmet.code, ...MESSAGES[unmet.code](unmet.evidence, language), evidence: unmet.evidence });
