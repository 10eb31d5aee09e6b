/** The scale section's report (bench/scale.ts): what was measured, memory per process, the expiry beside its ceiling, the checks. */
import { type Component, COMPONENTS } from './cpu.js';
import { fixed, grouped, mib, type ProcessMemory, table } from './lib.js';
import { RETURNED } from './scale-ceiling.js';
import { CLOSED, EXPIRED_IN_DB, type Memories, type ScaleResult } from './scale.js';

/** Issue 16's goals: printed beside the figures, never asserted (figures only). */
/** Issue 16, point 3: the worker's RSS with the opportunities open and waiting on their timers — 300 MB, in bytes (286.1 MiB). */
export const WORKER_RSS_GOAL_BYTES = 300_000_000;
export const EXPIRY_RATIO_GOAL = 0.5;

const seconds = (ms: number | undefined) => (ms === undefined ? '–' : `${fixed(ms / 1000)} s`);
const days = (ms: number) => `${fixed(ms / (24 * 3600_000), 2)} d`;
const rate = (count: number, ms: number | undefined) => (ms === undefined || ms <= 0 ? '–' : fixed(count / (ms / 1000)));
const mem = (m: ProcessMemory | undefined, key: keyof ProcessMemory) => (m && Number.isFinite(m[key]) ? mib(m[key]) : '–');

export function formatScaleResult(r: ScaleResult): string {
  const { n } = r.options;
  const ceilingMs = r.ceiling.jump.stageMs[RETURNED];
  const closedMs = r.expiry.stageMs[CLOSED];
  const ratio = ceilingMs && closedMs ? ceilingMs / closedMs : Number.NaN;
  const workerOpenPeak = Math.max(r.open.worker.peak, r.settled.worker.peak);
  const workerWorst = Math.max(workerOpenPeak, r.expiryPeak.worker.peak);
  const memoryRow = (name: keyof Memories, start: string) => [
    name,
    start,
    mem(r.open[name], 'peak'),
    mem(r.open[name], 'rss'),
    mem(r.settled[name], 'rss'),
    mem(r.expiryPeak[name], 'peak'),
    mem(r.expiryPeak[name], 'rss'),
  ];
  const c = r.checks;
  return [
    `${grouped(n)} opportunities and ${grouped(n)} ceiling workflows on one time-skipping test server; the worker in a process of its own ` +
      `(bench/worker-process.ts) on the ${r.database} database; opportunities started by a plain workflow start each, ${r.options.concurrency} in ` +
      'flight (no HTTP: the referee measures that path); the ceiling (bench/ceiling/workflows.ts, no activities, no database) on a worker in the ' +
      'benchmark process with the same worker options, run first on the fresh server.',
    `Worker options as resolved: ${r.workerOptions}${r.options.workerOptions ? ` (BENCH_SCALE_WORKER_OPTIONS=${r.options.workerOptions})` : ' (the defaults, worker/worker.ts)'}` +
      `, NODE_OPTIONS=${r.workerNodeOptions ? `'${r.workerNodeOptions}'` : 'none'}${r.options.workerNodeOptions === undefined ? ' (WORKER_NODE_FLAGS, platform/config.ts)' : ' (BENCH_SCALE_WORKER_NODE_OPTIONS)'}.`,
    `Setup: test server ${seconds(r.setupMs.server)}, database ${seconds(r.setupMs.database)}, worker process ready ${seconds(r.setupMs.worker)}.`,
    '',
    '### Open',
    '',
    table(
      ['', 'ceiling', 'partnerflow'],
      [
        ['starts/s (the server accepted them)', fixed(r.ceiling.start.throughput), fixed(r.start.throughput)],
        ['start errors', String(r.ceiling.start.errors), String(r.start.errors)],
        ['all open (timer armed / PENDING_ACCEPTANCE in the database) after', seconds(r.ceiling.armedMs), seconds(r.sharedMs)],
        ['opened/s', rate(r.ceiling.start.ok, r.ceiling.armedMs), rate(r.start.ok, r.sharedMs)],
        ['deadline distance from start', days(r.acceptWithinMs.ceiling), days(r.acceptWithinMs.opportunities)],
      ],
    ),
    ...(r.start.errorSamples.length ? [`start errors: ${r.start.errorSamples.join(' | ')}`] : []),
    '',
    `### Memory (RSS from /proc; peak = VmHWM since the phase began)`,
    '',
    table(
      ['process', 'start: peak', 'sharing: peak', `${grouped(n)} shared`, `${r.options.settleSeconds} s later`, 'expiry: peak', 'after expiry'],
      [
        memoryRow('worker', `${mem(r.workerStart, 'peak')} (ready: ${mem(r.workerStart, 'rss')})`),
        memoryRow('database', '–'),
        memoryRow('Temporal test server', '–'),
        memoryRow('bench process', '–'),
      ],
    ),
    '',
    `Worker RSS with ${grouped(n)} open and waiting on their timers (idle ${r.options.settleSeconds} s): ${mib(r.settled.worker.rss)} — goal ≤ 300 MB (${mib(WORKER_RSS_GOAL_BYTES)}): ` +
      `${r.settled.worker.rss <= WORKER_RSS_GOAL_BYTES ? 'met' : 'NOT met'}; worst peak while sharing or expiring (not the goal's state, reported): ${mib(workerWorst)}.` +
      (r.workerHeap ? ` The worker's main-thread JS heap when idle: ${mib(r.workerHeap.heapUsed)} used, ${mib(r.workerHeap.external)} external (the workflow thread's heap is not in it).` : ''),
    `The benchmark process (its client and the ceiling worker): ${mib(r.ceiling.benchRss.before)} before the ceiling workflows, ${mib(r.ceiling.benchRss.open)} with ${grouped(n)} of them open.` +
      (r.database === 'PostgreSQL' ? ' PostgreSQL: the sum of its processes, shared buffers counted in each.' : ''),
    '',
    `### Expiry: one clock jump (ceiling ${fixed(r.ceiling.jump.distanceMs / 3_600_000)} h, partnerflow ${fixed(r.expiry.distanceMs / 3_600_000)} h) past every deadline`,
    '',
    table(
      ['from the jump until', 'ceiling', 'partnerflow'],
      [
        [`all ${grouped(n)} EXPIRED in the database`, '–', seconds(r.expiry.stageMs[EXPIRED_IN_DB])],
        [`all ${grouped(n)} workflows closed`, seconds(ceilingMs), seconds(closedMs)],
        ['expired/s (closed)', rate(n, ceilingMs), rate(n, closedMs)],
        ['the jump returned (the server idle: relay workflows done)', seconds(r.ceiling.jump.sleepReturnedMs), seconds(r.expiry.sleepReturnedMs)],
      ],
    ),
    '',
    `Expiry rate partnerflow ÷ ceiling: ${fixed(ratio, 2)}× — goal ≥ ${EXPIRY_RATIO_GOAL}×: ${ratio >= EXPIRY_RATIO_GOAL ? 'met' : 'NOT met'}. ` +
      'partnerflow does per opportunity, beyond the ceiling: a second timer and the reminder (a regular activity appending to the outbox), ' +
      'the expiry transition (a regular activity: row, event, outbox), each message fanned out at dispatch (no webhook endpoint here: no relay workflow), ' +
      'and, with more open opportunities than the workflow cache holds, a replay of the history at each of the two wake-ups.',
    '',
    cpuTable(r),
    '',
    '### Checks',
    '',
    table(
      ['check', 'found', 'expected'],
      scaleCheckRows(r).map(([name, found, expected]) => [name, grouped(found), grouped(expected)]),
    ),
    `Messages fanned out: ${grouped(c.relayed)} of ${grouped(c.reminders + c.expiryMessages)} (not a check: the webhooks' work, after the expiry).`,
    ...(r.workerLog.shown.length ? ['', `Worker log (${r.workerLog.shown.length}${r.workerLog.more ? ` + ${r.workerLog.more} more` : ''} lines):`, ...r.workerLog.shown.map((l) => `    ${l}`)] : []),
  ].join('\n');
}

/** Each check: what was found, what none-lost means. */
function scaleCheckRows(r: ScaleResult): [string, number, number][] {
  const { n } = r.options;
  const c = r.checks;
  return [
    ['opportunities started', r.start.ok, n],
    ['EXPIRED rows', c.expiredRows, n],
    ['EXPIRED events with seq 2', c.expiredEvents, n],
    ['events in all (SHARED + EXPIRED)', c.events, 2 * n],
    ['rows whose last seq is 2', c.lastSeq2, n],
    ['opportunity workflows closed, completed', c.closedCompleted, n],
    ["rows whose status differs from their workflow's ProcessStatus", c.dbMismatches, 0],
    ['accept reminders in the outbox', c.reminders, n],
    ['expiry messages in the outbox', c.expiryMessages, n],
    ['ceiling workflows started', r.ceiling.start.ok, n],
    ["ceiling workflows that returned 'EXPIRED'", r.ceiling.results.EXPIRED ?? 0, n],
    ['ceiling workflows closed, completed', r.ceiling.closedCompleted, n],
  ];
}

/** What makes the section invalid: anything lost, doubled or different. */
export function scaleProblems(r: ScaleResult): string[] {
  return scaleCheckRows(r)
    .filter(([, found, expected]) => found !== expected)
    .map(([name, found, expected]) => `scale: ${name}: ${found}, expected ${expected}`);
}

/** Where the expiry's CPU went, per side: the measured worker is a child process of the benchmark ('other' in bench/cpu.ts). */
function cpuTable(r: ScaleResult): string {
  const { n } = r.options;
  const label = (c: Component) => (c === 'other' ? 'worker process (partnerflow)' : c === 'main thread' ? 'bench main thread (client; ceiling activations)' : c);
  const rows = COMPONENTS.filter((c) => (r.ceiling.jump.cpu.get(c) ?? 0) + (r.expiry.cpu.get(c) ?? 0) >= 1).map((c) => [
    label(c),
    fixed((r.ceiling.jump.cpu.get(c) ?? 0) / n, 2),
    fixed((r.expiry.cpu.get(c) ?? 0) / n, 2),
  ]);
  const total = (cpu: Map<Component, number>) => [...cpu.values()].reduce((a, b) => a + b, 0) / n;
  return [
    'CPU per expired workflow, ms, from the jump until the last stage (Linux /proc; 2 cores: a side cannot expire faster than 2,000 ms of CPU per second allows):',
    '',
    table(['component', 'ceiling', 'partnerflow'], [...rows, ['total', fixed(total(r.ceiling.jump.cpu), 2), fixed(total(r.expiry.cpu), 2)]]),
  ].join('\n');
}
