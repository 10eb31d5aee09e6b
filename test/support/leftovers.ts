/**
 * The last line of "no process left behind": every process a test run starts inherits PARTNERFLOW_TEST_RUN (set by
 * the global setup before any worker forks); at the run's end the Temporal servers and PostgreSQL clusters still
 * carrying it — a file that timed out before its afterAll, a worker that died — are named and killed. Other runs on
 * the same machine carry another value and are left alone.
 */
import { readFileSync } from 'node:fs';
import { describeProcess, processesWithEnv } from './stack.js';

export const RUN_MARKER = 'PARTNERFLOW_TEST_RUN';

/** Temporal (dev server, time-skipping test server) and PostgreSQL: what a test starts besides node processes. */
const isServer = (pid: number) => {
  try {
    return /temporal|postgres/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '');
  } catch {
    return false;
  }
};

/** Kills this run's servers still alive, and says which they were (empty when none: the usual case). */
export function killLeftovers(run: string): string[] {
  if (process.platform !== 'linux') return [];
  const left = processesWithEnv(RUN_MARKER, run).filter((pid) => pid !== process.pid && isServer(pid));
  const named = left.map(describeProcess);
  for (const pid of left) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  return named;
}
