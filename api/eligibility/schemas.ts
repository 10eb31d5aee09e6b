// Response schema of the eligibility preflight (see api/kit/schemas.ts for the pieces every process shares).
import { z } from 'zod';
import { ELIGIBILITY_PROGRAMS, UNMET_CODES } from '../../domain/eligibility.js';
import { LANGUAGES } from '../../domain/eligibility-messages.js';

export const unmetSchema = z
  .strictObject({
    code: z.enum(UNMET_CODES).describe('stable machine code of the condition (docs/eligibility.md); …-unknown: a fact it needs was never reported'),
    message: z.string().describe("what is not met, in the answer's language"),
    remedy: z.string().describe("what to do about it, in the answer's language"),
    evidence: z
      .record(z.string(), z.unknown())
      .describe(
        'the fact that caused it: `fact` names it — a fed fact (kind, subject, value as fed, source, observedAt; value null: never reported), LEDGER (balances per currency), MEMBER, PROGRAM_MEMBERSHIP, PATH_MEMBERSHIP, PATH_REQUIREMENT, PROGRAM',
      ),
  })
  .describe('One unmet condition.');

export const eligibilitySchema = z
  .strictObject({
    partnerId: z.string(),
    program: z.enum(ELIGIBILITY_PROGRAMS),
    eligible: z.boolean().describe('true when no condition is unmet'),
    language: z.enum(LANGUAGES).describe('the language of message and remedy (Accept-Language; zh-CN by default), also sent as Content-Language'),
    unmet: z.array(unmetSchema).describe("every unmet condition, in the program's stable order"),
  })
  .meta({ id: 'Eligibility' });

export type EligibilityView = z.output<typeof eligibilitySchema>;
