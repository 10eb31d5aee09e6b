/**
 * HTTP routes of a partner's experts registry, and the vendor's attestation of an expert's facts. Rules in
 * api/experts/client.ts; incentive rules in domain/incentive-rules.ts.
 */
import { z } from 'zod';
import { CERTIFICATION_TYPES } from '../../domain/incentive-rules.js';
import type { ExpertsClient } from './client.js';
import { defineRoute, type RouteDef } from '../kit/http.js';
import { expertListSchema, expertSchema } from './schemas.js';
import { idempotencyKeyOf, localDate, partnerId, text } from '../kit/validation.js';

const certificationType = z.enum(CERTIFICATION_TYPES as [string, ...string[]], {
  error: `unknown certification type; known types: ${CERTIFICATION_TYPES.join(', ')}`,
});
const certification = z
  .strictObject({ type: certificationType, validFrom: localDate, validTo: localDate })
  .refine((c) => c.validFrom <= c.validTo, { message: 'must be on or after validFrom', path: ['validTo'] });
const certifications = z.array(certification).max(50);

const partnerParams = z.strictObject({ partnerId });
const expertParams = z.strictObject({ partnerId, expertId: z.uuid('must be an expert id (UUID)') });

/** fullTime true needs its since-date; fullTime false takes none. */
const fullTimeRule = (b: { fullTime?: boolean | undefined; fullTimeSince?: string | undefined }, ctx: z.RefinementCtx) => {
  if (b.fullTime === true && b.fullTimeSince === undefined) {
    ctx.addIssue({ code: 'custom', path: ['fullTimeSince'], message: 'required when fullTime is true: the local date full-time status began' });
  }
  if (b.fullTime === false && b.fullTimeSince !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['fullTimeSince'], message: 'only with fullTime: true' });
  }
};

export const newExpertBody = z
  .strictObject({
    employeeId: text(64),
    name: text(200),
    fullTime: z.boolean(),
    fullTimeSince: localDate.optional(),
    // registeredOn is not taken: the server stamps it (a body that sends it is refused, naming it).
    certifications: certifications.default([]),
  })
  .superRefine(fullTimeRule);

export const expertChangeBody = z
  .strictObject({
    name: text(200).optional(),
    fullTime: z.boolean().optional(),
    fullTimeSince: localDate.optional(),
    certifications: certifications.optional(),
    active: z.boolean().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'name at least one of name, fullTime, fullTimeSince, certifications, active')
  .superRefine(fullTimeRule);

export const attestationBody = z
  .strictObject({
    fullTimeSince: localDate.optional().describe('attests full-time status since this local date, as the expert record has it now'),
    certifications: certifications.min(1).optional().describe('attests each of these certifications, as the expert record has it now'),
  })
  .refine((b) => b.fullTimeSince !== undefined || b.certifications !== undefined, 'name at least one of fullTimeSince, certifications');

const listQuery = z.strictObject({ active: z.enum(['true', 'false']).optional() });

export function expertRoutes(experts: ExpertsClient): RouteDef[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/partners/:partnerId/experts',
      permission: 'expert.manage',
      summary: "The partner's experts with their certifications (?active=true|false filters).",
      params: partnerParams,
      query: listQuery,
      responses: { 200: expertListSchema },
      problems: [404],
      handler: async ({ principal, params, query }) => ({
        status: 200,
        body: await experts.listExperts(principal, params.partnerId, query.active === undefined ? {} : { active: query.active === 'true' }),
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/partners/:partnerId/experts',
      permission: 'expert.manage',
      summary: 'Register an expert (registeredOn: the day of the request, stamped by the server); the employee id is unique per partner (409). Its full-time status and certifications count once the vendor attests them.',
      params: partnerParams,
      body: newExpertBody,
      responses: { 201: expertSchema },
      problems: [404, 409, 422],
      idempotencyKey: true,
      handler: async ({ principal, params, body, req }) => {
        const expert = await experts.createExpert(principal, params.partnerId, body, idempotencyKeyOf(req));
        return { status: 201, body: expert, headers: { Location: `/v1/partners/${params.partnerId}/experts/${expert.id}` } };
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/v1/partners/:partnerId/experts/:expertId',
      permission: 'expert.manage',
      summary:
        "Change an expert's name, full-time status, certifications (the whole set), or deactivate / reactivate it; every change is kept in its history. A changed full-time status or certification is unattested again.",
      params: expertParams,
      body: expertChangeBody,
      responses: { 200: expertSchema },
      problems: [404, 409, 422],
      handler: async ({ principal, params, body }) => ({
        status: 200,
        body: await experts.updateExpert(principal, params.partnerId, params.expertId, body),
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/partners/:partnerId/experts/:expertId/attestation',
      permission: 'expert.attest',
      summary:
        "The vendor attests an expert's full-time status and/or certifications, each exactly as the record has it now (409 expert-changed naming what differs); only attested facts count in the incentive, certification prerequisites and path requirements.",
      params: expertParams,
      body: attestationBody,
      responses: { 200: expertSchema },
      problems: [404, 409],
      handler: async ({ principal, params, body }) => ({
        status: 200,
        body: await experts.attestExpert(principal, params.partnerId, params.expertId, body),
      }),
    }),
  ];
}
