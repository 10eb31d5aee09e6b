/**
 * Per-partner quotas (QUOTA_* in platform/config.ts, handed in as AppDeps.quotas): a request that would go past one
 * is refused with 422 `quota-exceeded`, naming the quota, its limit, the partner's current use and the field.
 *
 * Race safety: a quota is counted under a per-partner transaction lock, so two requests at once cannot both pass:
 * held until the counted thing is written for stored bytes (the material row); for open applications, whose row the
 * workflow's activity writes, the admitted request's reservation holds its place instead (withOpenApplicationSlot).
 * Refusing rolls the transaction back: nothing changes.
 */
import { Problem } from '../../domain/problems.js';
import type { Quotas } from '../../platform/config.js';
import type { Prisma, PrismaClient } from '../../prisma/generated/client.js';
import { CERTIFICATION_OPEN_STATUSES } from '../../workflows/certification/contract.js';
import { PATH_REVIEW_OPEN_STATUSES } from '../../workflows/path-review/contract.js';
import type { SpecialistStatus } from '../../workflows/specialist/contract.js';

type Tx = Prisma.TransactionClient;
export type QuotaName = keyof Quotas;

export function quotaExceeded(quota: QuotaName, limit: number, used: number, field: string, detail: string): Problem {
  return new Problem(422, 'quota-exceeded', 'Quota exceeded', detail, [{ field, message: detail }], { quota, limit, used });
}

const lockKey = (quota: QuotaName, partnerId: string) => `quota:${quota}:${partnerId}`;

/** Serializes every request counted against this quota of this partner until the transaction ends. */
export async function lockQuota(tx: Tx, quota: QuotaName, partnerId: string): Promise<void> {
  await tx.$queryRaw`SELECT pg_advisory_xact_lock(hashtext(${lockKey(quota, partnerId)}))::text`;
}

// ---- open applications ------------------------------------------------------------------------------------------

/**
 * What counts as an open application: a certification application not yet decided (DRAFT … SUPPLEMENT_REQUESTED), and a
 * path review the partner has applied in and that is not decided (APPLIED … SUPPLEMENT_REQUESTED). An OPEN review is
 * the vendor's invitation, not the partner's application: it counts once the partner applies. A project specialist
 * application counts while the vendor reviews it (SUBMITTED); an approved specialist is no longer an application.
 */
export const OPEN_CERTIFICATION_STATUSES: readonly string[] = CERTIFICATION_OPEN_STATUSES;
export const OPEN_PATH_REVIEW_APPLICATION_STATUSES: readonly string[] = PATH_REVIEW_OPEN_STATUSES.filter((s) => s !== 'OPEN');

export const OPEN_SPECIALIST_APPLICATION_STATUSES: readonly string[] = ['SUBMITTED'] satisfies SpecialistStatus[];

/**
 * The partner's open applications, and the places reserved by requests admitted whose application is not written yet
 * (a written one counts by itself, not twice) — in ONE statement: its single snapshot sees a request's application or
 * its reservation, never neither (two statements could miss one written and its reservation removed in between).
 */
export async function countOpenApplications(db: Tx | PrismaClient, partnerId: string): Promise<number> {
  const [row] = await db.$queryRaw<{ used: bigint }[]>`
    SELECT (SELECT count(*) FROM certification_application WHERE partner_id = ${partnerId} AND status = ANY(${[...OPEN_CERTIFICATION_STATUSES]}::text[]))
         + (SELECT count(*) FROM path_review WHERE partner_id = ${partnerId} AND status = ANY(${[...OPEN_PATH_REVIEW_APPLICATION_STATUSES]}::text[]))
         + (SELECT count(*) FROM specialist_application WHERE partner_id = ${partnerId} AND status = ANY(${[...OPEN_SPECIALIST_APPLICATION_STATUSES]}::text[]))
         + (SELECT count(*) FROM open_application_reservation r
            WHERE r.partner_id = ${partnerId} AND r.expires_at > now()
              AND NOT EXISTS (SELECT 1 FROM certification_application c WHERE c.id::text = r.id)
              AND NOT EXISTS (SELECT 1 FROM specialist_application s WHERE s.id::text = r.id)
              AND NOT EXISTS (SELECT 1 FROM path_review p WHERE p.id = r.id AND p.status = ANY(${[...OPEN_PATH_REVIEW_APPLICATION_STATUSES]}::text[]))) AS used`;
  return Number(row?.used ?? 0n);
}

/**
 * How long an admitted request's reservation counts while its workflow writes the application: long past the update
 * that persists it (the reservation is removed as soon as that update answers); a request that crashed in between
 * holds its place no longer than this.
 */
export const OPEN_APPLICATION_RESERVATION_MS = 2 * 60_000;
/** The admission's own transaction: short — it never spans the workflow's update. */
const OPEN_APPLICATION_TX = { maxWait: 10_000, timeout: 15_000 } as const;

/**
 * Admits a request that opens an application, and then runs it. `prepare` runs in a short transaction holding the
 * partner's open-applications lock: it calls `admit()` before it opens a new application (refused when the partner has
 * no room: open applications plus the reservations of requests admitted but not yet written) — a request that opens
 * nothing new (an idempotent retry, a review already applied in) does not call it and is not counted — and answers the
 * work to run once that transaction has committed (the workflow's update, which writes the application). A refusal in
 * `prepare` rolls everything back: nothing changes.
 *
 * The transaction never spans the workflow's update: the update waits for an activity that writes to the database,
 * and the embedded PGlite serves one transaction at a time — a transaction held across it waited for itself until it
 * timed out (a project specialist application on `npm start` answered 500 after 60 s). The reservation, written in the
 * admission's transaction and removed once the work has answered, is what keeps two requests at once from both
 * passing the quota in between.
 */
export async function withOpenApplicationSlot<T>(
  prisma: PrismaClient,
  { partnerId, limit, field }: { partnerId: string; limit: number; field: string },
  prepare: (tx: Tx, admit: (applicationId: string) => Promise<void>) => Promise<() => Promise<T>>,
): Promise<T> {
  let reservation: string | undefined;
  const run = await prisma.$transaction(async (tx) => {
    await lockQuota(tx, 'openApplications', partnerId);
    const admit = async (applicationId: string) => {
      const used = await countOpenApplications(tx, partnerId);
      if (used >= limit) {
        throw quotaExceeded(
          'openApplications',
          limit,
          used,
          field,
          `Partner ${partnerId} has ${used} open applications (certifications, path reviews and project specialist applications not yet decided); the quota is ${limit}. Finish one first.`,
        );
      }
      // Keyed by the application it holds a place for: once that is written it counts by itself, and its reservation
      // no longer does (a retry with the same id holds the same place).
      reservation = applicationId;
      await tx.$executeRaw`
        INSERT INTO open_application_reservation (id, partner_id, expires_at)
        VALUES (${reservation}, ${partnerId}, now() + ${`${OPEN_APPLICATION_RESERVATION_MS} milliseconds`}::interval)
        ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at`;
    };
    return prepare(tx, admit);
  }, OPEN_APPLICATION_TX);
  try {
    return await run();
  } finally {
    // Written or refused, the application no longer needs its place held (written, it counts by itself).
    if (reservation) await prisma.$executeRaw`DELETE FROM open_application_reservation WHERE id = ${reservation}`.catch(() => undefined);
  }
}


// ---- stored bytes -----------------------------------------------------------------------------------------------

/** The bytes of every material (file) the partner has stored, whatever process owns it. */
export async function storedBytesOf(tx: Tx, partnerId: string): Promise<number> {
  const [row] = await tx.$queryRaw<{ used: bigint }[]>`SELECT COALESCE(SUM(size), 0)::bigint AS used FROM material WHERE partner_id = ${partnerId}`;
  return Number(row?.used ?? 0n);
}

/** Refuses `adding` more bytes past the quota; call it holding lockQuota(tx, 'storedBytes', partnerId). */
export async function checkStoredBytes(tx: Tx, partnerId: string, limit: number, adding: number, field: string): Promise<void> {
  const used = await storedBytesOf(tx, partnerId);
  if (used + adding > limit) {
    throw quotaExceeded(
      'storedBytes',
      limit,
      used,
      field,
      `Partner ${partnerId} stores ${used} bytes of files; ${adding} more would pass the quota of ${limit} bytes.`,
    );
  }
}
