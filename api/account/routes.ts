/**
 * HTTP routes of the partner account: the feed the cloud's other systems call (facts, ledger entries) and the reads.
 * Rules in api/account/client.ts; facts in domain/account.ts, the ledger in domain/ledger.ts.
 *
 * Facts and ledger entries are fed by two routes, not one batch route: they are different things with different
 * retry rules — a fact is an observation whose latest one wins, fed by whichever system owns it, while an entry is a
 * movement of money with its own key, recorded once forever and checked against the balance — and each route's body,
 * answer and refusals stay simple enough to read in the OpenAPI document. Each takes a batch (up to 100), recorded in
 * one transaction: all or nothing.
 */
import { z } from 'zod';
import { FACT_KINDS, FACT_SUBJECTS, FACT_VALUES, type FactKind } from '../../domain/account.js';
import { ledgerEntrySchema } from '../../domain/ledger.js';
import type { AccountClient, FactInput } from './client.js';
import { defineRoute, type RouteDef } from '../kit/http.js';
import { accountSchema, factFeedSchema, factPageSchema, transferFeedSchema, transferPageSchema } from './schemas.js';
import { idempotencyKeyOf, partnerId } from '../kit/validation.js';

const partnerParams = z.strictObject({ partnerId });
const source = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z][a-z0-9-]*$/, 'lowercase letters, digits and -, starting with a letter (e.g. billing, iam, contracts)')
  .describe('the system reporting: kept with every row');
const observedAt = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 instant with its offset' }).refine((v) => {
  const year = new Date(v).getUTCFullYear();
  return year >= 2000 && year <= 9999;
}, 'must be between the years 2000 and 9999');

/** One fact: its kind, its subject when the kind has several (else none), its value as the kind defines it. */
const factOf = (kind: FactKind) => {
  const subject = FACT_SUBJECTS[kind];
  return z.strictObject({
    kind: z.literal(kind),
    ...(subject ? { subject } : {}),
    value: FACT_VALUES[kind],
    observedAt: observedAt.describe('when the reporting system observed it: the latest observation of a fact is its current value'),
  });
};
const fact = z.discriminatedUnion('kind', FACT_KINDS.map(factOf) as unknown as [ReturnType<typeof factOf>, ...ReturnType<typeof factOf>[]], {
  error: `kind must be one of ${FACT_KINDS.join(', ')}`,
});

export const factFeedBody = z.strictObject({ source, facts: z.array(fact).min(1).max(100) });

export const ledgerFeedBody = z
  .strictObject({ source, entries: z.array(ledgerEntrySchema).min(1).max(100) })
  .superRefine((body, ctx) => {
    const seen = new Set<string>();
    body.entries.forEach((entry, i) => {
      if (seen.has(entry.key)) ctx.addIssue({ code: 'custom', path: ['entries', i, 'key'], message: 'another entry of this request has the same key' });
      seen.add(entry.key);
    });
  });

const factQuery = z
  .strictObject({
    kind: z.enum(FACT_KINDS).optional(),
    subject: z
      .string()
      .max(100)
      // Compared with stored text: PostgreSQL text holds no NUL, and no subject was ever fed with a control character.
      .refine((v) => !/[\u0000-\u001F\u007F]/.test(v) && v.isWellFormed(), 'must not contain control characters or lone surrogates')
      .optional()
      .describe("with kind: the program, contract type or instrument id ('' for account-wide kinds)"),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z.string().max(500).optional(),
  })
  .refine((q) => q.subject === undefined || q.kind !== undefined, { path: ['subject'], message: 'only with kind' });

const ledgerQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(500).optional(),
});

export function accountRoutes(account: AccountClient): RouteDef[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/partners/:partnerId/account/facts',
      permission: 'account.feed',
      summary:
        "Feed facts of the partner's account (the cloud's billing, IAM and contract systems; up to 100, all or nothing). Every observation is kept; a fact's current value is its latest observation by observedAt. Idempotency-Key required: a retry answers the first result, another body with it 422.",
      params: partnerParams,
      body: factFeedBody,
      responses: { 201: factFeedSchema },
      problems: [422],
      idempotencyKey: true,
      handler: async ({ principal, params, body, req }) => ({
        status: 201,
        body: await account.feedFacts(principal, params.partnerId, { source: body.source, facts: body.facts as FactInput[] }, idempotencyKeyOf(req)),
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/partners/:partnerId/account/ledger-entries',
      permission: 'account.feed',
      summary:
        "Feed ledger entries (recharges, credit limit changes, charges, repayments; up to 100, recorded in order, all or nothing) as balanced transfers. An entry's key is unique per source: fed again it is the same transfer, with other content 422 ledger-key-reused; an entry drawing more than the account holds is 422 ledger-entry-refused. Idempotency-Key required.",
      params: partnerParams,
      body: ledgerFeedBody,
      responses: { 201: transferFeedSchema },
      problems: [422],
      idempotencyKey: true,
      handler: async ({ principal, params, body, req }) => ({
        status: 201,
        body: await account.feedLedger(principal, params.partnerId, body, idempotencyKeyOf(req)),
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/partners/:partnerId/account',
      permission: 'account.read',
      summary: "The partner's account: the current value of each fed fact, and its funds per currency (recharge, credit, arrears, balance = recharge + credit) summed from the ledger.",
      params: partnerParams,
      responses: { 200: accountSchema },
      problems: [404],
      handler: async ({ principal, params }) => ({ status: 200, body: await account.getAccount(principal, params.partnerId) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/partners/:partnerId/account/facts',
      permission: 'account.read',
      summary: "Every fed observation of the partner's facts, as stored — kind, subject, value, source, observedAt and when partnerflow received it — newest received first (keyset pages); kind (and subject) narrow it to one fact's history.",
      params: partnerParams,
      query: factQuery,
      responses: { 200: factPageSchema },
      problems: [404],
      handler: async ({ principal, params, query }) => ({ status: 200, body: await account.listFacts(principal, params.partnerId, query) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/partners/:partnerId/account/ledger',
      permission: 'account.read',
      summary: "The partner's ledger: transfers with their postings, newest first (keyset pages).",
      params: partnerParams,
      query: ledgerQuery,
      responses: { 200: transferPageSchema },
      problems: [404],
      handler: async ({ principal, params, query }) => ({ status: 200, body: await account.listLedger(principal, params.partnerId, query) }),
    }),
  ];
}
