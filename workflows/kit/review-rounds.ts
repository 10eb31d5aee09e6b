/**
 * The review SLA and the supplement round of a reviewed application (certification's; the application-shaped
 * processes of issue 17 take the same states, columns and messages):
 *
 *   submit ──▶ IN_REVIEW: reviewDueAt N working days after the round starts, the vendor's reviewers reminded before
 *              it, one escalation per round after it (the application stays IN_REVIEW)
 *   REQUEST_SUPPLEMENT ──▶ SUPPLEMENT_REQUESTED: supplementDeadline N working days after, the partner reminded before
 *              it, WITHDRAWN_BY_TIMEOUT after it ──supplement──▶ IN_REVIEW (a new round)
 *
 * The pending deadline follows the partner's calendar (recomputeDeadline): counted again from its start, a move is
 * recorded (DEADLINE_CHANGED, old → new) and the wait follows it. Workflow code only: bundled into the sandbox.
 */
import type { UpdateDefinition } from '@temporalio/common';
import { ActivityFailure, ApplicationFailure, condition, patched, setHandler } from '@temporalio/workflow';
import type { Actor } from '../../domain/actor.js';
import type { RecomputeRequest } from './recompute.js';
import { calendarVersionOf, type PendingDeadline, type PlannedDeadline, recomputedNote, untilNext } from './deadline.js';
import type { ReviewedApplication } from './reviewed-application.js';
import { now, provisionalMarkOf, refuse } from './shared.js';

/**
 * What the rounds keep on the snapshot, under the names of the application's columns: the round, when it started
 * (reviewDueAt counts from it) and whether it escalated; when the supplement was asked for (supplementDeadline counts
 * from it); the decision's time and note.
 */
export type RoundFields = {
  status: string;
  reviewRound: number;
  reviewEscalated: boolean;
  reviewStartedAt?: string;
  reviewDueAt?: string;
  supplementRequestedAt?: string;
  supplementDeadline?: string;
  decidedAt?: string;
  decisionNote?: string;
};

type RoundDeadline = 'reviewDueAt' | 'supplementDeadline';

/** The transitions the rounds record through the process's queue. */
export type RoundTransition<S> = {
  type: 'REVIEW_STARTED' | 'SUPPLEMENTED' | 'SUPPLEMENT_REQUESTED' | 'REJECTED' | 'WITHDRAWN_BY_TIMEOUT' | 'DEADLINE_CHANGED';
  toStatus: S | 'IN_REVIEW' | 'SUPPLEMENT_REQUESTED' | 'REJECTED' | 'WITHDRAWN_BY_TIMEOUT';
  actor: string;
  at?: string;
  note?: string;
  columns: { reviewStartedAt?: string; reviewDueAt?: string | null; supplementRequestedAt?: string | null; supplementDeadline?: string | null; decidedAt?: string; decisionNote?: string };
  data?: Record<string, unknown>;
};

/** An outbox message of the rounds (reminder, escalation), for the process's enqueue activity. */
export type RoundMessage = { topic: string; aggregateId: string; dedupeKey: string; payload: Record<string, unknown>; dueAt: string };

/** What the process gives the rounds: its state, its activities and queue, its topics and outbox keys, its patch ids. */
export type RoundsOf<S, V> = {
  state: RoundFields & { status: S };
  pending: PendingDeadline;
  app: ReviewedApplication;
  refusals: { notInReview: string; notSupplementRequested: string; invalid: string };
  terms: () => { reviewSlaWorkingDays: number; supplementWorkingDays: number };
  /** Counts a deadline in the partner's calendar (an activity); `remindBefore` working days before it, the reminder. */
  plan: (from: string, workingDays: number, remindBefore: number) => Promise<PlannedDeadline>;
  transition: (t: RoundTransition<S>) => Promise<V>;
  enqueue: (m: RoundMessage) => Promise<unknown>;
  /** The application's id (its messages' aggregate and dedupe keys) and what every message of it says first. */
  id: string;
  about: () => Record<string, unknown>;
  /** The contract's topics, reminder working days and dedupe keys (a reminder is keyed by the deadline it announces). */
  review: {
    reminderTopic: string;
    reminderWorkingDays: number;
    reminderKey: (id: string, round: number, dueAt: string) => string;
    escalationTopic: string;
    escalationKey: (id: string, round: number) => string;
  };
  supplement: { reminderTopic: string; reminderWorkingDays: number; reminderKey: (id: string, deadline: string) => string };
  /** patched() ids: histories recorded before them wait on the deadline alone, with no recompute or reminder. */
  patches: { recompute: string; reminders: string };
};

export class ReviewRounds<S, V> {
  /** recomputeDeadline requests for the pending deadline, taken by the wait they wake. */
  private readonly requests: RecomputeRequest[] = [];

  constructor(private readonly r: RoundsOf<S, V>) {}

  /** The deadline the application waits on, if any: the review's due date, or the supplement deadline. */
  pendingDeadline(): string | undefined {
    const s = this.r.state;
    return s.status === 'SUBMITTED' || s.status === 'IN_REVIEW' ? s.reviewDueAt : s.status === 'SUPPLEMENT_REQUESTED' ? s.supplementDeadline : undefined;
  }

  /** The pending deadline's provisional mark ('' when none is pending). */
  pendingMark() {
    return ['SUBMITTED', 'IN_REVIEW', 'SUPPLEMENT_REQUESTED'].includes(this.r.state.status as string) ? this.r.pending.mark : '';
  }

  planReview(from: string) {
    return this.r.plan(from, this.r.terms().reviewSlaWorkingDays, this.r.review.reminderWorkingDays);
  }

  /** A review round starts (on submission, or with a supplement): its due date replaces the supplement deadline. */
  startReview(at: string, due: PlannedDeadline, type: 'REVIEW_STARTED' | 'SUPPLEMENTED', actor: string, note?: string) {
    const state = this.r.state;
    this.r.pending.set(due);
    state.reviewRound += 1;
    state.reviewStartedAt = at;
    state.reviewDueAt = due.deadline;
    state.reviewEscalated = false;
    delete state.supplementDeadline;
    delete state.supplementRequestedAt;
    return this.r.transition({
      type,
      toStatus: 'IN_REVIEW',
      actor,
      at,
      ...(note ? { note } : {}),
      columns: { reviewStartedAt: at, reviewDueAt: due.deadline, supplementRequestedAt: null, supplementDeadline: null },
      data: { reviewRound: state.reviewRound, reviewDueAt: due.deadline, explanation: due.explanation },
    });
  }

  /**
   * The vendor's review — APPROVE (the process's own outcome: a certificate...), REJECT, or REQUEST_SUPPLEMENT (the
   * supplement deadline counts from now) — and the partner's supplement, which starts a new review round.
   */
  handleDecisions(d: {
    review: UpdateDefinition<V, [{ actor: Actor; decision: string; note?: string }]>;
    supplement: UpdateDefinition<V, [{ actor: Actor; note?: string }]>;
    decisions: readonly string[];
    approve: (at: string, actor: string, note?: string) => Promise<V>;
  }) {
    const { state, app, refusals } = this.r;
    setHandler(
      d.review,
      ({ actor, decision, note }) =>
        app.guard.run(async () => {
          const at = now();
          if (decision === 'APPROVE') return d.approve(at, actor.sub, note);
          if (decision === 'REJECT') {
            Object.assign(state, { decidedAt: at, decisionNote: note });
            return this.r.transition({ type: 'REJECTED', toStatus: 'REJECTED', actor: actor.sub, at, note, columns: { decidedAt: at, decisionNote: note! } });
          }
          const due = await this.r.plan(at, this.r.terms().supplementWorkingDays, this.r.supplement.reminderWorkingDays);
          this.r.pending.set(due);
          state.supplementRequestedAt = at;
          state.supplementDeadline = due.deadline;
          return this.r.transition({
            type: 'SUPPLEMENT_REQUESTED',
            toStatus: 'SUPPLEMENT_REQUESTED',
            actor: actor.sub,
            at,
            note,
            columns: { supplementRequestedAt: at, supplementDeadline: due.deadline },
            data: { supplementDeadline: due.deadline, explanation: due.explanation },
          });
        }),
      {
        validator: ({ actor, decision, note }) => {
          app.requireVendor(actor);
          if (state.status !== 'IN_REVIEW') refuse(refusals.notInReview, `The application is ${state.status}, not IN_REVIEW.`);
          if (!d.decisions.includes(decision)) refuse(refusals.invalid, `decision must be one of ${d.decisions.join(', ')}.`);
          if (decision !== 'APPROVE' && !note?.trim()) refuse(refusals.invalid, `${decision}: a note is required.`);
        },
      },
    );
    setHandler(
      d.supplement,
      ({ actor, note }) =>
        app.guard.run(async () => {
          const at = now();
          return this.startReview(at, await this.planReview(at), 'SUPPLEMENTED', actor.sub, note);
        }),
      {
        validator: ({ actor }) => {
          app.requireOwner(actor);
          if (state.status !== 'SUPPLEMENT_REQUESTED') refuse(refusals.notSupplementRequested, `The application is ${state.status}, not SUPPLEMENT_REQUESTED.`);
          app.requireBeforeSupplementDeadline(state.supplementDeadline);
        },
      },
    );
  }

  /** recomputeDeadline: a deadline already past (escalated, or the supplement window over) or none ignores it. */
  recomputeAsked(request: RecomputeRequest) {
    const s = this.r.state;
    const pending = s.status === 'IN_REVIEW' ? !s.reviewEscalated && s.reviewDueAt : s.status === 'SUPPLEMENT_REQUESTED' && s.supplementDeadline;
    if (pending && Date.now() < Date.parse(pending)) this.requests.push({ ...request });
  }

  /** Waits for a decision; past reviewDueAt escalates once for this round (the application stays IN_REVIEW). */
  async reviewRound() {
    const { state, app: { guard } } = this.r;
    const round = state.reviewRound;
    const moved = () => state.status !== 'IN_REVIEW' || state.reviewRound !== round;
    if (state.reviewEscalated) return void (await condition(moved));
    const recomputing = patched(this.r.patches.recompute);
    const reminding = patched(this.r.patches.reminders);
    for (;;) {
      const woken = () => moved() || guard.busy || (recomputing && this.requests.length > 0);
      if (!(await condition(woken, untilNext(state.reviewDueAt!, reminding ? this.r.pending.reminder : undefined)))) {
        if (Date.now() >= Date.parse(state.reviewDueAt!)) break;
        const { reminderTopic, reminderKey, reminderWorkingDays } = this.r.review;
        await this.remind(reminderTopic, reminderKey(this.r.id, round, state.reviewDueAt!), { reviewRound: round, reviewDueAt: state.reviewDueAt, workingDaysBefore: reminderWorkingDays });
        continue;
      }
      if (moved() || guard.busy) return void (await condition(() => !guard.busy));
      await this.recompute('reviewDueAt', () => !moved());
    }
    state.reviewEscalated = true;
    await this.r.enqueue({
      topic: this.r.review.escalationTopic,
      aggregateId: this.r.id,
      dedupeKey: this.r.review.escalationKey(this.r.id, round),
      payload: { ...this.r.about(), reviewRound: round, reviewDueAt: state.reviewDueAt, ...this.r.pending.payload },
      dueAt: state.reviewDueAt!,
    });
  }

  /** Waits for the supplement; past supplementDeadline the application is withdrawn. */
  async supplementWindow() {
    const { state, app: { guard } } = this.r;
    const open = () => state.status === 'SUPPLEMENT_REQUESTED';
    const recomputing = patched(this.r.patches.recompute);
    const reminding = patched(this.r.patches.reminders);
    for (;;) {
      const woken = () => !open() || (recomputing && this.requests.length > 0);
      // A supplement accepted while a reminder was being sent ends the window (and deletes its deadline).
      if (!open()) return;
      if (!(await condition(woken, untilNext(state.supplementDeadline!, reminding ? this.r.pending.reminder : undefined)))) {
        if (Date.now() >= Date.parse(state.supplementDeadline!)) break;
        const { reminderTopic, reminderKey, reminderWorkingDays } = this.r.supplement;
        await this.remind(reminderTopic, reminderKey(this.r.id, state.supplementDeadline!), { supplementDeadline: state.supplementDeadline, workingDaysBefore: reminderWorkingDays });
        continue;
      }
      if (!open()) return;
      await this.recompute('supplementDeadline', open);
    }
    await condition(() => !guard.busy); // a supplement accepted before the deadline finishes first
    if (state.status !== 'SUPPLEMENT_REQUESTED') return;
    await this.r.transition({
      type: 'WITHDRAWN_BY_TIMEOUT',
      toStatus: 'WITHDRAWN_BY_TIMEOUT',
      actor: 'system',
      note: 'No supplement by the supplement deadline: the application is withdrawn.',
      columns: { decidedAt: now() },
      // The record activity announces the withdrawal with the deadline and its mark.
      data: { supplementDeadline: state.supplementDeadline, ...this.r.pending.payload },
    });
  }

  /** The pending deadline's reminder, once: to the outbox, saying which deadline it announces and whether it is provisional. */
  private async remind(topic: string, dedupeKey: string, payload: Record<string, unknown>) {
    const r = this.r.pending.reminder!;
    r.sent = true;
    await this.r.enqueue({ topic, aggregateId: this.r.id, dedupeKey, payload: { ...this.r.about(), ...payload, ...this.r.pending.payload }, dueAt: r.at });
  }

  /**
   * Counts the pending deadline again from its start with the partner's calendar as it is now (an activity reads
   * it); records old → new if it moved — or, unmoved, if its provisional mark changed (the official schedule was
   * published: the history and the Web UI stop saying provisional) — and the deadline is still the pending one. The
   * caller's wait then follows the new deadline — already past, it fires at once. A calendar that cannot answer
   * (fails closed, e.g. a year it does not cover) keeps the deadline as it is.
   */
  private async recompute(deadline: RoundDeadline, stillPending: () => boolean) {
    const { state, pending } = this.r;
    const requests = this.requests.splice(0);
    const terms = this.r.terms();
    const [from, workingDays, remindBefore] =
      deadline === 'reviewDueAt'
        ? [state.reviewStartedAt, terms.reviewSlaWorkingDays, this.r.review.reminderWorkingDays]
        : [state.supplementRequestedAt, terms.supplementWorkingDays, this.r.supplement.reminderWorkingDays];
    if (!from) return;
    let due: PlannedDeadline;
    try {
      due = await this.r.plan(from, workingDays, remindBefore);
    } catch (error) {
      if (error instanceof ActivityFailure || error instanceof ApplicationFailure) return; // regular or local activity
      throw error;
    }
    const old = state[deadline]!;
    if (!stillPending() || !pending.changes(due.deadline, old, due.explanation)) return;
    // The reminder belongs to the deadline (domain/reminders.ts): a moved one is planned again, sent or not.
    if (due.deadline !== old) pending.planReminder(due);
    state[deadline] = due.deadline;
    pending.mark = provisionalMarkOf(due.explanation);
    const { calendar } = due.explanation;
    const version = calendarVersionOf(due.explanation, requests);
    await this.r.transition({
      type: 'DEADLINE_CHANGED',
      toStatus: state.status,
      actor: 'system',
      note: recomputedNote({ deadline, start: from, calendar, version, from: old, to: due.deadline, mark: pending.mark }),
      columns: { [deadline]: due.deadline },
      data: { deadline, from: old, to: due.deadline, calendar, ...(version !== undefined ? { version } : {}), explanation: due.explanation, reasons: requests.map((r) => r.reason) },
    });
  }
}
