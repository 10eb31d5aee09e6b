/**
 * Opportunity persistence. Every activity is idempotent: a retry after a crash (worker, database) finds its own earlier
 * write and writes nothing more. Business times come in as arguments (workflow time). The two writes of every share and
 * every accept are one statement each (one round trip, atomic by themselves): the hot path of the API.
 */
import type { CalendarLookup, DeadlineExplanation } from '../domain/calendar.js';
import { databaseCalendarLookup } from '../platform/calendars.js';
import { appendDeadlineChanged } from './deadline-changed.js';
import type { PrismaClient } from '../platform/db.js';
import { type OpportunityInput, type OpportunityStatus, opportunityWorkflowId } from '../workflows/opportunity/contract.js';
import { failClosed } from './calendar.js';
import type { AffectedQuery, AffectedRows } from './affected.js';
import { recordOnce } from './kit/events.js';
import { historyColumns } from './history.js';
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
  /**
   * A transition with nothing to tell the outside world (accept, reject, a progress update, close): one statement whose
   * history row claims (opportunity, seq); only a claimed row moves the opportunity. A retry finds its row and changes
   * nothing.
   */
  async function recordAction(t: TransitionRecord, at: Date): Promise<void> {
    const decided = t.fromStatus === 'PENDING_ACCEPTANCE' && t.toStatus !== 'PENDING_ACCEPTANCE';
    await prisma.$executeRaw`
      WITH claimed AS (
        INSERT INTO opportunity_event (opportunity_id, seq, type, from_status, to_status, actor, at, reason_code, note, data)
        VALUES (${t.opportunityId}, ${t.seq}, ${t.type}, ${t.fromStatus}, ${t.toStatus}, ${t.actor}, ${at}::timestamptz, ${t.reasonCode ?? null},
                ${t.note ?? null}, ${t.data ? JSON.stringify(t.data) : null}::jsonb)
        ON CONFLICT (opportunity_id, seq) DO NOTHING
        RETURNING opportunity_id)
      UPDATE opportunity
      SET status = ${t.toStatus}, last_seq = ${t.seq}, updated_at = ${at}::timestamptz,
          decided_at = CASE WHEN ${decided} THEN ${at}::timestamptz ELSE decided_at END,
          closed_at = CASE WHEN ${t.type === 'CLOSED'} THEN ${at}::timestamptz ELSE closed_at END
      WHERE id = (SELECT opportunity_id FROM claimed)`;
  }

  async function recordShared(share: OpportunityInput & AcceptPlan & { sharedAt: string }): Promise<void> {
    const at = new Date(share.sharedAt);
    const money = share.estimatedAmount;
    const shared = { acceptDeadline: share.acceptDeadline, calendar: share.calendar };
    // One statement. A local activity (workflows/kit/persistence.ts): a retried first workflow task shares again with
    // the same sharedAt (the workflow's start), so the row it finds is its own; its plan is taken again (the calendar
    // may have been edited in between) and the row's deadline follows it. A row past its share is never rewound.
    await prisma.$executeRaw`
      WITH written AS (
        INSERT INTO opportunity (id, partner_id, customer_name, title, estimated_currency, estimated_minor, status, shared_at,
                                 shared_by, accept_deadline, deadline_explanation, calendar, zone, last_seq, updated_at)
        VALUES (${share.opportunityId}, ${share.partnerId}, ${share.customerName}, ${share.title}, ${money?.currency ?? null},
                ${money ? String(money.minor) : null}::bigint, 'PENDING_ACCEPTANCE', ${at}::timestamptz, ${share.sharedBy},
                ${new Date(share.acceptDeadline)}::timestamptz, ${JSON.stringify(share.explanation)}::jsonb, ${share.calendar},
                ${share.zone}, 1, ${at}::timestamptz)
        ON CONFLICT (id) DO UPDATE SET accept_deadline = EXCLUDED.accept_deadline, deadline_explanation = EXCLUDED.deadline_explanation,
          calendar = EXCLUDED.calendar, zone = EXCLUDED.zone
          WHERE opportunity.last_seq = 1
        RETURNING id)
      INSERT INTO opportunity_event (opportunity_id, seq, type, to_status, actor, at, data)
      SELECT id, 1, 'SHARED', 'PENDING_ACCEPTANCE', ${share.sharedBy}, ${at}::timestamptz, ${JSON.stringify(shared)}::jsonb FROM written
      ON CONFLICT (opportunity_id, seq) DO NOTHING`;
  }

  /** The accept deadline from `sharedAt` in the partner's calendar (fails closed on a year it has no data for). */
  async function planAt(partnerId: string, sharedAt: string): Promise<AcceptPlan> {
    const { calendar } = await calendarFor(partnerId);
    return failClosed(() => planAcceptDeadline(new Date(sharedAt), calendar));
  }

  return {
    planAcceptDeadline: ({ partnerId, sharedAt }: { partnerId: string; sharedAt: string }) => planAt(partnerId, sharedAt),

    /** The share as one local activity (workflows/kit/persistence.ts): its plan, written, and answered to the workflow. */
    async shareOpportunity(share: OpportunityInput & { sharedAt: string }): Promise<AcceptPlan> {
      const plan = await planAt(share.partnerId, share.sharedAt);
      await recordShared({ ...share, ...plan });
      return plan;
    },

    /** The share's write, as workflows from before local persistence call it (after planAcceptDeadline). */
    recordShared,

    /**
     * One transition, its history row and what it tells the outside world (the outbox) in one transaction: a failed
     * state change emits nothing. DEADLINE_CHANGED carries the new plan in `data` and moves the stored deadline.
     */
    async recordTransition(t: TransitionRecord): Promise<void> {
      const at = new Date(t.at);
      const { opportunityId } = t;
      if (t.type !== 'EXPIRED' && t.type !== 'DEADLINE_CHANGED') return recordAction(t, at);
      await recordOnce(
        prisma,
        (tx) => tx.opportunityEvent.createMany({ data: [{ opportunityId, ...historyColumns(t), reasonCode: t.reasonCode ?? null }], skipDuplicates: true }),
        async (tx) => {
          const replanned = t.type === 'DEADLINE_CHANGED' ? (t.data as { to: string; explanation: DeadlineExplanation; calendar: string; zone: string }) : undefined;
          const row = await tx.opportunity.update({
            where: { id: opportunityId },
            data: {
              ...stateColumns(t),
              ...(t.type === 'EXPIRED' ? { decidedAt: at } : {}),
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

