/**
 * `<process>.deadline-changed`: when a recompute moved a pending deadline (DEADLINE_CHANGED with old ≠ new), the
 * partner is told — old and new deadline, why, and whether the new one is still provisional. Appended to the outbox in
 * the transaction that records the change (a failed change tells nothing); one message per recorded change (its dedupe
 * key names the process's aggregate and history sequence). A recompute that only cleared the provisional mark records
 * the change in the history but sends nothing: the date the partner knows still stands.
 */
import type { DeadlineExplanation } from '../domain/calendar.js';
import { DEADLINE_CHANGED_TOPICS } from '../domain/events.js';
import type { Prisma } from '../prisma/generated/client.js';

export type DeadlineProcess = keyof typeof DEADLINE_CHANGED_TOPICS;

export const deadlineChangedKey = (process: DeadlineProcess, aggregateId: string, seq: number) =>
  `${DEADLINE_CHANGED_TOPICS[process]}-${aggregateId}-${seq}`;

export type DeadlineChange = {
  process: DeadlineProcess;
  aggregateId: string;
  seq: number;
  partnerId: string;
  /** Which deadline, where a process has several (reviewDueAt, supplementDeadline, windowEndsAt…). */
  deadline: string;
  from: string;
  to: string;
  explanation?: DeadlineExplanation | undefined;
  reasons?: string[] | undefined;
  /** When the change was decided (workflow time). */
  at: string;
  /** The process's own id field in the payload (opportunityId, incentiveId, …). */
  ids: Record<string, string>;
};

/** Appends the message when the deadline moved; returns its dedupe key (undefined: nothing to tell). */
export async function appendDeadlineChanged(tx: Prisma.TransactionClient, c: DeadlineChange): Promise<string | undefined> {
  if (c.from === c.to) return undefined;
  const dedupeKey = deadlineChangedKey(c.process, c.aggregateId, c.seq);
  await tx.outbox.createMany({
    data: [
      {
        topic: DEADLINE_CHANGED_TOPICS[c.process],
        aggregateId: c.aggregateId,
        dedupeKey,
        dueAt: new Date(c.at),
        payload: {
          ...c.ids,
          partnerId: c.partnerId,
          deadline: c.deadline,
          from: c.from,
          to: c.to,
          reason: c.reasons?.join('; ') ?? 'calendar changed',
          ...(c.explanation ? { summary: c.explanation.summary } : {}),
          ...(c.explanation?.provisional ? { deadlineProvisional: true, provisionalYears: c.explanation.provisionalYears ?? [] } : {}),
        },
      },
    ],
    skipDuplicates: true,
  });
  return dedupeKey;
}
