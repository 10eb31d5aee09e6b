/**
 * The access-matrix entries of level raises (issue 17 section 6). One open raise per partner and path: OWN (on
 * SOFTWARE at CERTIFIED, support/access-matrix-table.ts MATRIX_PATH) is given what SOFTWARE ADVANCED and CONSULTING_SI
 * MEMBER need, so that its one successful POST asks for SOFTWARE and the raise the reads and the withdrawal share is on
 * CONSULTING_SI (made once; refused withdrawals run first and must leave it as it was, the one allowed withdrawal
 * consumes it, the reads answer either way). The vendor's decisions act on raises of partners of their own, fresh per
 * request: no partner role may decide, so whose raise it is never decides an answer.
 */
import { call, tokenFor } from './app.js';
import type { MatrixTable } from './access-matrix.js';
import { LIST_QUERY, OWN, own, unique } from './access-matrix-table.js';
import { attestExpert, insertExpert } from './experts.js';
import { insertPathCertificate, qualifySoftware } from './path-facts.js';
import type { PrismaClient } from '../../platform/db.js';

export function levelRaiseEntries(base: () => string, prisma: () => PrismaClient): MatrixTable {
  const send = async (token: string, path: string, body: unknown) => {
    const res = await call(base(), 'POST', path, token, body);
    if (res.status >= 300) throw new Error(`setup: POST ${path} answered ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as { id: string };
  };
  let qualified: Promise<void> | undefined;
  /** OWN meets SOFTWARE ADVANCED (2 software certificates, 3 CLOUD_PROFESSIONAL experts) and CONSULTING_SI MEMBER. */
  const ownQualified = () =>
    (qualified ??= (async () => {
      for (let i = 0; i < 3; i++) await attestExpert(prisma(), OWN, await insertExpert(prisma(), OWN, { employeeId: unique('MXLR') }));
      for (let i = 0; i < 2; i++) await insertPathCertificate(prisma(), OWN);
      await insertPathCertificate(prisma(), OWN, 'ROLE_CONSULTING');
    })());
  let shared: Promise<{ id: string }> | undefined;
  const ownRaise = () =>
    (shared ??= ownQualified().then(async () => send(await tokenFor(['partner_admin'], OWN, 'matrix-setup-partner'), `/v1/partners/${OWN}/level-raises`, { pathId: 'CONSULTING_SI' })));
  /** A SUBMITTED raise of a partner of its own (to CERTIFIED on SOFTWARE). */
  const othersRaise = async () => {
    const partnerId = unique('P-mx-lr');
    await qualifySoftware(prisma(), partnerId, 'CERTIFIED');
    return send(await tokenFor(['partner_admin'], partnerId, `${partnerId}-owner`), `/v1/partners/${partnerId}/level-raises`, { pathId: 'SOFTWARE' });
  };
  const byOwnId = { success: 200, partnerOwned: true, partnerInPath: true } as const;
  return {
    'POST /v1/partners/:partnerId/level-raises': {
      success: 201,
      partnerOwned: true,
      partnerInPath: true,
      request: async (_, fx) => (await ownQualified(), { params: own(fx), body: { pathId: 'SOFTWARE' } }),
    },
    'GET /v1/partners/:partnerId/level-raises': { success: 200, partnerOwned: true, partnerInPath: true, request: async (_, fx) => (await ownRaise(), { params: own(fx), query: LIST_QUERY }) },
    'GET /v1/level-raises/:id': { ...byOwnId, request: async () => ({ params: { id: (await ownRaise()).id } }) },
    'POST /v1/level-raises/:id/withdraw': { ...byOwnId, request: async () => ({ params: { id: (await ownRaise()).id }, body: { reason: 'access matrix' } }) },
    'POST /v1/level-raises/:id/review': { success: 200, partnerOwned: false, request: async () => ({ params: { id: (await othersRaise()).id }, body: { decision: 'REJECT', note: 'access matrix' } }) },
  };
}
