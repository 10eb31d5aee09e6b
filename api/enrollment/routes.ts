/** HTTP routes of enrollments (joining a program; 成为云经销商). Validation here; behaviour in the workflow. */
import { z } from 'zod';
import { PROGRAMS } from '../../domain/account.js';
import { languageOf } from '../../domain/eligibility-messages.js';
import { ENROLLMENT_DECISIONS } from '../../workflows/enrollment/contract.js';
import { defineRoute, type RouteDef } from '../kit/http.js';
import { noteRequiredUnless, optionalNote } from '../kit/reviewed-application-routes.js';
import { idempotencyKeyOf, partnerId, text } from '../kit/validation.js';
import type { EnrollmentClient } from './client.js';
import { enrollmentSchema, voidedInstrumentsPreviewSchema } from './schemas.js';

const enrollmentId = z.string().uuid('must be an enrollment id (UUID)');

export const enrollmentBody = z.strictObject({ program: z.enum(PROGRAMS) });
export const reviewBody = z.strictObject({ decision: z.enum(ENROLLMENT_DECISIONS), note: optionalNote }).superRefine(noteRequiredUnless('APPROVE'));
export const confirmBody = z.strictObject({ instrumentsHash: z.string().regex(/^[0-9a-f]{64}$/, 'must be the instrumentsHash of GET /v1/enrollments/{id}/voided-instruments-preview') });
export const withdrawBody = z.strictObject({ reason: text(2000).optional() });

export function enrollmentRoutes(enrollments: EnrollmentClient): RouteDef[] {
  const language = (req: { get: (name: string) => string | undefined }) => languageOf(req.get('accept-language'));
  const idParams = z.strictObject({ id: enrollmentId });
  return [
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
      handler: async ({ principal, params, body, req }) => {
        const view = await enrollments.request(principal, params.partnerId, body, language(req), idempotencyKeyOf(req));
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
  ];
}
