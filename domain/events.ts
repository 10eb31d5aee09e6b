/**
 * The events catalog: every outbox topic a webhook endpoint may subscribe to, with what it means. The processes
 * append these to the outbox (activities/*.ts); the relay (workflows/webhook/workflow.ts) delivers them. Every payload
 * carries the `partnerId` it concerns: a partner's endpoints receive only their own partner's events, vendor
 * endpoints every partner's.
 */

// Every topic name lives here once; the processes' contracts and activities import these.
export const ACCEPT_REMINDER_TOPIC = 'opportunity.accept-reminder';
export const OPPORTUNITY_EXPIRED_TOPIC = 'opportunity.expired';
export const INCENTIVE_REMINDER_TOPIC = 'incentive.reminder';
export const INCENTIVE_VERIFIED_TOPIC = 'incentive.verified';
export const INCENTIVE_EXPIRED_TOPIC = 'incentive.expired';
export const REVIEW_ESCALATION_TOPIC = 'certification.review-escalation';
export const EXPIRY_REMINDER_TOPIC = 'certificate.expiry-reminder';
export const WINDOW_REMINDER_TOPIC = 'path-review.window-reminder';
export const REVIEW_REMINDER_TOPIC = 'certification.review-reminder';
export const CERTIFICATION_SUPPLEMENT_REMINDER_TOPIC = 'certification.supplement-reminder';
export const CERTIFICATION_WITHDRAWN_TOPIC = 'certification.withdrawn-by-timeout';
export const PATH_REVIEW_SUPPLEMENT_REMINDER_TOPIC = 'path-review.supplement-reminder';
export const PATH_REVIEW_LAPSED_TOPIC = 'path-review.lapsed';
export const SPECIALIST_SUBMITTED_TOPIC = 'specialist.submitted';
export const SPECIALIST_REVIEW_REMINDER_TOPIC = 'specialist.review-reminder';
export const SPECIALIST_REVIEW_ESCALATION_TOPIC = 'specialist.review-escalation';
export const SPECIALIST_APPROVED_TOPIC = 'specialist.approved';
export const SPECIALIST_REJECTED_TOPIC = 'specialist.rejected';
export const SPECIALIST_CANCELLED_TOPIC = 'specialist.cancelled';
export const LEVEL_RAISE_SUBMITTED_TOPIC = 'level-raise.submitted';
export const LEVEL_RAISE_REVIEW_REMINDER_TOPIC = 'level-raise.review-reminder';
export const LEVEL_RAISE_REVIEW_ESCALATION_TOPIC = 'level-raise.review-escalation';
export const LEVEL_RAISE_APPROVED_TOPIC = 'level-raise.approved';
export const LEVEL_RAISE_REJECTED_TOPIC = 'level-raise.rejected';
export const LEVEL_RAISE_WITHDRAWN_TOPIC = 'level-raise.withdrawn';
export const ENROLLMENT_REQUESTED_TOPIC = 'enrollment.requested';
export const ENROLLMENT_REVIEW_REMINDER_TOPIC = 'enrollment.review-reminder';
export const ENROLLMENT_REVIEW_ESCALATION_TOPIC = 'enrollment.review-escalation';
export const ENROLLMENT_APPROVED_TOPIC = 'enrollment.approved';
export const ENROLLMENT_REJECTED_TOPIC = 'enrollment.rejected';
export const ENROLLMENT_WITHDRAWN_TOPIC = 'enrollment.withdrawn';
export const ENROLLMENT_JOINED_TOPIC = 'enrollment.joined';
export const ENROLLMENT_REFUSED_AT_JOINING_TOPIC = 'enrollment.refused-at-joining';
export const ENROLLMENT_INVITED_TOPIC = 'enrollment.invited';
export const ENROLLMENT_INVITATION_REMINDER_TOPIC = 'enrollment.invitation-reminder';
export const ENROLLMENT_INVITATION_EXPIRED_TOPIC = 'enrollment.invitation-expired';
export const ENROLLMENT_ACCEPTED_TOPIC = 'enrollment.accepted';
export const ENROLLMENT_DECLINED_TOPIC = 'enrollment.declined';
export const ENROLLMENT_FAILED_TOPIC = 'enrollment.failed';
export const ENROLLMENT_CONFIRMATION_REMINDER_TOPIC = 'enrollment.confirmation-reminder';
export const ENROLLMENT_CONFIRMATION_EXPIRED_TOPIC = 'enrollment.confirmation-expired';
export const AGREEMENT_PUBLISHED_TOPIC = 'agreement.published';
export const AGREEMENT_SIGN_REMINDER_TOPIC = 'agreement.sign-reminder';
export const AGREEMENT_SIGN_ESCALATION_TOPIC = 'agreement.sign-escalation';
export const AGREEMENT_SIGNED_TOPIC = 'agreement.signed';
export const FUNDS_ALLOCATED_TOPIC = 'funds.allocated';
export const FUNDS_RECLAIMED_TOPIC = 'funds.reclaimed';
export const UNLINK_REQUESTED_TOPIC = 'unlink.requested';
export const UNLINK_OBJECTION_REMINDER_TOPIC = 'unlink.objection-reminder';
export const UNLINK_OBJECTED_TOPIC = 'unlink.objected';
export const UNLINK_EXECUTED_TOPIC = 'unlink.executed';
export const UNLINK_REFUSED_AT_EXECUTION_TOPIC = 'unlink.refused-at-execution';
export const CUSTOMER_REFUNDED_TOPIC = 'customer.refunded';
export const ENDPOINT_DISABLED_TOPIC = 'webhook.endpoint-disabled';
export const MARKETPLACE_ORDER_PRICE_ADJUSTED_TOPIC = 'marketplace-order.price-adjusted';
export const CUSTOMER_REPORT_PROTECTED_TOPIC = 'customer-report.protected';
export const CUSTOMER_REPORT_MANUAL_REVIEW_TOPIC = 'customer-report.manual-review-requested';
export const CUSTOMER_REPORT_REVIEW_REMINDER_TOPIC = 'customer-report.review-reminder';
export const CUSTOMER_REPORT_REVIEW_ESCALATION_TOPIC = 'customer-report.review-escalation';
export const CUSTOMER_REPORT_REJECTED_TOPIC = 'customer-report.rejected';
export const CUSTOMER_REPORT_PROTECTION_REMINDER_TOPIC = 'customer-report.protection-reminder';
export const CUSTOMER_REPORT_EXPIRED_TOPIC = 'customer-report.expired';
export const CUSTOMER_REPORT_INVITED_TOPIC = 'customer-report.invited';
export const CUSTOMER_REPORT_INVITATION_REMINDER_TOPIC = 'customer-report.invitation-reminder';
export const CUSTOMER_REPORT_INVITATION_EXPIRED_TOPIC = 'customer-report.invitation-expired';
export const CUSTOMER_REPORT_ASSOCIATED_TOPIC = 'customer-report.associated';
export const CUSTOMER_REPORT_WITHDRAWN_TOPIC = 'customer-report.withdrawn';
export const BULK_ACTION_COMPLETED_TOPIC = 'bulk-action.completed';

/** The processes whose deadlines follow the calendar: each tells its partner when a deadline moved. */
export const DEADLINE_CHANGED_TOPICS = {
  opportunity: 'opportunity.deadline-changed',
  incentive: 'incentive.deadline-changed',
  certification: 'certification.deadline-changed',
  'path-review': 'path-review.deadline-changed',
  specialist: 'specialist.deadline-changed',
  'level-raise': 'level-raise.deadline-changed',
  enrollment: 'enrollment.deadline-changed',
  'customer-report': 'customer-report.deadline-changed',
} as const;
const DEADLINE_CHANGED_MEANING =
  'A pending deadline moved because its calendar changed (e.g. the official holiday schedule of a provisional year was published): old and new deadline, the reason, and whether the new one is still provisional.';

export const EVENTS = {
  [ACCEPT_REMINDER_TOPIC]: 'A shared opportunity is still unanswered one working day before its accept deadline.',
  [OPPORTUNITY_EXPIRED_TOPIC]: 'A shared opportunity was not accepted by its deadline: auto-rejected and reclaimed by the vendor.',
  [INCENTIVE_REMINDER_TOPIC]: 'A monthly incentive is still unverified 3 working days before its verification deadline.',
  [INCENTIVE_VERIFIED_TOPIC]: 'The partner verified a monthly incentive list; its settlement was recorded.',
  [INCENTIVE_EXPIRED_TOPIC]: 'A monthly incentive lapsed unverified at its deadline; nothing is settled.',
  [REVIEW_ESCALATION_TOPIC]: 'A certification application is still in review past its review due date (one per review round).',
  [EXPIRY_REMINDER_TOPIC]: 'An active certificate expires in 60 or 30 days.',
  [WINDOW_REMINDER_TOPIC]: 'An annual path review window closes in 10 or 3 working days and nothing is submitted yet.',
  [REVIEW_REMINDER_TOPIC]: "A certification application is still in review one working day before its review due date (for the vendor's reviewers; one per review round and due date).",
  [CERTIFICATION_SUPPLEMENT_REMINDER_TOPIC]: 'A certification supplement is still outstanding 2 working days before its supplement deadline.',
  [CERTIFICATION_WITHDRAWN_TOPIC]: 'No supplement came by the supplement deadline: the certification application was withdrawn.',
  [PATH_REVIEW_SUPPLEMENT_REMINDER_TOPIC]: 'A path review supplement is still outstanding 2 working days before its supplement deadline.',
  [PATH_REVIEW_LAPSED_TOPIC]:
    'An annual path review lapsed: nothing submitted by the end of its window, or no supplement by the supplement deadline (which deadline, and the level afterwards).',
  [DEADLINE_CHANGED_TOPICS.opportunity]: DEADLINE_CHANGED_MEANING,
  [DEADLINE_CHANGED_TOPICS.incentive]: DEADLINE_CHANGED_MEANING,
  [DEADLINE_CHANGED_TOPICS.certification]: DEADLINE_CHANGED_MEANING,
  [DEADLINE_CHANGED_TOPICS['path-review']]: DEADLINE_CHANGED_MEANING,
  [DEADLINE_CHANGED_TOPICS.specialist]: DEADLINE_CHANGED_MEANING,
  [DEADLINE_CHANGED_TOPICS.enrollment]: DEADLINE_CHANGED_MEANING,
  [SPECIALIST_SUBMITTED_TOPIC]: 'A partner applied for one of its members to become a project specialist on a development path: the application is under vendor review (its review due date).',
  [SPECIALIST_REVIEW_REMINDER_TOPIC]: "A project specialist application is still under review one working day before its review due date (for the vendor's reviewers; one per due date).",
  [SPECIALIST_REVIEW_ESCALATION_TOPIC]: 'A project specialist application is still under review past its review due date (once per application).',
  [SPECIALIST_APPROVED_TOPIC]: 'The vendor approved a project specialist application: the member is a project specialist for the path.',
  [SPECIALIST_REJECTED_TOPIC]: 'The vendor rejected a project specialist application (with its reason); the member may apply again.',
  [SPECIALIST_CANCELLED_TOPIC]: 'A project specialist application or approved specialist was cancelled by the partner or the vendor (who, and the reason); the member may apply again.',
  [DEADLINE_CHANGED_TOPICS['level-raise']]: DEADLINE_CHANGED_MEANING,
  [LEVEL_RAISE_SUBMITTED_TOPIC]: 'A partner asked for the next level of a development path (every requirement met): the raise is under vendor review (its review due date).',
  [LEVEL_RAISE_REVIEW_REMINDER_TOPIC]: "A level raise is still under review one working day before its review due date (for the vendor's reviewers; one per due date).",
  [LEVEL_RAISE_REVIEW_ESCALATION_TOPIC]: 'A level raise is still under review past its review due date (once per raise).',
  [LEVEL_RAISE_APPROVED_TOPIC]: "The vendor approved a level raise: the partner's level on the path is the requested level (from, to).",
  [LEVEL_RAISE_REJECTED_TOPIC]: 'The vendor rejected a level raise (with its reason); the partner may ask again.',
  [LEVEL_RAISE_WITHDRAWN_TOPIC]: 'The partner withdrew its level raise while it was under review.',
  [ENROLLMENT_REQUESTED_TOPIC]: 'A partner asked to join a program (every condition met): under vendor review where the program needs one (its review due date), else joining.',
  [ENROLLMENT_REVIEW_REMINDER_TOPIC]: "An enrollment is still under review one working day before its review due date (for the vendor's reviewers; one per due date).",
  [ENROLLMENT_REVIEW_ESCALATION_TOPIC]: 'An enrollment is still under review past its review due date (once per enrollment).',
  [ENROLLMENT_APPROVED_TOPIC]: 'The vendor approved an enrollment: the partner confirms the instruments joining voids (the reseller program) and joins.',
  [ENROLLMENT_REJECTED_TOPIC]: 'The vendor rejected an enrollment (with its reason); the partner may ask again.',
  [ENROLLMENT_WITHDRAWN_TOPIC]: 'The partner withdrew its enrollment before joining.',
  [ENROLLMENT_JOINED_TOPIC]: 'The partner joined the program (the conditions checked again at that moment); the instruments joining voided are listed, each voided once.',
  [ENROLLMENT_REFUSED_AT_JOINING_TOPIC]: 'The conditions checked again at the moment of joining were no longer met (every unmet reason): the partner did not join.',
  [ENROLLMENT_INVITED_TOPIC]: 'The vendor invited the partner into a program: the partner accepts or declines before invitationExpiresAt (working days of its calendar).',
  [ENROLLMENT_INVITATION_REMINDER_TOPIC]: 'An invitation is still waiting for the partner one working day before it expires (one per expiry instant).',
  [ENROLLMENT_INVITATION_EXPIRED_TOPIC]: 'An invitation was neither accepted nor declined before invitationExpiresAt: EXPIRED.',
  [ENROLLMENT_ACCEPTED_TOPIC]: "The partner accepted an invitation (every condition met): under the vendor's review where the program needs one, else awaiting its confirmation.",
  [ENROLLMENT_DECLINED_TOPIC]: 'The partner declined an invitation (with its reason, if given).',
  [ENROLLMENT_FAILED_TOPIC]: 'An invitation failed because the partner joined another program meanwhile (the program and the enrollment joined).',
  [ENROLLMENT_CONFIRMATION_REMINDER_TOPIC]: 'An approved enrollment is still unconfirmed by the partner one working day before its confirmation deadline (one per deadline).',
  [ENROLLMENT_CONFIRMATION_EXPIRED_TOPIC]: 'An approved enrollment was not confirmed before confirmationDueAt: the approval lapsed (EXPIRED); the partner may ask again.',
  [AGREEMENT_PUBLISHED_TOPIC]:
    'The vendor published an agreement version with a contracting entity (agreementId, version, contractingEntity, textSha256, effective and sign-by dates): one message per partner, to be read and signed by its administrators.',
  [AGREEMENT_SIGN_REMINDER_TOPIC]: 'An agreement version is still unsigned by the partner 7 and again 1 calendar day(s) before its sign-by date (one per partner and reminder).',
  [AGREEMENT_SIGN_ESCALATION_TOPIC]:
    "The partner had not signed the agreement version by its sign-by date (for the vendor's ecosystem managers; once per partner and version); from the effective date its gated actions are refused.",
  [AGREEMENT_SIGNED_TOPIC]: "The partner's administrator signed an agreement version (who, when, version, text hash).",
  [FUNDS_ALLOCATED_TOPIC]: "The partner allocated funds to an associated customer: the amount, what it drew from the recharge and from credit, and the partner's balance after.",
  [FUNDS_RECLAIMED_TOPIC]: "Unspent funds of a customer were reclaimed to the partner (by the partner, or by an unlink): the amount, what returned to credit and to the recharge, and the partner's balance after.",
  [UNLINK_REQUESTED_TOPIC]: 'The partner or the customer asked to unlink the customer (requestedSide): the other side may object until objectionDeadline (calendar days in the partner\'s zone); silence approves.',
  [UNLINK_OBJECTION_REMINDER_TOPIC]: 'An unlink request\'s objection window ends in one calendar day (to: the side that may object; one per unlink).',
  [UNLINK_OBJECTED_TOPIC]: 'The other side objected to an unlink request within its window: the association stays (OBJECTED).',
  [UNLINK_EXECUTED_TOPIC]: 'The objection window passed in silence: the association ended (unlinkedAt) and what the customer had not spent of its allocations returned to the partner (reclaimed per currency).',
  [UNLINK_REFUSED_AT_EXECUTION_TOPIC]: 'The objection window passed but a reason appeared meanwhile (frozen, reserved instances, support plans, a fact unknown): the association stays (REFUSED_AT_EXECUTION, every reason).',
  [CUSTOMER_REFUNDED_TOPIC]: 'Billing refunded consumption of a customer made while it was associated with the partner: the refund went to the partner\'s recharge (transferId), also after an unlink.',
  [DEADLINE_CHANGED_TOPICS['customer-report']]: DEADLINE_CHANGED_MEANING,
  [CUSTOMER_REPORT_PROTECTED_TOPIC]: 'A partner reported an enterprise (by credit code) and it is protected for that partner until protectedUntil (calendar days in its zone), or the vendor approved its manual review.',
  [CUSTOMER_REPORT_MANUAL_REVIEW_TOPIC]: "A partner asked for manual review of an enterprise the rules refuse (its justification, every reason found): the vendor decides by reviewDueAt.",
  [CUSTOMER_REPORT_REVIEW_REMINDER_TOPIC]: "A customer report is still in manual review one working day before its review due date (for the vendor's reviewers; one per due date).",
  [CUSTOMER_REPORT_REVIEW_ESCALATION_TOPIC]: 'A customer report is still in manual review past its review due date (once per report).',
  [CUSTOMER_REPORT_REJECTED_TOPIC]: "The vendor rejected a customer report's manual review (with its reason).",
  [CUSTOMER_REPORT_PROTECTION_REMINDER_TOPIC]: "A customer report's protection ends in one calendar day and the customer is not associated yet (one per protectedUntil).",
  [CUSTOMER_REPORT_EXPIRED_TOPIC]: 'A customer report reached protectedUntil without an association: its protection ended (EXPIRED); any partner may report the enterprise again.',
  [CUSTOMER_REPORT_INVITED_TOPIC]: 'The partner issued an invitation link (mode RESELLER or CONSULTATIVE) for the customer to accept before invitationExpiresAt.',
  [CUSTOMER_REPORT_INVITATION_REMINDER_TOPIC]: 'An invitation link is still unaccepted one calendar day before it expires (one per expiry instant).',
  [CUSTOMER_REPORT_INVITATION_EXPIRED_TOPIC]: 'An invitation link expired unaccepted: the report is PROTECTED again and the partner may issue another.',
  [CUSTOMER_REPORT_ASSOCIATED_TOPIC]: 'The customer accepted the invitation: the customer account is associated with the partner in the invitation\'s mode (associationId, customerId).',
  [CUSTOMER_REPORT_WITHDRAWN_TOPIC]: 'The partner withdrew its customer report (in manual review, protected or invited).',
  [MARKETPLACE_ORDER_PRICE_ADJUSTED_TOPIC]:
    "The order's salesperson partner adjusted the unit price of a marketplace order waiting for payment (orderId, fromUnitPrice → toUnitPrice, total, reason, adjustedBy, adjustedAt, version): the price the customer pays for this order only.",
  [BULK_ACTION_COMPLETED_TOPIC]: 'A bulk action finished every item (jobId, kind, total, counts by outcome: DONE, REFUSED, FAILED); each item\'s result is read with GET /v1/bulk-actions/:id.',
  [ENDPOINT_DISABLED_TOPIC]:
    "One of the partner's webhook endpoints was disabled after WEBHOOK_DISABLE_AFTER_DEAD deliveries in a row ended DEAD (endpointId, url, reason); re-enable it with PATCH /v1/webhooks/:id.",
} as const satisfies Record<string, string>;

export type EventTopic = keyof typeof EVENTS;
export const EVENT_TOPICS = Object.keys(EVENTS) as [EventTopic, ...EventTopic[]];
export const isEventTopic = (topic: string): topic is EventTopic => Object.hasOwn(EVENTS, topic);

/** What every outbox payload holds at least: the partner it concerns (who may receive it). */
export type OutboxPayload = { partnerId: string } & Record<string, unknown>;

/** The stable event id receivers dedupe on (`webhook-id`): one per outbox message, the same on every attempt and endpoint. */
export const eventIdOf = (outboxId: bigint | string) => `evt_${outboxId}`;
