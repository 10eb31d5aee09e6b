/**
 * The only door from the HTTP layer into agreements: publishes a version (update-with-start `published` of its
 * workflow), records a partner's signature (an append-only row: the gate reads it, so it is written here at once, not
 * through the workflow) and reads versions, signatures and the partner's contracting entities.
 */
import { createHash, randomUUID } from 'node:crypto';
import { type Client, WithStartWorkflowOperation, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { AGREEMENT_ZONE, signByInstant } from '../../domain/agreement.js';
import { canSeePartner, type Principal } from '../../domain/auth.js';
import { problems } from '../../domain/problems.js';
import type { Prisma, PrismaClient } from '../../prisma/generated/client.js';
import {
  AGREEMENT_SIGNED_TOPIC,
  AGREEMENT_WORKFLOW,
  type AgreementStatus,
  agreementMessageKey,
  agreementWorkflowId,
  published,
} from '../../workflows/agreement/contract.js';
import type { agreementWorkflow } from '../../workflows/agreement/workflow.js';
import { ProcessDeadline, ProcessStatus } from '../../workflows/kit/search-attributes.js';
import { reserveIdempotentId } from '../kit/idempotency.js';
import { announceFromApi } from '../../platform/outbox-dispatch.js';
import { isUuid } from '../kit/validation.js';
import type { AgreementSignatureView, AgreementSummary, AgreementView, ContractingEntitiesView } from './schemas.js';

export type PublishRequest = { contractingEntity: string; text: string; textSha256: string; effectiveDate: string; signByDate: string };

export type AgreementClientDeps = { temporal: Client; prisma: PrismaClient; taskQueue: string; now?: () => Date };

const INCLUDE = { events: { orderBy: { seq: 'asc' } } } as const satisfies Prisma.AgreementInclude;
type Row = Prisma.AgreementGetPayload<{ include: typeof INCLUDE }>;

const dateOf = (d: Date) => d.toISOString().slice(0, 10);
/** Today in the contracting zone. */
const todayIn = (at: Date) => new Intl.DateTimeFormat('en-CA', { timeZone: AGREEMENT_ZONE }).format(at);

export function createAgreementClient({ temporal, prisma, taskQueue, now = () => new Date() }: AgreementClientDeps) {
  const find = (id: string) => (isUuid(id) ? prisma.agreement.findUnique({ where: { id: id.toLowerCase() }, include: INCLUDE }) : Promise.resolve(null));
  async function found(id: string): Promise<Row> {
    const row = await find(id);
    if (!row) throw problems.notFound(`Agreement ${id}`);
    return row;
  }

  return {
    /** Publishes a version for every partner: refused (422, nothing started) for a hash that is not the text's or a past date. */
    async publish(principal: Principal, body: PublishRequest, idempotencyKey?: string): Promise<AgreementView> {
      const hash = createHash('sha256').update(body.text, 'utf8').digest('hex');
      if (hash !== body.textSha256.toLowerCase()) throw problems.unprocessable('agreement-text-hash-mismatch', `textSha256 is not the SHA-256 of text (${hash}).`, 'textSha256');
      const today = todayIn(now());
      for (const field of ['effectiveDate', 'signByDate'] as const) {
        if (body[field] < today) throw problems.unprocessable('agreement-date-past', `${field} ${body[field]} is before today (${today}, ${AGREEMENT_ZONE}).`, field);
      }
      const id = idempotencyKey ? await reserveIdempotentId(prisma, `${principal.sub} POST /v1/agreements`, idempotencyKey, body) : randomUUID();
      try {
        await temporal.workflow.executeUpdateWithStart(published, {
          startWorkflowOperation: new WithStartWorkflowOperation<typeof agreementWorkflow>(AGREEMENT_WORKFLOW, {
            workflowId: agreementWorkflowId(id),
            taskQueue,
            args: [{ agreementId: id, ...body, textSha256: hash, publishedBy: principal.sub }],
            workflowIdConflictPolicy: 'USE_EXISTING',
            workflowIdReusePolicy: 'REJECT_DUPLICATE',
            typedSearchAttributes: [
              { key: ProcessStatus, value: 'SIGNING' },
              { key: ProcessDeadline, value: new Date(signByInstant(body.signByDate)) },
            ],
          }),
        });
      } catch (error) {
        // A retry after the workflow already ended: the first result stands.
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      }
      return viewOf(await found(id), null);
    },

    async list(): Promise<{ items: AgreementSummary[] }> {
      const rows = await prisma.agreement.findMany({ include: INCLUDE, orderBy: { version: 'desc' } });
      return { items: rows.map(summaryOf) };
    },

    /** A version with its text; a partner's caller sees its own partner's signature. */
    async get(principal: Principal, id: string): Promise<AgreementView> {
      const row = await found(id);
      const signature = principal.partnerId
        ? await prisma.agreementSignature.findUnique({ where: { agreementId_partnerId: { agreementId: row.id, partnerId: principal.partnerId } } })
        : null;
      return viewOf(row, signature);
    },

    /**
     * The partner's administrator signs the version it was shown (`textSha256`): once — a second signature answers the
     * first — and only that text (another hash → 409 agreement-text-mismatch, nothing written). The row and its
     * `agreement.signed` message are written in one transaction; the message's relay starts once it has committed.
     */
    async sign(principal: Principal, partnerId: string, id: string, textSha256: string): Promise<AgreementSignatureView> {
      if (principal.partnerId !== partnerId) throw problems.notFound(`Partner ${partnerId}`);
      const row = await found(id);
      if (textSha256.toLowerCase() !== row.textSha256) {
        throw problems.conflict('agreement-text-mismatch', `The text you were shown is not version ${row.version}'s (its SHA-256 is ${row.textSha256}); read it again and sign that.`, {
          agreementId: row.id,
          version: row.version,
          textSha256: row.textSha256,
        });
      }
      const signedAt = now();
      const signature = await prisma.$transaction(async (tx) => {
        await tx.agreementSignature.createMany({
          data: [{ agreementId: row.id, partnerId, version: row.version, textSha256: row.textSha256, signedBy: principal.sub, signedAt }],
          skipDuplicates: true,
        });
        const signed = await tx.agreementSignature.findUniqueOrThrow({ where: { agreementId_partnerId: { agreementId: row.id, partnerId } } });
        const dedupeKey = agreementMessageKey(AGREEMENT_SIGNED_TOPIC, row.id, partnerId);
        const payload = { partnerId, agreementId: row.id, version: row.version, contractingEntity: row.contractingEntity, textSha256: row.textSha256, signedBy: signed.signedBy, signedAt: signed.signedAt.toISOString() };
        await tx.outbox.createMany({ data: [{ topic: AGREEMENT_SIGNED_TOPIC, aggregateId: row.id, dedupeKey, payload, dueAt: signed.signedAt }], skipDuplicates: true });
        return signed;
      });
      await announceFromApi(prisma, temporal, taskQueue, [agreementMessageKey(AGREEMENT_SIGNED_TOPIC, row.id, partnerId)]);
      return signatureOf(signature);
    },

    /** From which date the partner's contracting entity is which: every version, oldest first, and its signature. */
    async contractingEntities(principal: Principal, partnerId: string): Promise<ContractingEntitiesView> {
      if (!canSeePartner(principal, partnerId, 'agreement.readAll')) throw problems.notFound(`Partner ${partnerId}`);
      const at = now();
      const rows = await prisma.agreement.findMany({ orderBy: [{ effectiveAt: 'asc' }, { version: 'asc' }], include: { signatures: { where: { partnerId } } } });
      const inForce = rows.filter((r) => r.effectiveAt <= at).at(-1)?.id;
      return {
        partnerId,
        items: rows.map((r) => {
          const s = r.signatures[0];
          return {
            agreementId: r.id,
            version: r.version,
            contractingEntity: r.contractingEntity,
            effectiveDate: dateOf(r.effectiveDate),
            signByDate: dateOf(r.signByDate),
            inForce: r.id === inForce,
            signed: s !== undefined,
            signedAt: s ? s.signedAt.toISOString() : null,
            signedBy: s ? s.signedBy : null,
          };
        }),
      };
    },
  };
}

export type AgreementClient = ReturnType<typeof createAgreementClient>;

function summaryOf(row: Row): AgreementSummary {
  return {
    id: row.id,
    version: row.version,
    contractingEntity: row.contractingEntity,
    textSha256: row.textSha256,
    effectiveDate: dateOf(row.effectiveDate),
    effectiveAt: row.effectiveAt.toISOString(),
    signByDate: dateOf(row.signByDate),
    signByAt: row.signByAt.toISOString(),
    status: (row.events.at(-1)?.toStatus ?? 'SIGNING') as AgreementStatus,
    publishedBy: row.publishedBy,
    publishedAt: row.publishedAt.toISOString(),
  };
}

function viewOf(row: Row, signature: Parameters<typeof signatureOf>[0] | null): AgreementView {
  return {
    ...summaryOf(row),
    text: row.text,
    signature: signature ? (({ agreementId: _, ...s }) => s)(signatureOf(signature)) : null,
    history: row.events.map((e) => ({
      seq: e.seq,
      type: e.type as AgreementView['history'][number]['type'],
      fromStatus: e.fromStatus as AgreementStatus | null,
      toStatus: e.toStatus as AgreementStatus,
      actor: e.actor,
      at: e.at.toISOString(),
      data: e.data as Record<string, unknown> | null,
    })),
  };
}

function signatureOf(s: { agreementId: string; partnerId: string; version: number; textSha256: string; signedBy: string; signedAt: Date }): AgreementSignatureView {
  return { agreementId: s.agreementId, partnerId: s.partnerId, version: s.version, textSha256: s.textSha256, signedBy: s.signedBy, signedAt: s.signedAt.toISOString() };
}
