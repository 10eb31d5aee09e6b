/**
 * The agreement gate (issue 17 section 5): from the effective date of the agreement version in force, a partner that
 * has not signed it is refused the gated actions — accepting opportunities, applying for project specialists, asking
 * for a level raise, and (later) joining programs and the money actions. Every gated route's client calls
 * `requireSignedAgreement` before anything starts; a later process adds one line.
 *
 * One indexed statement: the latest version whose effective instant has come, of two the same day the later published
 * (agreement_effective_at_version_idx, LIMIT 1), and
 * whether this partner signed it (agreement_signature's unique (agreement_id, partner_id)). It sits on the opportunity
 * accept's hot path (test/hot-path.test.ts counts it).
 */
import { Problem } from '../domain/problems.js';
import type { Prisma, PrismaClient } from '../prisma/generated/client.js';

type Db = PrismaClient | Prisma.TransactionClient;

/** The version in force at `at` that `partnerId` has not signed, if any. */
export async function unsignedAgreementInForce(db: Db, partnerId: string, at: Date) {
  const rows = await db.$queryRaw<{ id: string; version: number; contracting_entity: string; effective_date: Date; signed: boolean }[]>`
    SELECT a.id, a.version, a.contracting_entity, a.effective_date,
           EXISTS (SELECT 1 FROM agreement_signature s WHERE s.agreement_id = a.id AND s.partner_id = ${partnerId}) AS signed
    FROM (SELECT id, version, contracting_entity, effective_date FROM agreement WHERE effective_at <= ${at} ORDER BY effective_at DESC, version DESC LIMIT 1) a`;
  const row = rows[0];
  if (!row || row.signed) return undefined;
  return { agreementId: row.id, version: row.version, contractingEntity: row.contracting_entity, effectiveDate: row.effective_date.toISOString().slice(0, 10) };
}

/** 403 `agreement-signature-required`, naming the agreement, version and effective date. */
export const signatureRequired = (a: { agreementId: string; version: number; contractingEntity: string; effectiveDate: string }) =>
  new Problem(
    403,
    'agreement-signature-required',
    'The partner must sign the agreement in force',
    `Agreement ${a.agreementId} (version ${a.version}, contracting entity ${a.contractingEntity}) is in force since ${a.effectiveDate} and has not been signed by the partner; its administrator signs it with POST /v1/partners/{partnerId}/agreements/${a.agreementId}/signature.`,
    undefined,
    { agreementId: a.agreementId, version: a.version, effectiveDate: a.effectiveDate, contractingEntity: a.contractingEntity },
  );

/** Refuses a gated action of `partnerId` at `at` unless it signed the version in force (or none is in force yet). */
export async function requireSignedAgreement(db: Db, partnerId: string, at: Date = new Date()): Promise<void> {
  const unsigned = await unsignedAgreementInForce(db, partnerId, at);
  if (unsigned) throw signatureRequired(unsigned);
}
