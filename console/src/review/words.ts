/**
 * The statuses and history events of the reviewed processes in words, zh-CN and en. The processes add events as they
 * grow: a code the console does not know yet is shown as the code itself, never as nothing.
 */
type Words = { statuses: Partial<Record<string, string>>; events: Partial<Record<string, string>> };

const zh: Words = {
  statuses: {
    SUBMITTED: '已提交，待审核',
    IN_REVIEW: '审核中',
    IN_MANUAL_REVIEW: '人工审核中',
    SUPPLEMENT_REQUESTED: '待补充材料',
    APPROVED: '已批准',
    REJECTED: '已驳回',
    PASSED: '已通过',
    FAILED: '未通过',
    WITHDRAWN: '已撤回',
    WITHDRAWN_BY_TIMEOUT: '超时未补充，已撤回',
    CANCELLED: '已取消',
    EXPIRED: '已过期',
    PROTECTED: '保护中',
    AWAITING_CONFIRMATION: '待合作伙伴确认',
    JOINED: '已加入',
  },
  events: {
    CREATED: '创建申请',
    MATERIAL_SET: '设置材料',
    SUBMITTED: '提交审核',
    REVIEW_STARTED: '开始审核',
    SUPPLEMENT_REQUESTED: '要求补充材料',
    SUPPLEMENTED: '已补充材料',
    APPROVED: '批准',
    REJECTED: '驳回',
    PASSED: '通过',
    FAILED: '未通过',
    WITHDRAWN: '撤回',
    WITHDRAWN_BY_TIMEOUT: '超时撤回',
    CERTIFICATE_EXTENDED: '证书延期',
    DEADLINE_CHANGED: '截止时间变更',
    REVIEW_ESCALATED: '审核超时升级',
    CANCELLED: '取消',
    EXPIRED: '过期',
    REQUESTED: '提出申请',
    MANUAL_REVIEW_REQUESTED: '申请人工审核',
  },
};

const en: Words = {
  statuses: {
    SUBMITTED: 'Submitted, waiting for review',
    IN_REVIEW: 'In review',
    IN_MANUAL_REVIEW: 'In manual review',
    SUPPLEMENT_REQUESTED: 'Supplement requested',
    APPROVED: 'Approved',
    REJECTED: 'Rejected',
    PASSED: 'Passed',
    FAILED: 'Failed',
    WITHDRAWN: 'Withdrawn',
    WITHDRAWN_BY_TIMEOUT: 'Withdrawn: not supplemented in time',
    CANCELLED: 'Cancelled',
    EXPIRED: 'Expired',
    PROTECTED: 'Protected',
    AWAITING_CONFIRMATION: "Waiting for the partner's confirmation",
    JOINED: 'Joined',
  },
  events: {
    CREATED: 'Application created',
    MATERIAL_SET: 'Material set',
    SUBMITTED: 'Submitted for review',
    REVIEW_STARTED: 'Review started',
    SUPPLEMENT_REQUESTED: 'Supplement requested',
    SUPPLEMENTED: 'Supplemented',
    APPROVED: 'Approved',
    REJECTED: 'Rejected',
    PASSED: 'Passed',
    FAILED: 'Failed',
    WITHDRAWN: 'Withdrawn',
    WITHDRAWN_BY_TIMEOUT: 'Withdrawn (timeout)',
    CERTIFICATE_EXTENDED: 'Certificate extended',
    DEADLINE_CHANGED: 'Deadline changed',
    REVIEW_ESCALATED: 'Review escalated (overdue)',
    CANCELLED: 'Cancelled',
    EXPIRED: 'Expired',
    REQUESTED: 'Requested',
    MANUAL_REVIEW_REQUESTED: 'Manual review requested',
  },
};

export const STATUS_WORDS = { 'zh-CN': zh, en };

/** A status or history event in words, else its code. */
export const wordFor = (words: Partial<Record<string, string>>, code: string) => words[code] ?? code;
