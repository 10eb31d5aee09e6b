/**
 * The only door from the HTTP layer into enrollments (joining a program; 成为云经销商): starts one enrollment
 * (update-with-start `create`), sends the workflow's updates (the vendor's review, the partner's confirmation and
 * withdrawal), previews the instruments joining voids and reads the persisted read model (enrollment,
 * enrollment_event, voided_instrument: prisma/migrations/0024_enrollment.sql, read in SQL).
 *
 * Whether the partner may join (domain/eligibility.ts, the program's rules, as GET /v1/partners/:partnerId/eligibility
 * answers) is checked here before anything starts, decided again by the request's activity in the transaction that
 * records it, and a third time at the moment of joining. Joining is gated by the agreement in force.
 */
import { randomUUID } from 'node:crypto';
import { type ApplicationFailure, type Client, WithStartWorkflowOperation, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { Program } from '../../domain/account.js';
import { actorOf } from '../../domain/actor.js';
import { canSeePartner, type Principal } from '../../domain/auth.js';
import type { CalendarLookup } from '../../domain/calendar.js';
import type { Unmet } from '../../domain/eligibility.js';
import type { Language } from '../../domain/eligibility-messages.js';
import { ENROLLMENT_POLICY, isEnrollable } from '../../domain/enrollment.js';
import type { Money } from '../../domain/money.js';
import { type Problem, problems } from '../../domain/problems.js';
import { requireSignedAgreement } from '../../platform/agreement-gate.js';
import { databaseCalendarLookup } from '../../platform/calendars.js';
import { instrumentListHash, programEligibility, voidableInstrumentsOf } from '../../platform/partner-account.js';
import { Prisma, type PrismaClient } from '../../prisma/generated/client.js';
import { accept, confirm, create, decline, ENROLLMENT_WORKFLOW, type EnrollmentDecision, type EnrollmentStatus, enrollmentWorkflowId, Refusal, review, withdraw } from '../../workflows/enrollment/contract.js';
import type { enrollmentWorkflow } from '../../workflows/enrollment/workflow.js';
import { PartnerId, ProcessStatus } from '../../workflows/kit/search-attributes.js';
import { reserveIdempotentId } from '../kit/idempotency.js';
import { dateKey, decodeCursor, encodeCursor, page } from '../kit/pagination.js';
import { processDoor } from '../kit/process-door.js';
import { refusals } from '../kit/refusals.js';
import { claimCheck } from '../review-queue/claims.js';
import { iso, notEligibleProblem } from '../kit/reviewed-application.js';
import { isUuid } from '../kit/validation.js';
import { pendingDeadlineExplanation } from './deadline-explanation.js';
import type { EnrollmentSummary, EnrollmentView, VoidedInstrumentsPreview } from './schemas.js';

export type ReviewRequest = { decision: EnrollmentDecision; note?: string };

/** Every unmet condition as a field error on program, and in `unmet` as GET …/eligibility describes it. */
const ineligible = (unmet: Unmet[], language: Language): Problem => notEligibleProblem('enrollment-not-eligible', 'program', 'The partner cannot join the program', unmet, language);

/** A refusal (validator, the create handler's activity, the joining's activity) → the problem the API answers. */
const refusalsIn = (language: Language) =>
  refusals({
    [Refusal.notFound]: { status: 404 },
    [Refusal.vendorOnly]: { status: 403 },
    [Refusal.notRequested]: { status: 409, code: 'enrollment-not-requested', retryAfterSeconds: 1 },
    [Refusal.notInReview]: { status: 409, code: 'not-in-review' },
    [Refusal.notAwaitingConfirmation]: { status: 409, code: 'not-awaiting-confirmation' },
    [Refusal.notOpen]: { status: 409, code: 'enrollment-not-open' },
    [Refusal.notInvited]: { status: 409, code: 'not-invited' },
    [Refusal.invitationExpired]: { status: 409, code: 'invitation-expired' },
    [Refusal.invitationFailed]: { status: 409, code: 'invitation-failed' },
    [Refusal.confirmationDeadlinePassed]: { status: 409, code: 'confirmation-deadline-passed' },
    [Refusal.busy]: { status: 409, code: 'action-in-progress', retryAfterSeconds: 1 },
    [Refusal.alreadyOpen]: { status: 409, code: 'enrollment-already-open' },
    [Refusal.instrumentsChanged]: { status: 409, code: 'voided-instruments-changed' },
    [Refusal.ineligible]: { status: 422, problem: (failure: ApplicationFailure) => ineligible((failure.details?.[0] ?? []) as Unmet[], language) },
  });

type Row = {
  id: string;
  partnerId: string;
  program: string;
  status: EnrollmentStatus;
  origin: 'REQUEST' | 'INVITATION';
  requestedBy: string;
  submittedAt: Date;
  invitationNote: string | null;
  invitationExpiresAt: Date | null;
  acceptedBy: string | null;
  acceptedAt: Date | null;
  reviewDueAt: Date | null;
  confirmationDueAt: Date | null;
  joinedAt: Date | null;
  refusal: unknown;
  failure: unknown;
};
const COLUMNS = Prisma.sql`id::text, partner_id AS "partnerId", program, status, origin, requested_by AS "requestedBy", requested_at AS "submittedAt",
  invitation_note AS "invitationNote", invitation_expires_at AS "invitationExpiresAt", accepted_by AS "acceptedBy", accepted_at AS "acceptedAt",
  review_due_at AS "reviewDueAt", confirmation_due_at AS "confirmationDueAt", joined_at AS "joinedAt", refusal, failure`;

export type ListFilter = { status?: EnrollmentStatus; program?: string; limit: number; cursor?: string };

/** `calendarFor`: the partner's calendar, whose zone the view names (default: the database's assignments). */
export type EnrollmentClientDeps = { temporal: Client; prisma: PrismaClient; taskQueue: string; now?: () => Date; calendarFor?: CalendarLookup };

export function createEnrollmentClient({ temporal, prisma, taskQueue, now = () => new Date(), calendarFor = databaseCalendarLookup(prisma) }: EnrollmentClientDeps) {
  const zoneOf = async (partnerId: string) => (await calendarFor(partnerId)).calendar.zone;
  const find = async (id: string): Promise<Row | null> => {
    if (!isUuid(id)) return null;
    const rows = await prisma.$queryRaw<Row[]>`SELECT ${COLUMNS} FROM enrollment WHERE id = ${id.toLowerCase()}::uuid`;
    return rows[0] ?? null;
  };
  const claims = claimCheck(prisma, 'enrollment');
  const door = processDoor<Row, EnrollmentView>({
    temporal,
    title: 'Enrollment',
    noun: 'enrollment',
    readAll: 'enrollment.readAll',
    find,
    workflowId: enrollmentWorkflowId,
    closedCode: 'enrollment-closed',
    refusals: refusalsIn('en'),
    conflictOf: (row) => ({ currentStatus: row.status }),
    toView,
  });

  function toSummary(row: Row, zone: string): EnrollmentSummary {
    return {
      id: row.id,
      partnerId: row.partnerId,
      program: row.program,
      status: row.status,
      origin: row.origin,
      requestedBy: row.requestedBy,
      submittedAt: row.submittedAt.toISOString(),
      invitationNote: row.invitationNote,
      invitationExpiresAt: iso(row.invitationExpiresAt),
      acceptedBy: row.acceptedBy,
      acceptedAt: iso(row.acceptedAt),
      reviewDueAt: iso(row.reviewDueAt),
      confirmationDueAt: iso(row.confirmationDueAt),
      joinedAt: iso(row.joinedAt),
      failure: (row.failure as EnrollmentSummary['failure']) ?? null,
      zone,
    };
  }

  async function toView(row: Row): Promise<EnrollmentView> {
    const events = await prisma.$queryRaw<EnrollmentView['history']>`
      SELECT seq, type, from_status AS "fromStatus", to_status AS "toStatus", actor, at, note, data
      FROM enrollment_event WHERE enrollment_id = ${row.id}::uuid ORDER BY seq`;
    const voided = await prisma.$queryRaw<{ kind: EnrollmentView['voided'][number]['kind']; id: string; issuer: string; amount: Money; voidedAt: Date }[]>`
      SELECT kind, instrument_id AS id, issuer, amount, voided_at AS "voidedAt" FROM voided_instrument WHERE enrollment_id = ${row.id}::uuid ORDER BY kind, instrument_id`;
    const history = events.map((e) => ({ ...e, at: new Date(e.at).toISOString() }));
    return {
      ...toSummary(row, await zoneOf(row.partnerId)),
      deadlineExplanation: pendingDeadlineExplanation(row.status, history),
      refusal: (row.refusal as EnrollmentView['refusal']) ?? null,
      voided: voided.map((v) => ({ ...v, voidedAt: v.voidedAt.toISOString() })),
      history,
    };
  }

  /** Starts (or, for a retry with the same Idempotency-Key, joins) the enrollment's workflow and answers once it is recorded. */
  async function startWorkflow(principal: Principal, id: string, partnerId: string, program: keyof typeof ENROLLMENT_POLICY, language: Language, invitation?: { note?: string }) {
    try {
      await temporal.workflow.executeUpdateWithStart(create, {
        startWorkflowOperation: new WithStartWorkflowOperation<typeof enrollmentWorkflow>(ENROLLMENT_WORKFLOW, {
          workflowId: enrollmentWorkflowId(id),
          taskQueue,
          args: [{ enrollmentId: id, partnerId, program, requestedBy: principal.sub, ...(invitation ? { invitation } : {}) }],
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          typedSearchAttributes: [
            { key: PartnerId, value: partnerId },
            { key: ProcessStatus, value: invitation ? 'INVITED' : ENROLLMENT_POLICY[program].vendorReview ? 'IN_REVIEW' : 'AWAITING_CONFIRMATION' },
          ],
        }),
      });
    } catch (error) {
      const refused = refusalsIn(language).problemOf(error, { what: `Enrollment ${id}` });
      if (refused) throw refused;
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
  }

  return {
    /**
     * Asks to join `program` for the caller's partner: the distributor plan is offline only (422, its eligibility
     * reason); refused with every unmet condition before anything starts; another open enrollment into it → 409.
     */
    async request(principal: Principal, partnerId: string, { program }: { program: Program }, language: Language, idempotencyKey?: string): Promise<EnrollmentView> {
      if (principal.partnerId !== partnerId) throw problems.notFound(`Partner ${partnerId}`);
      await requireSignedAgreement(prisma, partnerId, now()); // gated (docs/agreements.md), before anything starts
      const id = await prisma.$transaction(async (tx) => {
        const id = idempotencyKey ? await reserveIdempotentId(tx, `${principal.sub} POST /v1/partners/${partnerId}/enrollments`, idempotencyKey, { program }) : randomUUID();
        const existing = await tx.$queryRaw<{ id: string }[]>`SELECT id::text FROM enrollment WHERE id = ${id}::uuid`;
        if (existing.length) return id;
        const { unmet } = await programEligibility(tx, partnerId, program);
        if (unmet.length) throw ineligible(unmet, language);
        const open = await tx.$queryRaw<{ id: string }[]>`SELECT id::text FROM enrollment WHERE open_key = ${`${partnerId}/${program}`}`;
        if (open[0]) throw problems.conflict('enrollment-already-open', `Enrollment ${open[0].id} into ${program} is open.`, { enrollmentId: open[0].id });
        return id;
      });
      if (!isEnrollable(program)) throw problems.unprocessable('program-offline-only', `${program} is joined offline only.`, 'program');
      await startWorkflow(principal, id, partnerId, program, language);
      return door.get(principal, id);
    },

    get: door.get,

    /**
     * The vendor invites a partner into a program: an enrollment INVITED, waiting for the partner. The partner's
     * eligibility is not checked here (it is when the partner accepts, with every reason); the distributor plan is
     * joined offline only (422), and one open enrollment per partner and program holds (409).
     */
    async invite(principal: Principal, body: { partnerId: string; program: Program; note?: string }, idempotencyKey?: string): Promise<EnrollmentView> {
      const { partnerId, program, note } = body;
      if (!isEnrollable(program)) throw problems.unprocessable('program-offline-only', `${program} is joined offline only.`, 'program');
      const id = await prisma.$transaction(async (tx) => {
        const id = idempotencyKey ? await reserveIdempotentId(tx, `${principal.sub} POST /v1/enrollment-invitations`, idempotencyKey, body) : randomUUID();
        const existing = await tx.$queryRaw<{ id: string }[]>`SELECT id::text FROM enrollment WHERE id = ${id}::uuid`;
        if (existing.length) return id;
        const open = await tx.$queryRaw<{ id: string }[]>`SELECT id::text FROM enrollment WHERE open_key = ${`${partnerId}/${program}`}`;
        if (open[0]) throw problems.conflict('enrollment-already-open', `Enrollment ${open[0].id} into ${program} is open.`, { enrollmentId: open[0].id });
        return id;
      });
      await startWorkflow(principal, id, partnerId, program, 'en', note ? { note } : {});
      return door.get(principal, id);
    },

    /** The partner's enrollments, newest first; another partner's staff are answered 404, as if it did not exist. */
    async list(principal: Principal, partnerId: string, filter: ListFilter) {
      if (!canSeePartner(principal, partnerId, 'enrollment.readAll')) throw problems.notFound(`Partner ${partnerId}`);
      const after = filter.cursor ? decodeCursor(filter.cursor, dateKey, isUuid) : undefined;
      const rows = await prisma.$queryRaw<Row[]>`
        SELECT ${COLUMNS} FROM enrollment
        WHERE partner_id = ${partnerId}
          AND (${filter.status ?? null}::text IS NULL OR status = ${filter.status ?? null})
          AND (${filter.program ?? null}::text IS NULL OR program = ${filter.program ?? null})
          AND (${after?.key ?? null}::timestamptz IS NULL OR (requested_at, id) < (${after?.key ?? null}::timestamptz, ${after?.id ?? null}::uuid))
        ORDER BY requested_at DESC, id DESC LIMIT ${filter.limit + 1}`;
      const one = page(rows, filter.limit, (r) => encodeCursor(r.submittedAt, r.id));
      const zone = await zoneOf(partnerId);
      return { items: one.items.map((row) => toSummary(row, zone)), nextCursor: one.nextCursor };
    },

    /** The invited partner accepts: refused with every unmet condition before anything is sent (the invitation stays INVITED). */
    async accept(principal: Principal, id: string, language: Language): Promise<EnrollmentView> {
      const row = await door.findOwn(principal, id);
      await requireSignedAgreement(prisma, row.partnerId, now());
      if (row.status === 'INVITED' && isEnrollable(row.program)) {
        const { unmet } = await programEligibility(prisma, row.partnerId, row.program);
        if (unmet.length) throw ineligible(unmet, language);
      }
      // The workflow's activity checks again under the partner's lock: a condition unmet meanwhile is the same 422.
      return door.act(principal, row, (handle) => handle.executeUpdate(accept, { args: [{ actor: actorOf(principal) }] }));
    },

    /** The invited partner declines, with an optional reason. */
    async decline(principal: Principal, id: string, reason?: string): Promise<EnrollmentView> {
      const row = await door.findOwn(principal, id);
      return door.act(principal, row, (handle) => handle.executeUpdate(decline, { args: [{ actor: actorOf(principal), ...(reason ? { reason } : {}) }] }));
    },

    /** Exactly the instruments joining voids now, and the hash the partner confirms with. */
    async preview(principal: Principal, id: string): Promise<VoidedInstrumentsPreview> {
      const row = await door.findVisible(principal, id);
      const voids = isEnrollable(row.program) && ENROLLMENT_POLICY[row.program].voidsInstruments;
      const { instruments, hash } = voids ? await voidableInstrumentsOf(prisma, row.partnerId) : NOTHING_VOIDED;
      return { enrollmentId: row.id, program: row.program, instruments, instrumentsHash: hash };
    },

    /** The vendor's decision (the workflow refuses partners: VENDOR_ONLY). */
    async review(principal: Principal, id: string, request: ReviewRequest): Promise<EnrollmentView> {
      const row = await door.findVisible(principal, id);
      await claims(principal, row.id, `Enrollment ${row.id}`); // another reviewer's claim: 409 review-claimed
      return door.act(principal, row, (handle) => handle.executeUpdate(review, { args: [{ actor: actorOf(principal), ...request }] }));
    },

    /** The partner joins, confirming the preview's hash (gated: the agreement in force must be signed). */
    async confirm(principal: Principal, id: string, instrumentsHash: string): Promise<EnrollmentView> {
      const row = await door.findOwn(principal, id);
      await requireSignedAgreement(prisma, row.partnerId, now());
      return door.act(principal, row, (handle) => handle.executeUpdate(confirm, { args: [{ actor: actorOf(principal), instrumentsHash }] }));
    },

    /** By the owning partner's staff while open. */
    async withdraw(principal: Principal, id: string, reason?: string): Promise<EnrollmentView> {
      const row = await door.findOwn(principal, id);
      return door.act(principal, row, (handle) => handle.executeUpdate(withdraw, { args: [{ actor: actorOf(principal), ...(reason ? { reason } : {}) }] }));
    },
  };
}

/** A program that voids nothing previews the empty list, with the hash of that list. */
const NOTHING_VOIDED = { instruments: [], hash: instrumentListHash([]) };

export type EnrollmentClient = ReturnType<typeof createEnrollmentClient>;
