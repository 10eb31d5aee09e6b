/**
 * HTTP routes of enterprise lookup (企业百科): the vendor's streamed import, partners' and vendor staff's search.
 * Rules in api/enterprise/client.ts; a line's shape and the credit code's check in domain/.
 */
import { z } from 'zod';
import { CUSTOMER_EXPANSION_REFUSED, enterpriseLineSchema } from '../../domain/enterprise.js';
import { defineRoute, type RouteDef } from '../kit/http.js';
import { NDJSON, type StreamBody, streamed } from '../kit/ndjson.js';
import { idempotencyKeyOf, text } from '../kit/validation.js';
import type { EnterpriseClient } from './client.js';
import { enterpriseImportSchema, enterprisePageSchema, enterpriseSchema } from './schemas.js';

/** The import's body: bounded so that one request's answer (a result per line) stays a few megabytes. */
export const IMPORT_BODY: StreamBody = {
  types: [NDJSON],
  maxBytes: 16 * 1024 * 1024,
  maxLines: 20_000,
  maxLineBytes: 4 * 1024,
  line: enterpriseLineSchema,
  description:
    'Enterprise records, one JSON object per line (creditCode, name, optional industry, region, registeredCapital). A bad line is refused alone (its result names the fields); blank lines are skipped.',
};

export const searchQuery = z
  .strictObject({
    name: text(100).optional().describe('fuzzy: the most similar names first; suited to Chinese names (a wrong or missing character still finds it)'),
    creditCode: z.string().max(100).optional().describe('exact: the unified social credit code (422 when it is not a valid one)'),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z.string().max(500).optional(),
  })
  .superRefine((q, ctx) => {
    if ((q.name === undefined) === (q.creditCode === undefined)) ctx.addIssue({ code: 'custom', path: ['name'], message: 'give either name or creditCode (exactly one)' });
  });

export function enterpriseRoutes(enterprises: EnterpriseClient): RouteDef[] {
  return [
    streamed(
      defineRoute({
        method: 'post',
        path: '/v1/enterprises/import',
        permission: 'enterprise.import',
        summary:
          'Import enterprise records (企业百科) from an NDJSON body (Content-Type application/x-ndjson), read as a stream: each line is recorded as it arrives — a new credit code creates the record, a known one updates it (or leaves it unchanged), every line is kept in the import history — and answered with its own result: ok with the outcome, or refused naming its fields (a bad line never stops the others). Idempotency-Key required: a retry with the same body answers every line as first answered and records nothing twice; another body with it is 422. More than 20,000 lines or 16 MiB: 413, the lines before the limit recorded.',
        responses: { 200: enterpriseImportSchema },
        problems: [413, 415, 422],
        idempotencyKey: true,
        handler: async ({ principal, req }) => ({ status: 200, body: await enterprises.importStream(principal, req, idempotencyKeyOf(req), IMPORT_BODY) }),
      }),
      IMPORT_BODY,
    ),
    defineRoute({
      method: 'get',
      path: '/v1/enterprises',
      permission: 'customer.expand',
      // A caller without it is told whom to ask (请联系生态经理), not the permission's name.
      forbidden: CUSTOMER_EXPANSION_REFUSED,
      summary:
        'Search enterprises by name (fuzzy, trigram similarity behind an index: a typo or a part of the name finds it; the most similar first) or by exact credit code; keyset pages. Without customer.expand: 403 saying to contact the ecosystem manager.',
      query: searchQuery,
      responses: { 200: enterprisePageSchema },
      problems: [422],
      handler: async ({ query }) => ({ status: 200, body: await enterprises.search(query) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/enterprises/:creditCode',
      permission: 'customer.expand',
      forbidden: CUSTOMER_EXPANSION_REFUSED,
      summary: 'One enterprise by its unified social credit code: 404 when none is recorded, 422 when the code is not a valid one (its check character included).',
      params: z.strictObject({ creditCode: z.string().min(1).max(100) }),
      responses: { 200: enterpriseSchema },
      problems: [404, 422],
      handler: async ({ params }) => ({ status: 200, body: await enterprises.get(params.creditCode) }),
    }),
  ];
}
