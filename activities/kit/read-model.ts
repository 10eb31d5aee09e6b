/**
 * The columns a transition sets on its process's row: the read model the API answers from (writes go through
 * Temporal, reads come from these rows).
 */
import type { DeadlineExplanation } from '../../domain/calendar.js';
import type { Prisma } from '../../prisma/generated/client.js';

/** Terms, explanations, reminder plans: stored as JSON columns as the workflow sent them. */
export const json = (value: unknown) => value as Prisma.InputJsonValue;

/** Every transition moves the status, the last recorded seq and the row's time (workflow time, never the activity's clock). */
export const stateColumns = (t: { toStatus: string; seq: number; at: string }) => ({ status: t.toStatus, lastSeq: t.seq, updatedAt: new Date(t.at) });

const instant = (v: string | null | undefined) => (v === undefined ? undefined : v === null ? null : new Date(v));

/**
 * The instant columns `keys` of a transition's `columns` (submittedAt, decidedAt, supplementDeadline…), as dates: one
 * the transition leaves out stays as it is, null clears it (the supplement deadline once supplemented).
 */
export function instants<C extends { [k in K]?: string | null }, K extends keyof C & string>(columns: C, ...keys: K[]): { [k in K]?: Date | null } {
  return Object.fromEntries(keys.map((k) => [k, instant(columns[k])])) as { [k in K]?: Date | null };
}

/**
 * A transition whose data explains a deadline set that pending deadline: its explanation becomes the row's
 * deadlineExplanation (the API shows it while the deadline is pending); other transitions leave it.
 */
export function explanationColumn(data: Record<string, unknown> | undefined): { deadlineExplanation?: Prisma.InputJsonValue } {
  const explanation = (data as { explanation?: DeadlineExplanation } | undefined)?.explanation;
  return explanation ? { deadlineExplanation: json(explanation) } : {};
}
