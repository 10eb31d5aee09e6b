/**
 * `npm run cluster`: the production topology in the foreground (scripts/cluster/cluster.ts) — the real Temporal server
 * on PostgreSQL, two workers, two API replicas — until Ctrl-C. `--build-only` builds the server into .tools/ and stops.
 * CLUSTER_POSTGRES_URL: use that PostgreSQL (an administrator's URL) instead of a throwaway one.
 */
import { parseArgs } from 'node:util';
import { startCluster } from './cluster/cluster.js';
import { ensureServerBuilt } from './cluster/server.js';
import { buildEntries } from './stack.js';

const { values: flags } = parseArgs({ options: { 'build-only': { type: 'boolean', default: false } } });
const say = (line: string) => process.stdout.write(`[cluster] ${line}\n`);

if (flags['build-only']) {
  ensureServerBuilt(say);
  process.exit(0);
}
try {
  buildEntries();
  const cluster = await startCluster({ say, exit: true, ...(process.env.CLUSTER_POSTGRES_URL ? { postgresUrl: process.env.CLUSTER_POSTGRES_URL } : {}) });
  say(`API ${cluster.apiUrls.join(', ')} · Temporal ${cluster.temporalAddress} · token: npm run token -- --role vendor_staff · Ctrl-C stops everything`);
} catch (error) {
  say(`failed to start: ${(error as Error).message}`);
  process.exit(1);
}
