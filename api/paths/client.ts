/**
 * The only door from the HTTP layer into development-path memberships (path_membership, append-only
 * path_membership_change) and the live evaluation of a level's requirement items.
 *
 * Rules: the paths and levels are data (domain/development-paths.json). Partner staff see only their own partner
 * (another partner's answers 404, like a missing one); vendor staff see every partner (path.readAll). Vendor staff
 * holding path.manage set a membership (join or change level) or remove it; every change appends one
 * path_membership_change row (reason SET_BY_VENDOR) in the same transaction, and a request that changes nothing
 * appends nothing. Requirements are evaluated on today's local date in the partner's zone (Asia/Shanghai), against
 * the partner's active experts and active certificates as they are now.
 */
import { DateTime } from 'luxon';
import { loadPartnerFacts } from '../../platform/partner-facts.js';
import { canSeePartner, type Principal } from '../../domain/auth.js';
import type { CalendarLookup } from '../../domain/calendar.js';
import { databaseCalendarLookup } from '../../platform/calendars.js';
import { type DevelopmentPath, developmentPaths, evaluateRequirements, levelOf, pathById } from '../../domain/development-paths.js';
import { describeRule } from '../../domain/partner-rules.js';
import { problems } from '../../domain/problems.js';
import type { Prisma, PrismaClient } from '../../prisma/generated/client.js';
import type { PathReviewStatus } from '../../workflows/path-review/contract.js';
import type { DevelopmentPathView, PathMembershipChangeView, PathMembershipView, RequirementEvaluationView } from './schemas.js';

type Tx = Prisma.TransactionClient;
type MembershipRow = Prisma.PathMembershipGetPayload<object>;
type ChangeRow = Prisma.PathMembershipChangeGetPayload<object>;

/** How many changes a membership shows, newest first. */
export const HISTORY_LIMIT = 50;
export const SET_BY_VENDOR = 'SET_BY_VENDOR';

export type SetMembership = { level: string; note?: string | undefined };

const changeView = (row: ChangeRow): PathMembershipChangeView => ({
  fromLevel: row.fromLevel,
  toLevel: row.toLevel,
  reason: row.reason as PathMembershipChangeView['reason'],
  reviewId: row.reviewId,
  levelRaiseId: row.levelRaiseId,
  actor: row.actor,
  at: row.at.toISOString(),
  note: row.note,
});

export type PathsClientDeps = { prisma: PrismaClient; calendarFor?: CalendarLookup; now?: () => Date };

/** The local date (YYYY-MM-DD) of instant `at` in the partner's zone: the day its requirements are evaluated on. */
export async function partnerToday(calendarFor: CalendarLookup, partnerId: string, at: Date): Promise<string> {
  return DateTime.fromJSDate(at).setZone((await calendarFor(partnerId)).calendar.zone).toISODate()!;
}

export function createPathsClient({ prisma, calendarFor = databaseCalendarLookup(prisma), now = () => new Date() }: PathsClientDeps) {
  /** Partner staff only inside their own partner; another partner's answers like a missing one. */
  function scope(principal: Principal, partnerId: string): void {
    if (!canSeePartner(principal, partnerId, 'path.readAll')) throw problems.notFound(`Partner ${partnerId}`);
  }

  function pathOf(pathId: string): DevelopmentPath {
    const path = pathById(pathId);
    if (!path) throw problems.notFound(`Development path ${pathId}`);
    return path;
  }

  function levelIn(path: DevelopmentPath, level: string) {
    const entry = levelOf(path, level);
    if (!entry) {
      const known = path.levels.map((l) => l.level).join(', ');
      throw problems.unprocessable('unknown-level', `${path.id} has no level ${level}; its levels: ${known}.`, 'level');
    }
    return entry;
  }

  async function history(db: Tx | PrismaClient, partnerId: string, pathId: string): Promise<PathMembershipChangeView[]> {
    const rows = await db.pathMembershipChange.findMany({ where: { partnerId, pathId }, orderBy: [{ at: 'desc' }, { id: 'desc' }], take: HISTORY_LIMIT });
    return rows.map(changeView);
  }

  /** The partner's latest annual review of the path (workflows/path-review/workflow.ts), whatever its status. */
  async function currentReview(db: Tx | PrismaClient, partnerId: string, pathId: string): Promise<PathMembershipView['currentReview']> {
    const review = await db.pathReview.findFirst({ where: { partnerId, pathId }, orderBy: { year: 'desc' }, select: { id: true, year: true, status: true, windowEndsAt: true } });
    return review ? { id: review.id, year: review.year, status: review.status as PathReviewStatus, windowEndsAt: review.windowEndsAt.toISOString() } : null;
  }

  async function membershipView(db: Tx | PrismaClient, row: MembershipRow): Promise<PathMembershipView> {
    const path = pathById(row.pathId);
    return {
      partnerId: row.partnerId,
      pathId: row.pathId,
      // A path or level dropped from the data since: shown by its id rather than hidden.
      pathName: path?.name ?? row.pathId,
      level: row.level,
      levelName: (path && levelOf(path, row.level)?.name) ?? row.level,
      since: row.since.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
      currentReview: await currentReview(db, row.partnerId, row.pathId),
      history: await history(db, row.partnerId, row.pathId),
    };
  }

  async function memberships(db: Tx | PrismaClient, partnerId: string): Promise<{ items: PathMembershipView[] }> {
    const rows = await db.pathMembership.findMany({ where: { partnerId }, orderBy: { pathId: 'asc' } });
    return { items: await Promise.all(rows.map((row) => membershipView(db, row))) };
  }

  /** Changes of one partner + path are serialized (the first join included, when there is no row to lock yet). */
  const lock = (tx: Tx, partnerId: string, pathId: string) => tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`path_membership\n${partnerId}\n${pathId}`}, 0))`;

  return {
    /** The paths with their levels, each requirement item described as an evaluation names it. */
    paths(): { version: string; items: DevelopmentPathView[] } {
      return {
        version: developmentPaths.version,
        items: developmentPaths.paths.map((path) => ({
          ...path,
          levels: path.levels.map((level) => ({ ...level, requirements: level.requirements.map((rule) => ({ ...rule, description: describeRule(rule) })) })),
        })),
      };
    },

    async memberships(principal: Principal, partnerId: string): Promise<{ items: PathMembershipView[] }> {
      scope(principal, partnerId);
      return memberships(prisma, partnerId);
    },

    /**
     * Every requirement item of `level` (default: the partner's current level) met or not, with actual vs required.
     * Not a member and no level named → 409 not-a-member.
     */
    async requirements(principal: Principal, partnerId: string, pathId: string, level?: string): Promise<RequirementEvaluationView> {
      scope(principal, partnerId);
      const path = pathOf(pathId);
      const membership = await prisma.pathMembership.findUnique({ where: { partnerId_pathId: { partnerId, pathId } } });
      if (level === undefined && !membership) {
        throw problems.conflict('not-a-member', `Partner ${partnerId} is not on path ${pathId}: name the level to evaluate (?level=${path.levels[0]!.level}).`, {
          levels: path.levels.map((l) => l.level),
        });
      }
      const entry = levelIn(path, level ?? membership!.level);
      const today = await partnerToday(calendarFor, partnerId, now());
      const items = evaluateRequirements(path, entry.level, await loadPartnerFacts(prisma, partnerId), today);
      return {
        partnerId,
        pathId,
        level: entry.level,
        levelName: entry.name,
        currentLevel: membership?.level ?? null,
        today,
        allMet: items.every((item) => item.met),
        items,
      };
    },

    /** Joins the path at `level`, or changes the level; no change row when the level is already that. */
    async setMembership(principal: Principal, partnerId: string, pathId: string, request: SetMembership): Promise<PathMembershipView> {
      scope(principal, partnerId);
      const path = pathOf(pathId);
      const level = levelIn(path, request.level).level;
      return prisma.$transaction(async (tx) => {
        await lock(tx, partnerId, pathId);
        const key = { partnerId_pathId: { partnerId, pathId } };
        const current = await tx.pathMembership.findUnique({ where: key });
        if (current?.level === level) return membershipView(tx, current);
        const at = now();
        const row = current
          ? await tx.pathMembership.update({ where: key, data: { level, since: at, updatedAt: at } })
          : await tx.pathMembership.create({ data: { partnerId, pathId, level, since: at, updatedAt: at } });
        await tx.pathMembershipChange.create({
          data: { partnerId, pathId, fromLevel: current?.level ?? null, toLevel: level, reason: SET_BY_VENDOR, actor: principal.sub, at, note: request.note ?? null },
        });
        return membershipView(tx, row);
      });
    },

    /** Removes the partner from the path; answers its remaining memberships. Not a member: nothing to record. */
    async removeMembership(principal: Principal, partnerId: string, pathId: string, note?: string): Promise<{ items: PathMembershipView[] }> {
      scope(principal, partnerId);
      pathOf(pathId);
      return prisma.$transaction(async (tx) => {
        await lock(tx, partnerId, pathId);
        const current = await tx.pathMembership.findUnique({ where: { partnerId_pathId: { partnerId, pathId } } });
        if (current) {
          await tx.pathMembership.delete({ where: { partnerId_pathId: { partnerId, pathId } } });
          await tx.pathMembershipChange.create({
            data: { partnerId, pathId, fromLevel: current.level, toLevel: null, reason: SET_BY_VENDOR, actor: principal.sub, at: now(), note: note ?? null },
          });
        }
        return memberships(tx, partnerId);
      });
    },
  };
}

export type PathsClient = ReturnType<typeof createPathsClient>;
