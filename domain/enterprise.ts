/**
 * Enterprise records (企业百科): what one line of an import carries, and the rules for it. An enterprise is known by
 * its unified social credit code (domain/credit-code.ts); its name, industry, region and registered capital are the
 * vendor's data, replaced by a later import of the same code. Pure.
 */
import { z } from 'zod';
import { CREDIT_CODE_FAULT_MESSAGES, creditCodeFault } from './credit-code.js';
import { moneySchema } from './money.js';

// PostgreSQL text holds no NUL, and control characters or lone surrogates are never meant in a name.
const CONTROL = /[\u0000-\u001F\u007F]/;
const label = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((v) => !CONTROL.test(v), 'must not contain control characters')
    .refine((v) => v.isWellFormed(), 'must be well-formed Unicode (no lone surrogates)');

export const creditCodeSchema = z.string().superRefine((code, ctx) => {
  const fault = creditCodeFault(code);
  if (fault) ctx.addIssue({ code: 'custom', message: CREDIT_CODE_FAULT_MESSAGES[fault] });
});

export const ENTERPRISE_NAME_MAX = 200;

/** One enterprise as a line of an import. */
export const enterpriseLineSchema = z.strictObject({
  creditCode: creditCodeSchema.describe('the unified social credit code: 18 characters, its check character valid (GB 32100-2015)'),
  name: label(ENTERPRISE_NAME_MAX).describe('the registered name, e.g. 杭州阿里巴巴网络科技有限公司'),
  industry: label(100).optional().describe('e.g. 软件和信息技术服务业'),
  region: label(100).optional().describe('e.g. 浙江省杭州市'),
  registeredCapital: moneySchema.optional().describe('registered capital (注册资本) in minor units of its currency'),
});
export type EnterpriseLine = z.output<typeof enterpriseLineSchema>;

/** What an import line did to the current record. */
export const IMPORT_OUTCOMES = ['CREATED', 'UPDATED', 'UNCHANGED', 'REFUSED'] as const;
export type ImportOutcome = (typeof IMPORT_OUTCOMES)[number];

/** Why a line was refused, naming the fields at fault (the line's own problem: the other lines go on). */
export type LineFault = { code: 'malformed-line' | 'invalid-line'; errors: { field: string; message: string }[] };

/** A line's text → the enterprise it carries, or its fault. */
export function readEnterpriseLine(text: string): { line: EnterpriseLine } | { fault: LineFault } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { fault: { code: 'malformed-line', errors: [{ field: '(line)', message: 'not a JSON value' }] } };
  }
  const parsed = enterpriseLineSchema.safeParse(json);
  if (parsed.success) return { line: parsed.data };
  return {
    fault: {
      code: 'invalid-line',
      errors: parsed.error.issues.map((issue) => {
        const path = issue.path.map(String).join('.');
        return issue.code === 'unrecognized_keys'
          ? { field: [path, issue.keys[0]].filter(Boolean).join('.'), message: `unknown field(s): ${issue.keys.join(', ')}` }
          : { field: path || '(line)', message: issue.message };
      }),
    },
  };
}

/**
 * The message of a 403 for a caller without customer.expand (seed: 请联系生态经理): whom to ask, in Chinese first
 * (the partner center's language) and in English.
 */
export const CUSTOMER_EXPANSION_REFUSED =
  '您没有客户拓展权限（customer.expand），无法查询企业信息，请联系生态经理开通。 Looking up enterprises needs the customer.expand permission: please contact your ecosystem manager.';
