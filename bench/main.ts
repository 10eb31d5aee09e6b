/**
 * The benchmarks themselves, run by bench/run.ts in a child process of its own (see there why). Prints
 * figures, asserts nothing about speed: the calendar micro-benchmark, then the opportunity process end to
 * end. Everything started is torn down on success, on error (exit 1) and on SIGINT/SIGTERM (exit 130).
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { calendarOptionsFromEnv, formatCalendarResult, runCalendarBench } from './calendar.js';
import { Teardown } from './lib.js';
import { opportunityOptionsFromEnv } from './options.js';

/** After a signal, how long the current step may take to notice before teardown is forced. */
const INTERRUPT_GRACE_MS = 20_000;

const started = performance.now();
const log = (line: string) => console.error(`  · ${line}`);
const teardown = new Teardown(log);

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
  const calendarOptions = calendarOptionsFromEnv();
  const opportunityOptions = opportunityOptionsFromEnv();
  console.log(header());

  console.log('\n## 1. Working-day deadlines (CPU, in process)\n');
  log('calendar: warming up and measuring…');
  console.log(formatCalendarResult(await runCalendarBench(calendarOptions, interrupt.signal)));

  console.log('\n## 2. Opportunity share → accept through the HTTP API\n');
  // Loaded only now: Temporal, Prisma and Express stay out of the calendar benchmark's heap figures.
  const { formatOpportunityResult, opportunityProblems, runOpportunityBench } = await import('./opportunity.js');
  const result = await runOpportunityBench(opportunityOptions, teardown, log, interrupt.signal);
  console.log(formatOpportunityResult(result));

  const problems = opportunityProblems(result);
  if (problems.length) {
    console.error(`\nbenchmark invalid: ${problems.join('; ')}`);
    exitCode = 1;
  }
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
