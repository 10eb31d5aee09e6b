/**
 * The pieces of the incentive-run benchmark (bench/incentive-run.ts) that are not the run itself: seeding P partners ×
 * E experts by bulk SQL, the expected lines, and reading the run's continue-as-new chain back from history.
 */
import { performance } from 'node:perf_hooks';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { tsToMs } from '@temporalio/common/lib/time.js';
import protos from '@temporalio/proto';
import { monthBounds } from '../domain/incentive-rules.js';
import type { PrismaClient } from '../platform/db.js';
import { incentiveWorkflowId } from '../workflows/incentive/contract.js';
import type { IncentiveRunOptions } from './options.js';

export const KINDS = 6;
export type ChainRun = { runId: string; events: number; bytes: number; childrenStarted: number; batches: number };
/** One activity type of the run, over the whole chain: scheduled → completed, and scheduled → started (queueing). */
export type ActivityTimes = { count: number; totalMs: number; minMs: number; maxMs: number; queuedMs: number };

/** `promise`, or the abort reason as soon as `signal` fires (the promise itself is left to settle unobserved). */
export function untilAborted<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export const sleep = (ms: number, signal?: AbortSignal) => untilAborted(new Promise<void>((r) => setTimeout(r, ms)), signal);

/** The seeded partners' verification workflow ids for `period` (partner ids as seed() writes them). */
export const verificationIds = ({ partners }: IncentiveRunOptions, period: string) =>
  Array.from({ length: partners }, (_, i) => incentiveWorkflowId(`BENCH-R${String(i + 1).padStart(6, '0')}`, period));

/** Describes at a time: enough to be quick, few enough not to load the server much. */
const DESCRIBE_CONCURRENCY = 20;

/**
 * Until every workflow in `ids` has completed its first workflow task (no workflow task pending, and the history
 * holds one completed), checked by describing them in passes after the run — visibility cannot tell, since a verification
 * the run hands its incentive publishes nothing more. `doneAt` is when the pass that found the last one done ended;
 * `pending` how many were not done when `until` (a performance.now() instant) passed.
 */
export async function untilFirstTasksDone(client: Client, ids: string[], until: number, signal?: AbortSignal) {
  let pending = ids;
  for (;;) {
    const still: string[] = [];
    let next = 0;
    const lane = async () => {
      while (next < pending.length) {
        const id = pending[next++]!;
        const described = await untilAborted(client.workflow.getHandle(id).describe(), signal).catch((error: unknown) => {
          if (signal?.aborted) throw error;
          return undefined; // not started yet (visibility may lag the start): still pending
        });
        if (!described || described.raw.pendingWorkflowTask || described.historyLength < 4) still.push(id);
      }
    };
    await Promise.all(Array.from({ length: DESCRIBE_CONCURRENCY }, lane));
    pending = still;
    if (pending.length === 0) return { doneAt: performance.now(), pending: 0 };
    if (performance.now() >= until) return { doneAt: undefined, pending: pending.length };
    await sleep(500, signal);
  }
}

/** P partners × E experts and their certifications, two INSERT … SELECT over generate_series. */
export async function seed(prisma: PrismaClient, options: IncentiveRunOptions, period: string) {
  const { first } = monthBounds(period);
  const experts = await prisma.$executeRaw`
    INSERT INTO expert (id, partner_id, employee_id, name, full_time, full_time_since, registered_on, active,
                        full_time_attested_since, full_time_attested_at, full_time_attested_by)
    SELECT 'bench-x-' || p || '-' || k,
           'BENCH-R' || lpad(p::text, 6, '0'),
           'E' || lpad(k::text, 3, '0'),
           'Bench Expert ' || p || '-' || k,
           k % 6 <> 1,
           CASE WHEN k % 6 = 1 THEN NULL ELSE date '2020-01-01' END,
           CASE WHEN k % 6 = 4 THEN ${first}::date ELSE date '2020-01-01' END,
           k % 6 <> 5,
           CASE WHEN k % 6 = 1 THEN NULL ELSE date '2020-01-01' END,
           CASE WHEN k % 6 = 1 THEN NULL ELSE now() END,
           CASE WHEN k % 6 = 1 THEN NULL ELSE 'bench-seed' END
    FROM generate_series(1, ${options.partners}::int) AS p, generate_series(0, ${options.experts}::int - 1) AS k`;
  const certifications = await prisma.$executeRaw`
    INSERT INTO expert_certification (expert_id, type, valid_from, valid_to, attested_at, attested_by)
    SELECT 'bench-x-' || p || '-' || k, c.type, date '2020-01-01', c.valid_to, now(), 'bench-seed'
    FROM generate_series(1, ${options.partners}::int) AS p, generate_series(0, ${options.experts}::int - 1) AS k
    CROSS JOIN LATERAL (VALUES
      (CASE k % 6 WHEN 3 THEN 'CLOUD_ASSOCIATE' WHEN 4 THEN 'CLOUD_EXPERT' WHEN 5 THEN 'CLOUD_EXPERT' ELSE 'CLOUD_PROFESSIONAL' END,
       CASE WHEN k % 6 = 2 THEN date '2021-12-31' ELSE date '2099-12-31' END),
      (CASE WHEN k % 6 = 0 AND p % 2 = 1 THEN 'DATA_PROFESSIONAL' END, date '2099-12-31')
    ) AS c(type, valid_to)
    WHERE c.type IS NOT NULL`;
  await prisma.$executeRawUnsafe('ANALYZE expert, expert_certification');
  return { experts, certifications };
}

/** What the seed should produce: kind-0 experts qualify, at 1,200.00 CNY on odd partners, 1,000.00 on even ones. */
export function expectedLines({ partners, experts }: IncentiveRunOptions) {
  const perPartner = Math.floor((experts - 1) / KINDS) + 1;
  const odd = Math.ceil(partners / 2);
  return { lines: partners * perPartner, totalMinor: perPartner * (odd * 120_000 + (partners - odd) * 100_000) };
}

/** Every run of the chain, from the first one, following each run's continued-as-new event. */
export async function readChain(handle: (runId: string) => WorkflowHandle, firstRunId: string, signal?: AbortSignal) {
  const runs: ChainRun[] = [];
  const activities = new Map<string, ActivityTimes>();
  /** What the startVerifications activities answered (activities/start-processes.ts), summed. */
  const starts = { started: 0, alreadyStarted: 0, eagerlyStarted: 0 };
  /**
   * The run's own workflow tasks: queued (scheduled → started) and worked (started → completed, local activities
   * included); minMs: the quickest one, scheduled → completed.
   */
  const workflowTasks = { count: 0, queuedMs: 0, workedMs: 0, minMs: Number.POSITIVE_INFINITY, localActivities: 0 };
  for (let runId: string | undefined = firstRunId; runId; ) {
    signal?.throwIfAborted();
    const history = await handle(runId).fetchHistory();
    const events = history.events ?? [];
    const scheduled = new Map<string, { type: string; at: number; startedAt?: number }>();
    let childrenStarted = 0;
    let batches = 0;
    let next: string | undefined;
    let taskScheduledAt: number | undefined;
    let taskStartedAt: number | undefined;
    for (const e of events) {
      const at = tsToMs(e.eventTime);
      if (e.workflowTaskScheduledEventAttributes) taskScheduledAt = at;
      else if (e.workflowTaskStartedEventAttributes) {
        taskStartedAt = at;
        workflowTasks.queuedMs += at - (taskScheduledAt ?? at);
      } else if (e.workflowTaskCompletedEventAttributes) {
        workflowTasks.count++;
        workflowTasks.workedMs += at - (taskStartedAt ?? at);
        workflowTasks.minMs = Math.min(workflowTasks.minMs, at - (taskScheduledAt ?? at));
      } else if (e.markerRecordedEventAttributes?.markerName === 'core_local_activity') workflowTasks.localActivities++;
      if (e.activityTaskScheduledEventAttributes) {
        const type = e.activityTaskScheduledEventAttributes.activityType?.name ?? '';
        scheduled.set(String(e.eventId), { type, at });
      } else if (e.activityTaskStartedEventAttributes) {
        const s = scheduled.get(String(e.activityTaskStartedEventAttributes.scheduledEventId));
        if (s) s.startedAt = at;
      } else if (e.activityTaskCompletedEventAttributes) {
        const s = scheduled.get(String(e.activityTaskCompletedEventAttributes.scheduledEventId));
        if (s) {
          const times = activities.get(s.type) ?? { count: 0, totalMs: 0, minMs: Number.POSITIVE_INFINITY, maxMs: 0, queuedMs: 0 };
          times.count++;
          times.totalMs += at - s.at;
          times.minMs = Math.min(times.minMs, at - s.at);
          times.maxMs = Math.max(times.maxMs, at - s.at);
          times.queuedMs += (s.startedAt ?? s.at) - s.at;
          activities.set(s.type, times);
        }
        if (s?.type === 'startVerifications') {
          const [payload] = e.activityTaskCompletedEventAttributes.result?.payloads ?? [];
          const answer = payload ? defaultPayloadConverter.fromPayload<Partial<typeof starts>>(payload) : {};
          for (const k of Object.keys(starts) as (keyof typeof starts)[]) starts[k] += answer[k] ?? 0;
        }
        if (s?.type === 'generateIncentiveBatch') batches++;
      } else if (e.childWorkflowExecutionStartedEventAttributes) childrenStarted++;
      else if (e.workflowExecutionContinuedAsNewEventAttributes) next = e.workflowExecutionContinuedAsNewEventAttributes.newExecutionRunId ?? undefined;
    }
    runs.push({ runId, events: events.length, bytes: protos.temporal.api.history.v1.History.encode(history).finish().length, childrenStarted, batches });
    runId = next;
  }
  return { runs, activities, starts, workflowTasks };
}
