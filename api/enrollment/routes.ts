/** HTTP routes of enrollments (joining a program; 成为云经销商). Validation here; behaviour in the workflow. */
import { z } from 'zod';
import { PROGRAMS } from '../../domain/account.js';
import { ENROLLMENT_DECISIONS, ENROLLMENT_STATUSES } from '../../workflows/enrollment/contract.js';
import { defineRoute, type RouteDef } from '../kit/http.js';
import { noteRequiredUnless, optionalNote } from '../kit/reviewed-application-routes.js';
import { idempotencyKeyOf, partnerId, text } from '../kit/validation.js';
import type { EnrollmentClient } from './client.js';
import { enrollmentPageSchema, enrollmentSchema, voidedInstrumentsPreviewSchema } from './schemas.js';

const enrollmentId = z.string().uuid('must be an enrollment id (UUID)');

export const enrollmentBody = z.strictObject({ program: z.enum(PROGRAMS) });
export const reviewBody = z.strictObject({ decision: z.enum(ENROLLMENT_DECISIONS), note: optionalNote }).superRefine(noteRequiredUnless('APPROVE'));
export const confirmBody = z.strictObject({ instrumentsHash: z.string().regex(/^[0-9a-f]{64}$/, 'must be the instrumentsHash of GET /v1/enrollments/{id}/voided-instruments-preview') });
export const withdrawBody = z.strictObject({ reason: text(2000).optional() });
export const declineBody = z.strictObject({ reason: text(2000).optional() });
export const acceptBody = z.strictObject({});
export const invitationBody = z.strictObject({ partnerId, program: z.enum(PROGRAMS), note: text(2000).optional() });
export const listQuery = z.strictObject({
  status: z.enum(ENROLLMENT_STATUSES).optional(),
  program: z.enum(PROGRAMS).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(500).optional(),
});

/**
 * In the order a partner meets them (the access matrix's enrollment entries rely on the list coming first and on the
 * partner's actions in this order: test/support/access-matrix-enrollment.ts).
 */
export function enrollmentRoutes(enrollments: EnrollmentClient): RouteDef[] {
  const idParams = z.strictObject({ id: enrollmentId });
  return [
    defineRoute({
      method: 'get',
      path: '/v1/partners/:partnerId/enrollments',
      permission: 'enrollment.read',
      summary: "The partner's enrollments (asked for and invited), newest first, by status and program; another partner's staff are answered 404, as if the partner did not exist.",
      params: z.strictObject({ partnerId }),
      query: listQuery,
      responses: { 200: enrollmentPageSchema },
      problems: [404],
      handler: async ({ principal, params, query }) => ({ status: 200, body: await enrollments.list(principal, params.partnerId, query) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/partners/:partnerId/enrollments',
      permission: 'enrollment.request',
      summary:
        "Ask to join a program: IN_REVIEW for the vendor's review where the program needs one (RESELLER; due in the review SLA's working days), else AWAITING_CONFIRMATION. Refused with 422 enrollment-not-eligible listing every unmet condition (as GET /v1/partners/{partnerId}/eligibility, in the language of Accept-Language); DISTRIBUTOR is joined offline only (422, program-offline-only); another open enrollment into the program → 409 enrollment-already-open; an unsigned agreement in force → 403.",
      params: z.strictObject({ partnerId }),
      body: enrollmentBody,
      responses: { 201: enrollmentSchema },
      problems: [403, 404, 409, 422],
      idempotencyKey: true,
      localized: true,
      handler: async ({ principal, params, body, req, language }) => {
        const view = await enrollments.request(principal, params.partnerId, body, language, idempotencyKeyOf(req));
        return { status: 201, body: view, headers: { Location: `/v1/enrollments/${view.id}` } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/enrollment-invitations',
      permission: 'enrollment.invite',
      summary:
        "Invite a partner into a program: an enrollment INVITED, waiting for the partner until invitationExpiresAt (working days of its calendar; reminded the working day before, EXPIRED after). The partner's eligibility is checked when it accepts, not here; DISTRIBUTOR is joined offline only (422 program-offline-only); another open enrollment of the partner into the program → 409 enrollment-already-open.",
      body: invitationBody,
      responses: { 201: enrollmentSchema },
      problems: [409, 422],
      idempotencyKey: true,
      handler: async ({ principal, body, req }) => {
        const view = await enrollments.invite(principal, body, idempotencyKeyOf(req));
        return { status: 201, body: view, headers: { Location: `/v1/enrollments/${view.id}` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/enrollments/:id',
      permission: 'enrollment.read',
      summary: 'An enrollment: program, status, review due date, the reasons joining was refused, the instruments it voided, history.',
      params: idParams,
      responses: { 200: enrollmentSchema },
      problems: [404],
      handler: async ({ principal, params }) => ({ status: 200, body: await enrollments.get(principal, params.id) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/enrollments/:id/voided-instruments-preview',
      permission: 'enrollment.read',
      summary: 'Exactly the unused vouchers, coupons and stored-value cards joining would void now, and the hash of that list to confirm with.',
      params: idParams,
      responses: { 200: voidedInstrumentsPreviewSchema },
      problems: [404],
      handler: async ({ principal, params }) => ({ status: 200, body: await enrollments.preview(principal, params.id) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/enrollments/:id/review',
      permission: 'enrollment.review',
      summary: 'Decide an enrollment IN_REVIEW: APPROVE (the partner then confirms and joins) or REJECT (with the reason as note).',
      params: idParams,
      body: reviewBody,
      responses: { 200: enrollmentSchema },
      problems: [404, 409, 422],
      handler: async ({ principal, params, body }) => ({ status: 200, body: await enrollments.review(principal, params.id, body) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/enrollments/:id/withdraw',
      permission: 'enrollment.request',
      summary: 'Withdraw an open enrollment (the partner), with an optional reason.',
      params: idParams,
      body: withdrawBody,
      responses: { 200: enrollmentSchema },
      problems: [404, 409, 422],
      handler: async ({ principal, params, body }) => ({ status: 200, body: await enrollments.withdraw(principal, params.id, body.reason) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/enrollments/:id/accept',
      permission: 'enrollment.request',
      summary:
        "Accept an invitation (INVITED, before it expires): every condition is checked as for a request — unmet: 422 enrollment-not-eligible listing every reason, the invitation stays INVITED; else IN_REVIEW where the program needs the vendor's review, else AWAITING_CONFIRMATION. An invitation failed because the partner joined another program → 409 invitation-failed; expired → 409 invitation-expired.",
      params: idParams,
      body: acceptBody,
      responses: { 200: enrollmentSchema },
      problems: [403, 404, 409, 422],
      localized: true,
      handler: async ({ principal, params, language }) => ({ status: 200, body: await enrollments.accept(principal, params.id, language) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/enrollments/:id/decline',
      permission: 'enrollment.request',
      summary: 'Decline an invitation (INVITED), with an optional reason: DECLINED.',
      params: idParams,
      body: declineBody,
      responses: { 200: enrollmentSchema },
      problems: [404, 409, 422],
      handler: async ({ principal, params, body }) => ({ status: 200, body: await enrollments.decline(principal, params.id, body.reason) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/enrollments/:id/confirm',
      permission: 'enrollment.request',
      summary:
        "Join (AWAITING_CONFIRMATION), confirming the preview's instrumentsHash: the conditions are checked again at that moment (unmet: REFUSED_AT_JOINING with every reason); a list changed since the preview → 409 voided-instruments-changed (nothing voided); else JOINED and each listed instrument voided once.",
      params: idParams,
      body: confirmBody,
      responses: { 200: enrollmentSchema },
      problems: [403, 404, 409, 422],
      handler: async ({ principal, params, body }) => ({ status: 200, body: await enrollments.confirm(principal, params.id, body.instrumentsHash) }),
    }),
  ];
}
