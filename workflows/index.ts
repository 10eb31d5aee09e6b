// Every workflow type the worker runs. Workflow code only: it is bundled into the Temporal sandbox.
export { opportunityWorkflow } from './opportunity.js';
export { incentiveWorkflow } from './incentive.js';
export { incentiveRunWorkflow, monthlyIncentiveGenerationWorkflow } from './incentive-run.js';
export { certificationWorkflow } from './certification.js';
export { pathReviewWorkflow } from './path-review.js';
export { pathReviewCycleWorkflow, scheduledPathReviewCycleWorkflow } from './path-review-cycle.js';
export { outboxWorkflow, webhookDeliveryWorkflow } from './webhook.js';
export { calendarChangeWorkflow } from './calendar-change.js';
