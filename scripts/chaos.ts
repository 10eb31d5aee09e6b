/**
 * `npm run chaos`: the fault harness (scripts/chaos/scenario.ts) on the dev server (the CLI's, on a file, as `npm start`
 * runs it) and on the cluster (the real Temporal server on PostgreSQL), each with two workers and two API replicas on a
 * PostgreSQL of its own, on loopback ports of their own. Prints the figures; exits 1 if any expectation failed.
 *   --target dev|cluster|both (default both)   --processes N (default 1000)   --outage-seconds S (default 30)
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type Cluster, startCluster } from './cluster/cluster.js';
import { runChaos } from './chaos/scenario.js';
import { buildEntries } from './stack.js';
import { projectRoot } from './temporal-binaries.js';

const { values } = parseArgs({
  options: { target: { type: 'string', default: 'both' }, processes: { type: 'string', default: '1000' }, 'outage-seconds': { type: 'string', default: '30' } },
});
const targets = values.target === 'both' ? (['dev', 'cluster'] as const) : ([values.target] as ('dev' | 'cluster')[]);
const say = (line: string) => process.stdout.write(`[chaos] ${line}\n`);

buildEntries();
let failed = false;
let current: Cluster | undefined;
// Interrupted (Ctrl-C, or npm passing it on too): the topology is stopped — its throwaway PostgreSQL is no child of
// the supervisor and would otherwise outlive this process — however many signals arrive.
let interrupted = false;
const interrupt = () => {
  if (interrupted) return;
  interrupted = true;
  say('interrupted: stopping the topology');
  void (current?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
};
process.on('SIGINT', interrupt).on('SIGTERM', interrupt);
for (const target of targets) {
  say(`--- ${target === 'dev' ? 'dev server (SQLite file)' : 'cluster (the Temporal server on PostgreSQL)'} ---`);
  let cluster: Cluster | undefined;
  try {
    // A fresh start each run: the dev server's file would otherwise carry the last run's workflows.
    const dir = path.join(projectRoot, '.chaos', target);
    rmSync(dir, { recursive: true, force: true });
    current = cluster = await startCluster({
      temporal: target === 'dev' ? 'dev' : 'server',
      dir,
      frontendPort: 7433,
      apiPorts: [3100, 3101],
      say,
      env: { LOG_LEVEL: 'error' },
    });
    const started = Date.now();
    const { figures, failures } = await runChaos(cluster, { processes: Number(values.processes), outageSeconds: Number(values['outage-seconds']), say });
    figures['wall time of the scenario'] = `${((Date.now() - started) / 1000).toFixed(0)} s`;
    for (const [what, figure] of Object.entries(figures)) say(`${what.padEnd(52)} ${figure}`);
    if (failures.length) {
      failed = true;
      say(`FAILED (${failures.length}):`);
      for (const failure of failures.slice(0, 30)) say(`  ${failure}`);
    } else say('PASSED: 0 lost, database = Temporal, one outcome per key, 0 answers 500');
  } catch (error) {
    failed = true;
    say(`FAILED: ${(error as Error).stack ?? error}`);
  } finally {
    await cluster?.stop();
  }
}
process.exit(failed ? 1 : 0);
