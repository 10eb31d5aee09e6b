/** Every activity the worker registers, built from explicit dependencies. */
import type { PrismaClient } from '../platform/db.js';
import { createOpportunityActivities } from './opportunity.js';

export type ActivityDeps = { prisma: PrismaClient };

export function createActivities(deps: ActivityDeps) {
  return { ...createOpportunityActivities(deps) };
}
