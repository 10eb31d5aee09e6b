import { defineConfig } from 'vitest/config';
import { SlowFilesFirst } from './test/support/sequencer.js';

export default defineConfig({
  test: {
    // Temporal's native worker and child processes behave best in forked processes.
    pool: 'forks',
    include: ['test/**/*.test.ts'],
    // Against the production topology only (npm run test:cluster, vitest.cluster.config.ts).
    exclude: ['test/cluster/**', '**/node_modules/**'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two files at a time (most of a file's time is spent waiting on servers): each worker has its own database
    // (test/support/database.ts), every file its own Temporal servers on free ports. `--maxWorkers=1` runs them one by one.
    maxWorkers: 2,
    sequence: { sequencer: SlowFilesFirst },
  },
});
