/**
 * `npm run test:cluster`: starts the production topology (scripts/cluster/cluster.ts: the real Temporal server on
 * PostgreSQL, two workers, two API replicas), runs vitest.cluster.config.ts against it, stops it, and exits with
 * vitest's code. Opt-in (not in `npm test`): the first run builds the server (about 4 minutes), each run starts it.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { startCluster } from './cluster/cluster.js';
import { buildEntries } from './stack.js';
import { projectRoot } from './temporal-binaries.js';

const say = (line: string) => process.stdout.write(`[test:cluster] ${line}\n`);
buildEntries();
const cluster = await startCluster({ say });
let code = 1;
try {
  const vitest = spawn(process.execPath, [path.join(projectRoot, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--config', 'vitest.cluster.config.ts', ...process.argv.slice(2)], {
    cwd: projectRoot,
    stdio: 'inherit',
    env: { ...process.env, TEST_TEMPORAL_ADDRESS: cluster.temporalAddress, CLUSTER_API_URLS: cluster.apiUrls.join(',') },
  });
  // Every signal handled, not only the first: `npm run` passes Ctrl-C on as well, and a second SIGINT left to Node's
  // default would end this process before the cluster — its throwaway PostgreSQL included — is stopped.
  const stop = () => vitest.kill('SIGINT');
  process.on('SIGINT', stop).on('SIGTERM', stop);
  code = await new Promise<number>((resolve) => vitest.once('exit', (c, signal) => resolve(c ?? (signal ? 130 : 1))));
} finally {
  await cluster.stop();
}
say(code === 0 ? 'passed' : `failed (vitest exited ${code})`);
process.exit(code);
