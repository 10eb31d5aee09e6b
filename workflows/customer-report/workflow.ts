/**
 * One customer report (`customer-report-<reportId>`, 报备): a partner reports an enterprise as its prospective
 * customer, and is protected for it; an invitation link the customer accepts turns the report into an association.
 *
 *   report (reportable) ──▶ PROTECTED ──invite──▶ INVITED ──accept (the customer)──▶ ASSOCIATED
 *   report + manualReview ──▶ IN_MANUAL_REVIEW ──review APPROVE──▶ PROTECTED (from the approval)
 *                                  └──review REJECT──▶ REJECTED
 *   INVITED ──invitation expires──▶ PROTECTED (another link may be issued; invite again replaces the link)
 *   PROTECTED / INVITED ──protectedUntil──▶ EXPIRED;  any open state ──withdraw──▶ WITHDRAWN
 *
 * Deadlines: protectedUntil is protectionDays calendar days after the report (or the approval) at the same local time
 * in the partner's zone, the partner reminded one calendar day before; an invitation expires invitationDays calendar
 * days after it was issued, reminded one day before. The manual review is due in the SLA's working days of the
 * partner's calendar from the report, the reviewers reminded one working day before and one escalation past it
 * (workflows/kit/review-due.ts, which also counts it again when the calendar changes).
 *
 * Decisions the database must agree with are decided by one activity in one transaction: the approval (the
 * enterprise's protection, one per enterprise) and the acceptance (the association, one open per customer, written with
 * the report's transition). Either refuses with nothing written. Messages: workflows/customer-report/contract.ts.
 */
import { allHandlersFinished, condition, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { createCustomerReportActivities, CustomerReportTransitionRecord } from '../../activities/customer-report.js';
import { PendingDeadline, publishProcess } from '../kit/deadline.js';
import { ReviewedApplication } from '../kit/reviewed-application.js';
import { acceptReviewRecomputes, watchReviewDue } from '../kit/review-due.js';
import { PartnerId } from '../kit/search-attributes.js';
import { causeOf, now, persistenceActivityOptions, type RecomputeRequest, refuse } from '../kit/shared.js';
import { BusyGuard, transitionQueue } from '../kit/transitions.js';
import {
  accept,
  ASSOCIATION_MODES,
  create,
  CUSTOMER_REPORT_DECISIONS,
  CUSTOMER_REPORT_INVITATION_REMINDER_TOPIC,
  CUSTOMER_REPORT_PROTECTION_REMINDER_TOPIC,
  CUSTOMER_REPORT_REMINDER_DAYS,
  CUSTOMER_REPORT_REVIEW_REMINDER_TOPIC,
  CUSTOMER_REPORT_REVIEW_REMINDER_WORKING_DAYS,
  customerReportReminderKey,
  getState,
  invite,
  Refusal,
  review,
  withdraw,
} from './contract.js';
import type { Actor, CustomerReportInput, CustomerReportSnapshot } from './contract.js';

export * from './contract.js';

const activities = proxyActivities<ReturnType<typeof createCustomerReportActivities>>(persistenceActivityOptions);

export async function customerReportWorkflow(input: CustomerReportInput): Promise<CustomerReportSnapshot> {
  const state: CustomerReportSnapshot = { ...input, status: input.manualReview ? 'IN_MANUAL_REVIEW' : 'PROTECTED', reviewEscalated: false, seq: 0 };
  let createFailure: unknown;
  const app = new ReviewedApplication(new BusyGuard(), {
    partnerId: state.partnerId,
    refusals: Refusal,
    noun: 'customer report',
    name: 'customer report',
    ready: () => state.reportedAt !== undefined,
    notReady: [Refusal.notRecorded, 'The customer report is still being recorded; try again.'],
    vendorOnly: 'Only the vendor decides manual reviews of customer reports.',
  });
  const pending = new PendingDeadline();
  const requests: RecomputeRequest[] = [];
  const reviewing = () => state.status === 'IN_MANUAL_REVIEW';
  const protecting = () => state.status === 'PROTECTED' || state.status === 'INVITED';
  const open = () => reviewing() || protecting();
  const invited = () => state.status === 'INVITED';
  /** The deadline the Web UI shows: the review's due date, else the protection's end or the invitation's, whichever is first. */
  const deadline = () =>
    reviewing() ? state.reviewDueAt : invited() && Date.parse(state.invitationExpiresAt!) < Date.parse(state.protectedUntil!) ? state.invitationExpiresAt : protecting() ? state.protectedUntil : undefined;
  const snapshot = (): CustomerReportSnapshot => JSON.parse(JSON.stringify(state));
  const publish = () => publishProcess(state.status, deadline(), reviewing() ? pending.mark : '');
  const { transition, settled } = transitionQueue(state, {
    id: () => ({ reportId: state.reportId }),
    publish,
    persist: (record: CustomerReportTransitionRecord) => activities.recordCustomerReportTransition(record),
    answer: snapshot,
  });
  const about = () => ({ reportId: state.reportId, partnerId: state.partnerId, creditCode: state.creditCode });
  /** The owning partner's staff, or the vendor's acting for it (customer.expand): another partner's is not found. */
  const requireOwnerOrVendor = (actor: Actor) => (actor.partnerId === undefined ? app.requireVendor(actor) : app.requireOwner(actor));
  const requireBefore = (instant: string | undefined, type: string, message: string) => {
    if (Date.now() >= Date.parse(instant!)) refuse(type, message);
  };

  // --- messages -------------------------------------------------------------------------------------------------
  setHandler(getState, snapshot);

  setHandler(create, async () => {
    await condition(() => state.reportedAt !== undefined || createFailure !== undefined);
    if (createFailure) throw createFailure;
    return snapshot();
  });

  setHandler(
    review,
    ({ actor, decision, note }) =>
      app.guard.run(async () => {
        const at = now();
        if (decision === 'REJECT') {
          Object.assign(state, { decidedAt: at, decisionNote: note });
          return transition({ type: 'REJECTED', toStatus: 'REJECTED', actor: actor.sub, at, note: note!, columns: { decidedAt: at, decisionNote: note! } });
        }
        // Protected from the approval: its end counted in the partner's zone, then decided with the database (another
        // partner protected meanwhile refuses it) in one activity, numbered after every transition recorded before it.
        const protection = await activities.planCustomerReportDays({ partnerId: state.partnerId, from: at, days: state.protectionDays! });
        await settled();
        const columns = { decidedAt: at, ...(note ? { decisionNote: note } : {}), protectedFrom: at, protectedUntil: protection.at };
        const record: CustomerReportTransitionRecord = { reportId: state.reportId, seq: state.seq + 1, type: 'APPROVED', fromStatus: 'IN_MANUAL_REVIEW', toStatus: 'PROTECTED', actor: actor.sub, at, ...(note ? { note } : {}), columns };
        await activities.approveCustomerReport(record);
        Object.assign(state, columns, { seq: record.seq, status: 'PROTECTED', protectionReminderAt: protection.reminderAt });
        publish();
        return snapshot();
      }),
    {
      validator: ({ actor, decision, note }) => {
        app.requireVendor(actor);
        if (!reviewing()) refuse(Refusal.notInReview, `The customer report is ${state.status}, not IN_MANUAL_REVIEW.`);
        if (!(CUSTOMER_REPORT_DECISIONS as readonly string[]).includes(decision)) refuse(Refusal.invalid, `decision must be one of ${CUSTOMER_REPORT_DECISIONS.join(', ')}.`);
        if (decision === 'REJECT' && !note?.trim()) refuse(Refusal.invalid, 'REJECT: a reason (note) is required.');
      },
    },
  );

  setHandler(
    invite,
    ({ actor, mode, tokenSha256 }) =>
      app.guard.run(async () => {
        const at = now();
        const expiry = await activities.planCustomerReportDays({ partnerId: state.partnerId, from: at, days: state.invitationDays! });
        const columns = { invitationMode: mode, invitationTokenSha256: tokenSha256, invitationIssuedAt: at, invitationExpiresAt: expiry.at };
        Object.assign(state, columns, { invitationReminderAt: expiry.reminderAt, invitationReminded: undefined });
        return transition({ type: 'INVITED', toStatus: 'INVITED', actor: actor.sub, at, columns, data: { mode, invitationExpiresAt: expiry.at } });
      }),
    {
      validator: ({ actor, mode, tokenSha256 }) => {
        requireOwnerOrVendor(actor);
        if (!protecting()) refuse(Refusal.notProtected, `The customer report is ${state.status}: an invitation needs a PROTECTED report.`);
        requireBefore(state.protectedUntil, Refusal.notProtected, `The protection ended at ${state.protectedUntil}.`);
        if (!(ASSOCIATION_MODES as readonly string[]).includes(mode)) refuse(Refusal.invalid, `mode must be one of ${ASSOCIATION_MODES.join(', ')}.`);
        if (!/^[0-9a-f]{64}$/.test(tokenSha256)) refuse(Refusal.invalid, 'tokenSha256 must be a hex SHA-256.');
      },
    },
  );

  setHandler(
    accept,
    ({ customerSub, customerId, associationId }) =>
      app.guard.run(async () => {
        const at = now();
        // The association and the report's transition in one transaction, numbered after every transition before it.
        await settled();
        const columns = { customerId, associationId, associatedAt: at };
        const record: CustomerReportTransitionRecord = {
          reportId: state.reportId,
          seq: state.seq + 1,
          type: 'ASSOCIATED',
          fromStatus: 'INVITED',
          toStatus: 'ASSOCIATED',
          actor: customerSub,
          at,
          columns,
          data: { customerId, associationId, mode: state.invitationMode },
        };
        await activities.acceptCustomerInvitation(record);
        Object.assign(state, { customerId, associationId, seq: record.seq, status: 'ASSOCIATED' });
        publish();
        return snapshot();
      }),
    {
      validator: ({ tokenSha256, customerId, associationId }) => {
        if (!state.reportedAt || app.guard.busy) refuse(Refusal.busy, 'Another action on this customer report is in progress; try again.');
        if (!invited() || tokenSha256 !== state.invitationTokenSha256) refuse(Refusal.notInvited, 'This invitation link is no longer valid.');
        requireBefore(state.invitationExpiresAt, Refusal.invitationExpired, `The invitation expired at ${state.invitationExpiresAt}.`);
        requireBefore(state.protectedUntil, Refusal.invitationExpired, `The invitation expired with the report's protection at ${state.protectedUntil}.`);
        if (!customerId || !associationId) refuse(Refusal.invalid, 'customerId and associationId are required.');
      },
    },
  );

  setHandler(
    withdraw,
    ({ actor, reason }) => {
      const at = now();
      state.withdrawnAt = at;
      return transition({ type: 'WITHDRAWN', toStatus: 'WITHDRAWN', actor: actor.sub, at, ...(reason ? { note: reason } : {}), columns: { withdrawnAt: at } });
    },
    {
      validator: ({ actor }) => {
        requireOwnerOrVendor(actor);
        if (!open()) refuse(Refusal.notProtected, `The customer report is ${state.status}: only an open report can be withdrawn.`);
      },
    },
  );

  const due = {
    state,
    pending,
    guard: app.guard,
    reviewing,
    status: 'IN_MANUAL_REVIEW' as const,
    remindBefore: CUSTOMER_REPORT_REVIEW_REMINDER_WORKING_DAYS,
    plan: (a: { from: string; workingDays: number; remindBefore: number }) => activities.planCustomerReportReview({ partnerId: state.partnerId, ...a }),
    remind: (reviewDueAt: string, reminderAt: string, extra: Record<string, unknown>) =>
      activities.enqueueCustomerReportMessage({
        topic: CUSTOMER_REPORT_REVIEW_REMINDER_TOPIC,
        aggregateId: state.reportId,
        dedupeKey: customerReportReminderKey(CUSTOMER_REPORT_REVIEW_REMINDER_TOPIC, state.reportId, reviewDueAt),
        payload: { ...about(), reviewDueAt, workingDaysBefore: CUSTOMER_REPORT_REVIEW_REMINDER_WORKING_DAYS, ...extra },
        dueAt: reminderAt,
      }),
    transition,
  };
  acceptReviewRecomputes(due, requests);

  // --- lifecycle ------------------------------------------------------------------------------------------------
  try {
    const r = await activities.recordCustomerReport({ ...input, reportedAt: new Date(workflowInfo().startTime).toISOString() });
    if (r.status === 'IN_MANUAL_REVIEW') {
      pending.set({ deadline: r.reviewDueAt!, explanation: r.explanation!, ...(r.reviewReminderAt ? { reminderAt: r.reviewReminderAt } : {}) });
      Object.assign(state, { submittedAt: r.reportedAt, reviewSlaWorkingDays: r.reviewSlaWorkingDays, reviewDueAt: r.reviewDueAt });
    } else {
      Object.assign(state, { protectedFrom: r.reportedAt, protectedUntil: r.protectedUntil, protectionReminderAt: r.protectionReminderAt });
    }
    Object.assign(state, { status: r.status, reportedAt: r.reportedAt, protectionDays: r.protectionDays, invitationDays: r.invitationDays, seq: r.seq });
  } catch (error) {
    createFailure = causeOf(error);
    await condition(allHandlersFinished);
    throw createFailure;
  }
  upsertSearchAttributes([{ key: PartnerId, value: state.partnerId }]);
  publish();

  await watchReviewDue(due, requests);
  await condition(() => !reviewing());
  await settled();
  await watchProtection();
  await settled();
  await condition(allHandlersFinished);
  return snapshot();

  /** While PROTECTED or INVITED: the reminders, the invitation's expiry, the protection's end. */
  async function watchProtection() {
    const key = () => `${state.status}|${state.protectedUntil}|${state.invitationExpiresAt}`;
    while (protecting()) {
      const before = key();
      const moments = [Date.parse(state.protectedUntil!)];
      if (state.protectionReminded !== state.protectedUntil) moments.push(Date.parse(state.protectionReminderAt!));
      if (invited()) {
        moments.push(Date.parse(state.invitationExpiresAt!));
        if (state.invitationReminded !== state.invitationExpiresAt) moments.push(Date.parse(state.invitationReminderAt!));
      }
      const woken = await condition(() => !protecting() || key() !== before, Math.max(Math.min(...moments) - Date.now(), 1));
      if (woken) continue;
      // An action accepted as the moment came (an acceptance deciding in its activity) goes first.
      await condition(() => !app.guard.busy);
      if (!protecting() || key() !== before) continue;
      const t = Date.now();
      if (t >= Date.parse(state.protectedUntil!)) {
        state.expiredAt = now();
        await transition({ type: 'EXPIRED', toStatus: 'EXPIRED', actor: 'system', columns: { expiredAt: state.expiredAt }, data: { protectedUntil: state.protectedUntil } });
      } else if (invited() && t >= Date.parse(state.invitationExpiresAt!)) {
        await transition({ type: 'INVITATION_EXPIRED', toStatus: 'PROTECTED', actor: 'system', data: { invitationExpiresAt: state.invitationExpiresAt } });
      } else {
        if (state.protectionReminded !== state.protectedUntil && t >= Date.parse(state.protectionReminderAt!)) {
          state.protectionReminded = state.protectedUntil;
          await remind(CUSTOMER_REPORT_PROTECTION_REMINDER_TOPIC, state.protectedUntil!, state.protectionReminderAt!, { protectedUntil: state.protectedUntil });
        }
        if (invited() && state.invitationReminded !== state.invitationExpiresAt && t >= Date.parse(state.invitationReminderAt!)) {
          state.invitationReminded = state.invitationExpiresAt;
          await remind(CUSTOMER_REPORT_INVITATION_REMINDER_TOPIC, state.invitationExpiresAt!, state.invitationReminderAt!, { invitationExpiresAt: state.invitationExpiresAt, mode: state.invitationMode });
        }
      }
    }
  }

  function remind(topic: string, deadlineAt: string, reminderAt: string, extra: Record<string, unknown>) {
    return activities.enqueueCustomerReportMessage({
      topic,
      aggregateId: state.reportId,
      dedupeKey: customerReportReminderKey(topic, state.reportId, deadlineAt),
      payload: { ...about(), ...extra, daysBefore: CUSTOMER_REPORT_REMINDER_DAYS },
      dueAt: reminderAt,
    });
  }
}
