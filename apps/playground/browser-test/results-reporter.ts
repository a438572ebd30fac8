import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

const OUTPUT = resolve(import.meta.dirname, '../browser-results.json');

/** Writes `{ passed, failed }` for the CI summary; a file that failed to load counts as one failure. */
export default class ResultsReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = unhandledErrors.length;
    for (const module of testModules) {
      let tests = 0;
      for (const test of module.children.allTests()) {
        tests++;
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
      }
      if (tests === 0 && module.state() === 'failed') failed++;
    }
    writeFileSync(OUTPUT, `${JSON.stringify({ passed, failed }, null, 2)}\n`);
  }
}
