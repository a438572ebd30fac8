import { defineConfig } from 'vitest/config';

/** Browser tests: the built app in headless Chromium, one file after another, counted into browser-results.json. */
export default defineConfig({
  test: {
    include: ['browser-test/**/*.test.ts'],
    testTimeout: 240_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
    reporters: ['default', './browser-test/results-reporter.ts'],
  },
});
