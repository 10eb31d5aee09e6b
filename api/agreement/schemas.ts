// Response schemas of agreements (see api/kit/schemas.ts for the pieces every process shares).
import { z } from 'zod';
import { AGREEMENT_STATUSES } from '../../workflows/agreement/contract.js';
import { instant } from '../kit/schemas.js';

const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

export const agreementSummarySchema = z
  .strictObject({
    id: z.uuid(),
    version: z.number().int().min(1).describe('numbered in order of publication'),
    contractingEntity: z.string().describe("the vendor's legal entity the partner contracts with under this version"),
    textSha256: z.string().describe('SHA-256 of the text (hex): what a signature names'),
    effectiveDate: date.describe('from this date (00:00 Asia/Shanghai) an unsigned partner is refused the gated actions'),
    effectiveAt: instant,
    signByDate: date.describe('partners sign by the end of this date (Asia/Shanghai); reminded 7 and 1 days before'),
    signByAt: instant,
    status: z.enum(AGREEMENT_STATUSES),
    publishedBy: z.string(),
    publishedAt: instant,
  })
  // Inline (no component id): api/docs/openapi.ts names only response schemas and its COMPONENTS list.
  .describe('An agreement version as listed.');

export const agreementSchema = agreementSummarySchema
  .extend({
    text: z.string(),
    signature: z
      .strictObject({ partnerId: z.string(), version: z.number().int(), textSha256: z.string(), signedBy: z.string(), signedAt: instant })
      .nullable()
      .describe("the calling partner's signature of this version (null: not signed, or a vendor caller)"),
    history: z.array(
      z.strictObject({
        seq: z.number().int().min(1),
        type: z.enum(['PUBLISHED', 'SIGN_REMINDERS_SENT', 'SIGN_BY_ESCALATED']),
        fromStatus: z.enum(AGREEMENT_STATUSES).nullable(),
        toStatus: z.enum(AGREEMENT_STATUSES),
        actor: z.string(),
        at: instant,
        data: z.record(z.string(), z.unknown()).nullable(),
      }),
    ),
  })
  .meta({ id: 'Agreement', description: 'An agreement version with its text, the caller’s signature and its history.' });

export const agreementPageSchema = z
  .strictObject({ items: z.array(agreementSummarySchema) })
  .meta({ id: 'AgreementPage', description: 'Every agreement version, newest first.' });

export const agreementSignatureSchema = z
  .strictObject({
    agreementId: z.uuid(),
    partnerId: z.string(),
    version: z.number().int(),
    textSha256: z.string(),
    signedBy: z.string(),
    signedAt: instant,
  })
  .meta({ id: 'AgreementSignature', description: 'Who signed which agreement version for the partner, when, and the hash of the text signed. Never changed.' });

export const contractingEntitiesSchema = z
  .strictObject({
    partnerId: z.string(),
    items: z.array(
      z.strictObject({
        agreementId: z.uuid(),
        version: z.number().int(),
        contractingEntity: z.string(),
        effectiveDate: date,
        signByDate: date,
        inForce: z.boolean().describe('the version in force today (the latest whose effective date has come; of two the same day, the later published)'),
        signed: z.boolean(),
        signedAt: instant.nullable(),
        signedBy: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: 'ContractingEntities', description: "From which date the partner's contracting entity is which, oldest first, and whether the partner signed each version." });

export type AgreementSummary = z.output<typeof agreementSummarySchema>;
export type AgreementView = z.output<typeof agreementSchema>;
export type AgreementSignatureView = z.output<typeof agreementSignatureSchema>;
export type ContractingEntitiesView = z.output<typeof contractingEntitiesSchema>;
