/**
 * Agreement persistence (workflows/agreement/workflow.ts). Every activity is idempotent: a retry finds its own earlier
 * write and does nothing more. Business times come in as arguments (workflow time).
 *
 * One workflow serves every partner of a version, so its messages are fanned out set-based: one keyset page of
 * partners (AGREEMENT_FANOUT_BATCH) per activity, one multi-row outbox insert, each message unique by its dedupe key
 * (topic, version, partner, reminder). A partner that signed between two pages is simply not in the later ones.
 */
import { agreementReminders, effectiveInstant, signByInstant } from '../domain/agreement.js';
import type { PrismaClient } from '../platform/db.js';
import type { Prisma } from '../prisma/generated/client.js';
import {
  AGREEMENT_FANOUT_BATCH,
  type AgreementFanOut,
  type AgreementInput,
  type AgreementPublication,
  type AgreementStatus,
  agreementMessageKey,
} from '../workflows/agreement/contract.js';

export type AgreementTransitionRecord = {
  agreementId: string;
  seq: number;
  type: 'SIGN_REMINDERS_SENT' | 'SIGN_BY_ESCALATED';
  fromStatus: AgreementStatus;
  toStatus: AgreementStatus;
  at: string;
  data?: Record<string, unknown>;
};

export type AgreementFanOutPage = AgreementFanOut & { agreementId: string; dueAt: string; after?: string };

export type AgreementActivityDeps = { prisma: PrismaClient };

export function createAgreementActivities({ prisma }: AgreementActivityDeps) {
  return {
    /**
     * Records the version (numbered after the latest one: two racing publications collide on the unique version and
     * the loser's retry takes the next number) and its first history row. A retry after the commit finds the row.
     */
    async recordAgreementPublished(input: AgreementInput & { publishedAt: string }): Promise<AgreementPublication> {
      const effectiveAt = effectiveInstant(input.effectiveDate);
      const signByAt = signByInstant(input.signByDate);
      return prisma.$transaction(async (tx) => {
        const existing = await tx.agreement.findUnique({ where: { id: input.agreementId } });
        if (existing) return publicationOf(existing);
        const latest = await tx.agreement.aggregate({ _max: { version: true } });
        const row = await tx.agreement.create({
          data: {
            id: input.agreementId,
            version: (latest._max.version ?? 0) + 1,
            contractingEntity: input.contractingEntity,
            text: input.text,
            textSha256: input.textSha256,
            effectiveDate: new Date(`${input.effectiveDate}T00:00:00Z`),
            effectiveAt: new Date(effectiveAt),
            signByDate: new Date(`${input.signByDate}T00:00:00Z`),
            signByAt: new Date(signByAt),
            publishedBy: input.publishedBy,
            publishedAt: new Date(input.publishedAt),
          },
        });
        await tx.agreementEvent.create({
          data: {
            agreementId: row.id,
            seq: 1,
            type: 'PUBLISHED',
            toStatus: 'SIGNING',
            actor: input.publishedBy,
            at: row.publishedAt,
            data: { version: row.version, effectiveAt, signByAt, reminders: agreementReminders(signByAt, input.publishedAt) },
          },
        });
        return publicationOf(row);
      });
    },

    /**
     * One page of the fan-out: the next AGREEMENT_FANOUT_BATCH partners after `after` (every partner with a member, or
     * only those without a signature of the version), one message each. Answers the dedupe keys it appended (to
     * announce) and where the next page starts (none: done).
     */
    async fanOutAgreementMessages(page: AgreementFanOutPage): Promise<{ dedupeKeys: string[]; next?: string }> {
      const agreement = await prisma.agreement.findUniqueOrThrow({ where: { id: page.agreementId } });
      const unsignedOnly = page.to === 'unsigned';
      const rows = await prisma.$queryRaw<{ partner_id: string }[]>`
        SELECT DISTINCT m.partner_id FROM partner_member m
        WHERE m.partner_id > ${page.after ?? ''}
          AND (NOT ${unsignedOnly} OR NOT EXISTS (
            SELECT 1 FROM agreement_signature s WHERE s.agreement_id = ${agreement.id}::uuid AND s.partner_id = m.partner_id))
        ORDER BY m.partner_id LIMIT ${AGREEMENT_FANOUT_BATCH}`;
      const about = {
        agreementId: agreement.id,
        version: agreement.version,
        contractingEntity: agreement.contractingEntity,
        textSha256: agreement.textSha256,
        effectiveDate: dateOf(agreement.effectiveDate),
        signByDate: dateOf(agreement.signByDate),
        signByAt: agreement.signByAt.toISOString(),
        ...(page.daysBefore !== undefined ? { daysBefore: page.daysBefore } : {}),
      };
      const messages = rows.map((r) => ({
        topic: page.topic,
        aggregateId: agreement.id,
        dedupeKey: agreementMessageKey(page.topic, agreement.id, r.partner_id, page.daysBefore),
        payload: { partnerId: r.partner_id, ...about } as Prisma.InputJsonValue,
        dueAt: new Date(page.dueAt),
      }));
      if (messages.length > 0) await prisma.outbox.createMany({ data: messages, skipDuplicates: true });
      return { dedupeKeys: messages.map((m) => m.dedupeKey), ...(rows.length === AGREEMENT_FANOUT_BATCH ? { next: rows.at(-1)!.partner_id } : {}) };
    },

    /** The workflow's later transitions, once each (unique on agreement and seq). */
    async recordAgreementTransition(t: AgreementTransitionRecord): Promise<void> {
      await prisma.agreementEvent.createMany({
        data: [{ agreementId: t.agreementId, seq: t.seq, type: t.type, fromStatus: t.fromStatus, toStatus: t.toStatus, actor: 'system', at: new Date(t.at), ...(t.data ? { data: t.data as Prisma.InputJsonValue } : {}) }],
        skipDuplicates: true,
      });
    },
  };
}

const dateOf = (d: Date) => d.toISOString().slice(0, 10);

function publicationOf(row: { version: number; publishedAt: Date; effectiveAt: Date; signByAt: Date }): AgreementPublication {
  return { version: row.version, publishedAt: row.publishedAt.toISOString(), effectiveAt: row.effectiveAt.toISOString(), signByAt: row.signByAt.toISOString(), seq: 1 };
}
