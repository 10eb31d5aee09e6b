/** Every activity the worker registers, built from explicit dependencies. */
import type { Client } from '@temporalio/client';
import { createCalendarChangeActivities } from './calendar-change.js';
import { deadlineChangedKey } from './deadline-changed.js';
import { type CertificationActivityDeps, createCertificationActivities } from './certification.js';
import { createIncentiveActivities, type IncentiveActivityDeps, OUTCOME_TOPICS, outcomeDedupeKey, reminderDedupeKey } from './incentive.js';
import { createIncentiveRunActivities } from './incentive-run.js';
import { OPPORTUNITY_EXPIRED_TOPIC } from '../domain/events.js';
import { createOpportunityActivities, type OpportunityActivityDeps } from './opportunity.js';
import { createPathReviewActivities, type PathReviewActivityDeps } from './path-review.js';
import { createPathReviewCycleActivities } from './path-review-cycle.js';
import { createSpecialistActivities, SPECIALIST_OUTCOME_TOPICS, type SpecialistActivityDeps } from './specialist.js';
import { createLevelRaiseActivities, LEVEL_RAISE_OUTCOME_TOPICS, type LevelRaiseActivityDeps } from './level-raise.js';
import { createAgreementActivities } from './agreement.js';
import { createEnrollmentActivities, ENROLLMENT_OUTCOME_TOPICS, type EnrollmentActivityDeps } from './enrollment.js';
import { withdrawnDedupeKey } from '../workflows/certification/contract.js';
import { lapsedDedupeKey } from '../workflows/path-review/contract.js';
import { SPECIALIST_SUBMITTED_TOPIC, specialistOutcomeKey } from '../workflows/specialist/contract.js';
import { LEVEL_RAISE_APPROVED_TOPIC, LEVEL_RAISE_SUBMITTED_TOPIC, levelRaiseOutcomeKey } from '../workflows/level-raise/contract.js';
import { ENROLLMENT_ACCEPTED_TOPIC, ENROLLMENT_DECLINED_TOPIC, ENROLLMENT_FAILED_TOPIC, ENROLLMENT_INVITATION_EXPIRED_TOPIC, ENROLLMENT_INVITED_TOPIC, ENROLLMENT_JOINED_TOPIC, ENROLLMENT_REFUSED_AT_JOINING_TOPIC, ENROLLMENT_REQUESTED_TOPIC, enrollmentOutcomeKey } from '../workflows/enrollment/contract.js';
import { signalFailedInvitations } from './enrollment-invitation.js';
import { announceOutbox, createWebhookActivities, type WebhookActivityDeps } from './webhook.js';
import { createCustomerReportActivities, type CustomerReportActivityDeps, customerReportMessageKey, customerReportRecordedKey } from './customer-report.js';
import { announcingUnlinkActivities } from './unlink.js';
import { announcingBulkActionActivities } from './bulk-action.js';

/**
 * `temporal`: the runs start their processes' workflows from activities (activities/start-processes.ts), and the outbox
 * appenders their relay workflows (activities/webhook.ts).
 */
export type ActivityDeps = OpportunityActivityDeps & IncentiveActivityDeps & CertificationActivityDeps & PathReviewActivityDeps & SpecialistActivityDeps & LevelRaiseActivityDeps & EnrollmentActivityDeps & CustomerReportActivityDeps & WebhookActivityDeps & { temporal: Client };

/**
 * The activities that append to the outbox, followed — once their transaction has committed — by the start of each
 * appended message's relay workflow (activities/webhook.ts announceOutbox; the sweeper covers a start lost to a crash).
 */
function announcing(deps: ActivityDeps) {
  const incentive = createIncentiveActivities(deps);
  const certification = createCertificationActivities(deps);
  const pathReview = createPathReviewActivities(deps);
  const opportunity = createOpportunityActivities(deps);
  const specialist = createSpecialistActivities(deps);
  const levelRaise = createLevelRaiseActivities(deps);
  const agreement = createAgreementActivities(deps);
  const enrollment = createEnrollmentActivities(deps);
  const customerReport = createCustomerReportActivities(deps);
  return {
    ...opportunity,
    ...incentive,
    ...certification,
    ...pathReview,
    ...specialist,
    ...levelRaise,
    ...agreement,
    ...enrollment,
    ...customerReport,
    async recordCustomerReport(input: Parameters<typeof customerReport.recordCustomerReport>[0]) {
      const recorded = await customerReport.recordCustomerReport(input);
      await announceOutbox(deps, [customerReportRecordedKey(input.reportId, recorded.status)]);
      return recorded;
    },
    async approveCustomerReport(t: Parameters<typeof customerReport.approveCustomerReport>[0]) {
      await customerReport.approveCustomerReport(t);
      await announceOutbox(deps, [customerReportMessageKey(t)!]);
    },
    async acceptCustomerInvitation(t: Parameters<typeof customerReport.acceptCustomerInvitation>[0]) {
      await customerReport.acceptCustomerInvitation(t);
      await announceOutbox(deps, [customerReportMessageKey(t)!]);
    },
    async recordCustomerReportTransition(t: Parameters<typeof customerReport.recordCustomerReportTransition>[0]) {
      await customerReport.recordCustomerReportTransition(t);
      const key = customerReportMessageKey(t);
      if (key) await announceOutbox(deps, [key]);
      if (t.type === 'DEADLINE_CHANGED') await announceOutbox(deps, [deadlineChangedKey('customer-report', t.reportId, t.seq)]);
    },
    async enqueueCustomerReportMessage(m: Parameters<typeof customerReport.enqueueCustomerReportMessage>[0]) {
      await customerReport.enqueueCustomerReportMessage(m);
      await announceOutbox(deps, [m.dedupeKey]);
    },
    async recordTransition(t: Parameters<typeof opportunity.recordTransition>[0]) {
      await opportunity.recordTransition(t);
      if (t.type === 'EXPIRED') await announceOutbox(deps, [`${OPPORTUNITY_EXPIRED_TOPIC}-${t.opportunityId}`]);
      if (t.type === 'DEADLINE_CHANGED') await announceOutbox(deps, [deadlineChangedKey('opportunity', t.opportunityId, t.seq)]);
    },
    async enqueueOpportunityMessage(m: Parameters<typeof opportunity.enqueueOpportunityMessage>[0]) {
      await opportunity.enqueueOpportunityMessage(m);
      await announceOutbox(deps, [m.dedupeKey]);
    },
    async enqueueIncentiveReminder(r: Parameters<typeof incentive.enqueueIncentiveReminder>[0]) {
      await incentive.enqueueIncentiveReminder(r);
      await announceOutbox(deps, [reminderDedupeKey(r.incentiveId, r.verificationDeadline)]);
    },
    async recordIncentiveTransition(t: Parameters<typeof incentive.recordIncentiveTransition>[0]) {
      await incentive.recordIncentiveTransition(t);
      if (OUTCOME_TOPICS[t.toStatus]) await announceOutbox(deps, [outcomeDedupeKey(t.incentiveId, t.toStatus)]);
      if (t.type === 'DEADLINE_CHANGED') await announceOutbox(deps, [deadlineChangedKey('incentive', t.incentiveId, t.seq)]);
    },
    async recordCertificationTransition(t: Parameters<typeof certification.recordCertificationTransition>[0]) {
      await certification.recordCertificationTransition(t);
      if (t.type === 'WITHDRAWN_BY_TIMEOUT') await announceOutbox(deps, [withdrawnDedupeKey(t.applicationId)]);
      if (t.type === 'DEADLINE_CHANGED') await announceOutbox(deps, [deadlineChangedKey('certification', t.applicationId, t.seq)]);
    },
    async enqueueCertificationMessage(m: Parameters<typeof certification.enqueueCertificationMessage>[0]) {
      await certification.enqueueCertificationMessage(m);
      await announceOutbox(deps, [m.dedupeKey]);
    },
    async enqueuePathReviewMessage(m: Parameters<typeof pathReview.enqueuePathReviewMessage>[0]) {
      await pathReview.enqueuePathReviewMessage(m);
      await announceOutbox(deps, [m.dedupeKey]);
    },
    async recordPathReviewTransition(t: Parameters<typeof pathReview.recordPathReviewTransition>[0]) {
      await pathReview.recordPathReviewTransition(t);
      if (t.type === 'LAPSED') await announceOutbox(deps, [lapsedDedupeKey(t.reviewId)]);
      if (t.type === 'DEADLINE_CHANGED') await announceOutbox(deps, [deadlineChangedKey('path-review', t.reviewId, t.seq)]);
    },
    async submitSpecialistApplication(input: Parameters<typeof specialist.submitSpecialistApplication>[0]) {
      const submitted = await specialist.submitSpecialistApplication(input);
      await announceOutbox(deps, [specialistOutcomeKey(SPECIALIST_SUBMITTED_TOPIC, input.applicationId)]);
      return submitted;
    },
    async recordSpecialistTransition(t: Parameters<typeof specialist.recordSpecialistTransition>[0]) {
      await specialist.recordSpecialistTransition(t);
      const topic = SPECIALIST_OUTCOME_TOPICS[t.type];
      if (topic) await announceOutbox(deps, [specialistOutcomeKey(topic, t.applicationId)]);
      if (t.type === 'DEADLINE_CHANGED') await announceOutbox(deps, [deadlineChangedKey('specialist', t.applicationId, t.seq)]);
    },
    async enqueueSpecialistMessage(m: Parameters<typeof specialist.enqueueSpecialistMessage>[0]) {
      await specialist.enqueueSpecialistMessage(m);
      await announceOutbox(deps, [m.dedupeKey]);
    },
    async submitLevelRaise(input: Parameters<typeof levelRaise.submitLevelRaise>[0]) {
      const submitted = await levelRaise.submitLevelRaise(input);
      await announceOutbox(deps, [levelRaiseOutcomeKey(LEVEL_RAISE_SUBMITTED_TOPIC, input.raiseId)]);
      return submitted;
    },
    async approveLevelRaise(t: Parameters<typeof levelRaise.approveLevelRaise>[0]) {
      await levelRaise.approveLevelRaise(t);
      await announceOutbox(deps, [levelRaiseOutcomeKey(LEVEL_RAISE_APPROVED_TOPIC, t.raiseId)]);
    },
    async recordLevelRaiseTransition(t: Parameters<typeof levelRaise.recordLevelRaiseTransition>[0]) {
      await levelRaise.recordLevelRaiseTransition(t);
      const topic = LEVEL_RAISE_OUTCOME_TOPICS[t.type];
      if (topic) await announceOutbox(deps, [levelRaiseOutcomeKey(topic, t.raiseId)]);
      if (t.type === 'DEADLINE_CHANGED') await announceOutbox(deps, [deadlineChangedKey('level-raise', t.raiseId, t.seq)]);
    },
    async enqueueLevelRaiseMessage(m: Parameters<typeof levelRaise.enqueueLevelRaiseMessage>[0]) {
      await levelRaise.enqueueLevelRaiseMessage(m);
      await announceOutbox(deps, [m.dedupeKey]);
    },
    async requestEnrollment(input: Parameters<typeof enrollment.requestEnrollment>[0]) {
      const requested = await enrollment.requestEnrollment(input);
      await announceOutbox(deps, [enrollmentOutcomeKey(ENROLLMENT_REQUESTED_TOPIC, input.enrollmentId)]);
      return requested;
    },
    // The joining, then the invitations it failed: announced, and their workflows signalled (again on a retry).
    async joinEnrollment(j: Parameters<typeof enrollment.joinEnrollment>[0]) {
      const outcome = await enrollment.joinEnrollment(j);
      const topic = outcome.status === 'JOINED' ? ENROLLMENT_JOINED_TOPIC : ENROLLMENT_REFUSED_AT_JOINING_TOPIC;
      const failed = outcome.status === 'JOINED' ? outcome.failedInvitations.map((f) => enrollmentOutcomeKey(ENROLLMENT_FAILED_TOPIC, f.enrollmentId)) : [];
      await announceOutbox(deps, [enrollmentOutcomeKey(topic, j.enrollmentId), ...failed]);
      await signalFailedInvitations(deps.temporal, outcome);
      return outcome;
    },
    async inviteEnrollment(input: Parameters<typeof enrollment.inviteEnrollment>[0]) {
      const invited = await enrollment.inviteEnrollment(input);
      await announceOutbox(deps, [enrollmentOutcomeKey(ENROLLMENT_INVITED_TOPIC, input.enrollmentId)]);
      return invited;
    },
    async settleInvitation(d: Parameters<typeof enrollment.settleInvitation>[0]) {
      const outcome = await enrollment.settleInvitation(d);
      const topic = { ACCEPTED: ENROLLMENT_ACCEPTED_TOPIC, DECLINED: ENROLLMENT_DECLINED_TOPIC, INVITATION_EXPIRED: ENROLLMENT_INVITATION_EXPIRED_TOPIC }[d.type];
      if (outcome.status === 'DONE') await announceOutbox(deps, [enrollmentOutcomeKey(topic, d.enrollmentId)]);
      return outcome;
    },
    async recordEnrollmentTransition(t: Parameters<typeof enrollment.recordEnrollmentTransition>[0]) {
      await enrollment.recordEnrollmentTransition(t);
      const topic = ENROLLMENT_OUTCOME_TOPICS[t.type];
      if (topic) await announceOutbox(deps, [enrollmentOutcomeKey(topic, t.enrollmentId)]);
      if (t.type === 'DEADLINE_CHANGED') await announceOutbox(deps, [deadlineChangedKey('enrollment', t.enrollmentId, t.seq)]);
    },
    async enqueueEnrollmentMessage(m: Parameters<typeof enrollment.enqueueEnrollmentMessage>[0]) {
      await enrollment.enqueueEnrollmentMessage(m);
      await announceOutbox(deps, [m.dedupeKey]);
    },
    // One page of an agreement's fan-out: its messages' relays start once the page has committed.
    async fanOutAgreementMessages(page: Parameters<typeof agreement.fanOutAgreementMessages>[0]) {
      const appended = await agreement.fanOutAgreementMessages(page);
      await announceOutbox(deps, appended.dedupeKeys);
      return appended;
    },
  };
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createIncentiveRunActivities(deps), ...announcing(deps), ...createPathReviewCycleActivities(deps),
    ...createWebhookActivities(deps), ...createCalendarChangeActivities(deps),
    ...announcingUnlinkActivities(deps), ...announcingBulkActionActivities(deps),
  };
}
