/**
 * Deadline boundaries to the millisecond, on a time-skipping test server of the test's own.
 *
 * A validator refuses with `Date.now() >= deadline`, and Date.now() in workflow code is the time of the workflow task
 * that runs it (its WorkflowTaskStarted event). The test server cannot hold its clock still at an instant while a task
 * runs: whenever anything holds its time-skipping lock (the test between two sleeps, any scheduled task) the clock
 * runs in real time. So "exactly at the deadline" is made to happen rather than assumed: each trial's action is sent
 * when the server's clock, read across the wire, is a few milliseconds short of that trial's deadline, and the task
 * that decided it is read back from the history. Over a round of trials some are decided before, some exactly at,
 * some after their deadline; each is judged by its own task's time, and rounds go on until one landed exactly on it —
 * where a validator comparing with `>` instead of `>=` would let the partner act after all.
 *
 * Tolerances, from the server's real-time drift: the validators are judged to the millisecond (the deciding task's own
 * time against the deadline, no tolerance). "A second before" is the clock advanced to deadline − 1 s, the action then
 * landing a few ms later: decided in [deadline − 1 s, deadline). The deadline's own transition fires on a timer the
 * workflow set while the clock ran on (some ms, more on a loaded machine): within [deadline, deadline + 1 s), and the
 * process seen still open at deadline − 1 s — so a deadline a day or an hour off fails, and so does one a second off.
 */
import { randomUUID } from 'node:crypto';
import { type WorkflowHandle, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { expect } from 'vitest';
import type { PrismaClient } from '../../platform/db.js';
import { fixedCalendar, nextFriday, testCalendar } from './calendar.js';
import { startTestWorker, timeSkippingEnv } from './temporal.js';
import { advanceClockTo } from './wait.js';

export const SECOND = 1000;
export const DAY = 24 * 3600 * SECOND;
/** What an action that went through answers (the refusals answer their type). */
export const DONE = 'DONE';

export type Server = { env: TestWorkflowEnvironment; taskQueue: string; prisma: PrismaClient; stop: () => Promise<void> };

/**
 * A time-skipping server, and the app's worker on a queue of its own with the plain test calendar (Saturday and
 * Sunday rest days, no holidays). `stop()` ends both; `onFinished` does it too when the test ends — also after a
 * timed-out attempt, whose own code is then abandoned.
 */
export async function ownServer(onFinished: (cleanup: () => Promise<void>) => void): Promise<Server> {
  const env = await timeSkippingEnv();
  let stopWorker: () => Promise<void> = async () => {};
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      await Promise.race([stopWorker(), new Promise((resolve) => setTimeout(resolve, 5_000))]);
      await env.teardown();
    })());
  onFinished(stop);
  const taskQueue = `deadline-boundaries-${randomUUID().slice(0, 8)}`;
  const calendar = testCalendar(await env.currentTimeMs());
  const worker = await startTestWorker(env, taskQueue, fixedCalendar(() => calendar));
  stopWorker = worker.stop;
  return { env, taskQueue, prisma: worker.prisma, stop };
}

/**
 * The server's clock moved to the next Friday 15:00 in Asia/Shanghai: every boundary test counts its deadlines by hand
 * from a Friday afternoon in the plain test calendar.
 */
export async function toFriday({ env }: Pick<Server, 'env'>): Promise<void> {
  await advanceClockTo(env, nextFriday(await env.currentTimeMs(), 15).toMillis());
}

/** What an action on a workflow that has already completed answers (the API says the process is no longer open). */
export const COMPLETED = 'WORKFLOW_COMPLETED';

/** What the workflow answered an action: DONE, the refusal's type, or COMPLETED. */
export const answerOf = (action: Promise<unknown>): Promise<string> =>
  action.then(
    () => DONE,
    (error: unknown) =>
      error instanceof WorkflowUpdateFailedError
        ? ((error.cause as { type?: string } | undefined)?.type ?? 'a failure without a type')
        : error instanceof WorkflowNotFoundError
          ? COMPLETED
          : `not a refusal: ${String(error)}`,
  );

const millis = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) => Number(t!.seconds) * 1000 + Math.floor((t!.nanos ?? 0) / 1e6);

/** The id of the history's last event: what a trial's decision is looked for after. */
async function lastEventId(handle: WorkflowHandle): Promise<number> {
  return Number((await handle.fetchHistory()).events!.at(-1)!.eventId);
}

/**
 * The server's clock as the test sees it: while the test holds the time-skipping lock it runs in real time, a fixed
 * offset from this machine's clock, read over the round trip that took least.
 */
async function serverClock(env: TestWorkflowEnvironment) {
  let best = { rtt: Infinity, offset: 0 };
  for (let i = 0; i < 7; i++) {
    const sent = Date.now();
    const server = await env.currentTimeMs();
    const back = Date.now();
    if (back - sent < best.rtt) best = { rtt: back - sent, offset: server - (sent + back) / 2 };
  }
  const now = () => Date.now() + best.offset;
  /** Waits until the server's clock reads `target`: a timer for most of it, a spin for the last milliseconds. */
  const until = async (target: number) => {
    const coarse = target - now() - 4;
    if (coarse > 0) await new Promise((resolve) => setTimeout(resolve, coarse));
    while (now() < target); // the spin: a timer wakes late by a millisecond or more
  };
  return { now, until };
}

/** What a trial must answer: `before` decided before its deadline, `atOrAfter` at it or later, `closed` once the deadline's own transition has closed it. */
export type Answers = { before: string; atOrAfter: string; closed: string };
export type Trial = {
  label: string;
  handle: WorkflowHandle;
  /** From the independent reference (hand-computed in the test), never from the code under test. */
  deadline: number;
  act: () => Promise<unknown>;
  answers: Answers;
  /** Where its deciding task is aimed, in ms after the deadline, instead of the round's landings (below). */
  aim?: number;
};
export type Sample = Trial & {
  sentAt: number;
  /** The time of the workflow task that decided the action: the validator's Date.now(). */
  decidedAt: number;
  answer: string;
  /** The deadline's timer fired before that task started: the process may already be closed. */
  timerFirst: boolean;
};

/**
 * Where each trial's deciding task is aimed, in ms after its deadline: mostly on it, one well before and one well
 * after it, so that every round has both sides. The one well before is far enough from the deadline's timer to be
 * safe from a bug of the test server (below); so, mostly, is a trial aimed after the deadline (`aim`).
 */
const LANDINGS = [1, 0, 2, -300, 1, 0, 2, 1, 8, 0, 1, 2];
/** A trial whose action has not been answered by then was stranded by the test server (below). */
const STRANDED_AFTER = 10 * SECOND;

/**
 * The trials' actions, each sent when the server's clock reads its aimed landing less `delay`, the time measured so
 * far between sending an action and the start of the task deciding it.
 *
 * The time-skipping server strands a workflow whose task cancels a timer that fired while the task was with the
 * worker: it refuses the completion ("invalid history builder state for action", temporalio/sdk-java#3088) and never
 * sends the task again, so the action is never answered and the server's clock can no longer skip. An action that
 * goes through a few ms before the deadline cancels the deadline's timer in just such a task. Such a trial is set
 * aside unjudged (its workflow terminated, so that its caller stops waiting) and the round's server is not used again.
 */
async function actAtDeadlines(env: TestWorkflowEnvironment, trials: Trial[], delay: number) {
  const marks = await Promise.all(trials.map((t) => lastEventId(t.handle)));
  const plan = trials.map((trial, i) => ({ trial, mark: marks[i]!, target: trial.deadline + (trial.aim ?? LANDINGS[i % LANDINGS.length]!) - delay }));
  plan.sort((a, b) => a.target - b.target);
  const clock = await serverClock(env);
  const sent: { sentAt: number; answer: Promise<string> }[] = [];
  for (const { trial, target } of plan) {
    await clock.until(target);
    sent.push({ sentAt: clock.now(), answer: answerOf(trial.act()) });
  }
  const samples: Sample[] = [];
  const stranded: Trial[] = [];
  for (const [i, { trial, mark }] of plan.entries()) {
    const answer = await Promise.race([sent[i]!.answer, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), STRANDED_AFTER))]);
    if (answer === undefined) {
      stranded.push(trial);
      await trial.handle.terminate('stranded by the test server (temporalio/sdk-java#3088)').catch(() => {});
      await Promise.race([sent[i]!.answer, new Promise((resolve) => setTimeout(resolve, 5 * SECOND))]);
      continue;
    }
    const after = (await trial.handle.fetchHistory()).events!.filter((e) => Number(e.eventId) > mark);
    const task = after.find((e) => e.workflowTaskStartedEventAttributes)!;
    const timerFirst = after.some((e) => e.timerFiredEventAttributes && Number(e.eventId) < Number(task.eventId));
    samples.push({ ...trial, sentAt: sent[i]!.sentAt, decidedAt: millis(task.eventTime), answer, timerFirst });
  }
  return { samples, stranded };
}

export const landed = (s: Sample) => (s.decidedAt < s.deadline ? 'before' : s.decidedAt === s.deadline ? 'at' : 'after');

/**
 * Rounds of trials, each round's placed by `makeTrials` on a server of the test's own, until one was decided exactly
 * at its deadline, one before and one after it (at most `rounds`). Every sample is judged as it comes: decided before
 * its deadline it answers `before`; at or after it `atOrAfter` — or `closed` when the deadline's timer fired first.
 * `afterRound` checks the round's answered trials on its server. `until`: what else the test needs before it stops
 * sampling (e.g. each kind of action refused at or after its deadline at least once): under load most of one kind's
 * trials may land after the deadline's timer and answer `closed`, so more rounds are taken rather than the test
 * failing for want of a sample; still at most `rounds`. Answers every judged sample.
 */
export async function sweepDeadline(
  onFinished: (cleanup: () => Promise<void>) => void,
  makeTrials: (server: Server) => Promise<Trial[]>,
  {
    rounds = 6,
    afterRound,
    until = () => true,
  }: { rounds?: number; afterRound?: (server: Server, samples: Sample[]) => Promise<void>; until?: (samples: Sample[]) => boolean } = {},
): Promise<Sample[]> {
  const samples: Sample[] = [];
  let strandedCount = 0;
  const count = (side: string) => samples.filter((s) => landed(s) === side && s.answer !== s.answers.closed && s.answer !== COMPLETED).length;
  let server: Server | undefined;
  for (let round = 0; round < rounds && !(count('before') && count('at') && count('after') && until(samples)); round++) {
    server ??= await ownServer(onFinished);
    const delays = samples.map((s) => s.decidedAt - s.sentAt).sort((a, b) => a - b);
    const trials = await makeTrials(server);
    await advanceClockTo(server.env, Math.min(...trials.map((t) => t.deadline)) - 1500);
    const { samples: judged, stranded } = await actAtDeadlines(server.env, trials, Math.round(delays[delays.length >> 1] ?? 2));
    for (const s of judged) {
      const { before, atOrAfter, closed } = s.answers;
      const allowed = s.decidedAt < s.deadline ? [before] : s.timerFirst ? [atOrAfter, closed, COMPLETED] : [atOrAfter];
      expect(allowed, `${s.label}: decided ${s.decidedAt - s.deadline} ms from its deadline, answered ${s.answer}`).toContain(s.answer);
    }
    samples.push(...judged);
    await afterRound?.(server, judged);
    strandedCount += stranded.length;
    if (stranded.length) {
      await server.stop();
      server = undefined;
    }
  }
  const counts = `decided before/at/after the deadline: ${count('before')}/${count('at')}/${count('after')}; stranded by the test server: ${strandedCount}`;
  expect({ before: count('before') > 0, at: count('at') > 0, after: count('after') > 0 }, counts).toEqual({ before: true, at: true, after: true });
  return samples;
}

/**
 * The deadline's own transition (expiry, withdrawal, lapse) happened when its timer fired: at the deadline, not a
 * second earlier (the test saw the process open a second before) and within `tolerance` after it — the server's clock
 * runs in real time while the workflow sets its timer, so the timer fires some milliseconds after the deadline.
 */
export async function expectTimerAtDeadline(handle: WorkflowHandle, deadline: number, tolerance = SECOND) {
  const { events } = await handle.fetchHistory();
  const fired = events!.filter((e) => e.timerFiredEventAttributes).map((e) => millis(e.eventTime)).filter((at) => at >= deadline - SECOND);
  expect(fired.length, 'a timer fired within a second of the deadline').toBeGreaterThan(0);
  expect(fired[0]! - deadline).toBeGreaterThanOrEqual(0);
  expect(fired[0]! - deadline).toBeLessThan(tolerance);
}

/** `until` for sweepDeadline: each kind (a trial label's first word) answered `answer` at least once. */
export const eachKindAnswered = (kinds: readonly string[], answer: string) => (samples: Sample[]) =>
  kinds.every((kind) => samples.some((s) => s.label.startsWith(kind) && s.answer === answer));
