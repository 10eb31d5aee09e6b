/**
 * The inbox's bulk verification of incentives, zh-CN and en (read with useMessagesOf): the toolbar, and what blocks a
 * submission — each card named with what the partner has not typed yet.
 */
const zh = {
  group: (n: number) => `批量核实激励：已选 ${n} 项`,
  selectAll: '全选激励',
  verifySelected: (n: number) => `核实所选（${n}）`,
  uploading: '正在上传证明材料…',
  blocked: '尚未提交：请先在以下卡片中填写。',
  missing: (title: string, what: readonly string[]) => `「${title}」：缺少${what.join('、')}`,
  headcount: '核对人数',
  total: '核对总额',
  totalInvalid: '格式正确的核对总额',
  evidence: '证明材料',
  uploadFailed: (title: string, why: string) => `「${title}」的证明材料上传失败：${why}`,
};

export type BulkVerifyMessages = typeof zh;

const en: BulkVerifyMessages = {
  group: (n) => `Verify incentives in bulk: ${n} selected`,
  selectAll: 'Select all incentives',
  verifySelected: (n) => `Verify selected (${n})`,
  uploading: 'Uploading the evidence…',
  blocked: 'Not submitted: fill these cards in first.',
  missing: (title, what) => `“${title}”: ${what.join(', ')} missing`,
  headcount: 'headcount',
  total: 'total',
  totalInvalid: 'a valid total',
  evidence: 'evidence',
  uploadFailed: (title, why) => `“${title}”: the evidence could not be uploaded: ${why}`,
};

export const BULK_VERIFY_MESSAGES = { 'zh-CN': zh, en };
