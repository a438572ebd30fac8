// Runs the benchmarks under bench/ one after another (each in its own process, so memory and
// timings do not leak between them). `pnpm bench rise` runs those whose name contains "rise";
// `pnpm bench cam-speed` runs bench/cam-speed.mjs alone.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const filter = process.argv[2] ?? '';
const all = readdirSync(join(root, 'bench')).filter((f) => f.endsWith('.mjs') && !f.startsWith('_'));
// An exact name runs that benchmark alone; otherwise every one whose name contains the filter.
const files = all.includes(`${filter}.mjs`) ? [`${filter}.mjs`] : all.filter((f) => f.includes(filter)).sort();
let failed = 0;
for (const file of files) {
  console.log(`\n=== bench/${file}`);
  const run = spawnSync(process.execPath, [join(root, 'bench', file)], { stdio: 'inherit' });
  if (run.status !== 0) failed++;
}
console.log(`\n${files.length - failed} benchmarks ran, ${failed} failed`);
process.exit(failed ? 1 : 0);
