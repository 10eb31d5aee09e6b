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
 * The application part is the reviewed-application kit (workflows/kit/reviewed-application.ts, review-rounds.ts), the
 * certificate's the validity kit (workflows/kit/validity.ts). Messages: workflows/certification/contract.ts (re-exported).
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { CertificationTransitionRecord, createCertificationActivities } from '../../activities/certification.js';
import { appliesToOf } from '../../domain/certification-types.js';
import { PendingDeadline, publishProcess } from '../kit/deadline.js';
import { ReviewedApplication } from '../kit/reviewed-application.js';
import { ReviewRounds } from '../kit/review-rounds.js';
import { CertificationType, PartnerId } from '../kit/search-attributes.js';
import { causeOf, now, persistenceActivityOptions, provisionalPayload, refuse } from '../kit/shared.js';
import { BusyGuard, transitionQueue } from '../kit/transitions.js';
import { validityPhase } from '../kit/validity.js';
import * as contract from './contract.js';
import { type CertificateExtension, type CertificationInput, type CertificationSnapshot, type CertificationStatus, Refusal as Refusal } from './contract.js';
import { certificationWorkflowId, create, extendCertificate, getCertification, recomputeDeadline, REVIEW_DECISIONS, review, setMaterial, submit, supplement } from './contract.js';

export * from './contract.js';

type Extension = { validTo: string; renewalApplicationId: string };
/** Carried across continue-as-new: the whole state, and extensions received but not yet applied. */
type Carried = { snapshot: CertificationSnapshot; pendingExtensions: Extension[] };

const activities = proxyActivities<ReturnType<typeof createCertificationActivities>>(persistenceActivityOptions);
// Waits for another workflow's write: minutes at most, heartbeating while it polls.
const waiting = { ...persistenceActivityOptions, startToCloseTimeout: '5 minutes', heartbeatTimeout: '10 seconds' };
const { awaitCertificateExtension } = proxyActivities<ReturnType<typeof createCertificationActivities>>(waiting);
/**
 * Patch: a renewal's approval waits until the original certificate shows the extension (or has expired) before it
 * claims the extension. Histories recorded before it (test/histories/certification-renewal-extended.json) replay
 * the old path: they claimed the extension as soon as the signal was sent.
 */
const RENEWAL_AWAITS_EXTENSION = 'renewal-awaits-extension';
/**
 * Patches of the review round and the supplement window (workflows/kit/review-rounds.ts): they also wake for
 * recomputeDeadline and move their deadline (DEADLINE_RECOMPUTE), and wait for their deadline's reminder (planned with
 * it by the activity, domain/reminders.ts) and send it (DEADLINE_REMINDERS). Histories recorded before them wait on
 * the deadline computed when the round or the request started, alone.
 */
export const DEADLINE_RECOMPUTE = 'certification-deadline-recompute';
export const DEADLINE_REMINDERS = 'certification-deadline-reminders';

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
  let createFailure: unknown;
  const app = new ReviewedApplication(new BusyGuard(), {
    partnerId: state.partnerId,
    refusals: Refusal,
    noun: 'application',
    name: 'certification application',
    ready: () => state.createdAt !== undefined,
    notReady: [Refusal.notCreated, 'The application is still being created.'],
    vendorOnly: 'Only vendor staff review applications.',
  });
  /** The working-day deadline last set (reviewDueAt or supplementDeadline): its provisional mark and reminder. */
  const pending = new PendingDeadline();
  const snapshot = (): CertificationSnapshot => JSON.parse(JSON.stringify({ ...state, ...provisionalPayload(rounds.pendingMark()) }));
  const publish = () => publishProcess(state.status, rounds.pendingDeadline() ?? (state.status === 'APPROVED' ? state.certificate?.expiresAt : undefined), rounds.pendingMark());
  const { transition, settled } = transitionQueue(state, {
    id: () => ({ applicationId: state.applicationId }),
    publish,
    persist: (record: CertificationTransitionRecord) => activities.recordCertificationTransition(record),
    answer: snapshot,
  });
  const rounds = new ReviewRounds<CertificationStatus, CertificationSnapshot>({
    state,
    pending,
    app,
    refusals: Refusal,
    terms: () => state.terms!,
    plan: (from, workingDays, remindBefore) => activities.planCertificationDeadline({ partnerId: state.partnerId, from, workingDays, remindBefore }),
    transition,
    enqueue: activities.enqueueCertificationMessage,
    id: state.applicationId,
    about: () => ({ applicationId: state.applicationId, partnerId: state.partnerId, type: state.type }),
    review: {
      reminderTopic: contract.REVIEW_REMINDER_TOPIC,
      reminderWorkingDays: contract.REVIEW_REMINDER_WORKING_DAYS,
      reminderKey: contract.reviewReminderDedupeKey,
      escalationTopic: contract.REVIEW_ESCALATION_TOPIC,
      escalationKey: contract.reviewEscalationDedupeKey,
    },
    supplement: {
      reminderTopic: contract.CERTIFICATION_SUPPLEMENT_REMINDER_TOPIC,
      reminderWorkingDays: contract.SUPPLEMENT_REMINDER_WORKING_DAYS,
      reminderKey: contract.supplementReminderDedupeKey,
    },
    patches: { recompute: DEADLINE_RECOMPUTE, reminders: DEADLINE_REMINDERS },
  });

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
        const appliesTo = appliesToOf(input.type);
        if (!appliesTo) refuse(Refusal.unknownType, `${input.type} is not a certification type of the catalog.`);
        if ((appliesTo === 'SOLUTION') !== Boolean(input.solutionName?.trim())) {
          refuse(Refusal.invalid, `${input.type} applies to ${appliesTo === 'SOLUTION' ? 'a solution: name it' : 'the partner: name no solution'}.`);
        }
        if (!input.renewalOf !== !renewedCertificate) refuse(Refusal.invalid, 'A renewal names the certificate it renews, and only a renewal does.');
        const c = renewedCertificate;
        if (c && (c.status !== 'ACTIVE' || c.partnerId !== input.partnerId || c.type !== input.type)) {
          refuse(Refusal.renewalNotAllowed, `Only an ACTIVE ${input.type} certificate of this partner can be renewed (${c.number} is ${c.status}).`);
        }
      },
    },
  );

  app.handleSetMaterial(setMaterial, {
    requireEditable: () => {
      if (state.status !== 'DRAFT' && state.status !== 'SUPPLEMENT_REQUESTED') {
        refuse(Refusal.notEditable, `The application is ${state.status}: materials can be set in DRAFT or SUPPLEMENT_REQUESTED only.`);
      }
      if (state.status === 'SUPPLEMENT_REQUESTED') app.requireBeforeSupplementDeadline(state.supplementDeadline);
    },
    kinds: () => state.terms!.requiredMaterials,
    unknownKind: (kind, kinds) => `kind ${kind} is not required for ${state.type}; one of: ${kinds.join(', ')}.`,
    uploaded: (materialId) => activities.findCertificationMaterial({ applicationId: state.applicationId, partnerId: state.partnerId, materialId }),
    current: () => state.materials,
    status: () => state.status,
    transition,
  });

  setHandler(
    submit,
    ({ actor }) =>
      app.guard.run(async () => {
        const at = now();
        const { today, results } = await activities.checkCertificationPrerequisites({ partnerId: state.partnerId, type: state.type, at });
        app.requireAllMet(results, Refusal.prerequisitesUnmet, (list) => `Prerequisites not met on ${today}: ${list}.`);
        const due = await rounds.planReview(at);
        state.submittedAt = at;
        void transition({ type: 'SUBMITTED', toStatus: 'SUBMITTED', actor: actor.sub, at, columns: { submittedAt: at }, data: { today, prerequisites: results } });
        return rounds.startReview(at, due, 'REVIEW_STARTED', 'system');
      }),
    {
      validator: ({ actor }) => {
        app.requireOwner(actor);
        if (state.status !== 'DRAFT') refuse(Refusal.notDraft, `The application is ${state.status}, not DRAFT.`);
        app.requireAllMaterials(state.terms!.requiredMaterials, state.materials);
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
    const data = { certificate: { number: certificate.number, validFrom: certificate.validFrom, validTo: certificate.validTo } };
    return transition({ type: 'APPROVED', toStatus: 'APPROVED', actor, at, ...(note ? { note } : {}), columns, data, certificate: { issue: { ...certificate, partnerId: state.partnerId } } });
  };

  rounds.handleDecisions({ review, supplement, decisions: REVIEW_DECISIONS, approve });

  // Signals cannot be refused: an extension that does not move validTo later, or comes too late, is ignored.
  setHandler(extendCertificate, (extension) => {
    const c = state.certificate;
    if (state.status === 'APPROVED' && c && extension.validTo > c.validTo && !c.extensions.some((e) => e.renewalApplicationId === extension.renewalApplicationId)) {
      extensions.push({ ...extension });
    }
  });

  setHandler(recomputeDeadline, (request) => rounds.recomputeAsked(request));

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
  upsertSearchAttributes([{ key: PartnerId, value: state.partnerId }, { key: CertificationType, value: state.type }]);
  publish();

  for (;;) {
    const status = state.status;
    if (status === 'DRAFT' || status === 'SUBMITTED') await condition(() => state.status !== status);
    else if (status === 'IN_REVIEW') await rounds.reviewRound();
    else if (status === 'SUPPLEMENT_REQUESTED') await rounds.supplementWindow();
    else if (status === 'APPROVED' && state.certificate) await certificatePhase();
    else break; // REJECTED, WITHDRAWN_BY_TIMEOUT, EXPIRED, or a renewal that extended the original certificate
  }
  await settled();
  await condition(allHandlersFinished);
  return snapshot();

  /** Reminders, extensions and expiry of the issued certificate; continues as new after an extension. */
  function certificatePhase() {
    const c = state.certificate!;
    return validityPhase({
      validity: c,
      extensions,
      extend: applyExtension,
      remind: (reminder) =>
        activities.enqueueCertificationMessage({
          topic: contract.EXPIRY_REMINDER_TOPIC,
          aggregateId: c.number,
          dedupeKey: contract.expiryReminderDedupeKey(c.number, c.validTo, reminder.days),
          payload: { certificateNumber: c.number, applicationId: state.applicationId, partnerId: state.partnerId, type: c.type, validTo: c.validTo, daysBefore: reminder.days },
          dueAt: reminder.at,
        }),
      expire: () => {
        c.status = 'EXPIRED';
        return transition({ type: 'EXPIRED', toStatus: 'EXPIRED', actor: 'system', data: { certificateNumber: c.number, validTo: c.validTo }, certificate: { expired: true } });
      },
      settled,
      continueAsNew: () => continueAsNew<typeof certificationWorkflow>(input, { snapshot: state, pendingExtensions: [] }),
    });
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
