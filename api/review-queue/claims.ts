/**
 * Claims on the items of the reviewer queue (table review_claim, prisma/migrations/0037_review_claim.sql): who is
 * reviewing an item. A claim changes nothing in the process — its decision stays the workflow's — but while it holds,
 * a decision by anyone else is refused: `requireClaimant` is called by every kind's decide function (the reviewed
 * application kit's decide, and the enrollment, level raise and customer report review functions) before it sends the
 * update, so every way to a decision (the single routes, a bulk decision) meets the same check. An unclaimed item may
 * still be decided by anyone allowed: claims are how reviewers share the work, not a new gate on old clients.
 */
import type { Principal } from '../../domain/auth.js';
import { problems } from '../../domain/problems.js';
import type { PrismaClient } from '../../prisma/generated/client.js';
import type { ReviewKind } from './kinds.js';

export type ClaimView = { reviewer: string; claimedAt: string; assignedBy: string | null };
type ClaimRow = { reviewer: string; claimedAt: Date; assignedBy: string | null };

export const claimView = (row: ClaimRow): ClaimView => ({ reviewer: row.reviewer, claimedAt: row.claimedAt.toISOString(), assignedBy: row.assignedBy });

/** The 409 a caller meets on another reviewer's claim, naming that reviewer (`claimedBy`). */
export const claimedProblem = (what: string, claim: ClaimRow) =>
  problems.conflict('review-claimed', `${what} is claimed by ${claim.reviewer}; it is theirs to decide until they release it or it is assigned to you.`, {
    claimedBy: claim.reviewer,
    claimedAt: claim.claimedAt.toISOString(),
  });

/** Prisma's model or a transaction's: what the checks need. */
type ClaimStore = Pick<PrismaClient, 'reviewClaim'>;

export const findClaim = (prisma: ClaimStore, kind: ReviewKind, itemId: string) =>
  prisma.reviewClaim.findUnique({ where: { kind_itemId: { kind, itemId } }, select: { reviewer: true, claimedAt: true, assignedBy: true } });

/**
 * The check before a decision: refuses (409 review-claimed) a decider who is not the claimant of a claimed item.
 * `itemId` is the stored spelling of the id (the row's). A claim taken between this check and the update is not seen:
 * claims coordinate people, they are not a lock on the workflow (which still refuses a second decision by its state).
 */
export async function requireClaimant(prisma: ClaimStore, kind: ReviewKind, itemId: string, principal: Principal, what: string): Promise<void> {
  const claim = await findClaim(prisma, kind, itemId);
  if (claim && claim.reviewer !== principal.sub) throw claimedProblem(what, claim);
}

/** The same check, bound to one kind: what a process's client keeps to call in its decide function. */
export const claimCheck = (prisma: ClaimStore, kind: ReviewKind) => (principal: Principal, itemId: string, what: string) =>
  requireClaimant(prisma, kind, itemId, principal, what);
export type ClaimCheck = ReturnType<typeof claimCheck>;
