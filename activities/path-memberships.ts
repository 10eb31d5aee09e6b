/**
 * A path review's outcome on the partner's membership of the path (activities/path-review.ts): a passed review raises
 * the level, a failed or lapsed one lowers it or ends the membership. Written in the transaction of the final
 * transition, once per review: review_id is unique among the membership changes.
 */
import type { Tx } from './kit/events.js';

/** PASSED (level raised), FAILED, LAPSED: the membership change the outcome makes. */
export type MembershipChange = { partnerId: string; pathId: string; fromLevel: string; toLevel: string | null; reason: 'REVIEW_PASSED' | 'REVIEW_FAILED' | 'REVIEW_LAPSED' };

/** Appends the change to the membership's history and moves the current level (toLevel null: no longer on the path). */
export async function applyMembershipChange(tx: Tx, m: MembershipChange, by: { reviewId: string; actor: string; at: Date; note: string | null }): Promise<void> {
  const change = await tx.pathMembershipChange.createMany({
    data: [{ partnerId: m.partnerId, pathId: m.pathId, fromLevel: m.fromLevel, toLevel: m.toLevel, reason: m.reason, ...by }],
    skipDuplicates: true,
  });
  if (change.count === 0) return; // this review's outcome is already applied
  const key = { partnerId: m.partnerId, pathId: m.pathId };
  if (m.toLevel === null) await tx.pathMembership.deleteMany({ where: key });
  else {
    await tx.pathMembership.upsert({
      where: { partnerId_pathId: key },
      create: { ...key, level: m.toLevel, since: by.at, updatedAt: by.at },
      update: { level: m.toLevel, since: by.at, updatedAt: by.at },
    });
  }
}
