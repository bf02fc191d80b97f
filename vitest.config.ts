import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One Temporal dev server per run, started (and the workflow code bundled) once, here.
    globalSetup: ['test/setup/global.ts'],
    // The SDK's native bridge belongs in a process of its own, not a worker thread.
    pool: 'forks',
    reporters: ['default', './test/setup/summary-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
