/** HTTP routes of agreements with a contracting entity (签署新签约主体的协议). Validation here; behaviour in the client. */
import { z } from 'zod';
import { defineRoute, type RouteDef } from '../kit/http.js';
import { idempotencyKeyOf, localDate, partnerId, text } from '../kit/validation.js';
import type { AgreementClient } from './client.js';
import { agreementPageSchema, agreementSchema, agreementSignatureSchema, contractingEntitiesSchema } from './schemas.js';

const agreementId = z.string().uuid('must be an agreement id (UUID)');
const sha256 = z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be a SHA-256 in hex (64 characters)');

export const publishBody = z.strictObject({
  contractingEntity: text(200),
  text: text(200_000),
  textSha256: sha256,
  effectiveDate: localDate,
  signByDate: localDate,
});
export const signBody = z.strictObject({ textSha256: sha256 });

export function agreementRoutes(agreements: AgreementClient): RouteDef[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/agreements',
      permission: 'agreement.publish',
      summary:
        'Publish an agreement version for every partner: contracting entity, text and its SHA-256 (422 agreement-text-hash-mismatch otherwise), effective date and sign-by date (not before today, Asia/Shanghai). Never changed once published.',
      body: publishBody,
      responses: { 201: agreementSchema },
      problems: [422],
      idempotencyKey: true,
      handler: async ({ principal, body, req }) => {
        const view = await agreements.publish(principal, body, idempotencyKeyOf(req));
        return { status: 201, body: view, headers: { Location: `/v1/agreements/${view.id}` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/agreements',
      permission: 'agreement.read',
      summary: 'Every agreement version, newest first (one catalog for all partners).',
      responses: { 200: agreementPageSchema },
      handler: async () => ({ status: 200, body: await agreements.list() }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/agreements/:id',
      permission: 'agreement.read',
      summary: "An agreement version with its text and SHA-256, the calling partner's signature and its history.",
      params: z.strictObject({ id: agreementId }),
      responses: { 200: agreementSchema },
      problems: [404],
      handler: async ({ principal, params }) => ({ status: 200, body: await agreements.get(principal, params.id) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/partners/:partnerId/agreements/:id/signature',
      permission: 'agreement.sign',
      summary:
        "Sign an agreement version for the partner, naming the SHA-256 of the text read: once (signing again answers the first signature); another hash → 409 agreement-text-mismatch. Who, when, version and hash are never changed.",
      params: z.strictObject({ partnerId, id: agreementId }),
      body: signBody,
      responses: { 200: agreementSignatureSchema },
      problems: [404, 409],
      handler: async ({ principal, params, body }) => ({ status: 200, body: await agreements.sign(principal, params.partnerId, params.id, body.textSha256) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/partners/:partnerId/contracting-entities',
      permission: 'agreement.read',
      summary: "From which date the partner's contracting entity is which (every agreement version, oldest first, the one in force marked) and whether the partner signed each.",
      params: z.strictObject({ partnerId }),
      responses: { 200: contractingEntitiesSchema },
      problems: [404],
      handler: async ({ principal, params }) => ({ status: 200, body: await agreements.contractingEntities(principal, params.partnerId) }),
    }),
  ];
}
