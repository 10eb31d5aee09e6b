/**
 * The access-matrix entries of agreements (issue 17 section 5). Every version the matrix publishes takes effect in
 * 2099, so none is ever in force and no other route of the matrix meets the gate. The reads and the signature act on
 * one version published once (signing it again answers the first signature, so every allowed call succeeds alike).
 */
import { randomUUID } from 'node:crypto';
import { call, tokenFor } from './app.js';
import type { MatrixTable } from './access-matrix.js';
import { own } from './access-matrix-table.js';
import { sha256 } from './agreement.js';

/** A body that publishes a fresh version taking effect in 2099. */
export const agreementBody = () => {
  const text = `Access matrix agreement ${randomUUID()}`;
  return { contractingEntity: 'Matrix Entity Ltd.', text, textSha256: sha256(text), effectiveDate: '2099-01-01', signByDate: '2098-12-01' };
};

export function agreementEntries(base: () => string): MatrixTable {
  let shared: Promise<{ id: string; textSha256: string }> | undefined;
  const agreement = () =>
    (shared ??= (async () => {
      const res = await call(base(), 'POST', '/v1/agreements', await tokenFor(['vendor_admin'], undefined, 'matrix-setup-vendor'), agreementBody());
      if (res.status !== 201) throw new Error(`setup: POST /v1/agreements answered ${res.status} ${JSON.stringify(res.body)}`);
      return res.body as { id: string; textSha256: string };
    })());
  return {
    'POST /v1/agreements': { success: 201, partnerOwned: false, request: () => ({ body: agreementBody() }) },
    'GET /v1/agreements': { success: 200, partnerOwned: false, request: async () => (await agreement(), {}) },
    'GET /v1/agreements/:id': { success: 200, partnerOwned: false, request: async () => ({ params: { id: (await agreement()).id } }) },
    'POST /v1/partners/:partnerId/agreements/:id/signature': {
      success: 200,
      partnerOwned: true,
      partnerInPath: true,
      request: async (_, fx) => {
        const a = await agreement();
        return { params: own(fx, { id: a.id }), body: { textSha256: a.textSha256 } };
      },
    },
    'GET /v1/partners/:partnerId/contracting-entities': { success: 200, partnerOwned: true, partnerInPath: true, request: async (_, fx) => (await agreement(), { params: own(fx) }) },
  };
}
