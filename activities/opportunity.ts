/**
 * Opportunity persistence. Every activity is idempotent: a retry after a crash (worker, database) finds
 * its own earlier write and does nothing more. Business times come in as arguments (workflow time).
 */
import type { CalendarLookup, DeadlineExplanation } from '../domain/calendar.js';
import { databaseCalendarLookup } from '../platform/calendars.js';
import { appendDeadlineChanged } from './deadline-changed.js';
import { historyColumns } from './history.js';
import type { Money } from '../domain/money.js';
import type { PrismaClient } from '../platform/db.js';
import { type OpportunityInput, type OpportunityStatus, opportunityWorkflowId } from '../workflows/opportunity/contract.js';
import { failClosed } from './calendar.js';
import type { AffectedQuery, AffectedRows } from './affected.js';
import { recordOnce } from './kit/events.js';
import { appendOutbox } from './kit/outbox.js';
import { json, stateColumns } from './kit/read-model.js';

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
      // A retry, or a second share of the same opportunity: the first one stands.
      await recordOnce(
        prisma,
        (tx) =>
          tx.opportunity.createMany({
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
                deadlineExplanation: json(share.explanation),
                calendar: share.calendar,
                zone: share.zone,
                lastSeq: 1,
                updatedAt: at,
              },
            ],
            skipDuplicates: true,
          }),
        (tx) =>
          tx.opportunityEvent.create({
            data: {
              opportunityId: share.opportunityId,
              seq: 1,
              type: 'SHARED',
              toStatus: 'PENDING_ACCEPTANCE',
              actor: share.sharedBy,
              at,
              data: { acceptDeadline: share.acceptDeadline, calendar: share.calendar },
            },
          }),
      );
    },

    /**
     * One transition, its history row and what it tells the outside world (the outbox) in one transaction: a failed
     * state change emits nothing. DEADLINE_CHANGED carries the new plan in `data` and moves the stored deadline.
     */
    async recordTransition(t: TransitionRecord): Promise<void> {
      const at = new Date(t.at);
      const { opportunityId } = t;
      await recordOnce(
        prisma,
        (tx) => tx.opportunityEvent.createMany({ data: [{ opportunityId, ...historyColumns(t), reasonCode: t.reasonCode ?? null }], skipDuplicates: true }),
        async (tx) => {
          const replanned = t.type === 'DEADLINE_CHANGED' ? (t.data as { to: string; explanation: DeadlineExplanation; calendar: string; zone: string }) : undefined;
          const row = await tx.opportunity.update({
            where: { id: opportunityId },
            data: {
              ...stateColumns(t),
              ...(t.fromStatus === 'PENDING_ACCEPTANCE' && t.toStatus !== 'PENDING_ACCEPTANCE' ? { decidedAt: at } : {}),
              ...(t.type === 'CLOSED' ? { closedAt: at } : {}),
              ...(replanned ? { acceptDeadline: new Date(replanned.to), deadlineExplanation: json(replanned.explanation), calendar: replanned.calendar, zone: replanned.zone } : {}),
            },
          });
          if (replanned) {
            const { from, reasons } = t.data as { from: string; reasons?: string[] };
            const { to, explanation } = replanned;
            await appendDeadlineChanged(tx, { process: 'opportunity', aggregateId: opportunityId, seq: t.seq, partnerId: row.partnerId, deadline: 'acceptDeadline', from, to, explanation, reasons, at: t.at, ids: { opportunityId } });
          }
          if (t.type === 'EXPIRED') {
            await appendOutbox(tx, {
              topic: OPPORTUNITY_EXPIRED_TOPIC,
              aggregateId: opportunityId,
              dedupeKey: `${OPPORTUNITY_EXPIRED_TOPIC}-${opportunityId}`,
              dueAt: t.at,
              payload: { opportunityId, partnerId: row.partnerId, title: row.title, acceptDeadline: row.acceptDeadline.toISOString(), expiredAt: t.at, reclaimed: true },
            });
          }
        },
      );
    },

    /** Appends one message to the outbox, once per dedupe key (the accept reminder). */
    async enqueueOpportunityMessage(m: OpportunityMessage): Promise<void> {
      const { opportunityId, partnerId } = m;
      await appendOutbox(prisma, { topic: m.topic, aggregateId: opportunityId, dedupeKey: m.dedupeKey, dueAt: m.dueAt, payload: { ...m.payload, opportunityId, partnerId } });
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
