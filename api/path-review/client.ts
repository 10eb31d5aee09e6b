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
import {
  ApplicationFailure,
  type Client,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { can, canSeePartner, type Principal } from '../../domain/auth.js';
import { actorOf } from '../../domain/actor.js';
import { type CalendarLookup, type DeadlineExplanation, zonesOf } from '../../domain/calendar.js';
import { databaseCalendarLookup } from '../../platform/calendars.js';
import { defaultQuotas, type Quotas } from '../../platform/config.js';
import { pathById } from '../../domain/development-paths.js';
import { type FieldError, Problem, problems } from '../../domain/problems.js';
import type { Prisma, PrismaClient } from '../../prisma/generated/client.js';
import {
  CYCLE_SCHEDULE_ZONE,
  pathReviewCycleWorkflow,
} from '../../workflows/path-review-cycle/workflow.js';
import {
  apply,
  decide,
  legacyWindowReminderDedupeKey,
  PATH_REVIEW_MATERIAL_OWNER,
  type PathReviewDecision,
  PathReviewRefusal,
  type PathReviewStatus,
  type PathReviewTerms,
  pathReviewCycleWorkflowId,
  pathReviewWorkflowId,
  type RequirementItem,
  setMaterial,
  submit,
  supplement,
  type UnmetRequirement,
  WINDOW_REMINDER_TOPIC,
  windowReminderDedupeKey,
} from '../../workflows/path-review/contract.js';
import { PathId, ReviewYear } from '../../workflows/kit/search-attributes.js';
import { integerKey, keyset } from '../kit/pagination.js';
import type { PathReviewCycleView, PathReviewSummary, PathReviewView } from './schemas.js';
import { createMaterialStore, type MaterialMeta, type Upload } from '../kit/materials.js';
import { withOpenApplicationSlot } from '../kit/quotas.js';

/** Enough for every kind and a few replacements; a cap keeps one review from filling the database. */

export const MAX_FILES_PER_PATH_REVIEW = 20;
/** The earliest cycle year a vendor may start (nothing before the platform existed); the latest is next year. */
export const FIRST_REVIEW_YEAR = 2020;

export type MaterialAssignment = { kind: string; materialId: string };
export type DecisionRequest = { decision: PathReviewDecision; note?: string; newLevel?: string };
export type ListFilter = { pathId?: string; year?: number; status?: PathReviewStatus; partnerId?: string; limit: number; cursor?: string };

const CONFLICTS: Record<string, string> = {
  [PathReviewRefusal.notOpened]: 'review-not-opened',
  [PathReviewRefusal.notOpen]: 'not-open',
  [PathReviewRefusal.notEditable]: 'not-editable',
  [PathReviewRefusal.notApplied]: 'not-applied',
  [PathReviewRefusal.notSubmitted]: 'not-submitted',
  [PathReviewRefusal.notSupplementRequested]: 'not-supplement-requested',
  [PathReviewRefusal.windowClosed]: 'review-window-closed',
  [PathReviewRefusal.supplementDeadlinePassed]: 'supplement-deadline-passed',
  [PathReviewRefusal.busy]: 'action-in-progress',
};
const RETRYABLE = new Set<string>([PathReviewRefusal.busy, PathReviewRefusal.notOpened]);

export type PathReviewsClientDeps = { temporal: Client; prisma: PrismaClient; taskQueue: string; calendarFor?: CalendarLookup; quotas?: Quotas };

export function createPathReviewsClient({ temporal, prisma, taskQueue, calendarFor = databaseCalendarLookup(prisma), quotas = defaultQuotas }: PathReviewsClientDeps) {
  const materials = createMaterialStore({ prisma, quotas });
  const zoneOf = async (partnerId: string) => (await calendarFor(partnerId)).calendar.zone;

  /** Another partner's review answers exactly like a missing one. */
  async function findVisible(principal: Principal, id: string) {
    const row = await prisma.pathReview.findUnique({ where: { id }, include: INCLUDE });
    if (!row || !canSeePartner(principal, row.partnerId, 'pathReview.readAll')) throw problems.notFound(`Path review ${id}`);
    return row;
  }

  /** The owning partner's staff only (vendor staff may read, never act as the partner). */
  async function findOwn(principal: Principal, id: string) {
    const row = await findVisible(principal, id);
    if (principal.partnerId !== row.partnerId) throw problems.notFound(`Path review ${id}`);
    return row;
  }

  async function view(principal: Principal, id: string): Promise<PathReviewView> {
    const row = await findVisible(principal, id);
    const [files, sent, change] = await Promise.all([
      materials.list(PATH_REVIEW_MATERIAL_OWNER, row.id),
      prisma.outbox.findMany({ where: { topic: WINDOW_REMINDER_TOPIC, aggregateId: row.id }, select: { dedupeKey: true } }),
      prisma.pathMembershipChange.findUnique({ where: { reviewId: row.id } }),
    ]);
    return toView(row, files, new Set(sent.map((s) => s.dedupeKey)), change, await zoneOf(row.partnerId));
  }

  /** Runs an update and answers with the persisted view, or the refusal as a problem. */
  async function act(principal: Principal, row: Row, run: (handle: ReturnType<Client['workflow']['getHandle']>) => Promise<unknown>) {
    try {
      await run(temporal.workflow.getHandle(pathReviewWorkflowId(row.id)));
    } catch (error) {
      if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) throw refusalProblem(row, error.cause);
      if (error instanceof WorkflowNotFoundError) {
        // The review has ended (passed, failed, lapsed): say so, with the current status.
        const current = await findVisible(principal, row.id);
        throw problems.conflict('path-review-closed', `The review is ${current.status}; nothing more can be done with it.`, { currentStatus: current.status });
      }
      throw error;
    }
    return view(principal, row.id);
  }

  async function cycleProgress(pathId: string, year: number, runId?: string): Promise<PathReviewCycleView | undefined> {
    const workflowId = pathReviewCycleWorkflowId(pathId, year);
    const [row, reviewsStarted] = await Promise.all([
      prisma.pathReviewCycle.findUnique({ where: { pathId_year: { pathId, year } } }),
      prisma.pathReview.count({ where: { pathId, year } }),
    ]);
    // A cycle just accepted has not written its row yet (or only an earlier run's row is there).
    const starting = runId ? !row || row.runId !== runId : (!row || row.status === 'COMPLETED') && (await isRunning(workflowId));
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

  async function isRunning(workflowId: string): Promise<boolean> {
    try {
      return (await temporal.workflow.getHandle(workflowId).describe()).status.name === 'RUNNING';
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return false;
      throw error;
    }
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
      const handle = await temporal.workflow.start(pathReviewCycleWorkflow, {
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

    get: (principal: Principal, id: string) => view(principal, id),

    async list(principal: Principal, filter: ListFilter): Promise<{ items: PathReviewSummary[]; nextCursor: string | null }> {
      const seesAll = can(principal, 'pathReview.readAll');
      // A partner asking for another partner's list sees an empty one, as if that partner had none.
      if (!seesAll && filter.partnerId && filter.partnerId !== principal.partnerId) return { items: [], nextCursor: null };
      const partnerId = seesAll ? filter.partnerId : principal.partnerId!;
      const rows = await prisma.pathReview.findMany({
        where: {
          ...(partnerId ? { partnerId } : {}),
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
      const row = await findOwn(principal, id);
      return withOpenApplicationSlot(prisma, { partnerId: row.partnerId, limit: quotas.openApplications, field: 'id' }, async (tx, admit) => {
        // Only an OPEN review becomes an application; in any other status the workflow answers why not.
        if ((await tx.pathReview.findUnique({ where: { id: row.id }, select: { status: true } }))?.status === 'OPEN') await admit();
        return act(principal, row, (handle) => handle.executeUpdate(apply, { args: [{ actor: actorOf(principal) }] }));
      });
    },

    /** One file for the owning partner's review, while its materials can change (APPLIED, SUPPLEMENT_REQUESTED). */
    async uploadFile(principal: Principal, id: string, upload: Omit<Upload, 'uploadedBy'>, idempotencyKey?: string) {
      const row = await findOwn(principal, id);
      if (row.status !== 'APPLIED' && row.status !== 'SUPPLEMENT_REQUESTED') {
        throw problems.conflict('not-editable', `The review is ${row.status}; files are uploaded in APPLIED or SUPPLEMENT_REQUESTED.`, { currentStatus: row.status });
      }
      return materials.store(
        { kind: PATH_REVIEW_MATERIAL_OWNER, id: row.id, partnerId: row.partnerId },
        { ...upload, uploadedBy: principal.sub },
        {
          maxPerOwner: MAX_FILES_PER_PATH_REVIEW,
          ...(idempotencyKey ? { idempotency: { scope: `${principal.sub} POST /v1/path-reviews/${row.id}/files`, key: idempotencyKey } } : {}),
        },
      );
    },

    /** Sets the file of each kind, in order (one setMaterial update each); every unknown kind or file is named first. */
    async setMaterials(principal: Principal, id: string, assignments: MaterialAssignment[]) {
      const row = await findOwn(principal, id);
      const kinds = (row.terms as PathReviewTerms).materials;
      const files = new Map((await materials.list(PATH_REVIEW_MATERIAL_OWNER, row.id)).map((m) => [m.id.toLowerCase(), m]));
      const errors: FieldError[] = assignments.flatMap((a, i) => [
        ...(kinds.includes(a.kind) ? [] : [{ field: `materials.${i}.kind`, message: `${a.kind} is not a review material of ${row.pathId}; one of: ${kinds.join(', ')}` }]),
        ...(files.has(a.materialId.toLowerCase()) ? [] : [{ field: `materials.${i}.materialId`, message: `no file ${a.materialId} was uploaded to this review` }]),
      ]);
      if (errors.length) throw new Problem(422, 'invalid-materials', 'The request cannot be processed', errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors);
      return act(principal, row, async (handle) => {
        for (const a of assignments) {
          const material = asWorkflowMaterial(files.get(a.materialId.toLowerCase())!);
          await handle.executeUpdate(setMaterial, { args: [{ actor: actorOf(principal), kind: a.kind, material }] });
        }
      });
    },

    submit: async (principal: Principal, id: string) => {
      const row = await findOwn(principal, id);
      return act(principal, row, (handle) => handle.executeUpdate(submit, { args: [{ actor: actorOf(principal) }] }));
    },

    supplement: async (principal: Principal, id: string, note?: string) => {
      const row = await findOwn(principal, id);
      return act(principal, row, (handle) => handle.executeUpdate(supplement, { args: [{ actor: actorOf(principal), ...(note ? { note } : {}) }] }));
    },

    decide: async (principal: Principal, id: string, request: DecisionRequest) => {
      const row = await findVisible(principal, id);
      return act(principal, row, (handle) => handle.executeUpdate(decide, { args: [{ actor: actorOf(principal), ...request }] }));
    },
  };
}

export type PathReviewsClient = ReturnType<typeof createPathReviewsClient>;


const asWorkflowMaterial = (m: MaterialMeta) => ({
  materialId: m.id,
  fileName: m.fileName,
  sha256: m.sha256,
  size: m.size,
  contentType: m.contentType,
  uploadedBy: m.uploadedBy,
  uploadedAt: m.uploadedAt,
});

/** A refusal (a validator's, or the apply/setMaterial handler's) → the problem the API answers. */
function refusalProblem(row: Row, failure: ApplicationFailure): Problem {
  const type = failure.type ?? '';
  const details = failure.details?.[0];
  if (type === PathReviewRefusal.notFound) return problems.notFound(`Path review ${row.id}`);
  if (type === PathReviewRefusal.vendorOnly) return problems.forbidden(failure.message);
  if (CONFLICTS[type]) {
    return problems.conflict(CONFLICTS[type], failure.message, { currentStatus: row.status, ...(RETRYABLE.has(type) ? { retryAfterSeconds: 1 } : {}) });
  }
  if (type === PathReviewRefusal.requirementsUnmet) {
    // Every unmet item, each as a field error and in `unmet` with its required and actual values.
    const unmet = (Array.isArray(details) ? details : []) as UnmetRequirement[];
    const errors = unmet.map((u, i) => ({ field: `requirements.${i}`, message: `${u.description}: required ${u.required}, actual ${u.actual}` }));
    return new Problem(422, 'requirements-unmet', 'The request cannot be processed', failure.message, errors, { unmet });
  }
  if (type === PathReviewRefusal.materialsMissing) {
    const missing = ((details as { missing?: string[] } | undefined)?.missing ?? []) as string[];
    const errors = missing.map((kind) => ({ field: 'materials', message: `no file is set for ${kind}` }));
    return new Problem(422, 'materials-missing', 'The request cannot be processed', failure.message, errors, { missing });
  }
  if (type === PathReviewRefusal.levelNotAllowed) return problems.unprocessable('level-not-allowed', failure.message, 'newLevel');
  if (type === PathReviewRefusal.materialNotFound) return problems.unprocessable('unknown-material', failure.message, 'materials');
  return problems.unprocessable('invalid-request', failure.message);
}

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
const iso = (d: Date | null) => d?.toISOString() ?? null;
const local = (d: Date | null, zone: string) => (d ? DateTime.fromJSDate(d, { zone }).toISO() : null);

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
    deadlineExplanation: PENDING_DEADLINE.has(row.status) ? (row.deadlineExplanation as DeadlineExplanation | null) : null,
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
    history: row.events.map((e) => ({
      seq: e.seq,
      type: e.type,
      fromStatus: e.fromStatus as PathReviewStatus | null,
      toStatus: e.toStatus as PathReviewStatus,
      actor: e.actor,
      at: e.at.toISOString(),
      note: e.note,
      data: e.data as Record<string, unknown> | null,
    })),
    membershipChange: change
      ? {
          fromLevel: change.fromLevel,
          toLevel: change.toLevel,
          reason: change.reason as NonNullable<PathReviewView['membershipChange']>['reason'],
          reviewId: change.reviewId,
          actor: change.actor,
          at: change.at.toISOString(),
          note: change.note,
        }
      : null,
  };
}
