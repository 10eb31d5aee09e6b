/**
 * The only door from the HTTP layer into the annual development-path review: starts a path's cycle
 * (workflows/path-review-cycle/workflow.ts) and reads its progress, sends the review workflow's updates
 * (workflows/path-review/workflow.ts) and reads the persisted read model (path_review, path_review_event,
 * path_review_material, the membership change a review wrote). Files go through the generic material store, owned by
 * the review (`path-review` / reviewId); the workflow only records which file is the material of a kind.
 *
 * Partner staff see and act on their own partner's reviews only (another partner's answers 404, like a missing one);
 * vendor staff read every review (pathReview.readAll) and decide (the workflow refuses partners: VENDOR_ONLY).
 */
import { DateTime } from 'luxon';
import type { Client } from '@temporalio/client';
import type { Principal } from '../../domain/auth.js';
import { actorOf } from '../../domain/actor.js';
import { type CalendarLookup, zonesOf } from '../../domain/calendar.js';
import { databaseCalendarLookup } from '../../platform/calendars.js';
import { defaultQuotas, type Quotas } from '../../platform/config.js';
import { pathById } from '../../domain/development-paths.js';
import { problems } from '../../domain/problems.js';
import type { Prisma, PrismaClient } from '../../prisma/generated/client.js';
import { CYCLE_SCHEDULE_ZONE, PATH_REVIEW_CYCLE_WORKFLOW, pathReviewCycleWorkflowId } from '../../workflows/path-review-cycle/contract.js';
import type { pathReviewCycleWorkflow } from '../../workflows/path-review-cycle/workflow.js';
import {
  apply,
  decide,
  legacyWindowReminderDedupeKey,
  PATH_REVIEW_MATERIAL_OWNER,
  type PathReviewDecision,
  Refusal,
  type PathReviewStatus,
  type PathReviewTerms,
  pathReviewWorkflowId,
  type RequirementItem,
  setMaterial,
  submit,
  supplement,
  WINDOW_REMINDER_TOPIC,
  windowReminderDedupeKey,
} from '../../workflows/path-review/contract.js';
import { PathId, ReviewYear } from '../../workflows/kit/search-attributes.js';
import { integerKey, keyset } from '../kit/pagination.js';
import type { PathReviewCycleView, PathReviewSummary, PathReviewView } from './schemas.js';
import { createMaterialStore, type MaterialMeta } from '../kit/materials.js';
import { withOpenApplicationSlot } from '../kit/quotas.js';
import { refusals } from '../kit/refusals.js';
import { claimCheck } from '../review-queue/claims.js';
import { applicationDoor, historyOf, iso, local, materialsMissingProblem, pendingExplanation, unmetProblem } from '../kit/reviewed-application.js';
import { isRunning } from '../kit/workflows.js';

/** Enough for every kind and a few replacements; a cap keeps one review from filling the database. */
export const MAX_FILES_PER_PATH_REVIEW = 20;
/** The earliest cycle year a vendor may start (nothing before the platform existed); the latest is next year. */
export const FIRST_REVIEW_YEAR = 2020;

export type DecisionRequest = { decision: PathReviewDecision; note?: string; newLevel?: string };
export type ListFilter = { pathId?: string; year?: number; status?: PathReviewStatus; partnerId?: string; limit: number; cursor?: string };

/** A refusal (a validator's, or the apply/setMaterial handler's) → the problem the API answers; a 409 names the status the action found. */
const REFUSALS = refusals({
  [Refusal.notFound]: { status: 404 },
  [Refusal.vendorOnly]: { status: 403 },
  // The review's first activity (window, terms) has not finished yet: it clears by itself.
  [Refusal.notOpened]: { status: 409, code: 'review-not-opened', retryAfterSeconds: 1 },
  [Refusal.notOpen]: { status: 409, code: 'not-open' },
  [Refusal.notEditable]: { status: 409, code: 'not-editable' },
  [Refusal.notApplied]: { status: 409, code: 'not-applied' },
  [Refusal.notSubmitted]: { status: 409, code: 'not-submitted' },
  [Refusal.notSupplementRequested]: { status: 409, code: 'not-supplement-requested' },
  [Refusal.windowClosed]: { status: 409, code: 'review-window-closed' },
  [Refusal.supplementDeadlinePassed]: { status: 409, code: 'supplement-deadline-passed' },
  [Refusal.busy]: { status: 409, code: 'action-in-progress', retryAfterSeconds: 1 },
  [Refusal.requirementsUnmet]: { status: 422, problem: unmetProblem('requirements-unmet', 'requirements') },
  [Refusal.materialsMissing]: { status: 422, problem: materialsMissingProblem },
  [Refusal.levelNotAllowed]: { status: 422, code: 'level-not-allowed', field: 'newLevel' },
  [Refusal.materialNotFound]: { status: 422, code: 'unknown-material', field: 'materials' },
});

export type PathReviewsClientDeps = { temporal: Client; prisma: PrismaClient; taskQueue: string; calendarFor?: CalendarLookup; quotas?: Quotas };

export function createPathReviewsClient({ temporal, prisma, taskQueue, calendarFor = databaseCalendarLookup(prisma), quotas = defaultQuotas }: PathReviewsClientDeps) {
  const materials = createMaterialStore({ prisma, quotas });
  const zoneOf = async (partnerId: string) => (await calendarFor(partnerId)).calendar.zone;
  const reviews = applicationDoor<Row, PathReviewView, DecisionRequest>({
    temporal,
    materials,
    title: 'Path review',
    noun: 'review',
    basePath: '/v1/path-reviews',
    readAll: 'pathReview.readAll',
    find: (id) => prisma.pathReview.findUnique({ where: { id }, include: INCLUDE }),
    workflowId: pathReviewWorkflowId,
    closedCode: 'path-review-closed',
    refusals: REFUSALS,
    conflictOf: (row) => ({ currentStatus: row.status }),
    toView: async (row) => {
      const [files, sent, change] = await Promise.all([
        materials.list(PATH_REVIEW_MATERIAL_OWNER, row.id),
        prisma.outbox.findMany({ where: { topic: WINDOW_REMINDER_TOPIC, aggregateId: row.id }, select: { dedupeKey: true } }),
        prisma.pathMembershipChange.findUnique({ where: { reviewId: row.id } }),
      ]);
      return toView(row, files, new Set(sent.map((s) => s.dedupeKey)), change, await zoneOf(row.partnerId));
    },
    materialOwner: PATH_REVIEW_MATERIAL_OWNER,
    maxFiles: MAX_FILES_PER_PATH_REVIEW,
    uploadStatuses: ['APPLIED', 'SUPPLEMENT_REQUESTED'] satisfies PathReviewStatus[],
    materialKinds: (row) => ({ kinds: (row.terms as PathReviewTerms).materials, named: `a review material of ${row.pathId}` }),
    messages: { setMaterial, submit, supplement, decide },
    claims: claimCheck(prisma, 'path-review'),
  });

  async function cycleProgress(pathId: string, year: number, runId?: string): Promise<PathReviewCycleView | undefined> {
    const workflowId = pathReviewCycleWorkflowId(pathId, year);
    const [row, reviewsStarted] = await Promise.all([
      prisma.pathReviewCycle.findUnique({ where: { pathId_year: { pathId, year } } }),
      prisma.pathReview.count({ where: { pathId, year } }),
    ]);
    // A cycle just accepted has not written its row yet (or only an earlier run's row is there).
    const starting = runId ? !row || row.runId !== runId : (!row || row.status === 'COMPLETED') && (await isRunning(temporal, workflowId));
    if (!row && !starting) return undefined;
    const base = { pathId, year, workflowId, reviewsStarted, runs: row?.runs ?? 0 };
    if (!row || starting) {
      return { ...base, status: 'STARTING', requestedBy: null, startedAt: row?.startedAt.toISOString() ?? null, finishedAt: null, windowWorkingDays: row?.windowWorkingDays ?? null, members: { total: 0, done: 0 } };
    }
    return {
      ...base,
      status: row.status as 'RUNNING' | 'COMPLETED',
      requestedBy: row.requestedBy,
      startedAt: row.startedAt.toISOString(),
      finishedAt: row.finishedAt?.toISOString() ?? null,
      windowWorkingDays: row.windowWorkingDays,
      members: { total: row.partnersTotal, done: row.partnersDone },
    };
  }


  return {
    /**
     * Starts the cycle of `pathId` for `year` (one review per member), or joins the one running; a new run after one
     * has finished starts no review twice and picks up members added since.
     */
    async startCycle(principal: Principal, pathId: string, year: number, now = new Date()): Promise<PathReviewCycleView> {
      if (!pathById(pathId)) throw problems.unprocessable('unknown-path', `${pathId} is not a development path (GET /v1/paths).`, 'pathId');
      const last = DateTime.fromJSDate(now, { zone: CYCLE_SCHEDULE_ZONE }).year + 1;
      if (year < FIRST_REVIEW_YEAR || year > last) throw problems.unprocessable('year-out-of-range', `year must be from ${FIRST_REVIEW_YEAR} to ${last}.`, 'year');
      const handle = await temporal.workflow.start<typeof pathReviewCycleWorkflow>(PATH_REVIEW_CYCLE_WORKFLOW, {
        workflowId: pathReviewCycleWorkflowId(pathId, year),
        taskQueue,
        args: [{ pathId, year, requestedBy: principal.sub }],
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        typedSearchAttributes: [
          { key: PathId, value: pathId },
          { key: ReviewYear, value: year },
        ],
      });
      return (await cycleProgress(pathId, year, handle.firstExecutionRunId))!;
    },

    async cycle(pathId: string, year: number): Promise<PathReviewCycleView> {
      const progress = await cycleProgress(pathId, year);
      if (!progress) throw problems.notFound(`Path review cycle ${pathId} ${year}`);
      return progress;
    },

    get: reviews.get,

    async list(principal: Principal, filter: ListFilter): Promise<{ items: PathReviewSummary[]; nextCursor: string | null }> {
      const scope = reviews.partnerScope(principal, filter.partnerId);
      // A partner asking for another partner's list sees an empty one, as if that partner had none.
      if (!scope) return { items: [], nextCursor: null };
      const rows = await prisma.pathReview.findMany({
        where: {
          ...(scope.partnerId ? { partnerId: scope.partnerId } : {}),
          ...(filter.pathId ? { pathId: filter.pathId } : {}),
          ...(filter.year !== undefined ? { year: filter.year } : {}),
          ...(filter.status ? { status: filter.status } : {}),
          ...NEWEST_YEAR_FIRST.after(filter.cursor),
        },
        orderBy: NEWEST_YEAR_FIRST.orderBy,
        take: filter.limit + 1,
      });
      const { items, nextCursor } = NEWEST_YEAR_FIRST.page(rows, filter.limit);
      const zones = await zonesOf(calendarFor, items.map((r) => r.partnerId));
      return { items: items.map((r) => toSummary(r, zones.get(r.partnerId)!)), nextCursor };
    },

    /** Applying opens an application: it needs room in the partner's open-applications quota (422 naming `id`). */
    apply: async (principal: Principal, id: string) => {
      const row = await reviews.findOwn(principal, id);
      return withOpenApplicationSlot(prisma, { partnerId: row.partnerId, limit: quotas.openApplications, field: 'id' }, async (tx, admit) => {
        // Only an OPEN review becomes an application; in any other status the workflow answers why not.
        if ((await tx.pathReview.findUnique({ where: { id: row.id }, select: { status: true } }))?.status === 'OPEN') await admit(row.id);
        return () => reviews.act(principal, row, (handle) => handle.executeUpdate(apply, { args: [{ actor: actorOf(principal) }] }));
      });
    },

    // The partner's steps and the vendor's decision (api/kit/reviewed-application.ts); a review's files are not downloaded.
    described: reviews.described,
    uploadFile: reviews.uploadFile,
    setMaterials: reviews.setMaterials,
    submit: reviews.submit,
    supplement: reviews.supplement,
    decide: reviews.decide,
  };
}

export type PathReviewsClient = ReturnType<typeof createPathReviewsClient>;

// ---- the read model ------------------------------------------------------------------------------------------

const INCLUDE = { events: { orderBy: { seq: 'asc' } }, materials: true } satisfies Prisma.PathReviewInclude;
/** Newest year first, then by id ascending; review ids are `<pathId>-<partnerId>-<year>` (pathReviewId). */
const NEWEST_YEAR_FIRST = keyset('year', {
  key: integerKey(2000, 9999),
  isId: (id) => /^[A-Za-z0-9_-]{1,200}$/.test(id),
  order: { key: 'desc', id: 'asc' },
});
type Row = Prisma.PathReviewGetPayload<{ include: typeof INCLUDE }>;
type ChangeRow = Prisma.PathMembershipChangeGetPayload<object>;

const PENDING_DEADLINE = new Set<string>(['OPEN', 'APPLIED', 'SUPPLEMENT_REQUESTED'] satisfies PathReviewStatus[]);

function toSummary(row: Omit<Row, 'events' | 'materials'>, zone: string): PathReviewSummary {
  return {
    id: row.id,
    pathId: row.pathId,
    partnerId: row.partnerId,
    year: row.year,
    level: row.level,
    status: row.status as PathReviewStatus,
    openedAt: row.openedAt.toISOString(),
    windowEndsAt: row.windowEndsAt.toISOString(),
    submittedAt: iso(row.submittedAt),
    supplementDeadline: iso(row.supplementDeadline),
    decidedAt: iso(row.decidedAt),
    newLevel: row.newLevel,
    updatedAt: row.updatedAt.toISOString(),
    zone,
    // The same instants in the partner's zone, for people.
    local: {
      windowEndsAt: local(row.windowEndsAt, zone),
      submittedAt: local(row.submittedAt, zone),
      supplementDeadline: local(row.supplementDeadline, zone),
      decidedAt: local(row.decidedAt, zone),
    },
  };
}

function toView(row: Row, files: MaterialMeta[], sentReminders: Set<string>, change: ChangeRow | null, zone: string): PathReviewView {
  const terms = row.terms as PathReviewTerms;
  const current = new Map(row.materials.map((m) => [m.kind, m.materialId]));
  const applied = row.events.findLast((e) => e.type === 'APPLIED')?.data as { requirements?: RequirementItem[] } | null | undefined;
  return {
    ...toSummary(row, zone),
    pathName: terms.pathName,
    terms,
    cycleStartedAt: row.cycleStartedAt.toISOString(),
    // The pending deadline's: windowEndsAt until a submission, supplementDeadline while a supplement is requested.
    deadlineExplanation: pendingExplanation(row, PENDING_DEADLINE),
    appliedAt: iso(row.appliedAt),
    decision: row.decision as PathReviewDecision | null,
    decisionNote: row.decisionNote,
    reminders: (row.reminderTimes as { days: number; at: string }[]).map((r) => ({
      days: r.days,
      at: r.at,
      local: local(new Date(r.at), zone)!,
      // For the window end in force; a row from before keys named it counts too.
      sent: [windowReminderDedupeKey(row.id, r.days, row.windowEndsAt.toISOString()), legacyWindowReminderDedupeKey(row.id, r.days)].some((key) => sentReminders.has(key)),
    })),
    requirements: applied?.requirements ?? null,
    materials: terms.materials.map((kind) => ({ kind, material: files.find((f) => f.id === current.get(kind)) ?? null })),
    files,
    history: historyOf<PathReviewStatus>(row.events),
    membershipChange: change
      ? {
          fromLevel: change.fromLevel,
          toLevel: change.toLevel,
          reason: change.reason as NonNullable<PathReviewView['membershipChange']>['reason'],
          reviewId: change.reviewId,
          levelRaiseId: change.levelRaiseId,
          actor: change.actor,
          at: change.at.toISOString(),
          note: change.note,
        }
      : null,
  };
}
