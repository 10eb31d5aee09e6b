/**
 * Per-partner quotas (QUOTA_* in platform/config.ts, handed in as AppDeps.quotas): a request that would go past one
 * is refused with 422 `quota-exceeded`, naming the quota, its limit, the partner's current use and the field.
 *
 * Race safety: a quota is counted under a per-partner transaction lock that is held until the counted thing is
 * written (the material row; the application row, which the workflow's activity persists before the update that
 * creates or applies it returns), so two requests at once cannot both pass. Refusing rolls the transaction back:
 * nothing changes.
 */
import { Problem, problems } from '../../domain/problems.js';
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

/** lockQuota without waiting: false when another transaction holds it. */
async function tryLockQuota(tx: Tx, quota: QuotaName, partnerId: string): Promise<boolean> {
  const [row] = await tx.$queryRaw<{ locked: boolean }[]>`SELECT pg_try_advisory_xact_lock(hashtext(${lockKey(quota, partnerId)})) AS locked`;
  return row?.locked === true;
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

export async function countOpenApplications(db: Tx | PrismaClient, partnerId: string): Promise<number> {
  const certifications = await db.certificationApplication.count({ where: { partnerId, status: { in: [...OPEN_CERTIFICATION_STATUSES] } } });
  const reviews = await db.pathReview.count({ where: { partnerId, status: { in: [...OPEN_PATH_REVIEW_APPLICATION_STATUSES] } } });
  const specialists = await db.specialistApplication.count({ where: { partnerId, status: { in: [...OPEN_SPECIALIST_APPLICATION_STATUSES] } } });
  return certifications + reviews + specialists;
}

/** Long enough for the workflow update that writes the application; the lock is held that long at most. */
export const OPEN_APPLICATION_TX = { maxWait: 10_000, timeout: 60_000 } as const;
/** How long a request waits for other requests of its partner to finish opening theirs (then 409, retry). */
export const OPEN_APPLICATION_WAIT_MS = 20_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `work` holding the partner's open-applications lock. `work` calls `admit()` before it opens a new application
 * (refused when the partner has no room left) and must have persisted that application when it returns; a request
 * that opens nothing new (an idempotent retry, a review already applied in) does not call it and is not counted.
 * The lock is held across the workflow update, so a request that finds it taken does not wait inside a transaction
 * (a pooled connection per waiter): it tries again shortly, for OPEN_APPLICATION_WAIT_MS at most.
 */
export async function withOpenApplicationSlot<T>(
  prisma: PrismaClient,
  { partnerId, limit, field }: { partnerId: string; limit: number; field: string },
  work: (tx: Tx, admit: () => Promise<void>) => Promise<T>,
): Promise<T> {
  const admit = (tx: Tx) => async () => {
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
  };
  const giveUpAt = Date.now() + OPEN_APPLICATION_WAIT_MS;
  for (let pause = 20; ; pause = Math.min(2 * pause, 250)) {
    const outcome = await prisma.$transaction(async (tx) => {
      if (!(await tryLockQuota(tx, 'openApplications', partnerId))) return { busy: true as const };
      return { busy: false as const, value: await work(tx, admit(tx)) };
    }, OPEN_APPLICATION_TX);
    if (!outcome.busy) return outcome.value;
    if (Date.now() + pause > giveUpAt) {
      throw problems.conflict('action-in-progress', `Other requests of partner ${partnerId} are opening applications; retry.`, { retryAfterSeconds: 1 });
    }
    await sleep(pause);
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
