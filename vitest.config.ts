import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Temporal's native worker and child processes behave best in forked processes.
    pool: 'forks',
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
