/**
 * The only door from the HTTP layer into unlinks (解除关联): previews (what would happen, every reason it would be
 * refused, the hash to confirm), starts an unlink's workflow (update-with-start `create`) for the partner or the
 * customer, sends the other side's objection, and reads the read model (customer_unlink, customer_unlink_event).
 * Refunds fed by billing are recorded here too (api/unlink/refunds.ts).
 *
 * A request is judged here before anything starts — the customer associated with the partner (else 404 for the
 * partner, 409 customer-not-associated for the customer), no unlink of it in its window (409 unlink-already-open),
 * every reason (422 customer-not-unlinkable, in the request's language), the preview's hash (409
 * unlink-preview-changed with the current hash) — and judged again by the request's activity in the transaction that
 * records it, because facts change meanwhile.
 */
import { randomUUID } from 'node:crypto';
import { type ApplicationFailure, type Client, WithStartWorkflowOperation, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { canSeePartner, type Principal } from '../../domain/auth.js';
import type { CalendarLookup } from '../../domain/calendar.js';
import type { Language } from '../../domain/eligibility-messages.js';
import { Problem, problems } from '../../domain/problems.js';
import { describeUnlinkUnmet, otherSide, unlinkConsequences, type UnlinkSide, type UnlinkTerms, unlinkTermsOf, type UnlinkUnmet } from '../../domain/unlink.js';
import { databaseCalendarLookup } from '../../platform/calendars.js';
import { announceFromApi } from '../../platform/outbox-dispatch.js';
import { type OpenAssociation, openAssociationOf, openUnlinkOf, unlinkPlan } from '../../platform/unlink.js';
import type { PrismaClient } from '../../prisma/generated/client.js';
import { PartnerId, ProcessStatus } from '../../workflows/kit/search-attributes.js';
import { create, object, Refusal, UNLINK_WORKFLOW, type UnlinkActor, unlinkWorkflowId } from '../../workflows/unlink/contract.js';
import type { unlinkWorkflow } from '../../workflows/unlink/workflow.js';
import { reserveIdempotency, reserveIdempotentId } from '../kit/idempotency.js';
import { refusals } from '../kit/refusals.js';
import { findUnlink, type UnlinkRow, unlinkView } from './read.js';
import { type RefundInput, recordRefunds } from './refunds.js';

/** Every reason, each as a field error on previewHash and in `unmet` with its message and remedy in `language`. */
export function notUnlinkableProblem(unmet: UnlinkUnmet[], language: Language): Problem {
  const described = unmet.map((u) => describeUnlinkUnmet(u, language));
  const errors = described.map((u) => ({ field: 'customerId', message: `${u.code}: ${u.message}` }));
  return new Problem(422, 'customer-not-unlinkable', 'The request cannot be processed', `The customer cannot be unlinked now: ${unmet.map((u) => u.code).join(', ')}.`, errors, { language, unmet: described });
}
const previewChanged = (hash: string) =>
  problems.conflict('unlink-preview-changed', 'What the unlink would do changed since the preview: preview it again and confirm that.', { previewHash: hash });

const refusalsIn = (language: Language) =>
  refusals({
    [Refusal.notFound]: { status: 404 },
    [Refusal.notRecorded]: { status: 409, code: 'unlink-not-recorded', retryAfterSeconds: 1 },
    [Refusal.busy]: { status: 409, code: 'action-in-progress', retryAfterSeconds: 1 },
    [Refusal.notAssociated]: { status: 409, code: 'customer-not-associated' },
    [Refusal.alreadyOpen]: { status: 409, code: 'unlink-already-open' },
    [Refusal.previewChanged]: { status: 409, code: 'unlink-preview-changed' },
    [Refusal.ownRequest]: { status: 409, code: 'own-unlink-request' },
    [Refusal.notInWindow]: { status: 409, code: 'not-in-objection-window' },
    [Refusal.notUnlinkable]: { status: 422, problem: (failure: ApplicationFailure) => notUnlinkableProblem((failure.details?.[0] ?? []) as UnlinkUnmet[], language) },
  });

export type UnlinkClientDeps = { temporal: Client; prisma: PrismaClient; taskQueue: string; calendarFor?: CalendarLookup; now?: () => Date; unlinkTerms?: UnlinkTerms };

export function createUnlinkClient({ temporal, prisma, taskQueue, calendarFor = databaseCalendarLookup(prisma), now = () => new Date(), unlinkTerms }: UnlinkClientDeps) {
  const terms = unlinkTerms ?? unlinkTermsOf(process.env);
  const zoneOf = async (partnerId: string) => (await calendarFor(partnerId)).calendar.zone;
  const view = async (row: UnlinkRow) => unlinkView(prisma, row, await zoneOf(row.partnerId));

  /** The association a side may act on: the partner's own customer (else 404), or the customer's own (else 404). */
  async function associationFor(principal: Principal, side: UnlinkSide, partnerId: string | undefined, customerId: string): Promise<OpenAssociation> {
    if (side === 'PARTNER' && principal.partnerId !== partnerId) throw problems.notFound(`Partner ${partnerId}`);
    const association = await openAssociationOf(prisma, customerId);
    if (!association || (side === 'PARTNER' && association.partnerId !== partnerId)) {
      throw side === 'PARTNER' ? problems.notFound(`Customer ${customerId} associated with partner ${partnerId}`) : problems.notFound('An association of your customer account');
    }
    return association;
  }

  async function preview(principal: Principal, side: UnlinkSide, partnerId: string | undefined, customerId: string, language: Language) {
    const association = await associationFor(principal, side, partnerId, customerId);
    const zone = await zoneOf(association.partnerId);
    const plan = await unlinkPlan(prisma, association, now(), zone, terms);
    return {
      partnerId: association.partnerId,
      customerId,
      association: { ...plan.outcome.association, endsAt: language === 'en' ? `at the objection deadline, ${terms.objectionDays} calendar days after the request, if nobody objects` : `申请后 ${terms.objectionDays} 个自然日的异议期截止时（如无异议）` },
      objectionDays: terms.objectionDays,
      objectingSide: otherSide(side),
      reclaim: plan.outcome.reclaim,
      consequences: unlinkConsequences(language),
      unlinkable: plan.unmet.length === 0,
      unmet: plan.unmet.map((u) => describeUnlinkUnmet(u, language)),
      previewHash: plan.hash,
    };
  }

  async function request(principal: Principal, side: UnlinkSide, partnerId: string | undefined, customerId: string, previewHash: string, language: Language, idempotencyKey?: string) {
    const association = await associationFor(principal, side, partnerId, customerId);
    const zone = await zoneOf(association.partnerId);
    const route = side === 'PARTNER' ? `POST /v1/partners/${partnerId}/customers/${customerId}/unlinks` : 'POST /v1/customer/unlinks';
    const id = await prisma.$transaction(async (tx) => {
      const reserved = idempotencyKey ? await reserveIdempotentId(tx, `${principal.sub} ${route}`, idempotencyKey, { previewHash }) : randomUUID();
      // A retry whose unlink exists starts nothing new: the first result stands.
      if (await findUnlink(tx, reserved)) return reserved;
      const open = await openUnlinkOf(tx, customerId);
      if (open) throw problems.conflict('unlink-already-open', `Unlink ${open} of this customer is in its objection window.`, { unlinkId: open });
      const plan = await unlinkPlan(tx, association, now(), zone, terms);
      if (plan.unmet.length) throw notUnlinkableProblem(plan.unmet, language);
      if (plan.hash !== previewHash) throw previewChanged(plan.hash);
      return reserved;
    });
    try {
      await temporal.workflow.executeUpdateWithStart(create, {
        startWorkflowOperation: new WithStartWorkflowOperation<typeof unlinkWorkflow>(UNLINK_WORKFLOW, {
          workflowId: unlinkWorkflowId(id),
          taskQueue,
          args: [{ unlinkId: id, partnerId: association.partnerId, customerId, associationId: association.id, requestedSide: side, requestedBy: principal.sub, previewHash }],
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          typedSearchAttributes: [
            { key: PartnerId, value: association.partnerId },
            { key: ProcessStatus, value: 'OBJECTION_WINDOW' },
          ],
        }),
      });
    } catch (error) {
      const refused = refusalsIn(language).problemOf(error, { what: `Unlink ${id}` });
      if (refused) throw refused;
      // A retry after the workflow already ended: the first result stands.
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
    return view((await findUnlink(prisma, id))!);
  }

  /** The row a principal may see: partner staff their own partner's, the vendor every one, a customer its own. */
  async function visible(principal: Principal, id: string): Promise<UnlinkRow> {
    const row = await findUnlink(prisma, id);
    const sees = row && (principal.customerId !== undefined ? row.customerId === principal.customerId : canSeePartner(principal, row.partnerId, 'account.readAll'));
    if (!row || !sees) throw problems.notFound(`Unlink ${id}`);
    return row;
  }

  async function objectTo(principal: Principal, side: UnlinkSide, id: string, reason: string | undefined) {
    const row = await visible(principal, id);
    // The vendor's staff read every unlink but object for nobody: only the partner's admins or the customer.
    if (side === 'PARTNER' && principal.partnerId !== row.partnerId) throw problems.notFound(`Unlink ${id}`);
    const actor: UnlinkActor = { sub: principal.sub, side, ...(principal.partnerId ? { partnerId: principal.partnerId } : {}), ...(principal.customerId ? { customerId: principal.customerId } : {}) };
    try {
      await temporal.workflow.getHandle(unlinkWorkflowId(id)).executeUpdate(object, { args: [{ actor, ...(reason ? { reason } : {}) }] });
    } catch (error) {
      const refused = refusalsIn('en').problemOf(error, { what: `Unlink ${id}`, conflict: { currentStatus: row.status } });
      if (refused) throw refused;
      if (!(error instanceof WorkflowNotFoundError)) throw error;
      const current = (await findUnlink(prisma, id))!;
      throw problems.conflict('unlink-closed', `The unlink is ${current.status}; nothing more can be done with it.`, { currentStatus: current.status });
    }
    return view((await findUnlink(prisma, id))!);
  }

  return {
    partnerPreview: (principal: Principal, partnerId: string, customerId: string, language: Language) => preview(principal, 'PARTNER', partnerId, customerId, language),
    customerPreview: (principal: Principal, language: Language) => preview(principal, 'CUSTOMER', undefined, principal.customerId!, language),
    partnerRequest: (principal: Principal, partnerId: string, customerId: string, previewHash: string, language: Language, key?: string) => request(principal, 'PARTNER', partnerId, customerId, previewHash, language, key),
    customerRequest: (principal: Principal, previewHash: string, language: Language, key?: string) => request(principal, 'CUSTOMER', undefined, principal.customerId!, previewHash, language, key),
    get: async (principal: Principal, id: string) => view(await visible(principal, id)),
    partnerObject: (principal: Principal, id: string, reason?: string) => objectTo(principal, 'PARTNER', id, reason),
    customerObject: (principal: Principal, id: string, reason?: string) => objectTo(principal, 'CUSTOMER', id, reason),

    /** Billing's refunds of the customer's consumption, each routed once (Idempotency-Key required; all or none). */
    async refunds(principal: Principal, customerId: string, body: { source: string; refunds: RefundInput[] }, idempotencyKey: string | undefined) {
      if (idempotencyKey === undefined) throw problems.validation([{ field: 'Idempotency-Key', message: 'required: a money movement is retried safely only with one' }]);
      const recorded = await prisma.$transaction(async (tx) => {
        await reserveIdempotency(tx, `${principal.sub} POST /v1/customers/${customerId}/refunds`, idempotencyKey, body);
        return recordRefunds(tx, customerId, body.source, body.refunds, principal.sub);
      });
      await announceFromApi(prisma, temporal, taskQueue, recorded.dedupeKeys);
      return { items: recorded.items };
    },
  };
}

export type UnlinkClient = ReturnType<typeof createUnlinkClient>;
