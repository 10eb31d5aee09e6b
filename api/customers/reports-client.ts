/**
 * The only door from the HTTP layer into customer reports (报备): starts a report's workflow (update-with-start
 * `create`), sends its updates (the vendor's review, the partner's invitation and withdrawal, the customer's
 * acceptance) and reads the read model (customer_report, customer_report_event) with SQL.
 *
 * A report is judged here before anything starts — the enterprise in the enterprise records (else 422
 * unknown-enterprise naming creditCode), nobody else protected for it (409 customer-already-reported, never saying
 * who), no open report of this partner for it (409 customer-report-already-open), the partner's open reports under
 * the cap (422 customer-report-cap-reached naming the cap), and every rule of domain/customer-report.ts (422
 * customer-not-reportable with every reason in the request's language) unless the partner asks for manual review —
 * and judged again by the report's activity in the transaction that records it, because facts change meanwhile.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { type ApplicationFailure, type Client, WithStartWorkflowOperation, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { actorOf } from '../../domain/actor.js';
import { canSeePartner, type Principal } from '../../domain/auth.js';
import type { CalendarLookup } from '../../domain/calendar.js';
import { type CustomerReportTerms, customerReportTermsOf, describeReportUnmet, type ReportUnmet } from '../../domain/customer-report.js';
import { accountFacts, enterpriseKnown, openReportCount, protectionOf, reportabilityOf } from '../../platform/customer-queries.js';
import type { Language } from '../../domain/eligibility-messages.js';
import { Problem, problems } from '../../domain/problems.js';
import { requireSignedAgreement } from '../../platform/agreement-gate.js';
import { databaseCalendarLookup } from '../../platform/calendars.js';
import type { PrismaClient } from '../../prisma/generated/client.js';
import {
  accept,
  type AssociationMode,
  create,
  CUSTOMER_REPORT_WORKFLOW,
  type CustomerReportDecision,
  type CustomerReportStatus,
  customerReportWorkflowId,
  invite,
  Refusal,
  review,
  withdraw,
} from '../../workflows/customer-report/contract.js';
import type { customerReportWorkflow } from '../../workflows/customer-report/workflow.js';
import { PartnerId, ProcessStatus } from '../../workflows/kit/search-attributes.js';
import { reserveIdempotentId } from '../kit/idempotency.js';
import { processDoor } from '../kit/process-door.js';
import { refusals } from '../kit/refusals.js';
import { claimCheck } from '../review-queue/claims.js';
import { partnerToday } from '../paths/client.js';
import { associationView } from './facts-client.js';
import { findReport, listReports, type ReportListFilter, type ReportRow, reportView } from './reports-read.js';
import type { CustomerReportView } from './schemas.js';

export type ReportRequest = { creditCode: string; manualReview?: boolean | undefined; justification?: string | undefined };
export type ReviewRequest = { decision: CustomerReportDecision; note?: string | undefined };

/** Every reason, each as a field error on creditCode and in `unmet` with its message and remedy in `language`. */
export function notReportableProblem(unmet: ReportUnmet[], language: Language): Problem {
  const described = unmet.map((u) => describeReportUnmet(u, language));
  const errors = described.map((u) => ({ field: 'creditCode', message: `${u.code}: ${u.message}` }));
  const detail = `The enterprise cannot be reported: ${unmet.map((u) => u.code).join(', ')}. You may ask for manual review instead (manualReview: true with a justification).`;
  return new Problem(422, 'customer-not-reportable', 'The request cannot be processed', detail, errors, { language, unmet: described });
}
const alreadyReported = () => problems.conflict('customer-already-reported', 'The enterprise is already reported and protected for another partner.');
const capReached = (cap: number) =>
  new Problem(422, 'customer-report-cap-reached', 'The request cannot be processed', `At most ${cap} customer reports may be in manual review or protected at once.`, [
    { field: 'creditCode', message: `the partner already has ${cap} open customer reports (the cap)` },
  ], { cap });
const unknownEnterprise = (creditCode: string) =>
  problems.unprocessable('unknown-enterprise', `No enterprise with credit code ${creditCode} is in the enterprise records (GET /v1/enterprises?creditCode=…).`, 'creditCode');

const refusalsIn = (language: Language, cap: number) =>
  refusals({
    [Refusal.notFound]: { status: 404 },
    [Refusal.vendorOnly]: { status: 403 },
    [Refusal.notRecorded]: { status: 409, code: 'customer-report-not-recorded', retryAfterSeconds: 1 },
    [Refusal.busy]: { status: 409, code: 'action-in-progress', retryAfterSeconds: 1 },
    [Refusal.notInReview]: { status: 409, code: 'not-in-review' },
    [Refusal.notProtected]: { status: 409, code: 'customer-report-not-protected' },
    [Refusal.notInvited]: { status: 409, code: 'invitation-not-valid' },
    [Refusal.invitationExpired]: { status: 409, code: 'invitation-expired' },
    [Refusal.customerAssociated]: { status: 409, code: 'customer-already-associated' },
    [Refusal.alreadyReported]: { status: 409, code: 'customer-already-reported' },
    [Refusal.alreadyOpen]: { status: 409, code: 'customer-report-already-open' },
    [Refusal.capReached]: { status: 422, problem: () => capReached(cap) },
    [Refusal.unknownEnterprise]: { status: 422, code: 'unknown-enterprise', field: 'creditCode' },
    [Refusal.notReportable]: { status: 422, problem: (failure: ApplicationFailure) => notReportableProblem((failure.details?.[0] ?? []) as ReportUnmet[], language) },
  });

const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');
/** An invitation token: 32 random bytes (256 bits), base64url. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export type CustomerReportClientDeps = { temporal: Client; prisma: PrismaClient; taskQueue: string; calendarFor?: CalendarLookup; now?: () => Date; customerReportTerms?: CustomerReportTerms };

export function createCustomerReportClient({ temporal, prisma, taskQueue, calendarFor = databaseCalendarLookup(prisma), now = () => new Date(), customerReportTerms }: CustomerReportClientDeps) {
  const terms = customerReportTerms ?? customerReportTermsOf(process.env);
  const run = <T>(sql: string, ...params: unknown[]) => prisma.$queryRawUnsafe<T[]>(sql, ...params);
  const zoneOf = async (partnerId: string) => (await calendarFor(partnerId)).calendar.zone;
  const claims = claimCheck(prisma, 'customer-report');
  const door = processDoor<ReportRow, CustomerReportView>({
    temporal,
    title: 'Customer report',
    noun: 'customer report',
    readAll: 'account.readAll',
    find: (id) => findReport(prisma, id),
    workflowId: customerReportWorkflowId,
    closedCode: 'customer-report-closed',
    refusals: refusalsIn('en', terms.openCap),
    conflictOf: (row) => ({ currentStatus: row.status }),
    toView: async (row) => reportView(prisma, row, await zoneOf(row.partnerId)),
  });

  async function startWorkflow(principal: Principal, id: string, partnerId: string, request: ReportRequest, language: Language) {
    const manualReview = request.manualReview === true;
    try {
      await temporal.workflow.executeUpdateWithStart(create, {
        startWorkflowOperation: new WithStartWorkflowOperation<typeof customerReportWorkflow>(CUSTOMER_REPORT_WORKFLOW, {
          workflowId: customerReportWorkflowId(id),
          taskQueue,
          args: [{ reportId: id, partnerId, creditCode: request.creditCode, reportedBy: principal.sub, manualReview, ...(request.justification ? { justification: request.justification } : {}) }],
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          typedSearchAttributes: [
            { key: PartnerId, value: partnerId },
            { key: ProcessStatus, value: manualReview ? 'IN_MANUAL_REVIEW' : 'PROTECTED' },
          ],
        }),
      });
    } catch (error) {
      const refused = refusalsIn(language, terms.openCap).problemOf(error, { what: `Customer report ${id}` });
      if (refused) throw refused;
      // A retry after the workflow already ended: the first result stands.
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
  }

  /** The report an invitation token names, for a customer of the report's enterprise (else 403, saying nothing of it). */
  async function invitationFor(principal: Principal, token: string): Promise<ReportRow> {
    const row = TOKEN.test(token) ? await findReport(prisma, undefined, sha256(token)) : null;
    if (!row) throw problems.notFound('Invitation');
    const facts = await accountFacts(run, principal.customerId!);
    if (facts.ENTERPRISE?.creditCode !== row.creditCode) {
      throw problems.forbidden("This invitation is for another enterprise: your account's verified enterprise is not the one invited.");
    }
    return row;
  }

  return {
    /** Reports an enterprise for the caller's partner: protected at once, or in manual review; refused before anything starts. */
    async report(principal: Principal, partnerId: string, request: ReportRequest, language: Language, idempotencyKey?: string): Promise<CustomerReportView> {
      // Partner staff report for their own partner; the vendor's staff (customer.expand) may report on a partner's behalf.
      if (principal.partnerId !== undefined && principal.partnerId !== partnerId) throw problems.notFound(`Partner ${partnerId}`);
      await requireSignedAgreement(prisma, partnerId, now()); // gated (docs/agreements.md), before anything starts
      const today = await partnerToday(calendarFor, partnerId, now());
      const id = await prisma.$transaction(async (tx) => {
        const runTx = <T>(sql: string, ...params: unknown[]) => tx.$queryRawUnsafe<T[]>(sql, ...params);
        const reserved = idempotencyKey ? await reserveIdempotentId(tx, `${principal.sub} POST /v1/partners/${partnerId}/customer-reports`, idempotencyKey, request) : randomUUID();
        // A retry whose report exists starts nothing new: the first result stands.
        if (await findReport(tx, reserved)) return reserved;
        if (!(await enterpriseKnown(runTx, request.creditCode))) throw unknownEnterprise(request.creditCode);
        const { holder, ownOpen } = await protectionOf(runTx, request.creditCode, partnerId);
        if (ownOpen) throw problems.conflict('customer-report-already-open', `Your report ${ownOpen} of this enterprise is still open.`, { reportId: ownOpen });
        if (holder) throw alreadyReported();
        if ((await openReportCount(runTx, partnerId)) >= terms.openCap) throw capReached(terms.openCap);
        const unmet = await reportabilityOf(runTx, request.creditCode, today, terms.registeredWithinDays);
        if (unmet.length && request.manualReview !== true) throw notReportableProblem(unmet, language);
        return reserved;
      });
      await startWorkflow(principal, id, partnerId, request, language);
      return door.get(principal, id);
    },

    get: door.get,

    async list(principal: Principal, partnerId: string, filter: ReportListFilter) {
      // Another partner's staff are answered as if that partner did not exist, as every /v1/partners/:partnerId route.
      if (!canSeePartner(principal, partnerId, 'account.readAll')) throw problems.notFound(`Partner ${partnerId}`);
      return listReports(prisma, partnerId, filter, await zoneOf(partnerId));
    },

    /** The vendor's decision of a manual review (APPROVE → PROTECTED from now, unless another partner is protected meanwhile). */
    async review(principal: Principal, id: string, request: ReviewRequest): Promise<CustomerReportView> {
      const row = await door.findVisible(principal, id);
      await claims(principal, row.id, `Customer report ${row.id}`); // another reviewer's claim: 409 review-claimed
      return door.act(principal, row, (handle) => handle.executeUpdate(review, { args: [{ actor: actorOf(principal), decision: request.decision, ...(request.note ? { note: request.note } : {}) }] }));
    },

    /** A new invitation link (replacing any earlier one), valid invitationDays calendar days: its token shown this once. */
    async invite(principal: Principal, id: string, mode: AssociationMode) {
      const row = await door.findVisible(principal, id);
      const token = randomBytes(32).toString('base64url');
      const report = await door.act(principal, row, (handle) => handle.executeUpdate(invite, { args: [{ actor: actorOf(principal), mode, tokenSha256: sha256(token) }] }));
      return { token, path: `/v1/customer-invitations/${token}`, partnerId: row.partnerId, mode, expiresAt: report.invitation!.expiresAt, report };
    },

    async withdraw(principal: Principal, id: string, reason?: string): Promise<CustomerReportView> {
      const row = await door.findVisible(principal, id);
      return door.act(principal, row, (handle) => handle.executeUpdate(withdraw, { args: [{ actor: actorOf(principal), ...(reason ? { reason } : {}) }] }));
    },

    /** What the customer would accept: 404 for an unknown token, 403 for a customer of another enterprise, 409 once not valid. */
    async invitation(principal: Principal, token: string) {
      const row = await invitationFor(principal, token);
      // The customer that accepted it sees it as accepted (opening the link again); anyone else, no longer valid.
      const accepted = row.status === 'ASSOCIATED' && row.customerId === principal.customerId;
      if (accepted) return { partnerId: row.partnerId, creditCode: row.creditCode, mode: row.invitationMode as AssociationMode, expiresAt: row.invitationExpiresAt!.toISOString(), status: 'ACCEPTED' as const };
      if (row.status !== 'INVITED' || row.invitationExpiresAt!.getTime() <= now().getTime()) {
        throw problems.conflict('invitation-not-valid', `This invitation link is no longer valid (the report is ${row.status}).`, { currentStatus: row.status });
      }
      return { partnerId: row.partnerId, creditCode: row.creditCode, mode: row.invitationMode as AssociationMode, expiresAt: row.invitationExpiresAt!.toISOString(), status: 'VALID' as const };
    },

    /** The customer accepts: its account is associated with the partner, once (accepted again by the same customer: the same association). */
    async accept(principal: Principal, token: string) {
      const row = await invitationFor(principal, token);
      const customerId = principal.customerId!;
      const existing = async () => {
        const association = row.associationId ? await prisma.customerAssociation.findUnique({ where: { id: row.associationId } }) : null;
        return association && association.customerId === customerId ? { status: 200 as const, body: associationView(association) } : undefined;
      };
      const done = await existing();
      if (done) return done;
      const associationId = randomUUID();
      try {
        await temporal.workflow.getHandle(customerReportWorkflowId(row.id)).executeUpdate(accept, { args: [{ customerSub: principal.sub, customerId, tokenSha256: row.invitationTokenSha256!, associationId }] });
      } catch (error) {
        const refused = refusalsIn('en', terms.openCap).problemOf(error, { what: 'Invitation', conflict: { currentStatus: row.status } });
        if (refused) throw refused;
        if (!(error instanceof WorkflowNotFoundError)) throw error;
        const current = await findReport(prisma, row.id);
        throw problems.conflict('invitation-not-valid', `This invitation link is no longer valid (the report is ${current?.status}).`, { currentStatus: current?.status });
      }
      const association = await prisma.customerAssociation.findUniqueOrThrow({ where: { id: associationId } });
      return { status: 201 as const, body: associationView(association) };
    },
  };
}

export type CustomerReportClient = ReturnType<typeof createCustomerReportClient>;
export type { CustomerReportStatus };
