/** Every activity the worker registers, built from explicit dependencies. */
import { createOpportunityActivities, type OpportunityActivityDeps } from './opportunity.js';

export type ActivityDeps = OpportunityActivityDeps;

export function createActivities(deps: ActivityDeps) {
  return { ...createOpportunityActivities(deps) };
}
