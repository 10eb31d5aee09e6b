/** Every activity the worker registers, built from explicit dependencies. */
import { createIncentiveActivities, type IncentiveActivityDeps } from './incentive.js';
import { createIncentiveRunActivities } from './incentive-run.js';
import { createOpportunityActivities, type OpportunityActivityDeps } from './opportunity.js';

export type ActivityDeps = OpportunityActivityDeps & IncentiveActivityDeps;

export function createActivities(deps: ActivityDeps) {
  return { ...createOpportunityActivities(deps), ...createIncentiveActivities(deps), ...createIncentiveRunActivities(deps) };
}
