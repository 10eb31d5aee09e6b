// Every workflow type the worker runs. Workflow code only: it is bundled into the Temporal sandbox.
export { opportunityWorkflow } from './opportunity/workflow.js';
export { incentiveWorkflow } from './incentive/workflow.js';
export { incentiveRunWorkflow, monthlyIncentiveGenerationWorkflow } from './incentive-run/workflow.js';
export { certificationWorkflow } from './certification/workflow.js';
export { pathReviewWorkflow } from './path-review/workflow.js';
export { pathReviewCycleWorkflow, scheduledPathReviewCycleWorkflow } from './path-review-cycle/workflow.js';
export { outboxWorkflow, webhookDeliveryWorkflow } from './webhook/workflow.js';
export { calendarChangeWorkflow } from './calendar-change/workflow.js';
export { specialistWorkflow } from './specialist/workflow.js';
export { levelRaiseWorkflow } from './level-raise/workflow.js';
export { agreementWorkflow } from './agreement/workflow.js';
export { enrollmentWorkflow } from './enrollment/workflow.js';
export { customerReportWorkflow } from './customer-report/workflow.js';
export { unlinkWorkflow } from './unlink/workflow.js';
export { bulkActionWorkflow } from './bulk-action/workflow.js';
