/**
 * The scale section's Temporal side (bench/scale.ts): the time-skipping test server, the one clock jump and the
 * waits timed from it, and what the server lists as closed.
 *
 * How the test server's clock moves (measured while writing this): it starts at this machine's time, and runs in
 * real time while anything holds its time-skipping lock — the benchmark between jumps, and every workflow or
 * activity task outstanding. `env.sleep(d)` releases the benchmark's lock until the clock has reached now + d: the
 * server skips to each due timer whenever no task is outstanding, so the sleep returns once every timer up to the
 * target has fired and all the work they caused is done. Awaiting a workflow's result through the environment's
 * client would release the lock too (and let the clock run years ahead): nothing here does.
 */
import { performance } from 'node:perf_hooks';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, makeTelemetryFilterString, Runtime } from '@temporalio/worker';
import { registerSearchAttributes } from '../platform/temporal.js';
import { resolveTestServer } from '../scripts/temporal-binaries.js';
import { ProcessStatus } from '../workflows/kit/search-attributes.js';
import { cpuBetween, type CpuSnapshot, cpuSnapshot } from './cpu.js';
import type { Teardown } from './lib.js';
import { runPhase } from './phase.js';

/** Past the last deadline by this much: every timer up to it fires in the one jump. */
export const JUMP_MARGIN_MS = 60_000;
/** How long after the jump has returned (the server idle) a stage is still waited for before it is given up. */
const IDLE_GRACE_MS = 30_000;

export async function startTimeSkippingServer(teardown: Teardown, log: (line: string) => void) {
  try {
    // Only warnings and errors from the SDK and its core; must precede anything that creates the Runtime.
    Runtime.install({
      logger: new DefaultLogger('WARN'),
      shutdownSignals: [], // bench/main.ts owns SIGINT/SIGTERM and shuts the workers down in order
      telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }) } },
    });
  } catch {
    // Already installed (by an earlier section): keep it.
  }
  log('scale: starting the time-skipping test server…');
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: resolveTestServer() } } });
  teardown.add('tear down Temporal (scale)', () => env.teardown());
  await registerSearchAttributes(env.connection, env.namespace ?? 'default');
  return env;
}

/**
 * Polls `done` until true (answers true), or until `givenUp` says nothing more will come (answers false); fails after
 * `timeoutMs` naming what it waited for and how far it got.
 */
export async function until(
  what: string,
  done: () => boolean | Promise<boolean>,
  timeoutMs: number,
  log: (line: string) => void,
  progress: () => string,
  signal?: AbortSignal,
  everyMs = 20,
  givenUp: () => string | undefined = () => undefined,
): Promise<boolean> {
  const started = performance.now();
  let reported = started;
  while (!(await done())) {
    signal?.throwIfAborted();
    const now = performance.now();
    const why = givenUp();
    if (why) {
      log(`scale: gave up waiting for ${what} (${progress()}): ${why}`);
      return false;
    }
    if (now - started > timeoutMs) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what} (${progress()})`);
    if (now - reported >= 10_000) {
      reported = now;
      log(`scale: ${progress()} after ${((now - started) / 1000).toFixed(0)} s…`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return true;
}

/**
 * A wait timed from the jump: done once its probe says so. `stalled` (optional) answers why the work behind it has
 * stopped moving, if it has: the wait is then given up.
 */
export type Stage = { name: string; done: () => boolean | Promise<boolean>; progress: () => string; everyMs: number; stalled?: () => string | undefined };

export type Jump = {
  /** How far the clock was moved, in ms of server time. */
  distanceMs: number;
  /** Each stage's wall time from the jump until it was done; none for a stage given up (its checks then say what is missing). */
  stageMs: Record<string, number | undefined>;
  /** When the jump (env.sleep) returned: the server's clock at the target, every task it caused done; undefined: not within the timeout. */
  sleepReturnedMs: number | undefined;
  /** CPU ms by component (bench/cpu.ts) from the jump until the last stage was done. */
  cpu: CpuSnapshot;
};

/** One clock jump to `targetMs` (server time), then each stage in order, timed from the jump. */
export async function jumpAndWait(
  env: TestWorkflowEnvironment,
  targetMs: number,
  stages: Stage[],
  timeoutMs: number,
  log: (line: string) => void,
  signal?: AbortSignal,
): Promise<Jump> {
  const distanceMs = targetMs - (await env.currentTimeMs());
  log(`scale: jumping the clock ${(distanceMs / 3_600_000).toFixed(1)} h ahead…`);
  const jumped = performance.now();
  const cpuBefore = cpuSnapshot();
  let sleepReturnedMs: number | undefined;
  let sleepFailure: unknown;
  const sleeping = env.sleep(distanceMs).then(
    () => void (sleepReturnedMs = performance.now() - jumped),
    (error: unknown) => void (sleepFailure = error),
  );
  // Once the jump has returned, the server is idle: what has not happened within IDLE_GRACE_MS after it never will.
  const idle = () =>
    sleepReturnedMs !== undefined && performance.now() - jumped - sleepReturnedMs > IDLE_GRACE_MS ? `the server has been idle for ${IDLE_GRACE_MS / 1000} s` : undefined;
  const stageMs: Record<string, number | undefined> = {};
  for (const stage of stages) {
    const reached = await until(stage.name, stage.done, timeoutMs, log, stage.progress, signal, stage.everyMs, () => idle() ?? stage.stalled?.());
    stageMs[stage.name] = reached ? performance.now() - jumped : undefined;
  }
  const cpu = cpuBetween(cpuBefore, cpuSnapshot());
  // The server idles once the work is done: its clock then skips to the target at once. Bounded, in case it does not.
  await Promise.race([sleeping, new Promise((r) => setTimeout(r, 30_000).unref())]);
  if (sleepFailure) throw new Error(`the clock jump failed: ${String(sleepFailure)}`);
  return { distanceMs, stageMs, sleepReturnedMs, cpu };
}

export type ClosedExecution = { workflowId: string; completed: boolean };

/** The longest a check's one call to the server may take. */
const RPC_DEADLINE_MS = 60_000;

/** Every closed workflow of a type the server lists (without search attributes: the test server leaves them out). */

export async function closedExecutions(env: TestWorkflowEnvironment, workflowType: string): Promise<ClosedExecution[]> {
  const out: ClosedExecution[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    // A deadline: the time-skipping server once failed to send a page's answer (its headers over 16 KiB) and the
    // call waited forever; a failed check must say so instead.
    const page = await env.connection.withDeadline(Date.now() + RPC_DEADLINE_MS, () =>
      env.connection.workflowService.listClosedWorkflowExecutions({
        namespace: env.namespace ?? 'default',
        maximumPageSize: 1000,
        typeFilter: { name: workflowType },
        ...(nextPageToken ? { nextPageToken } : {}),
      }),
    );
    for (const e of page.executions ?? []) {
      if (e.type?.name !== workflowType) continue; // in case a server ignores the filter
      out.push({ workflowId: e.execution?.workflowId ?? '', completed: e.status === 2 }); // WORKFLOW_EXECUTION_STATUS_COMPLETED
    }
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return out;
}

/** Each workflow as described by the server: completed or not, and its ProcessStatus search attribute (what the Web UI shows). */
export async function describeAll(env: TestWorkflowEnvironment, workflowIds: string[], concurrency: number, signal?: AbortSignal) {
  const described = new Map<string, { completed: boolean; processStatus: unknown }>();
  const phase = await runPhase(
    'describe',
    workflowIds.length,
    concurrency,
    async (i) => {
      const d = await env.connection.withDeadline(Date.now() + RPC_DEADLINE_MS, () => env.client.workflow.getHandle(workflowIds[i]!).describe());
      described.set(workflowIds[i]!, { completed: d.status.name === 'COMPLETED', processStatus: d.typedSearchAttributes.get(ProcessStatus) });
      return { ok: true };
    },
    signal,
  );
  if (phase.errors) throw new Error(`describing the workflows failed ${phase.errors}×: ${phase.errorSamples.join(' | ')}`);
  return described;
}
