/** What `npm run bench` prints of the monthly incentive generation run (bench/incentive-run.ts), and its sanity check. */
import { BATCHES_PER_RUN, RUN_BATCH_SIZE } from '../workflows/incentive-run/contract.js';
import type { IncentiveRunResult } from './incentive-run.js';
import { fixed, grouped, type Memory, mib, table } from './lib.js';

export function formatIncentiveRunResult(r: IncentiveRunResult): string {
  const { options, setupMs } = r;
  const s = (ms: number) => fixed(ms / 1000, 1);
  const biggest = r.chain.reduce((a, b) => (b.events > a.events ? b : a), r.chain[0]!);
  const largestBytes = Math.max(...r.chain.map((c) => c.bytes));
  const childrenInHistory = r.chain.reduce((n, c) => n + c.childrenStarted, 0);
  const memRow = (label: string, m: Memory | undefined) =>
    m ? [label, mib(m.rss), mib(m.heapUsed), mib(m.heapTotal), mib(m.external)] : [label, 'n/a', 'n/a', 'n/a', 'n/a'];
  const lines = [
    `Monthly incentive generation run, period ${r.period} — ${grouped(options.partners)} partners × ${options.experts} experts, ` +
      `batches of ${RUN_BATCH_SIZE}, continue-as-new every ${BATCHES_PER_RUN} batches, worker DB pool ${options.poolSize}; ` +
      'worker in this process, Temporal dev server and PostgreSQL as child processes',
    `setup: PostgreSQL ${s(setupMs.postgres)} s ∥ Temporal dev server ${s(setupMs.temporal)} s, migrations ${s(setupMs.migrate)} s, ` +
      `worker (bundling) ${s(setupMs.worker)} s; total ${s(setupMs.total)} s`,
    `seeding (bulk SQL, not part of the run): ${grouped(r.seed.experts)} experts + ${grouped(r.seed.certifications)} certifications in ${s(r.seed.ms)} s`,
    '',
    table(
      ['run', 'value'],
      [
        ['wall time, start → result (all runs of the chain)', `${fixed(r.runMs / 1000, 2)} s`],
        ['partners/s', fixed(r.processed / (r.runMs / 1000), 1)],
        ['partners processed (workflow result)', grouped(r.processed)],
        [
          'every verification workflow past its first activity, from run start',
          r.firstActivitiesMs !== undefined ? `${fixed(r.firstActivitiesMs / 1000, 2)} s` : 'n/a',
        ],
        ['generateIncentiveBatch activities: count / total / max', `${r.batchActivity.count} / ${s(r.batchActivity.totalMs)} s / ${s(r.batchActivity.maxMs)} s`],
        ['  share of the wall time in batch generation', `${fixed((100 * r.batchActivity.totalMs) / r.runMs, 0)} %`],
        ['starting a batch\'s children (batch done → progress recorded): total / max', `${s(r.childStartMs.totalMs)} s / ${s(r.childStartMs.maxMs)} s`],
        ['workflow runs in the continue-as-new chain', String(r.chain.length)],
        [
          'largest history of a run: events (run #) / bytes',
          `${grouped(biggest.events)} (#${r.chain.indexOf(biggest) + 1} of ${r.chain.length}) / ${grouped(largestBytes)}`,
        ],
        ['verification workflows started (visibility) / in the chain\'s histories', `${grouped(r.verificationsStarted)} / ${grouped(childrenInHistory)}`],
        ['incentives created at once, max (incentive INSERTs in flight)', String(r.peaks.incentiveInserts)],
        ['fresh generations at once, max (expert reads in flight)', String(r.peaks.expertReads)],
        [`worker DB operations in flight, max (pool ${options.poolSize})`, String(r.peaks.dbOps)],
      ],
    ),
    '',
    'this process (worker + bench client):',
    '',
    table(['memory', 'rss', 'heap used', 'heap total', 'external'], [
      memRow('before the run (after seeding, after GC)', r.memBefore),
      memRow('after the run and settling', r.memAfter),
      memRow('after the run and settling, after GC', r.memAfterGc),
    ]),
    '',
    `database check: ${grouped(r.db.incentives)} incentives for ${r.period} (${grouped(r.db.distinctPartners)} partners, ` +
      `${r.db.partnersWithout} seeded partners without one; expected ${grouped(options.partners)}), ${grouped(r.db.generatedEvents)} GENERATED events, ` +
      `${grouped(r.db.lines)} lines (expected ${grouped(r.db.expectedLines)}), total ${grouped(r.db.totalMinor / 100)} CNY ` +
      `(expected ${grouped(r.db.expectedTotalMinor / 100)}); run row ${r.db.runStatus ?? 'missing'}, ${r.db.runFailures} failures`,
    `settling after the run: ${s(r.settleMs)} s`,
  ];
  if (r.firstActivitiesNote) lines.push(`first activities: ${r.firstActivitiesNote}`);
  return lines.join('\n');
}

/** A run that did not produce exactly one incentive and one verification per partner makes the figures meaningless. */
export function incentiveRunProblems(r: IncentiveRunResult): string[] {
  const p = r.options.partners;
  const problems: string[] = [];
  if (r.processed !== p) problems.push(`the run processed ${r.processed} partners, expected ${p}`);
  if (r.db.incentives !== p) problems.push(`${r.db.incentives} incentives for ${r.period}, expected ${p}`);
  if (r.db.distinctPartners !== r.db.incentives) problems.push(`${r.db.incentives} incentives for only ${r.db.distinctPartners} partners`);
  if (r.db.partnersWithout) problems.push(`${r.db.partnersWithout} seeded partners got no incentive`);
  if (r.db.generatedEvents !== p) problems.push(`${r.db.generatedEvents} GENERATED events, expected ${p}`);
  if (r.db.lines !== r.db.expectedLines || r.db.totalMinor !== r.db.expectedTotalMinor) {
    problems.push(`lines ${r.db.lines} / total ${r.db.totalMinor} minor, expected ${r.db.expectedLines} / ${r.db.expectedTotalMinor}`);
  }
  if (r.db.runStatus !== 'COMPLETED' || r.db.runFailures) problems.push(`run row ${r.db.runStatus ?? 'missing'} with ${r.db.runFailures} failures`);
  if (r.verificationsStarted !== p) problems.push(`${r.verificationsStarted} verification workflows started, expected ${p}`);
  return problems;
}
