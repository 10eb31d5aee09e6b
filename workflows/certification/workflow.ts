/**
 * Partner certification application, and the certificate it issues (one workflow for both, for years).
 *
 *   DRAFT ──submit (prerequisites met)──▶ SUBMITTED ──▶ IN_REVIEW ──review APPROVE──▶ APPROVED (+ certificate)
 *                                                       │   ▲   └──review REJECT──▶ REJECTED
 *                                   REQUEST_SUPPLEMENT  ▼   │ supplement (new review round)
 *                                                SUPPLEMENT_REQUESTED ──supplementDeadline──▶ WITHDRAWN_BY_TIMEOUT
 *   IN_REVIEW past reviewDueAt: one escalation in the outbox per review round; the application stays IN_REVIEW.
 *   Reminders (outbox): to the vendor's reviewers 1 working day before reviewDueAt, to the partner 2 working days
 *   before supplementDeadline; the withdrawal is announced (certification.withdrawn-by-timeout, by the activity).
 *   recomputeDeadline (the partner's calendar changed): the pending reviewDueAt or supplementDeadline is counted
 *   again from its start; a move is recorded (DEADLINE_CHANGED, old → new) and the timer follows it.
 *   APPROVED: reminders (outbox) 60 and 30 days before validTo; extendCertificate (a renewal) moves validTo later;
 *   at the end of validTo ──▶ EXPIRED (application and certificate).
 *
 * A renewal application (renewalOf) goes through the same states; its APPROVE extends the original certificate
 * (signal to the original workflow) instead of issuing one — unless the original has already expired.
 *
 * Messages are defined in workflows/certification/contract.ts (re-exported here), one contract with the API.
 */
import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { CertificationTransitionRecord, createCertificationActivities } from '../../activities/certification.js';
import type { DeadlineExplanation } from '../../domain/calendar.js';
import { catalogEntry } from '../../domain/certification-catalog.js';
import { type PlannedReminder, planReminders } from '../../domain/reminders.js';
import { CertificationType, DeadlineProvisional, PartnerId, ProcessDeadline, ProcessStatus } from '../kit/search-attributes.js';
import {
  type Actor,
  type CertificateExtension,
  type CertificationSnapshot,
  CERTIFICATION_SUPPLEMENT_REMINDER_TOPIC,
  CertificationRefusal,
  certificationWorkflowId,
  create,
  type CertificationInput,
  EXPIRY_REMINDER_TOPIC,
  expiryReminderDedupeKey,
  extendCertificate,
  getCertification,
  recomputeDeadline,
  type RecomputeRequest,
  REVIEW_DECISIONS,
  REVIEW_ESCALATION_TOPIC,
  REVIEW_REMINDER_TOPIC,
  REVIEW_REMINDER_WORKING_DAYS,
  review,
  reviewEscalationDedupeKey,
  reviewReminderDedupeKey,
  setMaterial,
  submit,
  supplement,
  SUPPLEMENT_REMINDER_WORKING_DAYS,
  supplementReminderDedupeKey,
  type UnmetPrerequisite,
} from './contract.js';
import { persistenceActivityOptions, provisionalMarkOf, provisionalPayload, refuse } from '../kit/shared.js';

export * from './contract.js';


type Extension = { validTo: string; renewalApplicationId: string };
/** Carried across continue-as-new: the whole state, and extensions received but not yet applied. */
type Carried = { snapshot: CertificationSnapshot; pendingExtensions: Extension[] };
type Transition = Omit<CertificationTransitionRecord, 'applicationId' | 'seq' | 'fromStatus' | 'at'> & { at?: string };

const activities = proxyActivities<ReturnType<typeof createCertificationActivities>>(persistenceActivityOptions);
// Waits for another workflow's write: minutes at most, heartbeating while it polls.
const { awaitCertificateExtension } = proxyActivities<ReturnType<typeof createCertificationActivities>>({
  ...persistenceActivityOptions,
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '10 seconds',
});
/**
 * Patch: a renewal's approval waits until the original certificate shows the extension (or has expired) before it
 * claims the extension. Histories recorded before it (test/histories/certification-renewal-extended.json) replay
 * the old path: they claimed the extension as soon as the signal was sent.
 */
const RENEWAL_AWAITS_EXTENSION = 'renewal-awaits-extension';
/**
 * Patch: the review round and the supplement window also wake for recomputeDeadline and move their deadline.
 * Histories recorded before it wait on the deadline computed when the round or the request started.
 */
export const DEADLINE_RECOMPUTE = 'certification-deadline-recompute';
/**
 * Patch: the review round and the supplement window also wait for their deadline's reminder (planned with the deadline
 * by the activity, domain/reminders.ts) and send it. Histories recorded before it wait on the deadline alone.
 */
export const DEADLINE_REMINDERS = 'certification-deadline-reminders';

const SHA256 = /^[0-9a-f]{64}$/i;
const now = () => new Date().toISOString(); // workflow time
const causeOf = (error: unknown) => (error instanceof ActivityFailure && error.cause instanceof ApplicationFailure ? error.cause : error);
const fail = (type: string, message: string, details?: unknown) =>
  ApplicationFailure.create({ type, message, nonRetryable: true, ...(details !== undefined ? { details: [details] } : {}) });

export async function certificationWorkflow(input: CertificationInput, carried?: Carried): Promise<CertificationSnapshot> {
  const state: CertificationSnapshot = carried?.snapshot ?? {
    applicationId: input.applicationId,
    partnerId: input.partnerId,
    type: input.type,
    ...(input.solutionName !== undefined ? { solutionName: input.solutionName } : {}),
    ...(input.renewalOf !== undefined ? { renewalOf: input.renewalOf } : {}),
    createdBy: input.createdBy,
    status: 'DRAFT',
    materials: {},
    reviewRound: 0,
    reviewEscalated: false,
    seq: 0,
  };
  const extensions: Extension[] = [...(carried?.pendingExtensions ?? [])];
  const recomputeRequests: RecomputeRequest[] = [];
  let createFailure: unknown;
  /** An update handler is between its validator and its transition (awaiting an activity): others are refused. */
  let busy = false;
  let persisting: Promise<unknown> = Promise.resolve();
  /** The provisional mark (provisionalMarkOf) of the working-day deadline last set: reviewDueAt or supplementDeadline. */
  let provisional = '';
  /** The reminder of that deadline (none when its plan gave no reminderAt: planned before reminders were). */
  let reminder: PlannedReminder<{ at: string }> | undefined;
  const planReminder = (due: { deadline: string; reminderAt?: string }) => {
    reminder = due.reminderAt ? planReminders([{ at: due.reminderAt }], due.deadline, Date.now())[0] : undefined;
  };
  const countsWorkingDays = () => state.status === 'SUBMITTED' || state.status === 'IN_REVIEW' || state.status === 'SUPPLEMENT_REQUESTED';
  const pendingMark = () => (countsWorkingDays() ? provisional : '');
  const snapshot = (): CertificationSnapshot => JSON.parse(JSON.stringify({ ...state, ...provisionalPayload(pendingMark()) }));

  const pendingDeadline = (): string | undefined =>
    ({ SUBMITTED: state.reviewDueAt, IN_REVIEW: state.reviewDueAt, SUPPLEMENT_REQUESTED: state.supplementDeadline, APPROVED: state.certificate?.expiresAt })[
      state.status as string
    ];
  const publish = () => {
    const deadline = pendingDeadline();
    upsertSearchAttributes([
      { key: ProcessStatus, value: state.status },
      { key: ProcessDeadline, value: deadline ? new Date(deadline) : null },
      { key: DeadlineProvisional, value: pendingMark() !== '' },
    ]);
  };

  const transition = ({ at, ...record }: Transition) => {
    const full: CertificationTransitionRecord = { ...record, applicationId: state.applicationId, seq: ++state.seq, fromStatus: state.status, at: at ?? now() };
    state.status = record.toStatus;
    publish();
    const done = persisting.then(() => activities.recordCertificationTransition(full));
    persisting = done;
    return done.then(snapshot);
  };
  const whileBusy = async <T>(work: () => Promise<T>): Promise<T> => {
    busy = true;
    try {
      return await work();
    } catch (error) {
      throw causeOf(error);
    } finally {
      busy = false;
    }
  };
  const plan = (from: string, workingDays: number, remindBefore: number) => activities.planCertificationDeadline({ partnerId: state.partnerId, from, workingDays, remindBefore });

  // --- validators' pieces ---------------------------------------------------------------------------------------
  const requireCreated = () => {
    if (!state.createdAt) refuse(CertificationRefusal.notCreated, 'The application is still being created.');
  };
  const requireOwner = (actor: Actor) => {
    requireCreated();
    if (actor.partnerId !== state.partnerId) refuse(CertificationRefusal.notFound, 'No such certification application for this partner.');
    if (busy) refuse(CertificationRefusal.busy, 'Another action on this application is in progress; try again.');
  };
  const requireVendor = (actor: Actor) => {
    requireCreated();
    if (actor.partnerId !== undefined && actor.partnerId !== state.partnerId) refuse(CertificationRefusal.notFound, 'No such certification application for this partner.');
    if (actor.partnerId !== undefined) refuse(CertificationRefusal.vendorOnly, 'Only vendor staff review applications.');
    if (busy) refuse(CertificationRefusal.busy, 'Another action on this application is in progress; try again.');
  };
  const requireBeforeSupplementDeadline = () => {
    if (Date.now() >= Date.parse(state.supplementDeadline!)) {
      refuse(CertificationRefusal.supplementDeadlinePassed, `The supplement deadline ${state.supplementDeadline} has passed.`);
    }
  };

  // --- messages -------------------------------------------------------------------------------------------------
  setHandler(getCertification, snapshot);

  setHandler(
    create,
    async () => {
      await condition(() => state.createdAt !== undefined || createFailure !== undefined);
      if (createFailure) throw createFailure;
      return snapshot();
    },
    {
      validator: ({ renewedCertificate }) => {
        if (state.createdAt) return; // a retried create joins the application as it is
        const entry = catalogEntry(input.type);
        if (!entry) refuse(CertificationRefusal.unknownType, `${input.type} is not a certification type of the catalog.`);
        if ((entry.appliesTo === 'SOLUTION') !== Boolean(input.solutionName?.trim())) {
          refuse(CertificationRefusal.invalid, `${input.type} applies to ${entry.appliesTo === 'SOLUTION' ? 'a solution: name it' : 'the partner: name no solution'}.`);
        }
        if (!input.renewalOf !== !renewedCertificate) refuse(CertificationRefusal.invalid, 'A renewal names the certificate it renews, and only a renewal does.');
        const c = renewedCertificate;
        if (c && (c.status !== 'ACTIVE' || c.partnerId !== input.partnerId || c.type !== input.type)) {
          refuse(CertificationRefusal.renewalNotAllowed, `Only an ACTIVE ${input.type} certificate of this partner can be renewed (${c.number} is ${c.status}).`);
        }
      },
    },
  );

  setHandler(
    setMaterial,
    ({ actor, kind, material }) =>
      whileBusy(async () => {
        const args = { applicationId: state.applicationId, partnerId: state.partnerId, materialId: material.materialId };
        if (!(await activities.findCertificationMaterial(args))) {
          throw fail(CertificationRefusal.materialNotFound, `Material ${material.materialId} was not uploaded for this application.`);
        }
        const replaced = state.materials[kind]?.materialId;
        state.materials[kind] = { ...material };
        return transition({ type: 'MATERIAL_SET', toStatus: state.status, actor: actor.sub, data: { kind, material, replaced }, material: { kind, materialId: material.materialId } });
      }),
    {
      validator: ({ actor, kind, material }) => {
        requireOwner(actor);
        if (state.status !== 'DRAFT' && state.status !== 'SUPPLEMENT_REQUESTED') {
          refuse(CertificationRefusal.notEditable, `The application is ${state.status}: materials can be set in DRAFT or SUPPLEMENT_REQUESTED only.`);
        }
        if (state.status === 'SUPPLEMENT_REQUESTED') requireBeforeSupplementDeadline();
        const kinds = state.terms!.requiredMaterials;
        if (!kinds.includes(kind)) refuse(CertificationRefusal.invalid, `kind ${kind} is not required for ${state.type}; one of: ${kinds.join(', ')}.`);
        const m = material;
        if (!m?.materialId || !m.fileName || !SHA256.test(m.sha256) || !Number.isSafeInteger(m.size) || m.size <= 0 || !m.contentType || !m.uploadedBy || Number.isNaN(Date.parse(m.uploadedAt))) {
          refuse(CertificationRefusal.invalid, 'material: needs materialId, fileName, a hex SHA-256, a size > 0, contentType, uploadedBy and uploadedAt.');
        }
      },
    },
  );

  const startReview = (at: string, due: { deadline: string; explanation: DeadlineExplanation; reminderAt?: string }, transitionType: 'REVIEW_STARTED' | 'SUPPLEMENTED', actor: string, note?: string) => {
    provisional = provisionalMarkOf(due.explanation);
    planReminder(due);
    state.reviewRound += 1;
    state.reviewStartedAt = at;
    state.reviewDueAt = due.deadline;
    state.reviewEscalated = false;
    delete state.supplementDeadline;
    delete state.supplementRequestedAt;
    return transition({
      type: transitionType,
      toStatus: 'IN_REVIEW',
      actor,
      at,
      ...(note ? { note } : {}),
      columns: { reviewStartedAt: at, reviewDueAt: due.deadline, supplementRequestedAt: null, supplementDeadline: null },
      data: { reviewRound: state.reviewRound, reviewDueAt: due.deadline, explanation: due.explanation },
    });
  };

  setHandler(
    submit,
    ({ actor }) =>
      whileBusy(async () => {
        const at = now();
        const { today, results } = await activities.checkCertificationPrerequisites({ partnerId: state.partnerId, type: state.type, at });
        const unmet: UnmetPrerequisite[] = results.filter((r) => !r.met).map(({ description, required, actual }) => ({ description, required, actual }));
        if (unmet.length) {
          const list = unmet.map((u) => `${u.description} (required ${u.required}, actual ${u.actual})`).join('; ');
          throw fail(CertificationRefusal.prerequisitesUnmet, `Prerequisites not met on ${today}: ${list}.`, unmet);
        }
        const due = await plan(at, state.terms!.reviewSlaWorkingDays, REVIEW_REMINDER_WORKING_DAYS);
        state.submittedAt = at;
        void transition({ type: 'SUBMITTED', toStatus: 'SUBMITTED', actor: actor.sub, at, columns: { submittedAt: at }, data: { today, prerequisites: results } });
        return startReview(at, due, 'REVIEW_STARTED', 'system');
      }),
    {
      validator: ({ actor }) => {
        requireOwner(actor);
        if (state.status !== 'DRAFT') refuse(CertificationRefusal.notDraft, `The application is ${state.status}, not DRAFT.`);
        const missing = state.terms!.requiredMaterials.filter((kind) => !state.materials[kind]);
        if (missing.length) throw fail(CertificationRefusal.materialsMissing, `Materials missing: ${missing.join(', ')}.`, { missing });
      },
    },
  );

  const approve = async (at: string, actor: string, note?: string) => {
    const columns = { decidedAt: at, ...(note ? { decisionNote: note } : {}) };
    state.decidedAt = at;
    if (note) state.decisionNote = note;
    if (state.renewalOf) {
      const renewal = await activities.planRenewal({ renewalOf: state.renewalOf, validityYears: state.terms!.validityYears });
      if (renewal?.status === 'ACTIVE') {
        let signalled = false;
        try {
          const original = getExternalWorkflowHandle(certificationWorkflowId(state.renewalOf));
          await original.signal(extendCertificate, { validTo: renewal.newValidTo, renewalApplicationId: state.applicationId });
          signalled = true;
        } catch {
          // The original's workflow has ended: its certificate expired meanwhile. This renewal issues a fresh one.
        }
        // The original may have decided to expire just before the signal arrived: its certificate row says which.
        const extended =
          signalled &&
          (!patched(RENEWAL_AWAITS_EXTENSION) ||
            (await awaitCertificateExtension({ applicationId: state.renewalOf, newValidTo: renewal.newValidTo })) === 'EXTENDED');
        if (extended) {
          state.extended = { certificateNumber: renewal.certificateNumber, oldValidTo: renewal.oldValidTo, newValidTo: renewal.newValidTo };
          return transition({ type: 'APPROVED', toStatus: 'APPROVED', actor, at, ...(note ? { note } : {}), columns, data: { extended: state.extended } });
        }
      }
    }
    const certificate = await activities.planCertificate({ ...state, approvedAt: at, terms: state.terms! });
    state.certificate = certificate;
    return transition({
      type: 'APPROVED',
      toStatus: 'APPROVED',
      actor,
      at,
      ...(note ? { note } : {}),
      columns,
      data: { certificate: { number: certificate.number, validFrom: certificate.validFrom, validTo: certificate.validTo } },
      certificate: { issue: { ...certificate, partnerId: state.partnerId } },
    });
  };

  setHandler(
    review,
    ({ actor, decision, note }) =>
      whileBusy(async () => {
        const at = now();
        if (decision === 'APPROVE') return approve(at, actor.sub, note);
        if (decision === 'REJECT') {
          Object.assign(state, { decidedAt: at, decisionNote: note });
          return transition({ type: 'REJECTED', toStatus: 'REJECTED', actor: actor.sub, at, note, columns: { decidedAt: at, decisionNote: note! } });
        }
        const due = await plan(at, state.terms!.supplementWorkingDays, SUPPLEMENT_REMINDER_WORKING_DAYS);
        provisional = provisionalMarkOf(due.explanation);
        planReminder(due);
        state.supplementRequestedAt = at;
        state.supplementDeadline = due.deadline;
        return transition({
          type: 'SUPPLEMENT_REQUESTED',
          toStatus: 'SUPPLEMENT_REQUESTED',
          actor: actor.sub,
          at,
          note,
          columns: { supplementRequestedAt: at, supplementDeadline: due.deadline },
          data: { supplementDeadline: due.deadline, explanation: due.explanation },
        });
      }),
    {
      validator: ({ actor, decision, note }) => {
        requireVendor(actor);
        if (state.status !== 'IN_REVIEW') refuse(CertificationRefusal.notInReview, `The application is ${state.status}, not IN_REVIEW.`);
        if (!(REVIEW_DECISIONS as readonly string[]).includes(decision)) refuse(CertificationRefusal.invalid, `decision must be one of ${REVIEW_DECISIONS.join(', ')}.`);
        if (decision !== 'APPROVE' && !note?.trim()) refuse(CertificationRefusal.invalid, `${decision}: a note is required.`);
      },
    },
  );

  setHandler(
    supplement,
    ({ actor, note }) =>
      whileBusy(async () => {
        const at = now();
        return startReview(at, await plan(at, state.terms!.reviewSlaWorkingDays, REVIEW_REMINDER_WORKING_DAYS), 'SUPPLEMENTED', actor.sub, note);
      }),
    {
      validator: ({ actor }) => {
        requireOwner(actor);
        if (state.status !== 'SUPPLEMENT_REQUESTED') refuse(CertificationRefusal.notSupplementRequested, `The application is ${state.status}, not SUPPLEMENT_REQUESTED.`);
        requireBeforeSupplementDeadline();
      },
    },
  );

  // Signals cannot be refused: an extension that does not move validTo later, or comes too late, is ignored.
  setHandler(extendCertificate, (extension) => {
    const c = state.certificate;
    if (state.status === 'APPROVED' && c && extension.validTo > c.validTo && !c.extensions.some((e) => e.renewalApplicationId === extension.renewalApplicationId)) {
      extensions.push({ ...extension });
    }
  });

  // A deadline already past (escalated, or the supplement window over) or a closed application ignores the signal.
  setHandler(recomputeDeadline, (request) => {
    const pending = state.status === 'IN_REVIEW' ? !state.reviewEscalated && state.reviewDueAt : state.status === 'SUPPLEMENT_REQUESTED' && state.supplementDeadline;
    if (pending && Date.now() < Date.parse(pending)) recomputeRequests.push({ ...request });
  });

  // --- lifecycle ------------------------------------------------------------------------------------------------
  if (!carried) {
    try {
      const draft = await activities.createCertificationDraft({ ...input, createdAt: now() });
      Object.assign(state, draft);
    } catch (error) {
      createFailure = causeOf(error);
      await condition(allHandlersFinished);
      throw createFailure;
    }
  }
  upsertSearchAttributes([
    { key: PartnerId, value: state.partnerId },
    { key: CertificationType, value: state.type },
  ]);
  publish();

  for (;;) {
    const status = state.status;
    if (status === 'DRAFT' || status === 'SUBMITTED') await condition(() => state.status !== status);
    else if (status === 'IN_REVIEW') await reviewRound();
    else if (status === 'SUPPLEMENT_REQUESTED') await supplementWindow();
    else if (status === 'APPROVED' && state.certificate) await certificatePhase();
    else break; // REJECTED, WITHDRAWN_BY_TIMEOUT, EXPIRED, or a renewal that extended the original certificate
  }
  await persisting;
  await condition(allHandlersFinished);
  return snapshot();

  /** Waits for a decision; past reviewDueAt escalates once for this round (the application stays IN_REVIEW). */
  async function reviewRound() {
    const round = state.reviewRound;
    const moved = () => state.status !== 'IN_REVIEW' || state.reviewRound !== round;
    if (state.reviewEscalated) return void (await condition(moved));
    const recomputing = patched(DEADLINE_RECOMPUTE);
    const reminding = patched(DEADLINE_REMINDERS);
    for (;;) {
      const woken = () => moved() || busy || (recomputing && recomputeRequests.length > 0);
      if (!(await condition(woken, untilNext(state.reviewDueAt!, reminding)))) {
        if (Date.now() >= Date.parse(state.reviewDueAt!)) break;
        await remind(REVIEW_REMINDER_TOPIC, reviewReminderDedupeKey(state.applicationId, round, state.reviewDueAt!), {
          reviewRound: round,
          reviewDueAt: state.reviewDueAt,
          workingDaysBefore: REVIEW_REMINDER_WORKING_DAYS,
        });
        continue;
      }
      if (moved() || busy) return void (await condition(() => !busy));
      await recompute('reviewDueAt', () => !moved());
    }
    state.reviewEscalated = true;
    await activities.enqueueCertificationMessage({
      topic: REVIEW_ESCALATION_TOPIC,
      aggregateId: state.applicationId,
      dedupeKey: reviewEscalationDedupeKey(state.applicationId, round),
      payload: { applicationId: state.applicationId, partnerId: state.partnerId, type: state.type, reviewRound: round, reviewDueAt: state.reviewDueAt, ...provisionalPayload(provisional) },
      dueAt: state.reviewDueAt!,
    });
  }

  async function supplementWindow() {
    const open = () => state.status === 'SUPPLEMENT_REQUESTED';
    const recomputing = patched(DEADLINE_RECOMPUTE);
    const reminding = patched(DEADLINE_REMINDERS);
    for (;;) {
      const woken = () => !open() || (recomputing && recomputeRequests.length > 0);
      // A supplement accepted while a reminder was being sent ends the window (and deletes its deadline).
      if (!open()) return;
      if (!(await condition(woken, untilNext(state.supplementDeadline!, reminding)))) {
        if (Date.now() >= Date.parse(state.supplementDeadline!)) break;
        await remind(CERTIFICATION_SUPPLEMENT_REMINDER_TOPIC, supplementReminderDedupeKey(state.applicationId, state.supplementDeadline!), {
          supplementDeadline: state.supplementDeadline,
          workingDaysBefore: SUPPLEMENT_REMINDER_WORKING_DAYS,
        });
        continue;
      }
      if (!open()) return;
      await recompute('supplementDeadline', open);
    }
    await condition(() => !busy); // a supplement accepted before the deadline finishes first
    if (state.status !== 'SUPPLEMENT_REQUESTED') return;
    await transition({
      type: 'WITHDRAWN_BY_TIMEOUT',
      toStatus: 'WITHDRAWN_BY_TIMEOUT',
      actor: 'system',
      note: 'No supplement by the supplement deadline: the application is withdrawn.',
      columns: { decidedAt: now() },
      // The activity announces the withdrawal (certification.withdrawn-by-timeout) with the deadline and its mark.
      data: { supplementDeadline: state.supplementDeadline, ...provisionalPayload(provisional) },
    });
  }

  /** Milliseconds until the deadline — or, reminding, until its reminder when that is unsent and earlier. */
  function untilNext(deadline: string, reminding: boolean) {
    const next = reminding && reminder && !reminder.sent ? Math.min(Date.parse(reminder.at), Date.parse(deadline)) : Date.parse(deadline);
    return Math.max(next - Date.now(), 1);
  }

  /** The pending deadline's reminder, once: to the outbox, saying which deadline it announces and whether it is provisional. */
  async function remind(topic: string, dedupeKey: string, payload: Record<string, unknown>) {
    const r = reminder!;
    r.sent = true;
    await activities.enqueueCertificationMessage({
      topic,
      aggregateId: state.applicationId,
      dedupeKey,
      payload: { applicationId: state.applicationId, partnerId: state.partnerId, type: state.type, ...payload, ...provisionalPayload(provisional) },
      dueAt: r.at,
    });
  }

  /**
   * Counts the pending deadline again from its start with the partner's calendar as it is now (an activity reads
   * it); records old → new if it moved — or, unmoved, if its provisional mark changed (the official schedule was
   * published: the history and the Web UI stop saying provisional) — and the deadline is still the pending one. The
   * caller's wait then follows the new deadline — already past, it fires at once. A calendar that cannot answer
   * (fails closed, e.g. a year it does not cover) keeps the deadline as it is.
   */
  async function recompute(deadline: 'reviewDueAt' | 'supplementDeadline', stillPending: () => boolean) {
    const requests = recomputeRequests.splice(0);
    const [from, workingDays, remindBefore] =
      deadline === 'reviewDueAt'
        ? [state.reviewStartedAt, state.terms!.reviewSlaWorkingDays, REVIEW_REMINDER_WORKING_DAYS]
        : [state.supplementRequestedAt, state.terms!.supplementWorkingDays, SUPPLEMENT_REMINDER_WORKING_DAYS];
    if (!from) return;
    let due: Awaited<ReturnType<typeof plan>>;
    try {
      due = await plan(from, workingDays, remindBefore);
    } catch (error) {
      if (error instanceof ActivityFailure) return;
      throw error;
    }
    const old = state[deadline]!;
    const mark = provisionalMarkOf(due.explanation);
    if (!stillPending() || (due.deadline === old && mark === provisional)) return;
    // The reminder belongs to the deadline (domain/reminders.ts): a moved one is planned again, sent or not.
    if (due.deadline !== old) planReminder(due);
    state[deadline] = due.deadline;
    provisional = mark;
    const { calendar, calendarVersion } = due.explanation;
    const version = calendarVersion ?? requests.at(-1)?.version;
    const withCalendar = `with calendar ${calendar}${version !== undefined ? ` v${version}` : ''}`;
    await transition({
      type: 'DEADLINE_CHANGED',
      toStatus: state.status,
      actor: 'system',
      note:
        due.deadline !== old
          ? `${deadline} recomputed from ${from} ${withCalendar}: ${old} → ${due.deadline}.`
          : `${deadline} confirmed ${withCalendar}: ${old}, ${mark ? `still provisional (${mark})` : 'no longer provisional'}.`,
      columns: { [deadline]: due.deadline },
      data: { deadline, from: old, to: due.deadline, calendar, ...(version !== undefined ? { version } : {}), explanation: due.explanation, reasons: requests.map((r) => r.reason) },
    });
  }

  /** Reminders, extensions and expiry of the issued certificate; continues as new after an extension. */
  async function certificatePhase() {
    const c = state.certificate!;
    for (;;) {
      if (extensions.length || workflowInfo().continueAsNewSuggested) {
        let extended = false;
        while (extensions.length) extended = (await applyExtension(extensions.shift()!)) || extended;
        if (extended || workflowInfo().continueAsNewSuggested) {
          await persisting;
          await condition(allHandlersFinished);
          if (!extensions.length) await continueAsNew<typeof certificationWorkflow>(input, { snapshot: state, pendingExtensions: [] });
          continue;
        }
      }
      const reminder = c.reminders.find((r) => !r.sent);
      const nextAt = Date.parse(reminder ? reminder.at : c.expiresAt);
      const interrupted = await condition(() => extensions.length > 0 || workflowInfo().continueAsNewSuggested, Math.max(nextAt - Date.now(), 1));
      if (interrupted) continue;
      if (reminder) {
        await activities.enqueueCertificationMessage({
          topic: EXPIRY_REMINDER_TOPIC,
          aggregateId: c.number,
          dedupeKey: expiryReminderDedupeKey(c.number, c.validTo, reminder.days),
          payload: { certificateNumber: c.number, applicationId: state.applicationId, partnerId: state.partnerId, type: c.type, validTo: c.validTo, daysBefore: reminder.days },
          dueAt: reminder.at,
        });
        reminder.sent = true;
        continue;
      }
      c.status = 'EXPIRED';
      await transition({ type: 'EXPIRED', toStatus: 'EXPIRED', actor: 'system', data: { certificateNumber: c.number, validTo: c.validTo }, certificate: { expired: true } });
      return;
    }
  }

  async function applyExtension(extension: Extension): Promise<boolean> {
    const c = state.certificate!;
    if (extension.validTo <= c.validTo) return false;
    const times = await activities.planCertificateTimes({ partnerId: state.partnerId, validTo: extension.validTo });
    const record: CertificateExtension = { oldValidTo: c.validTo, newValidTo: extension.validTo, renewalApplicationId: extension.renewalApplicationId, at: now() };
    Object.assign(c, { validTo: extension.validTo, ...times });
    c.extensions.push(record);
    await transition({ type: 'CERTIFICATE_EXTENDED', toStatus: 'APPROVED', actor: 'system', at: record.at, data: record, certificate: { validTo: extension.validTo } });
    return true;
  }
}
