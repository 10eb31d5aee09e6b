/** Every activity the worker registers, built from explicit dependencies. */
import type { Client } from '@temporalio/client';
import { type CertificationActivityDeps, createCertificationActivities } from './certification.js';
import { createIncentiveActivities, type IncentiveActivityDeps } from './incentive.js';
import { createIncentiveRunActivities } from './incentive-run.js';
import { createOpportunityActivities, type OpportunityActivityDeps } from './opportunity.js';
import { createPathReviewActivities, type PathReviewActivityDeps } from './path-review.js';
import { createPathReviewCycleActivities } from './path-review-cycle.js';

/** `temporal`: the runs start their processes' workflows from activities (activities/start-processes.ts). */
export type ActivityDeps = OpportunityActivityDeps & IncentiveActivityDeps & CertificationActivityDeps & PathReviewActivityDeps & { temporal: Client };

export function createActivities(deps: ActivityDeps) {
  return {
    ...createOpportunityActivities(deps), ...createIncentiveActivities(deps), ...createIncentiveRunActivities(deps),
    ...createCertificationActivities(deps), ...createPathReviewActivities(deps), ...createPathReviewCycleActivities(deps),
  };
}
