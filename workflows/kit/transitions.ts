/**
 * The transition queue and the busy guard every process workflow keeps. Workflow code only (bundled into the sandbox).
 *
 * A transition is a state change of the process (ACCEPTED, SUBMITTED, DEADLINE_CHANGED...): numbered (`seq`), applied
 * to the state at once — validators and queries see it — and persisted by the process's record activity one at a
 * time, in workflow order, so the database replays the workflow exactly; the activity is idempotent on (id, seq).
 */
import { causeOf, now } from './shared.js';

/** What the queue stamps on each record: its number, the status it leaves and, unless given, the moment (workflow time). */
type Stamped = 'seq' | 'fromStatus' | 'at';

/** A transition as the workflow asks for it: the record without the process's id and what the queue stamps. */
export type TransitionOf<R, Id extends keyof R> = Omit<R, Id | Stamped> & { at?: string };

/**
 * `transition(t)` numbers t, sets the status, lets `publish` show it (search attributes), queues `persist` behind
 * the transitions before it and resolves with `answer()` once persisted (what an update returns to its caller).
 * `settled()` is the queue's tail: awaited before the workflow returns or continues as new.
 */
export function transitionQueue<S, R extends { seq: number; fromStatus: S; toStatus: S; at: string }, Id extends keyof R, V>(
  state: { status: S; seq: number },
  how: { id: () => Pick<R, Id>; publish: () => void; persist: (record: R) => Promise<unknown>; answer: () => V },
) {
  let persisting: Promise<unknown> = Promise.resolve();
  const transition = ({ at, ...record }: TransitionOf<R, Id>): Promise<V> => {
    const full = { ...record, ...how.id(), seq: ++state.seq, fromStatus: state.status, at: at ?? now() } as unknown as R;
    state.status = full.toStatus;
    how.publish();
    const done = persisting.then(() => how.persist(full));
    persisting = done;
    return done.then(how.answer);
  };
  return { transition, settled: () => persisting };
}

/**
 * An action that awaits an activity between its validator and its transition (a material lookup, a deadline plan)
 * makes the process busy: validators refuse other actions meanwhile (ACTION_IN_PROGRESS, try again), and a deadline
 * that passes meanwhile waits for it to finish before it acts.
 */
export class BusyGuard {
  busy = false;

  /** Runs one action; an activity's refusal reaches the caller as that activity's ApplicationFailure. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    this.busy = true;
    try {
      return await work();
    } catch (error) {
      throw causeOf(error);
    } finally {
      this.busy = false;
    }
  }
}
