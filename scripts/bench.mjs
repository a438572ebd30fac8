// Runs the benchmarks under bench/ one after another (each in its own process, so memory and
// timings do not leak between them). `pnpm bench rise` runs only those whose name contains "rise".
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const filter = process.argv[2] ?? '';
const files = readdirSync(join(root, 'bench'))
  .filter((f) => f.endsWith('.mjs') && f.includes(filter) && !f.startsWith('_'))
  .sort();
let failed = 0;
for (const file of files) {
  console.log(`\n=== bench/${file}`);
  const run = spawnSync(process.execPath, [join(root, 'bench', file)], { stdio: 'inherit' });
  if (run.status !== 0) failed++;
}
console.log(`\n${files.length - failed} benchmarks ran, ${failed} failed`);
process.exit(failed ? 1 : 0);
