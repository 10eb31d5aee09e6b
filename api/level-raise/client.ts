/**
 * The only door from the HTTP layer into level raises: starts one raise (update-with-start `create`), sends the
 * workflow's updates (the vendor's review, the partner's withdrawal) and reads the persisted read model (level_raise,
 * level_raise_event).
 *
 * Whether the partner may ask (domain/eligibility.ts LEVEL_UP: the next level of the path and every requirement of
 * it, the same rules as GET /v1/partners/:partnerId/eligibility?program=LEVEL_UP) is checked here before anything
 * starts, and decided again by the submission's activity in the transaction that records the raise: either refusal
 * answers 422 `level-raise-not-eligible` with every unmet condition in the request's language.
 */
import { randomUUID } from 'node:crypto';
import { type ApplicationFailure, type Client, WithStartWorkflowOperation, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { actorOf } from '../../domain/actor.js';
import { canSeePartner, type Principal } from '../../domain/auth.js';
import { type CalendarLookup, zonesOf } from '../../domain/calendar.js';
import { nextLevelOf, type Unmet } from '../../domain/eligibility.js';
import type { Language } from '../../domain/eligibility-messages.js';
import { type Problem, problems } from '../../domain/problems.js';
import { databaseCalendarLookup } from '../../platform/calendars.js';
import { levelUpContextOf, levelUpEligibility } from '../../platform/partner-account.js';
import type { Prisma, PrismaClient } from '../../prisma/generated/client.js';
import {
  create,
  LEVEL_RAISE_WORKFLOW,
  type LevelRaiseDecision,
  type LevelRaiseStatus,
  levelRaiseWorkflowId,
  Refusal,
  review,
  withdraw,
} from '../../workflows/level-raise/contract.js';
import type { levelRaiseWorkflow } from '../../workflows/level-raise/workflow.js';
import { PartnerId, PathId, ProcessStatus } from '../../workflows/kit/search-attributes.js';
import { reserveIdempotentId } from '../kit/idempotency.js';
import { dateKey, keyset } from '../kit/pagination.js';
import { processDoor } from '../kit/process-door.js';
import { refusals } from '../kit/refusals.js';
import { claimCheck } from '../review-queue/claims.js';
import { historyOf, iso, local, notEligibleProblem, pendingExplanation } from '../kit/reviewed-application.js';
import { isUuid } from '../kit/validation.js';
import { partnerToday } from '../paths/client.js';
import type { LevelRaiseSummary, LevelRaiseView } from './schemas.js';
import { requireSignedAgreement } from '../../platform/agreement-gate.js';

export type RaiseRequest = { pathId: string };
export type ReviewRequest = { decision: LevelRaiseDecision; note?: string };
export type ListFilter = { status?: LevelRaiseStatus; pathId?: string; limit: number; cursor?: string };

/** Every unmet condition as a field error on pathId, and in `unmet` as GET …/eligibility?program=LEVEL_UP describes it. */
const ineligible = (unmet: Unmet[], language: Language): Problem =>
  notEligibleProblem('level-raise-not-eligible', 'pathId', 'The partner cannot ask for the next level', unmet, language);

/** A refusal (validator, the create handler's activity, the approval's activity) → the problem the API answers. */
const refusalsIn = (language: Language) =>
  refusals({
    [Refusal.notFound]: { status: 404 },
    [Refusal.vendorOnly]: { status: 403 },
    [Refusal.notSubmitted]: { status: 409, code: 'level-raise-not-submitted', retryAfterSeconds: 1 },
    [Refusal.notInReview]: { status: 409, code: 'not-in-review' },
    [Refusal.busy]: { status: 409, code: 'action-in-progress', retryAfterSeconds: 1 },
    [Refusal.alreadyOpen]: { status: 409, code: 'level-raise-already-open' },
    [Refusal.levelChanged]: { status: 409, code: 'level-changed' },
    [Refusal.ineligible]: { status: 422, problem: (failure: ApplicationFailure) => ineligible((failure.details?.[0] ?? []) as Unmet[], language) },
    [Refusal.unknownPath]: { status: 422, code: 'unknown-path', field: 'pathId' },
  });

export type LevelRaiseClientDeps = { temporal: Client; prisma: PrismaClient; taskQueue: string; calendarFor?: CalendarLookup; now?: () => Date };

export function createLevelRaiseClient({ temporal, prisma, taskQueue, calendarFor = databaseCalendarLookup(prisma), now = () => new Date() }: LevelRaiseClientDeps) {
  const zoneOf = async (partnerId: string) => (await calendarFor(partnerId)).calendar.zone;
  const find = (id: string) => prisma.levelRaise.findUnique({ where: { id: id.toLowerCase() }, include: INCLUDE });
  const claims = claimCheck(prisma, 'level-raise');
  const door = processDoor<Row, LevelRaiseView>({
    temporal,
    title: 'Level raise',
    noun: 'level raise',
    readAll: 'levelRaise.readAll',
    find,
    workflowId: levelRaiseWorkflowId,
    closedCode: 'level-raise-closed',
    refusals: refusalsIn('en'),
    conflictOf: (row) => ({ currentStatus: row.status }),
    toView: async (row) => toView(row, await zoneOf(row.partnerId)),
  });

  /** Starts (or, for a retry with the same Idempotency-Key, joins) the raise's workflow and answers once it is recorded. */
  async function startWorkflow(principal: Principal, id: string, partnerId: string, pathId: string, fromLevel: string | null, toLevel: string, language: Language) {
    try {
      await temporal.workflow.executeUpdateWithStart(create, {
        startWorkflowOperation: new WithStartWorkflowOperation<typeof levelRaiseWorkflow>(LEVEL_RAISE_WORKFLOW, {
          workflowId: levelRaiseWorkflowId(id),
          taskQueue,
          args: [{ raiseId: id, partnerId, pathId, fromLevel, toLevel, requestedBy: principal.sub }],
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          typedSearchAttributes: [
            { key: PartnerId, value: partnerId },
            { key: ProcessStatus, value: 'SUBMITTED' },
            { key: PathId, value: pathId },
          ],
        }),
      });
    } catch (error) {
      const refused = refusalsIn(language).problemOf(error, { what: `Level raise ${id}` });
      if (refused) throw refused;
      // A retry after the workflow already ended: the first result stands.
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
  }

  return {
    /**
     * Asks for the next level of `pathId` for the caller's partner: refused with every unmet requirement before
     * anything starts; another raise of the path under review → 409. The activity decides again when it records.
     */
    async request(principal: Principal, partnerId: string, { pathId }: RaiseRequest, language: Language, idempotencyKey?: string): Promise<LevelRaiseView> {
      if (principal.partnerId !== partnerId) throw problems.notFound(`Partner ${partnerId}`);
      await requireSignedAgreement(prisma, partnerId, now()); // gated (docs/agreements.md), before anything starts
      const today = await partnerToday(calendarFor, partnerId, now());
      const started = await prisma.$transaction(async (tx) => {
        const id = idempotencyKey ? await reserveIdempotentId(tx, `${principal.sub} POST /v1/partners/${partnerId}/level-raises`, idempotencyKey, { pathId }) : randomUUID();
        // A retry whose raise exists starts nothing new: the first result stands.
        const existing = await tx.levelRaise.findUnique({ where: { id }, select: { fromLevel: true, toLevel: true } });
        if (existing) return { id, ...existing };
        const context = await levelUpContextOf(tx, partnerId, pathId, today);
        if (!context) throw problems.unprocessable('unknown-path', `${pathId} is not a development path (GET /v1/paths).`, 'pathId');
        const { unmet } = await levelUpEligibility(tx, partnerId, context);
        if (unmet.length) throw ineligible(unmet, language);
        const open = await tx.levelRaise.findUnique({ where: { openKey: `${partnerId}/${pathId}` }, select: { id: true } });
        if (open) throw problems.conflict('level-raise-already-open', `Level raise ${open.id} of ${pathId} is under review.`, { raiseId: open.id });
        return { id, fromLevel: context.currentLevel, toLevel: nextLevelOf(context.path, context.currentLevel)!.level };
      });
      await startWorkflow(principal, started.id, partnerId, pathId, started.fromLevel, started.toLevel, language);
      return door.get(principal, started.id);
    },

    get: door.get,

    async list(principal: Principal, partnerId: string, filter: ListFilter) {
      // Another partner's staff are answered as if that partner did not exist, as every /v1/partners/:partnerId route.
      if (!canSeePartner(principal, partnerId, 'levelRaise.readAll')) throw problems.notFound(`Partner ${partnerId}`);
      const rows = await prisma.levelRaise.findMany({
        where: { partnerId, ...(filter.status ? { status: filter.status } : {}), ...(filter.pathId ? { pathId: filter.pathId } : {}), ...NEWEST_FIRST.after(filter.cursor) },
        orderBy: NEWEST_FIRST.orderBy,
        take: filter.limit + 1,
      });
      const page = NEWEST_FIRST.page(rows, filter.limit);
      const zones = await zonesOf(calendarFor, [partnerId]);
      return { items: page.items.map((r) => toSummary(r, zones.get(partnerId)!)), nextCursor: page.nextCursor };
    },

    /** The vendor's decision (the workflow refuses partners: VENDOR_ONLY; a level changed meanwhile: LEVEL_CHANGED). */
    async review(principal: Principal, id: string, request: ReviewRequest): Promise<LevelRaiseView> {
      const row = await door.findVisible(principal, id);
      await claims(principal, row.id, `Level raise ${row.id}`); // another reviewer's claim: 409 review-claimed
      return door.act(principal, row, (handle) => handle.executeUpdate(review, { args: [{ actor: actorOf(principal), ...request }] }));
    },

    /** By the owning partner's staff while SUBMITTED. */
    async withdraw(principal: Principal, id: string, reason?: string): Promise<LevelRaiseView> {
      const row = await door.findOwn(principal, id);
      return door.act(principal, row, (handle) => handle.executeUpdate(withdraw, { args: [{ actor: actorOf(principal), ...(reason ? { reason } : {}) }] }));
    },
  };
}

export type LevelRaiseClient = ReturnType<typeof createLevelRaiseClient>;

// ---- the read model ------------------------------------------------------------------------------------------

const INCLUDE = { events: { orderBy: { seq: 'asc' } } } satisfies Prisma.LevelRaiseInclude;
type Row = Prisma.LevelRaiseGetPayload<{ include: typeof INCLUDE }>;

/** One page, newest first (keyset on submittedAt, id). */
const NEWEST_FIRST = keyset('submittedAt', { key: dateKey, isId: isUuid });

const PENDING_DEADLINE = new Set<string>(['SUBMITTED'] satisfies LevelRaiseStatus[]);

function toSummary(row: Omit<Row, 'events'>, zone: string): LevelRaiseSummary {
  return {
    id: row.id,
    partnerId: row.partnerId,
    pathId: row.pathId,
    fromLevel: row.fromLevel,
    toLevel: row.toLevel,
    status: row.status as LevelRaiseStatus,
    requestedBy: row.requestedBy,
    submittedAt: row.submittedAt.toISOString(),
    reviewSlaWorkingDays: row.reviewSlaWorkingDays,
    reviewDueAt: row.reviewDueAt.toISOString(),
    reviewEscalatedAt: iso(row.reviewEscalatedAt),
    decidedAt: iso(row.decidedAt),
    withdrawnAt: iso(row.withdrawnAt),
    zone,
    // The same instants in the partner's zone, for people.
    local: {
      submittedAt: local(row.submittedAt, zone)!,
      reviewDueAt: local(row.reviewDueAt, zone)!,
      reviewEscalatedAt: local(row.reviewEscalatedAt, zone),
      decidedAt: local(row.decidedAt, zone),
      withdrawnAt: local(row.withdrawnAt, zone),
    },
  };
}

function toView(row: Row, zone: string): LevelRaiseView {
  return {
    ...toSummary(row, zone),
    deadlineExplanation: pendingExplanation(row, PENDING_DEADLINE),
    decisionNote: row.decisionNote,
    history: historyOf<LevelRaiseStatus, LevelRaiseView['history'][number]['type']>(row.events),
  };
}
