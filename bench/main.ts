/**
 * The benchmarks themselves, run by bench/run.ts in a child process of its own (see there why). Prints
 * figures, asserts nothing about speed: the calendar micro-benchmark, the opportunity process end to end,
 * the monthly incentive generation run, the referee — partnerflow against the bare-Temporal ceiling — then scale:
 * 10,000 open opportunities' memory and their expiry beside its ceiling (each skippable: BENCH_SKIP_CALENDAR /
 * _OPPORTUNITY / _RUN / _REFEREE / _SCALE=1).
 * Everything started is torn down on success, on error (exit 1) and on SIGINT/SIGTERM (exit 130); each
 * section's PostgreSQL and Temporal are torn down before the next section starts.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { calendarOptionsFromEnv, formatCalendarResult, runCalendarBench } from './calendar.js';
import { Teardown } from './lib.js';
import { incentiveRunOptionsFromEnv, opportunityOptionsFromEnv, refereeOptionsFromEnv, scaleOptionsFromEnv, sectionsFromEnv } from './options.js';

/** After a signal, how long the current step may take to notice before teardown is forced. */
const INTERRUPT_GRACE_MS = 20_000;

const started = performance.now();
const log = (line: string) => console.error(`  · ${line}`);
// Its steps are whole sections' teardowns (each step of those has 30 s): room for all of theirs.
const teardown = new Teardown(log, 180_000);

// First SIGINT/SIGTERM: abort — no new requests or steps; the main flow below fails fast and tears down.
// Another one a second or more later (someone insisting), or a step that does not notice the abort within
// the grace period, forces teardown and exit now. Repeats within that second are echoes of the same Ctrl-C
// (npm and tsx each relay it) and are ignored. The listener stays installed throughout: without one, a
// repeated signal would kill the process mid-teardown.
const interrupt = new AbortController();
let interruptedAt = 0;
const forceExit = () => void teardown.runAll().finally(() => process.exit(130));
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupt.signal.aborted) {
      if (performance.now() - interruptedAt < 1_000) return;
      console.error(`${signal} again: forcing teardown…`);
      return forceExit();
    }
    interruptedAt = performance.now();
    console.error(`\n${signal}: stopping and tearing down…`);
    interrupt.abort(new Error(`interrupted by ${signal}`));
    setTimeout(forceExit, INTERRUPT_GRACE_MS).unref();
  });
}

function header(): string {
  const cpus = os.cpus();
  return [
    '# partnerflow benchmarks',
    '',
    `node ${process.version} (${process.platform}/${process.arch}), ${cpus.length} CPUs (${os.availableParallelism()} available): ` +
      `${cpus[0]?.model.trim() ?? 'unknown'}, ${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB RAM`,
    `started ${new Date().toISOString()}`,
  ].join('\n');
}

let exitCode = 0;
try {
  // Validate every knob before anything starts.
  const sections = sectionsFromEnv();
  const calendarOptions = calendarOptionsFromEnv();
  const opportunityOptions = opportunityOptionsFromEnv();
  const runOptions = incentiveRunOptionsFromEnv();
  const refereeOptions = refereeOptionsFromEnv();
  const scaleOptions = scaleOptionsFromEnv();
  console.log(header());
  const invalid = (problems: string[]) => {
    if (!problems.length) return;
    console.error(`\nbenchmark invalid: ${problems.join('; ')}`);
    exitCode = 1;
  };
  /** A section's own teardown, run when it ends (its servers must not load the next section), or at exit. */
  const sectionTeardown = (name: string) => {
    const own = new Teardown(log);
    teardown.add(name, () => own.runAll());
    return own;
  };

  console.log('\n## 1. Working-day deadlines (CPU, in process)\n');
  if (sections.calendar) {
    log('calendar: warming up and measuring…');
    console.log(formatCalendarResult(await runCalendarBench(calendarOptions, interrupt.signal)));
  } else console.log('skipped (BENCH_SKIP_CALENDAR=1)');

  console.log('\n## 2. Opportunity share → accept through the HTTP API\n');
  if (sections.opportunity) {
    // Loaded only now: Temporal, Prisma and Express stay out of the calendar benchmark's heap figures.
    const { formatOpportunityResult, opportunityProblems, runOpportunityBench } = await import('./opportunity.js');
    const own = sectionTeardown('opportunity benchmark');
    const result = await runOpportunityBench(opportunityOptions, own, log, interrupt.signal);
    console.log(formatOpportunityResult(result));
    invalid(opportunityProblems(result));
    log('opportunity: tearing down…');
    await own.runAll();
  } else console.log('skipped (BENCH_SKIP_OPPORTUNITY=1)');

  interrupt.signal.throwIfAborted();
  console.log('\n## 3. Monthly incentive generation run\n');
  if (sections.run) {
    const { runIncentiveRunBench } = await import('./incentive-run.js');
    const { formatIncentiveRunResult, incentiveRunProblems } = await import('./incentive-run-report.js');
    const own = sectionTeardown('incentive run benchmark');
    const result = await runIncentiveRunBench(runOptions, own, log, interrupt.signal);
    console.log(formatIncentiveRunResult(result));
    invalid(incentiveRunProblems(result));
    log('incentive run: tearing down…');
    await own.runAll();
  } else console.log('skipped (BENCH_SKIP_RUN=1)');

  interrupt.signal.throwIfAborted();
  console.log('\n## 4. Referee: partnerflow against the bare-Temporal ceiling\n');
  if (sections.referee) {
    const { runRefereeBench } = await import('./referee.js');
    const { formatRefereeResult, refereeProblems } = await import('./referee-report.js');
    const own = sectionTeardown('referee benchmark');
    const result = await runRefereeBench(refereeOptions, own, log, interrupt.signal);
    console.log(formatRefereeResult(result));
    invalid(refereeProblems(result));
    log('referee: tearing down…');
    await own.runAll();
  } else console.log('skipped (BENCH_SKIP_REFEREE=1)');

  interrupt.signal.throwIfAborted();
  console.log(`\n## 5. Scale: ${scaleOptions.n.toLocaleString('en-US')} open opportunities and their expiry\n`);
  if (sections.scale) {
    const { runScaleBench } = await import('./scale.js');
    const { formatScaleResult, scaleProblems } = await import('./scale-report.js');
    const own = sectionTeardown('scale benchmark');
    const result = await runScaleBench(scaleOptions, own, log, interrupt.signal);
    console.log(formatScaleResult(result));
    invalid(scaleProblems(result));
  } else console.log('skipped (BENCH_SKIP_SCALE=1)');
} catch (error) {
  // After a signal, failures of the steps and requests it cut short are expected, not news.
  if (!interrupt.signal.aborted) console.error('\nbenchmark failed:', error);
  exitCode = 1;
} finally {
  log('tearing down…');
  await teardown.runAll();
  if (interrupt.signal.aborted) exitCode = 130;
  else console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(1)} s (including setup and teardown)`);
  // Native handles (Temporal core runtime, sockets) must not keep the process alive after the report.
  process.exit(exitCode);
}
