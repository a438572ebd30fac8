// Sums the vitest JSON reports of every package (and any extra result files given as arguments)
// into the closing line CI reads: `N passed, M failed`. Exits non-zero when anything failed.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
let passed = 0;
let failed = 0;
const missing = [];

for (const group of ['packages', 'apps']) {
  const dir = join(root, group);
  if (!existsSync(dir)) continue;
  for (const name of readdirSync(dir)) {
    const pkg = join(dir, name);
    const manifest = join(pkg, 'package.json');
    if (!existsSync(manifest) || !JSON.parse(readFileSync(manifest, 'utf8')).scripts?.test) continue;
    const report = join(pkg, 'test-results.json');
    if (!existsSync(report)) {
      missing.push(`${group}/${name}`);
      failed++;
      continue;
    }
    const json = JSON.parse(readFileSync(report, 'utf8'));
    passed += json.numPassedTests;
    failed += json.numFailedTests + (json.numFailedTestSuites ?? 0) - countSuitesWithFailedTests(json);
  }
}

for (const extra of process.argv.slice(2)) {
  const json = JSON.parse(readFileSync(extra, 'utf8'));
  passed += json.passed;
  failed += json.failed;
}

if (missing.length) console.log(`no test report from: ${missing.join(', ')} (counted as failed)`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);

/** Suites that failed only because a test failed are already counted through their tests. */
function countSuitesWithFailedTests(json) {
  return (json.testResults ?? []).filter(
    (r) => r.status === 'failed' && r.assertionResults?.some((a) => a.status === 'failed'),
  ).length;
}
