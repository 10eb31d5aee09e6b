/**
 * Appending to the transactional outbox: one message per dedupe key (a unique column), so an activity retried after a
 * crash appends nothing twice. Appended in the transaction of the state change it announces wherever there is one — a
 * failed change tells nothing; activities/index.ts starts the relay once the append has committed.
 */
import type { Prisma } from '../../prisma/generated/client.js';
import { appendDeadlineChanged, type DeadlineChange, type DeadlineProcess } from '../deadline-changed.js';

/** `dueAt`: workflow time (a reminder's due instant, or the moment of the change it announces). */
export type OutboxMessage = { topic: string; aggregateId: string; dedupeKey: string; payload: Record<string, unknown>; dueAt: string };

/** Appends `m` once per dedupe key, in the transaction `db` (or on its own where the message is the whole change). */
export async function appendOutbox(db: Pick<Prisma.TransactionClient, 'outbox'>, m: OutboxMessage): Promise<void> {
  await db.outbox.createMany({
    data: [{ topic: m.topic, aggregateId: m.aggregateId, dedupeKey: m.dedupeKey, payload: m.payload as Prisma.InputJsonValue, dueAt: new Date(m.dueAt) }],
    skipDuplicates: true,
  });
}

/** What a reviewed application's DEADLINE_CHANGED records in its data: which deadline moved, from, to, and why. */
export type RecordedDeadlineChange = Pick<DeadlineChange, 'deadline' | 'from' | 'to' | 'explanation' | 'reasons'>;

/**
 * Tells the partner that a recorded DEADLINE_CHANGED moved one of the application's deadlines (review due, supplement
 * deadline, review window); nothing when only the provisional mark cleared (activities/deadline-changed.ts).
 */
export async function appendRecordedDeadlineChange(
  tx: Prisma.TransactionClient,
  c: { process: DeadlineProcess; aggregateId: string; seq: number; partnerId: string; at: string; ids: Record<string, string>; data: Record<string, unknown> | undefined },
): Promise<void> {
  const { data, ...change } = c;
  await appendDeadlineChanged(tx, { ...change, ...(data as RecordedDeadlineChange) });
}
