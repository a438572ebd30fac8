import { defineConfig } from 'vitest/config';

/** Timings of the built app in headless Chromium (`timings/`): printed, not counted as tests. */
export default defineConfig({
  test: {
    include: ['timings/**/*.timing.ts'],
    testTimeout: 3_600_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
