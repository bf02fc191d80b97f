import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // One Temporal dev server per project run, started (and the workflow code bundled) once, here.
    globalSetup: ['test/setup/global.ts'],
    // The SDK's native bridge belongs in a process of its own, not a worker thread.
    pool: 'forks',
    reporters: ['default', './test/setup/summary-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'service',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/browser/**'],
        },
      },
      // The browser tests run after the rest, on their own: Chromium and their stack beside the
      // rate-limit tests took the CPU those measure arrivals with (an 11th request in a second).
      { extends: true, test: { name: 'browser', include: ['test/browser/**/*.test.ts'], sequence: { groupOrder: 1 } } },
    ],
  },
});
