import { defineConfig } from 'vitest/config';

/** Every package's tests: one JSON report each, summed by scripts/test-summary.mjs. */
export function packageTestConfig(options: { testTimeout?: number } = {}) {
  return defineConfig({
    test: {
      include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
      testTimeout: options.testTimeout ?? 120_000,
      hookTimeout: 120_000,
      pool: 'forks',
      reporters: ['default', ['json', { outputFile: 'test-results.json' }]],
    },
  });
}
