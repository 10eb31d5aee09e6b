/**
 * The only door from the HTTP layer into project specialist applications: starts one application per member
 * (update-with-start `create`; one or a batch), sends the workflow's updates (materials, the vendor's review, the
 * cancellation by either side) and reads the persisted read model (the specialist tables the activities write). Files
 * are stored through the generic material store, owned by the application (`specialist` / applicationId).
 *
 * Whether the member may apply (domain/eligibility.ts, the same rules as GET /v1/partners/:partnerId/eligibility) is
 * checked here before anything starts, and decided by the submission's activity in the transaction that records the
 * application: either refusal answers 422 `specialist-not-eligible` with every unmet condition in the request's language.
 */
import { randomUUID } from 'node:crypto';
import { type ApplicationFailure, type Client, WithStartWorkflowOperation, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { actorOf } from '../../domain/actor.js';
import { canSeePartner, type Principal } from '../../domain/auth.js';
import { type CalendarLookup, zonesOf } from '../../domain/calendar.js';
import { pathById } from '../../domain/development-paths.js';
import type { Unmet } from '../../domain/eligibility.js';
import type { Language } from '../../domain/eligibility-messages.js';
import { Problem, problems } from '../../domain/problems.js';
import { databaseCalendarLookup } from '../../platform/calendars.js';
import { defaultQuotas, type Quotas } from '../../platform/config.js';
import type { Prisma, PrismaClient } from '../../prisma/generated/client.js';
import { PartnerId, PathId, ProcessStatus } from '../../workflows/kit/search-attributes.js';
import {
  cancel,
  create,
  Refusal,
  review,
  setMaterial,
  SPECIALIST_MATERIAL_KINDS,
  SPECIALIST_MATERIAL_OWNER,
  SPECIALIST_WORKFLOW,
  type SpecialistDecision,
  type SpecialistStatus,
  specialistWorkflowId,
} from '../../workflows/specialist/contract.js';
import type { specialistWorkflow } from '../../workflows/specialist/workflow.js';
import { reserveIdempotentId } from '../kit/idempotency.js';
import { createMaterialStore, type MaterialMeta } from '../kit/materials.js';
import { dateKey, keyset } from '../kit/pagination.js';
import { withOpenApplicationSlot } from '../kit/quotas.js';
import { refusals } from '../kit/refusals.js';
import { claimCheck } from '../review-queue/claims.js';
import { applicationDoor, historyOf, iso, local, materialsMissingProblem, notEligibleProblem, pendingExplanation } from '../kit/reviewed-application.js';
import { isUuid } from '../kit/validation.js';
import { specialistEligibility } from '../../platform/partner-account.js';
import type { SpecialistBatchView, SpecialistSummary, SpecialistView } from './schemas.js';
import { requireSignedAgreement } from '../../platform/agreement-gate.js';

/** Enough for every kind and a few replacements; a cap keeps one application from filling the database. */
export const MAX_FILES_PER_SPECIALIST_APPLICATION = 10;
/** Members one batch may apply for (each is its own workflow, started one after the other). */
export const MAX_BATCH_MEMBERS = 50;

export type ApplyRequest = { memberId: string; pathId: string };
export type ReviewRequest = { decision: SpecialistDecision; note?: string };
export type ListFilter = { partnerId?: string; memberId?: string; status?: SpecialistStatus; pathId?: string; limit: number; cursor?: string };

/** Every unmet condition as a field error on memberId, and in `unmet` as GET …/eligibility describes it. */
const ineligible = (unmet: Unmet[], language: Language): Problem => notEligibleProblem('specialist-not-eligible', 'memberId', 'The member cannot apply', unmet, language);
const ineligibleProblem = (language: Language) => (failure: ApplicationFailure) => ineligible((failure.details?.[0] ?? []) as Unmet[], language);

/** A refusal (validator, or the create handler's activity) → the problem the API answers, unmet reasons in `language`. */
const refusalsIn = (language: Language) =>
  refusals({
    [Refusal.notFound]: { status: 404 },
    [Refusal.vendorOnly]: { status: 403 },
    [Refusal.notSubmitted]: { status: 409, code: 'specialist-application-not-submitted', retryAfterSeconds: 1 },
    [Refusal.notInReview]: { status: 409, code: 'not-in-review' },
    [Refusal.notCancellable]: { status: 409, code: 'not-cancellable' },
    [Refusal.notEditable]: { status: 409, code: 'not-editable' },
    [Refusal.busy]: { status: 409, code: 'action-in-progress', retryAfterSeconds: 1 },
    [Refusal.ineligible]: { status: 422, problem: ineligibleProblem(language) },
    [Refusal.unknownPath]: { status: 422, code: 'unknown-path', field: 'pathId' },
    [Refusal.materialsMissing]: { status: 422, problem: materialsMissingProblem },
    [Refusal.materialNotFound]: { status: 422, code: 'unknown-material', field: 'materials' },
  });
const REFUSALS = refusalsIn('en');

export type SpecialistClientDeps = { temporal: Client; prisma: PrismaClient; taskQueue: string; calendarFor?: CalendarLookup; quotas?: Quotas };

export function createSpecialistClient({ temporal, prisma, taskQueue, calendarFor = databaseCalendarLookup(prisma), quotas = defaultQuotas }: SpecialistClientDeps) {
  const materials = createMaterialStore({ prisma, quotas });
  const zoneOf = async (partnerId: string) => (await calendarFor(partnerId)).calendar.zone;
  const find = (id: string) => prisma.specialistApplication.findUnique({ where: { id: id.toLowerCase() }, include: INCLUDE });
  const applications = applicationDoor<Row, SpecialistView, ReviewRequest>({
    temporal,
    materials,
    title: 'Specialist application',
    noun: 'application',
    basePath: '/v1/specialist-applications',
    readAll: 'specialist.readAll',
    find,
    workflowId: specialistWorkflowId,
    closedCode: 'specialist-application-closed',
    refusals: REFUSALS,
    conflictOf: (row) => ({ currentStatus: row.status }),
    toView: async (row) => toView(row, await materials.list(SPECIALIST_MATERIAL_OWNER, row.id), await zoneOf(row.partnerId)),
    materialOwner: SPECIALIST_MATERIAL_OWNER,
    maxFiles: MAX_FILES_PER_SPECIALIST_APPLICATION,
    uploadStatuses: ['SUBMITTED'] satisfies SpecialistStatus[],
    materialKinds: () => ({ kinds: SPECIALIST_MATERIAL_KINDS, named: 'a material of a project specialist application' }),
    messages: { setMaterial, decide: review },
    claims: claimCheck(prisma, 'specialist'),
  });

  /**
   * Applies for one member of the caller's partner: starts (or, for a retry with the same Idempotency-Key, joins) the
   * application's workflow and answers once it is recorded — or the refusal. A new application needs room in the
   * partner's open-applications quota.
   */
  async function apply(principal: Principal, request: ApplyRequest, language: Language, idempotency?: { scope: string; key: string }): Promise<SpecialistView> {
    if (!pathById(request.pathId)) throw problems.unprocessable('unknown-path', `${request.pathId} is not a development path (GET /v1/paths).`, 'pathId');
    const partnerId = principal.partnerId!;
    await requireSignedAgreement(prisma, partnerId); // gated (docs/agreements.md), before anything starts
    const id = await withOpenApplicationSlot(prisma, { partnerId, limit: quotas.openApplications, field: 'memberId' }, async (tx, admit) => {
      const id = idempotency ? await reserveIdempotentId(tx, idempotency.scope, idempotency.key, request) : randomUUID();
      // A retry whose application exists opens nothing new: the first result stands.
      if ((await tx.specialistApplication.count({ where: { id } })) === 0) {
        // Refused here first, so a refusal starts no workflow; the submission's activity decides again in the
        // transaction that records the application (the facts may change in between).
        const { unmet } = await specialistEligibility(tx, partnerId, request.memberId);
        if (unmet.length) throw ineligible(unmet, language);
        await admit(id);
      }
      return async () => {
        await startWorkflow(principal, id, partnerId, request, language);
        return id;
      };
    });
    return applications.get(principal, id);
  }

  async function startWorkflow(principal: Principal, id: string, partnerId: string, request: ApplyRequest, language: Language) {
    try {
      await temporal.workflow.executeUpdateWithStart(create, {
        startWorkflowOperation: new WithStartWorkflowOperation<typeof specialistWorkflow>(SPECIALIST_WORKFLOW, {
          workflowId: specialistWorkflowId(id),
          taskQueue,
          args: [{ applicationId: id, partnerId, memberId: request.memberId, pathId: request.pathId, appliedBy: principal.sub }],
          // A retried request (same Idempotency-Key) joins the running workflow instead of starting another.
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          typedSearchAttributes: [
            { key: PartnerId, value: partnerId },
            { key: ProcessStatus, value: 'SUBMITTED' },
            { key: PathId, value: request.pathId },
          ],
        }),
      });
    } catch (error) {
      const refused = refusalsIn(language).problemOf(error, { what: `Specialist application ${id}` });
      if (refused) throw refused;
      // A retry after the workflow already ended: the first result stands.
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
  }

  /** The partner's or the vendor's staff; another partner's application is not found, exactly like a missing one. */
  async function findVisible(principal: Principal, id: string): Promise<Row> {
    const row = await find(id);
    if (!row || !canSeePartner(principal, row.partnerId, 'specialist.readAll')) throw problems.notFound(`Specialist application ${id}`);
    return row;
  }

  return {
    apply: (principal: Principal, request: ApplyRequest, language: Language, idempotencyKey?: string) =>
      apply(principal, request, language, idempotencyKey ? { scope: `${principal.sub} POST /v1/specialist-applications`, key: idempotencyKey } : undefined),

    /**
     * One application per member, one after the other, each its own workflow: a result per member — the application,
     * or the problem its single apply would have answered. With an Idempotency-Key the batch is one request (the same
     * key with another body is refused) and each member's application is reserved under it: a retry joins them.
     */
    async applyBatch(principal: Principal, requests: ApplyRequest[], language: Language, idempotencyKey?: string): Promise<SpecialistBatchView> {
      const scope = `${principal.sub} POST /v1/specialist-applications/batch`;
      const batchId = idempotencyKey ? await reserveIdempotentId(prisma, scope, idempotencyKey, requests) : undefined;
      const results: SpecialistBatchView['results'] = [];
      for (const request of requests) {
        try {
          const application = await apply(principal, request, language, batchId ? { scope: `${scope} ${batchId}`, key: request.memberId } : undefined);
          results.push({ ...request, outcome: 'STARTED', application });
        } catch (error) {
          if (!(error instanceof Problem)) throw error;
          results.push({ ...request, outcome: 'REFUSED', problem: { status: error.status, code: error.code, ...(error.detail ? { detail: error.detail } : {}), ...(error.errors ? { errors: error.errors } : {}), ...error.extensions } });
        }
      }
      return { results };
    },

    get: applications.get,

    async list(principal: Principal, filter: ListFilter) {
      const scope = applications.partnerScope(principal, filter.partnerId);
      // A partner asking for another partner's list sees an empty one, as if that partner had none.
      if (!scope) return { items: [], nextCursor: null };
      const page = await findApplications(prisma, { ...filter, ...scope });
      const zones = await zonesOf(calendarFor, page.items.map((r) => r.partnerId));
      return { items: page.items.map((r) => toSummary(r, zones.get(r.partnerId)!)), nextCursor: page.nextCursor };
    },

    described: applications.described,
    uploadFile: applications.uploadFile,
    downloadFile: applications.downloadFile,
    setMaterials: applications.setMaterials,
    submit: applications.submit,
    supplement: applications.supplement,
    decide: applications.decide,

    /** By the owning partner's staff or the vendor's, from SUBMITTED or APPROVED (the workflow decides), with a reason. */
    async cancel(principal: Principal, id: string, reason: string): Promise<SpecialistView> {
      const row = await findVisible(principal, id);
      return applications.act(principal, row, (handle) => handle.executeUpdate(cancel, { args: [{ actor: actorOf(principal), reason }] }));
    },
  };
}

export type SpecialistClient = ReturnType<typeof createSpecialistClient>;

// ---- the read model ------------------------------------------------------------------------------------------

const INCLUDE = { events: { orderBy: { seq: 'asc' } }, materials: true } satisfies Prisma.SpecialistApplicationInclude;
type Row = Prisma.SpecialistApplicationGetPayload<{ include: typeof INCLUDE }>;

/** One page, newest first (keyset on submittedAt, id). */
const NEWEST_FIRST = keyset('submittedAt', { key: dateKey, isId: isUuid });

async function findApplications(prisma: PrismaClient, filter: ListFilter) {
  const rows = await prisma.specialistApplication.findMany({
    where: {
      ...(filter.partnerId ? { partnerId: filter.partnerId } : {}),
      ...(filter.memberId ? { memberId: filter.memberId } : {}),
      ...(filter.status ? { status: filter.status } : {}),
      ...(filter.pathId ? { pathId: filter.pathId } : {}),
      ...NEWEST_FIRST.after(filter.cursor),
    },
    orderBy: NEWEST_FIRST.orderBy,
    take: filter.limit + 1,
  });
  return NEWEST_FIRST.page(rows, filter.limit);
}

const PENDING_DEADLINE = new Set<string>(['SUBMITTED'] satisfies SpecialistStatus[]);

/** The listed view; typed by the response schema (schemas.ts beside it). */
function toSummary(row: Omit<Row, 'events' | 'materials'>, zone: string): SpecialistSummary {
  return {
    id: row.id,
    partnerId: row.partnerId,
    memberId: row.memberId,
    pathId: row.pathId,
    status: row.status as SpecialistStatus,
    appliedBy: row.appliedBy,
    submittedAt: row.submittedAt.toISOString(),
    reviewSlaWorkingDays: row.reviewSlaWorkingDays,
    reviewDueAt: row.reviewDueAt.toISOString(),
    reviewEscalatedAt: iso(row.reviewEscalatedAt),
    decidedAt: iso(row.decidedAt),
    cancelledAt: iso(row.cancelledAt),
    zone,
    // The same instants in the partner's zone, for people.
    local: {
      submittedAt: local(row.submittedAt, zone)!,
      reviewDueAt: local(row.reviewDueAt, zone)!,
      reviewEscalatedAt: local(row.reviewEscalatedAt, zone),
      decidedAt: local(row.decidedAt, zone),
      cancelledAt: local(row.cancelledAt, zone),
    },
  };
}

function toView(row: Row, files: MaterialMeta[], zone: string): SpecialistView {
  const current = new Map(row.materials.map((m) => [m.kind, m.materialId]));
  return {
    ...toSummary(row, zone),
    deadlineExplanation: pendingExplanation(row, PENDING_DEADLINE),
    decisionNote: row.decisionNote,
    cancelledBy: row.cancelledBy,
    cancelReason: row.cancelReason,
    materials: SPECIALIST_MATERIAL_KINDS.map((kind) => ({ kind, material: files.find((f) => f.id === current.get(kind)) ?? null })),
    files,
    history: historyOf<SpecialistStatus, SpecialistView['history'][number]['type']>(row.events),
  };
}
