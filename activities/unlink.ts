/**
 * Unlink persistence (workflows/unlink/workflow.ts). Every activity is idempotent: a retry finds its own earlier write
 * (the unlink's row, or its history row (unlink, seq)) and answers it. Business times come in as arguments (workflow
 * time). The tables (migration 0032) are written with SQL.
 *
 * The request is judged in the transaction that records it, under the customer's lock: the association it names must
 * still be the customer's open one with this partner, no other unlink of the customer may be in its window (one per
 * customer: customer_unlink.open_customer_id, unique), no reason may refuse it (every reason in the refusal), and what
 * would happen must be what the confirmed preview showed (its hash). The execution is one transaction too: the facts
 * checked again (a reason that appeared in the window refuses it, REFUSED_AT_EXECUTION), then the association ended
 * (unlinked_at, unlink_id), every currency's unspent allocation reclaimed to the partner (platform/funds.ts
 * reclaimUnspent, keyed by the unlink) and the outcome announced — all or nothing, once.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { CalendarLookup } from '../domain/calendar.js';
import { calendarDaysAfter } from '../domain/customer-report.js';
import { factsUnmet, otherSide, type UnlinkTerms, unlinkTermsOf, type UnlinkUnmet } from '../domain/unlink.js';
import { accountFacts } from '../platform/customer-queries.js';
import { databaseCalendarLookup } from '../platform/calendars.js';
import type { PrismaClient } from '../platform/db.js';
import { fundsMessageKey, reclaimUnspent } from '../platform/funds.js';
import { openAssociationOf, openUnlinkOf, unlinkPlan } from '../platform/unlink.js';
import {
  Refusal,
  UNLINK_EXECUTED_TOPIC,
  UNLINK_OBJECTED_TOPIC,
  UNLINK_REFUSED_AT_EXECUTION_TOPIC,
  UNLINK_REMINDER_DAYS,
  UNLINK_REQUESTED_TOPIC,
  type UnlinkExecuted,
  type UnlinkInput,
  unlinkMessageKey,
  unlinkReclaimKey,
  type UnlinkRecorded,
  type UnlinkStatus,
} from '../workflows/unlink/contract.js';
import type { Tx } from './kit/events.js';
import { invalid } from './kit/failures.js';
import { appendOutbox, type OutboxMessage } from './kit/outbox.js';
import { partnerCalendar } from './kit/partner-calendar.js';
import { announceOutbox } from './webhook.js';

export type UnlinkActivityDeps = { prisma: PrismaClient; calendarFor?: CalendarLookup; unlinkTerms?: UnlinkTerms };

/** The objection: the other side's, within the window. */
export type UnlinkObjection = { unlinkId: string; seq: number; actor: string; side: string; at: string; reason?: string };

const notUnlinkable = (unmet: UnlinkUnmet[]) =>
  ApplicationFailure.create({ type: Refusal.notUnlinkable, message: `The customer cannot be unlinked: ${unmet.map((u) => u.code).join(', ')}.`, nonRetryable: true, details: [unmet] });

/** The customer's lock: requests and executions of one customer are decided one at a time. */
const lockCustomer = (tx: Tx, customerId: string) => tx.$queryRawUnsafe(`SELECT 1 AS locked FROM pg_advisory_xact_lock(hashtextextended($1, 0))`, `unlink ${customerId}`);

type UnlinkRow = {
  partnerId: string;
  customerId: string;
  associationId: string;
  requestedSide: string;
  status: UnlinkStatus;
  requestedAt: Date;
  objectionDays: number;
  objectionDeadline: Date;
  reminderAt: Date;
  executedAt: Date | null;
  refusedUnmet: UnlinkUnmet[] | null;
  reclaimed: UnlinkExecuted['reclaimed'] | null;
  lastSeq: number;
};

async function loadRow(db: Pick<PrismaClient, '$queryRawUnsafe'>, unlinkId: string, lock = false): Promise<UnlinkRow | undefined> {
  const [row] = await db.$queryRawUnsafe<UnlinkRow[]>(
    `SELECT partner_id AS "partnerId", customer_id AS "customerId", association_id::text AS "associationId", requested_side AS "requestedSide", status,
       requested_at AS "requestedAt", objection_days AS "objectionDays", objection_deadline AS "objectionDeadline", reminder_at AS "reminderAt",
       executed_at AS "executedAt", refused_unmet AS "refusedUnmet", reclaimed, last_seq AS "lastSeq"
     FROM customer_unlink WHERE id = $1::uuid${lock ? ' FOR UPDATE' : ''}`,
    unlinkId,
  );
  return row;
}

const recordedOf = (row: UnlinkRow): UnlinkRecorded => ({
  requestedAt: row.requestedAt.toISOString(),
  objectionDays: row.objectionDays,
  objectionDeadline: row.objectionDeadline.toISOString(),
  reminderAt: row.reminderAt.toISOString(),
  seq: 1,
});

export function createUnlinkActivities({ prisma, calendarFor = databaseCalendarLookup(prisma), unlinkTerms = unlinkTermsOf(process.env) }: UnlinkActivityDeps) {
  const partner = partnerCalendar(prisma, calendarFor);

  return {
    /**
     * Records the request (seq 1) in its objection window until objectionDays calendar days on (the same local time in
     * the partner's zone), reminded one day before, with its unlink.requested message — judged in one transaction
     * under the customer's lock. A retry finds the row and answers it.
     */
    async recordUnlinkRequest(input: UnlinkInput & { requestedAt: string }): Promise<UnlinkRecorded> {
      const existing = await loadRow(prisma, input.unlinkId);
      if (existing) return recordedOf(existing);
      const zone = await partner.zoneOf(input.partnerId);
      const objectionDeadline = calendarDaysAfter(input.requestedAt, unlinkTerms.objectionDays, zone);
      const reminderAt = calendarDaysAfter(objectionDeadline, -UNLINK_REMINDER_DAYS, zone);
      try {
        await prisma.$transaction(async (tx) => {
          await lockCustomer(tx, input.customerId);
          if (await loadRow(tx, input.unlinkId)) return;
          const association = await openAssociationOf(tx, input.customerId);
          if (!association || association.id !== input.associationId || association.partnerId !== input.partnerId) {
            throw invalid(Refusal.notAssociated, `Customer ${input.customerId} is no longer associated with partner ${input.partnerId} by association ${input.associationId}.`);
          }
          const open = await openUnlinkOf(tx, input.customerId);
          if (open) throw invalid(Refusal.alreadyOpen, `Unlink ${open} of customer ${input.customerId} is in its objection window.`);
          const plan = await unlinkPlan(tx, association, new Date(input.requestedAt), zone, unlinkTerms);
          if (plan.unmet.length) throw notUnlinkable(plan.unmet);
          if (plan.hash !== input.previewHash) throw invalid(Refusal.previewChanged, 'What the unlink would do changed since the preview: preview it again and confirm that.');
          await tx.$executeRawUnsafe(
            `INSERT INTO customer_unlink (id, partner_id, customer_id, association_id, requested_side, requested_by, requested_at, status, objection_days,
               objection_deadline, reminder_at, preview_hash, preview, last_seq, updated_at)
             VALUES ($1::uuid, $2, $3, $4::uuid, $5, $6, $7::timestamptz, 'OBJECTION_WINDOW', $8, $9::timestamptz, $10::timestamptz, $11, $12::jsonb, 1, $7::timestamptz)`,
            input.unlinkId, input.partnerId, input.customerId, input.associationId, input.requestedSide, input.requestedBy, input.requestedAt,
            unlinkTerms.objectionDays, objectionDeadline, reminderAt, plan.hash, JSON.stringify(plan.outcome),
          );
          const data = { requestedSide: input.requestedSide, objectionDays: unlinkTerms.objectionDays, objectionDeadline, reminderAt, preview: plan.outcome };
          await insertEvent(tx, { unlinkId: input.unlinkId, seq: 1, type: 'REQUESTED', fromStatus: null, toStatus: 'OBJECTION_WINDOW', actor: input.requestedBy, at: input.requestedAt, note: null, data });
          await appendOutbox(tx, {
            topic: UNLINK_REQUESTED_TOPIC,
            aggregateId: input.unlinkId,
            dedupeKey: unlinkMessageKey(UNLINK_REQUESTED_TOPIC, input.unlinkId),
            dueAt: input.requestedAt,
            payload: {
              unlinkId: input.unlinkId, partnerId: input.partnerId, customerId: input.customerId, associationId: input.associationId,
              requestedSide: input.requestedSide, objectingSide: otherSide(input.requestedSide), requestedAt: input.requestedAt, objectionDeadline, reclaim: plan.outcome.reclaim,
            },
          });
        });
      } catch (error) {
        // Another request of the customer recorded concurrently took the one open place.
        if (/customer_unlink_open_customer_id_key/.test(String((error as Error)?.message))) throw invalid(Refusal.alreadyOpen, `An unlink of customer ${input.customerId} is in its objection window.`);
        throw error;
      }
      return recordedOf((await loadRow(prisma, input.unlinkId))!);
    },

    /** The objection: OBJECTED, with its message; the association stays. A retry finds its history row. */
    async recordUnlinkObjection(o: UnlinkObjection): Promise<void> {
      await prisma.$transaction(async (tx) => {
        const row = await loadRow(tx, o.unlinkId, true);
        if (!row) throw invalid(Refusal.notFound, `No unlink ${o.unlinkId}.`);
        if (row.lastSeq >= o.seq) return;
        await tx.$executeRawUnsafe(
          `UPDATE customer_unlink SET status = 'OBJECTED', objected_at = $2::timestamptz, objected_by = $3, objection_reason = $4, last_seq = $5, updated_at = $2::timestamptz WHERE id = $1::uuid`,
          o.unlinkId, o.at, o.actor, o.reason ?? null, o.seq,
        );
        await insertEvent(tx, { unlinkId: o.unlinkId, seq: o.seq, type: 'OBJECTED', fromStatus: 'OBJECTION_WINDOW', toStatus: 'OBJECTED', actor: o.actor, at: o.at, note: o.reason ?? null, data: { side: o.side } });
        await appendOutbox(tx, {
          topic: UNLINK_OBJECTED_TOPIC,
          aggregateId: o.unlinkId,
          dedupeKey: unlinkMessageKey(UNLINK_OBJECTED_TOPIC, o.unlinkId),
          dueAt: o.at,
          payload: { unlinkId: o.unlinkId, partnerId: row.partnerId, customerId: row.customerId, status: 'OBJECTED', objectedBy: o.actor, objectingSide: o.side, at: o.at, ...(o.reason ? { reason: o.reason } : {}) },
        });
      });
    },

    /**
     * The window passed in silence: the facts checked again, then in one transaction either REFUSED_AT_EXECUTION with
     * every reason, or the association ended, the unspent reclaimed to the partner and UNLINKED — with their messages.
     * A retry (the row's last seq reached) answers what was recorded, recording nothing twice.
     */
    async executeUnlink(e: { unlinkId: string; seq: number; at: string }): Promise<UnlinkExecuted> {
      return prisma.$transaction(async (tx) => {
        const row = await loadRow(tx, e.unlinkId, true);
        if (!row) throw invalid(Refusal.notFound, `No unlink ${e.unlinkId}.`);
        await lockCustomer(tx, row.customerId);
        const messageKey = (status: string) => unlinkMessageKey(status === 'UNLINKED' ? UNLINK_EXECUTED_TOPIC : UNLINK_REFUSED_AT_EXECUTION_TOPIC, e.unlinkId);
        if (row.lastSeq >= e.seq) {
          const reclaimed = row.reclaimed ?? [];
          const status = row.status as UnlinkExecuted['status'];
          return { status, executedAt: row.executedAt!.toISOString(), unmet: row.refusedUnmet ?? [], reclaimed, dedupeKeys: [messageKey(status), ...reclaimed.map((r) => fundsMessageKey(r.transferId))], seq: row.lastSeq };
        }
        const facts = await accountFacts((sql, ...params) => tx.$queryRawUnsafe(sql, ...params), row.customerId);
        const unmet = factsUnmet(facts);
        const about = { unlinkId: e.unlinkId, partnerId: row.partnerId, customerId: row.customerId, associationId: row.associationId };
        if (unmet.length) {
          await tx.$executeRawUnsafe(
            `UPDATE customer_unlink SET status = 'REFUSED_AT_EXECUTION', executed_at = $2::timestamptz, refused_unmet = $3::jsonb, last_seq = $4, updated_at = $2::timestamptz WHERE id = $1::uuid`,
            e.unlinkId, e.at, JSON.stringify(unmet), e.seq,
          );
          await insertEvent(tx, { unlinkId: e.unlinkId, seq: e.seq, type: 'REFUSED_AT_EXECUTION', fromStatus: 'OBJECTION_WINDOW', toStatus: 'REFUSED_AT_EXECUTION', actor: 'system', at: e.at, note: null, data: { unmet } });
          await appendOutbox(tx, { topic: UNLINK_REFUSED_AT_EXECUTION_TOPIC, aggregateId: e.unlinkId, dedupeKey: messageKey('REFUSED_AT_EXECUTION'), dueAt: e.at, payload: { ...about, status: 'REFUSED_AT_EXECUTION', at: e.at, unmet: unmet.map((u) => u.code) } });
          return { status: 'REFUSED_AT_EXECUTION', executedAt: e.at, unmet, reclaimed: [], dedupeKeys: [messageKey('REFUSED_AT_EXECUTION')], seq: e.seq };
        }
        const ended = await tx.$executeRawUnsafe(
          `UPDATE customer_association SET unlinked_at = $2::timestamptz, unlink_id = $3::uuid WHERE id = $1::uuid AND unlinked_at IS NULL`,
          row.associationId, e.at, e.unlinkId,
        );
        if (ended !== 1) throw new Error(`association ${row.associationId} of unlink ${e.unlinkId} was ended by something else`);
        const transfers = await reclaimUnspent(tx, { partnerId: row.partnerId, customerId: row.customerId, key: unlinkReclaimKey(e.unlinkId), actor: 'system', memo: `unlink ${e.unlinkId}`, at: new Date(e.at) });
        const reclaimed = transfers.map((t) => ({ currency: t.amount.currency, minor: t.amount.minor, toCredit: Number(t.split.credit), toRecharge: Number(t.split.recharge), transferId: t.id }));
        await tx.$executeRawUnsafe(
          `UPDATE customer_unlink SET status = 'UNLINKED', executed_at = $2::timestamptz, reclaimed = $3::jsonb, last_seq = $4, updated_at = $2::timestamptz WHERE id = $1::uuid`,
          e.unlinkId, e.at, JSON.stringify(reclaimed), e.seq,
        );
        await insertEvent(tx, { unlinkId: e.unlinkId, seq: e.seq, type: 'UNLINKED', fromStatus: 'OBJECTION_WINDOW', toStatus: 'UNLINKED', actor: 'system', at: e.at, note: null, data: { reclaimed } });
        await appendOutbox(tx, { topic: UNLINK_EXECUTED_TOPIC, aggregateId: e.unlinkId, dedupeKey: messageKey('UNLINKED'), dueAt: e.at, payload: { ...about, status: 'UNLINKED', unlinkedAt: e.at, reclaimed } });
        return { status: 'UNLINKED', executedAt: e.at, unmet: [], reclaimed, dedupeKeys: [messageKey('UNLINKED'), ...reclaimed.map((r) => fundsMessageKey(r.transferId))], seq: e.seq };
      });
    },

    /** Appends one message to the outbox, once per dedupe key (the reminder). */
    async enqueueUnlinkMessage(m: OutboxMessage): Promise<void> {
      await appendOutbox(prisma, m);
    },
  };
}

/**
 * The unlink's activities as the worker registers them: each that appends to the outbox announces its messages once
 * its transaction has committed (activities/webhook.ts announceOutbox; the sweeper covers a start lost to a crash).
 */
export function announcingUnlinkActivities(deps: UnlinkActivityDeps & { temporal?: Client }) {
  const unlink = createUnlinkActivities(deps);
  return {
    async recordUnlinkRequest(input: Parameters<typeof unlink.recordUnlinkRequest>[0]) {
      const recorded = await unlink.recordUnlinkRequest(input);
      await announceOutbox(deps, [unlinkMessageKey(UNLINK_REQUESTED_TOPIC, input.unlinkId)]);
      return recorded;
    },
    async recordUnlinkObjection(o: UnlinkObjection) {
      await unlink.recordUnlinkObjection(o);
      await announceOutbox(deps, [unlinkMessageKey(UNLINK_OBJECTED_TOPIC, o.unlinkId)]);
    },
    async executeUnlink(e: Parameters<typeof unlink.executeUnlink>[0]) {
      const executed = await unlink.executeUnlink(e);
      await announceOutbox(deps, executed.dedupeKeys);
      return executed;
    },
    async enqueueUnlinkMessage(m: OutboxMessage) {
      await unlink.enqueueUnlinkMessage(m);
      await announceOutbox(deps, [m.dedupeKey]);
    },
  };
}

type EventRow = { unlinkId: string; seq: number; type: string; fromStatus: string | null; toStatus: string; actor: string; at: string; note: string | null; data: unknown };
const insertEvent = (tx: Tx, e: EventRow) =>
  tx.$executeRawUnsafe(
    `INSERT INTO customer_unlink_event (unlink_id, seq, type, from_status, to_status, actor, at, note, data)
     VALUES ($1::uuid, $2, $3, $4, $5, $6, $7::timestamptz, $8, $9::jsonb) ON CONFLICT (unlink_id, seq) DO NOTHING`,
    e.unlinkId, e.seq, e.type, e.fromStatus, e.toStatus, e.actor, e.at, e.note, e.data === null ? null : JSON.stringify(e.data),
  );
