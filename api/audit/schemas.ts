// Request and response schemas of the audit log's read route (issue 19 section 3, docs/audit.md). Only the route's own
// answer carries an OpenAPI id (api/docs/openapi.ts registers the answers).
import { z } from 'zod';
import { partnerId } from '../kit/validation.js';
import { instant } from '../kit/schemas.js';

/**
 * An exact value to match: any text the log can hold. PostgreSQL text cannot hold NUL, and malformed Unicode matches
 * nothing it stored; other characters are kept as sent (no trimming: the filter matches what was written).
 */
const exact = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((v) => !v.includes('\u0000'), 'must not contain NUL')
    .refine((v) => v.isWellFormed(), 'must be well-formed Unicode (no lone surrogates)');

// Not an instant at all is said once, by the format check (the range is checked only of an instant).
const instantParam = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 instant with its offset' }).refine((v) => {
  const year = new Date(v).getUTCFullYear();
  return Number.isNaN(year) || (year >= 2000 && year <= 9999);
}, 'must be between the years 2000 and 9999');

/** The method and the route as declared, which is how api/kit/http.ts writes the action. */
const action = z
  .string()
  .max(300)
  .regex(/^(POST|PUT|PATCH|DELETE) \/[\x21-\x7e]*$/, 'must be a method (POST, PUT, PATCH or DELETE) and a route as declared, e.g. POST /v1/opportunities/:id/accept');

export const auditQuery = z
  .strictObject({
    actor: exact(200).optional().describe("the token's subject that acted (exact)"),
    partnerId: partnerId.optional().describe("the actor's partner (exact): what a partner's own staff did"),
    action: action.optional().describe('the method and route as declared (exact), e.g. POST /v1/opportunities/:id/accept'),
    target: exact(200).optional().describe("the object acted on (exact): the path's id, else the created object's id, else the path's name or partner"),
    from: instantParam.optional().describe('rows written at or after this instant'),
    to: instantParam.optional().describe('rows written before this instant (excluded); after `from`'),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z.string().max(500).optional().describe('nextCursor of the page before: the next page, newest first'),
  })
  .refine((q) => q.from === undefined || q.to === undefined || new Date(q.from) < new Date(q.to), { path: ['to'], message: 'must be after from' });

export type AuditQuery = z.output<typeof auditQuery>;

export const auditEntrySchema = z.strictObject({
  id: z.string().regex(/^[1-9][0-9]*$/).describe('the row number: rows are numbered as they are written'),
  at: instant.describe('when the row was written, right after the call succeeded'),
  actor: z.string().describe("the token's subject"),
  partnerId: z.string().nullable().describe("the actor's partner (partner staff); null for the vendor's staff and systems"),
  action: z.string().describe('the method and the route as declared, e.g. POST /v1/opportunities/:id/accept'),
  target: z.string().nullable().describe("the object acted on: the path's id, else the created object's id, else the path's name or partner; null when none"),
  status: z.number().int().describe('the status the call answered'),
  requestId: z.string().describe('X-Request-Id of the call: the same id is in the API log'),
});

export const auditPageSchema = z
  .strictObject({ items: z.array(auditEntrySchema), nextCursor: z.string().nullable() })
  .meta({ id: 'AuditPage', description: 'One page of the audit log, newest first; pass nextCursor as `cursor` for the next.' });

export type AuditEntryView = z.output<typeof auditEntrySchema>;
export type AuditPageView = z.output<typeof auditPageSchema>;
