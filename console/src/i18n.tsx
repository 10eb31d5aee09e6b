/**
 * The console's two languages: Chinese (zh-CN, the default) and English, chosen from the browser's preferred
 * language and switchable (the choice is kept in localStorage). The API is asked for the same language
 * (Accept-Language) so that its messages match the page.
 */
import { DateTime } from 'luxon';
import { createContext, type ReactNode, useContext, useEffect, useMemo, useState } from 'react';
import type { BulkActionKind, OpportunityStatus, RejectReason } from './api/client';
import { splitWorkingTime } from './working-time';

export const LANGUAGES = ['zh-CN', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

const STORAGE_KEY = 'partnerflow.console.language';

/** The browser's first preferred language decides: English if it is English, Chinese otherwise (the default). */
export function browserLanguage(preferred: readonly string[]): Language {
  const first = preferred[0]?.toLowerCase() ?? '';
  return first === 'en' || first.startsWith('en-') ? 'en' : 'zh-CN';
}

/** Zones the partner reads by a familiar name rather than "GMT+8". */
const ZONE_NAMES: Record<string, Record<Language, string>> = {
  'Asia/Shanghai': { 'zh-CN': '北京时间', en: 'CST' },
};

const REJECT_REASONS_ZH: Record<RejectReason, string> = {
  CUSTOMER_NEED_UNCLEAR: '客户需求不明确',
  NEXT_STEPS_UNCLEAR: '下一步不明确',
  CANNOT_SUPPORT: '无法支持',
  DUPLICATE: '重复的商机',
  OTHER: '其他',
};
const REJECT_REASONS_EN: Record<RejectReason, string> = {
  CUSTOMER_NEED_UNCLEAR: "The customer's need is unclear",
  NEXT_STEPS_UNCLEAR: 'The next steps are unclear',
  CANNOT_SUPPORT: 'We cannot support it',
  DUPLICATE: 'A duplicate opportunity',
  OTHER: 'Another reason',
};

type Counts = { DONE: number; REFUSED: number; FAILED: number };

/** The bulk actions' words: the toolbar, the job's progress, and each item's outcome (a refusal's reason in words). */
const BULK_ZH = {
  select: (title: string) => `选择「${title}」`,
  selectAll: '全选',
  selected: (n: number) => `已选 ${n} 项`,
  acceptSelected: (n: number) => `接受所选（${n}）`,
  rejectSelected: (n: number) => `拒绝所选（${n}）`,
  confirmRejectSelected: (n: number) => `确认拒绝 ${n} 项`,
  submitting: '正在提交…',
  submitFailed: (why: string) => `提交失败：${why}`,
  retry: '重试',
  dismiss: '关闭结果',
  title: (kind: BulkActionKind): string => ({ 'opportunity.accept': '批量接受', 'opportunity.reject': '批量拒绝', 'incentive.verify': '批量核实激励', 'review.decide': '批量审核' })[kind],
  progressLabel: '批量处理进度',
  progress: (settled: number, total: number, c: Counts) => `已处理 ${settled} / ${total}：完成 ${c.DONE}，未执行 ${c.REFUSED}，失败 ${c.FAILED}`,
  completed: (total: number, c: Counts) => `已全部处理 ${total} 项：完成 ${c.DONE}，未执行 ${c.REFUSED}，失败 ${c.FAILED}。`,
  pending: '处理中…',
  done: (status: string | null) => (status === 'ACCEPTED' ? '已接受' : status === 'REJECTED' ? '已拒绝' : `完成（${status ?? '—'}）`),
  refused: (reason: string) => `未执行：${reason}`,
  failed: (why: string) => `失败（已重试多次）：${why}`,
  closedAs: { PENDING_ACCEPTANCE: '待接受', ACCEPTED: '已被接受', REJECTED: '已被拒绝', EXPIRED: '已过期', WON: '已赢单', LOST: '已输单' } satisfies Record<OpportunityStatus, string>,
  closed: '商机已关闭',
  deadlinePassed: '已过接受截止时间',
  notPending: '已不在待接受状态',
  notFound: '找不到该商机，或它不属于您',
  agreement: '需先签署生效中的合作协议',
  notShared: '仍在分享中，请稍后再试',
  /** An incentive's or a review's status once a job has acted on it, or as a refusal found it (a code not listed shows as itself). */
  statuses: {
    VERIFIED: '已核实',
    EXPIRED: '已过期',
    OBJECTED: '已提出异议',
    PENDING_VERIFICATION: '待核实',
    APPROVED: '已批准',
    REJECTED: '已驳回',
    PASSED: '已通过',
    FAILED: '未通过',
    SUPPLEMENT_REQUESTED: '已要求补充材料',
    IN_REVIEW: '审核中',
    SUBMITTED: '待审核',
    WITHDRAWN: '已撤回',
    CANCELLED: '已取消',
    AWAITING_CONFIRMATION: '待合作伙伴确认',
  } as Partial<Record<string, string>>,
  doneAs: (word: string) => word,
  nowStatus: (word: string) => `当前状态为「${word}」`,
  claimedBy: (who: string) => `已由 ${who} 认领`,
  notInReview: '已不在待审核状态',
  reviewNotFound: '找不到该审核事项',
  incentiveNotFound: '找不到该激励，或它不属于您',
  listMismatch: (fields: readonly string[]) => `与名单不符：${fields.map((field) => (field === 'headcount' ? '人数' : field === 'totalMinor' ? '总额' : field)).join('、') || '数字'}`,
  materialsRequired: '名单有人员，需至少上传一份证明材料',
  verificationDeadlinePassed: '已过核实截止时间',
  notPendingVerification: '已不在待核实状态',
};
type BulkMessages = typeof BULK_ZH;
const BULK_EN: BulkMessages = {
  select: (title) => `Select “${title}”`,
  selectAll: 'Select all',
  selected: (n) => `${n} selected`,
  acceptSelected: (n) => `Accept selected (${n})`,
  rejectSelected: (n) => `Reject selected (${n})`,
  confirmRejectSelected: (n) => `Reject ${n}`,
  submitting: 'Submitting…',
  submitFailed: (why) => `Not submitted: ${why}`,
  retry: 'Retry',
  dismiss: 'Close the results',
  title: (kind) => ({ 'opportunity.accept': 'Bulk accept', 'opportunity.reject': 'Bulk reject', 'incentive.verify': 'Bulk verification of incentives', 'review.decide': 'Bulk review decisions' })[kind],
  progressLabel: 'Bulk progress',
  progress: (settled, total, c) => `${settled} of ${total} processed: ${c.DONE} done, ${c.REFUSED} refused, ${c.FAILED} failed`,
  completed: (total, c) => `All ${total} processed: ${c.DONE} done, ${c.REFUSED} refused, ${c.FAILED} failed.`,
  pending: 'In progress…',
  done: (status) => (status === 'ACCEPTED' ? 'Accepted' : status === 'REJECTED' ? 'Rejected' : `Done (${status ?? '—'})`),
  refused: (reason) => `Refused: ${reason}`,
  failed: (why) => `Failed (after retries): ${why}`,
  closedAs: { PENDING_ACCEPTANCE: 'pending acceptance', ACCEPTED: 'already accepted', REJECTED: 'already rejected', EXPIRED: 'expired', WON: 'already won', LOST: 'already lost' },
  closed: 'the opportunity is closed',
  deadlinePassed: 'the accept deadline has passed',
  notPending: 'no longer pending acceptance',
  notFound: 'not found, or not yours',
  agreement: 'the agreement in force must be signed first',
  notShared: 'still being shared: try again shortly',
  statuses: {
    VERIFIED: 'verified',
    EXPIRED: 'expired',
    OBJECTED: 'objected to',
    PENDING_VERIFICATION: 'pending verification',
    APPROVED: 'approved',
    REJECTED: 'rejected',
    PASSED: 'passed',
    FAILED: 'failed',
    SUPPLEMENT_REQUESTED: 'supplement requested',
    IN_REVIEW: 'in review',
    SUBMITTED: 'waiting for review',
    WITHDRAWN: 'withdrawn',
    CANCELLED: 'cancelled',
    AWAITING_CONFIRMATION: "waiting for the partner's confirmation",
  },
  doneAs: (word) => word.charAt(0).toUpperCase() + word.slice(1),
  nowStatus: (word) => `it is ${word} now`,
  claimedBy: (who) => `Claimed by ${who}`,
  notInReview: 'no longer waiting for a decision',
  reviewNotFound: 'no such item to review',
  incentiveNotFound: 'not found, or not yours',
  listMismatch: (fields) =>
    `the figures differ from the list: ${fields.map((field) => (field === 'headcount' ? 'headcount' : field === 'totalMinor' ? 'total' : field)).join(', ') || 'figures'}`,
  materialsRequired: 'a list that names anyone needs at least one uploaded file as evidence',
  verificationDeadlinePassed: 'the verification deadline has passed',
  notPendingVerification: 'no longer pending verification',
};

const zh = {
  appName: '合作伙伴控制台',
  languageSwitch: '语言',
  signInTitle: '登录',
  signInHelp: '开发环境：粘贴 `npm run token -- --role partner_admin --partner P-1` 打印的令牌。',
  tokenLabel: '访问令牌',
  signIn: '登录',
  signOut: '退出登录',
  tokenMalformed: '这不是一个 JWT 令牌。',
  tokenRefused: '令牌无效或已过期，请重新登录。',
  signedInAs: (who: string) => `当前用户：${who}`,
  nav: '控制台导航',
  inboxNav: '待办',
  reviewsNav: '审核队列',
  operationsNav: '运营',
  nothingForRole: '您的角色在控制台中没有可用的页面（控制台服务于合作伙伴、供应商的审核人员和运营人员）。',
  notFoundPage: '没有这个页面。',
  inboxTitle: '待办',
  inboxIntro: '等待您处理的事项，截止时间最近的在前。',
  opportunitiesTitle: '待接受的商机',
  loading: '加载中…',
  empty: '没有等待您处理的商机。',
  customer: '客户',
  amount: '预计金额',
  timeLeft: '剩余工作时间',
  deadline: '截止时间',
  deadlineLine: (deadline: string) => `截止时间：${deadline}`,
  countdown: (ms: number) => {
    const { days, hours, minutes } = splitWorkingTime(ms);
    return days > 0 ? `${days} 个工作日 ${hours} 小时` : `${hours} 小时 ${minutes} 分钟`;
  },
  deadlinePassed: '已过截止时间',
  explain: '为什么是这个截止时间？',
  explanationLead: (workingDays: number, from: string) => `从 ${from} 起计 ${workingDays} 个工作日。`,
  calendarLine: (calendar: string, version?: number) => `工作日历：${calendar}${version ? `（第 ${version} 版）` : ''}`,
  countedDays: '计入的工作日',
  skippedDays: '跳过的日期',
  noSkippedDays: '没有跳过的日期。',
  restDay: '休息日',
  holiday: (name?: string) => `法定节假日${name ? `：${name}` : ''}`,
  makeupDay: (name?: string) => `调休上班日${name ? `（${name}）` : ''}`,
  provisional: '暂定',
  provisionalNote: (years: readonly number[]) => `${years.join('、')} 年的官方节假日安排尚未发布：此截止时间按法定节假日规则计算，发布后可能变动（届时会通知您）。`,
  notProvisional: '按已发布的官方日历计算，不是暂定。',
  accept: '接受',
  reject: '拒绝',
  rejectReason: '拒绝原因',
  rejectNote: '说明（可选）',
  confirmReject: '确认拒绝',
  cancel: '取消',
  accepted: (title: string) => `已接受商机「${title}」。`,
  rejected: (title: string) => `已拒绝商机「${title}」。`,
  rejectReasons: REJECT_REASONS_ZH,
  bulk: BULK_ZH,
};

export type Messages = typeof zh;

const en: Messages = {
  appName: 'Partner console',
  languageSwitch: 'Language',
  signInTitle: 'Sign in',
  signInHelp: 'Development: paste the token `npm run token -- --role partner_admin --partner P-1` prints.',
  tokenLabel: 'Access token',
  signIn: 'Sign in',
  signOut: 'Sign out',
  tokenMalformed: 'This is not a JWT.',
  tokenRefused: 'The token is invalid or has expired: sign in again.',
  signedInAs: (who) => `Signed in as ${who}`,
  nav: 'Console',
  inboxNav: 'Inbox',
  reviewsNav: 'Review queue',
  operationsNav: 'Operations',
  nothingForRole: "Your roles have no page in the console (it serves partners, and the vendor's reviewers and operations staff).",
  notFoundPage: 'There is no such page.',
  inboxTitle: 'Inbox',
  inboxIntro: 'What waits for you, soonest deadline first.',
  opportunitiesTitle: 'Opportunities to accept',
  loading: 'Loading…',
  empty: 'No opportunity waits for you.',
  customer: 'Customer',
  amount: 'Estimated amount',
  timeLeft: 'Working time left',
  deadline: 'Deadline',
  deadlineLine: (deadline) => `Deadline: ${deadline}`,
  countdown: (ms) => {
    const { days, hours, minutes } = splitWorkingTime(ms);
    return days > 0 ? `${days} working day${days === 1 ? '' : 's'} ${hours} h left` : `${hours} h ${minutes} min left`;
  },
  deadlinePassed: 'The deadline has passed',
  explain: 'Why this deadline?',
  explanationLead: (workingDays, from) => `${workingDays} working day${workingDays === 1 ? '' : 's'} from ${from}.`,
  calendarLine: (calendar, version) => `Business calendar: ${calendar}${version ? ` (version ${version})` : ''}`,
  countedDays: 'Working days counted',
  skippedDays: 'Days skipped',
  noSkippedDays: 'No day was skipped.',
  restDay: 'Rest day',
  holiday: (name) => `Public holiday${name ? `: ${name}` : ''}`,
  makeupDay: (name) => `Make-up working day${name ? ` (${name})` : ''}`,
  provisional: 'Provisional',
  provisionalNote: (years) =>
    `The official holiday schedule for ${years.join(', ')} is not published yet: this deadline counts the statutory holidays and may move when it is (you will be told).`,
  notProvisional: 'Counted with the published official calendar: not provisional.',
  accept: 'Accept',
  reject: 'Reject',
  rejectReason: 'Reason',
  rejectNote: 'Note (optional)',
  confirmReject: 'Reject',
  cancel: 'Cancel',
  accepted: (title) => `Accepted “${title}”.`,
  rejected: (title) => `Rejected “${title}”.`,
  rejectReasons: REJECT_REASONS_EN,
  bulk: BULK_EN,
};

const MESSAGES: Record<Language, Messages> = { 'zh-CN': zh, en };

/** An instant in the partner's zone, e.g. "Thu 10 Dec 00:00 CST" / "12月10日 周四 00:00 北京时间". */
export function formatInZone(instant: string, zone: string, language: Language): string {
  const local = DateTime.fromISO(instant, { zone }).setLocale(language);
  const zoneName = ZONE_NAMES[zone]?.[language] ?? local.offsetNameShort ?? zone;
  return `${local.toFormat(language === 'en' ? 'ccc d LLL HH:mm' : 'M月d日 ccc HH:mm')} ${zoneName}`;
}

/** A calendar date (YYYY-MM-DD) with its weekday. */
export function formatDate(date: string, language: Language): string {
  return DateTime.fromISO(date).setLocale(language).toFormat(language === 'en' ? 'ccc d LLL yyyy' : 'yyyy年M月d日 ccc');
}

type LanguageState = { language: Language; messages: Messages; setLanguage: (language: Language) => void };
const LanguageContext = createContext<LanguageState | undefined>(undefined);

export function LanguageProvider({ children }: { children: ReactNode }) {
  const [language, setLanguage] = useState<Language>(() => {
    const stored = localStorage.getItem(STORAGE_KEY);
    return (LANGUAGES as readonly string[]).includes(stored ?? '') ? (stored as Language) : browserLanguage(navigator.languages);
  });
  useEffect(() => {
    document.documentElement.lang = language;
    document.title = MESSAGES[language].appName;
  }, [language]);
  const state = useMemo<LanguageState>(
    () => ({
      language,
      messages: MESSAGES[language],
      setLanguage: (next) => {
        localStorage.setItem(STORAGE_KEY, next);
        setLanguage(next);
      },
    }),
    [language],
  );
  return <LanguageContext.Provider value={state}>{children}</LanguageContext.Provider>;
}

/**
 * An area's own words (each area of the console keeps its table beside its components: `<area>/messages.ts`), in the
 * page's language. The table is typed by its Chinese half, so a missing English message fails the type check.
 */
export function useMessagesOf<T>(table: Record<Language, T>): T {
  return table[useLanguage().language];
}

export function useLanguage(): LanguageState {
  const state = useContext(LanguageContext);
  if (!state) throw new Error('useLanguage outside LanguageProvider');
  return state;
}
