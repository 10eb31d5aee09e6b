/**
 * Opportunity persistence. Every activity is idempotent: a retry after a crash (worker, database) finds
 * its own earlier write and does nothing more. Business times come in as arguments (workflow time).
 */
import type { BusinessCalendar, CalendarLookup, DeadlineExplanation } from '../domain/calendar.js';
import { databaseCalendarLookup } from '../platform/calendars.js';
import { appendDeadlineChanged } from './deadline-changed.js';
import { historyColumns } from './history.js';
import type { Money } from '../domain/money.js';
import type { Prisma } from '../prisma/generated/client.js';
import type { PrismaClient } from '../platform/db.js';
import { type OpportunityInput, type OpportunityStatus, opportunityWorkflowId } from '../workflows/opportunity/contract.js';
import { failClosed } from './calendar.js';
import type { AffectedQuery, AffectedRows } from './affected.js';

export { type AcceptPlan, planAcceptDeadline } from '../domain/accept-deadline.js';
import { type AcceptPlan, planAcceptDeadline } from '../domain/accept-deadline.js';
import { OPPORTUNITY_EXPIRED_TOPIC } from '../domain/events.js';

export type TransitionRecord = {
  opportunityId: string;
  seq: number;
  type: 'ACCEPTED' | 'REJECTED' | 'EXPIRED' | 'UPDATE_POSTED' | 'CLOSED' | 'DEADLINE_CHANGED';
  fromStatus: OpportunityStatus;
  toStatus: OpportunityStatus;
  actor: string;
  at: string;
  reasonCode?: string;
  note?: string;
  data?: Record<string, unknown>;
};

/** Outbox messages of an opportunity (dedupe keys: one per message and deadline). */
export type OpportunityMessage = { topic: string; opportunityId: string; partnerId: string; dedupeKey: string; dueAt: string; payload: Record<string, unknown> };

export type OpportunityActivityDeps = { prisma: PrismaClient; calendarFor?: CalendarLookup };

export function createOpportunityActivities({ prisma, calendarFor = databaseCalendarLookup(prisma) }: OpportunityActivityDeps) {
  return {
    async planAcceptDeadline({ partnerId, sharedAt }: { partnerId: string; sharedAt: string }): Promise<AcceptPlan> {
      const { calendar } = await calendarFor(partnerId);
      return failClosed(() => planAcceptDeadline(new Date(sharedAt), calendar));
    },

    async recordShared(share: OpportunityInput & AcceptPlan & { sharedAt: string }): Promise<void> {
      const at = new Date(share.sharedAt);
      await prisma.$transaction(async (tx) => {
        const created = await tx.opportunity.createMany({
          data: [
            {
              id: share.opportunityId,
              partnerId: share.partnerId,
              customerName: share.customerName,
              title: share.title,
              ...moneyColumns(share.estimatedAmount),
              status: 'PENDING_ACCEPTANCE',
              sharedAt: at,
              sharedBy: share.sharedBy,
              acceptDeadline: new Date(share.acceptDeadline),
              deadlineExplanation: share.explanation as unknown as Prisma.InputJsonValue,
              calendar: share.calendar,
              zone: share.zone,
              lastSeq: 1,
              updatedAt: at,
            },
          ],
          skipDuplicates: true,
        });
        if (created.count === 0) return; // a retry: already recorded
        await tx.opportunityEvent.create({
          data: {
            opportunityId: share.opportunityId,
            seq: 1,
            type: 'SHARED',
            toStatus: 'PENDING_ACCEPTANCE',
            actor: share.sharedBy,
            at,
            data: { acceptDeadline: share.acceptDeadline, calendar: share.calendar },
          },
        });
      });
    },

    /**
     * One transition, its history row and what it tells the outside world (the outbox) in one transaction: a failed
     * state change emits nothing. DEADLINE_CHANGED carries the new plan in `data` and moves the stored deadline.
     */
    async recordTransition(t: TransitionRecord): Promise<void> {
      const at = new Date(t.at);
      await prisma.$transaction(async (tx) => {
        const inserted = await tx.opportunityEvent.createMany({
          data: [{ opportunityId: t.opportunityId, ...historyColumns(t), reasonCode: t.reasonCode ?? null }],
          skipDuplicates: true,
        });
        if (inserted.count === 0) return; // a retry: already recorded
        const replanned = t.type === 'DEADLINE_CHANGED' ? (t.data as { to: string; explanation: DeadlineExplanation; calendar: string; zone: string }) : undefined;
        const row = await tx.opportunity.update({
          where: { id: t.opportunityId },
          data: {
            status: t.toStatus,
            lastSeq: t.seq,
            updatedAt: at,
            ...(t.fromStatus === 'PENDING_ACCEPTANCE' && t.toStatus !== 'PENDING_ACCEPTANCE' ? { decidedAt: at } : {}),
            ...(t.type === 'CLOSED' ? { closedAt: at } : {}),
            ...(replanned
              ? {
                  acceptDeadline: new Date(replanned.to),
                  deadlineExplanation: replanned.explanation as unknown as Prisma.InputJsonValue,
                  calendar: replanned.calendar,
                  zone: replanned.zone,
                }
              : {}),
          },
        });
        if (replanned) {
          const { from, reasons } = t.data as { from: string; reasons?: string[] };
          await appendDeadlineChanged(tx, {
            process: 'opportunity',
            aggregateId: t.opportunityId,
            seq: t.seq,
            partnerId: row.partnerId,
            deadline: 'acceptDeadline',
            from,
            to: replanned.to,
            explanation: replanned.explanation,
            reasons,
            at: t.at,
            ids: { opportunityId: t.opportunityId },
          });
        }
        if (t.type === 'EXPIRED') {
          await tx.outbox.createMany({
            data: [
              {
                topic: OPPORTUNITY_EXPIRED_TOPIC,
                aggregateId: t.opportunityId,
                dedupeKey: `${OPPORTUNITY_EXPIRED_TOPIC}-${t.opportunityId}`,
                dueAt: at,
                payload: { opportunityId: t.opportunityId, partnerId: row.partnerId, title: row.title, acceptDeadline: row.acceptDeadline.toISOString(), expiredAt: t.at, reclaimed: true },
              },
            ],
            skipDuplicates: true,
          });
        }
      });
    },

    /** Appends one message to the outbox, once per dedupe key (the accept reminder). */
    async enqueueOpportunityMessage(m: OpportunityMessage): Promise<void> {
      await prisma.outbox.createMany({
        data: [{ topic: m.topic, aggregateId: m.opportunityId, dedupeKey: m.dedupeKey, dueAt: new Date(m.dueAt), payload: { ...m.payload, opportunityId: m.opportunityId, partnerId: m.partnerId } as Prisma.InputJsonValue }],
        skipDuplicates: true,
      });
    },
  };
}

function moneyColumns(money: Money | undefined) {
  return money ? { estimatedCurrency: money.currency, estimatedMinor: BigInt(money.minor) } : {};
}

/** Pending opportunities whose accept window (sharedAt … acceptDeadline, local dates in its zone) holds a changed date. */
export async function affectedOpportunities(q: AffectedQuery): Promise<AffectedRows> {
  const rows = q.partnerId
    ? await q.prisma.$queryRaw<{ id: string }[]>`
        SELECT id::text AS id FROM opportunity
        WHERE partner_id = ${q.partnerId} AND status = 'PENDING_ACCEPTANCE' AND accept_deadline > ${q.now} AND id::text > ${q.after}
        ORDER BY id::text LIMIT ${q.limit}`
    : await q.prisma.$queryRaw<{ id: string }[]>`
        SELECT o.id::text AS id FROM opportunity o LEFT JOIN partner_calendar pc ON pc.partner_id = o.partner_id
        WHERE o.status = 'PENDING_ACCEPTANCE' AND o.accept_deadline > ${q.now}
          AND COALESCE(pc.calendar_name, ${q.defaultCalendar}) = ${q.calendar}
          AND (${q.everyDate} OR EXISTS (
            SELECT 1 FROM unnest(${q.dates}::date[]) AS d
            WHERE d BETWEEN (o.shared_at AT TIME ZONE o.zone)::date AND (o.accept_deadline AT TIME ZONE o.zone)::date))
          AND o.id::text > ${q.after}
        ORDER BY o.id::text LIMIT ${q.limit}`;
  return rows.map((r) => ({ workflowId: opportunityWorkflowId(r.id), key: r.id }));
}
