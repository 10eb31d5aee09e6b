// Response schemas of unlinks (解除关联) and refunds (see api/kit/schemas.ts for shared pieces).
import { z } from 'zod';
import { UNLINK_SIDES, UNLINK_UNMET_CODES } from '../../domain/unlink.js';
import { UNLINK_STATUSES } from '../../workflows/unlink/contract.js';
import { instant } from '../kit/schemas.js';

const reason = z.strictObject({
  code: z.enum(UNLINK_UNMET_CODES),
  evidence: z.record(z.string(), z.unknown()),
  message: z.string(),
  remedy: z.string(),
});

export const unlinkPreviewSchema = z
  .strictObject({
    partnerId: z.string(),
    customerId: z.string(),
    association: z
      .strictObject({ id: z.uuid(), mode: z.string(), associatedAt: instant, endsAt: z.string().describe('when the association would end: at the objection deadline, if nobody objects') })
      .describe('the association that ends'),
    objectionDays: z.number().int().describe('calendar days the other side has to object (partner zone, to the minute)'),
    objectingSide: z.enum(UNLINK_SIDES).describe('the side that may object to this caller\'s request'),
    reclaim: z
      .array(
        z.strictObject({
          currency: z.string(),
          unspent: z.number().int().describe('minor units the customer has not spent of its allocations: returns to the partner'),
          toCredit: z.number().int().describe('of which back to the partner\'s credit line'),
          toRecharge: z.number().int().describe('of which back to the partner\'s recharge'),
        }),
      )
      .describe('per currency, what returns to the partner if executed now (what is unspent at the execution returns then)'),
    consequences: z.strictObject({ association: z.string(), vouchers: z.string(), refunds: z.string() }).describe('in words, in the Accept-Language'),
    unlinkable: z.boolean(),
    unmet: z.array(reason).describe('every reason a request would be refused now'),
    previewHash: z.string().describe('carry it in the request: 409 if what would happen changed meanwhile'),
  })
  .meta({ id: 'UnlinkPreview', description: 'Exactly what an unlink of the customer would do, and every reason it would be refused.' });

export const unlinkSchema = z
  .strictObject({
    id: z.uuid(),
    partnerId: z.string(),
    customerId: z.string(),
    associationId: z.uuid(),
    requestedSide: z.enum(UNLINK_SIDES),
    requestedBy: z.string(),
    requestedAt: instant,
    status: z.enum(UNLINK_STATUSES),
    objectionDays: z.number().int(),
    objectionDeadline: instant,
    local: z.strictObject({ objectionDeadline: z.string() }).describe("the deadline's local time in the partner's zone"),
    previewHash: z.string(),
    preview: z.record(z.string(), z.unknown()).describe('what the request confirmed'),
    objectedAt: instant.nullable(),
    objectedBy: z.string().nullable(),
    objectionReason: z.string().nullable(),
    executedAt: instant.nullable(),
    refusedUnmet: z.array(z.strictObject({ code: z.enum(UNLINK_UNMET_CODES), evidence: z.record(z.string(), z.unknown()) })).nullable(),
    reclaimed: z
      .array(z.strictObject({ currency: z.string(), minor: z.number().int(), toCredit: z.number().int(), toRecharge: z.number().int(), transferId: z.uuid() }))
      .nullable(),
    history: z.array(z.strictObject({ seq: z.number().int(), type: z.string(), fromStatus: z.string().nullable(), toStatus: z.string(), actor: z.string(), at: instant, note: z.string().nullable() })),
  })
  .meta({ id: 'Unlink', description: 'An unlink request: its objection window, and its outcome.' });
export type UnlinkView = z.output<typeof unlinkSchema>;

const refund = z.strictObject({
  id: z.uuid(),
  customerId: z.string(),
  source: z.string(),
  key: z.string(),
  consumedAt: instant,
  amount: z.strictObject({ currency: z.string(), minor: z.number().int() }),
  memo: z.string().nullable(),
  routedTo: z.enum(['PARTNER', 'CUSTOMER']).describe("PARTNER: the consumption fell in an association, refunded to that partner's recharge; CUSTOMER: outside any, refunded to the customer (no partner movement)"),
  partnerId: z.string().nullable(),
  associationId: z.uuid().nullable(),
  transferId: z.uuid().nullable().describe('the REFUND transfer on the ledger (PARTNER only)'),
  receivedAt: instant,
});

export const refundFeedSchema = z
  .strictObject({ items: z.array(refund) })
  .meta({ id: 'CustomerRefundFeed', description: 'Each refund fed, as routed (a refund key fed again answers its first routing).' });
export type RefundView = z.output<typeof refund>;
