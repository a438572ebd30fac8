// What bench/cam-speed.mjs and bench/attribution-speed.mjs share: both run a script under
// bench/torch/ in plain PyTorch, then the same computation on the weights and input it wrote.
// Not a benchmark itself: scripts/bench.mjs skips files whose name starts with `_`.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';

/** The repository root, as a `file:` URL ending in `/`. */
export const root = new URL('..', import.meta.url);

/** `--name value` pairs → `{ name: value }`. */
export function parseArgs(list) {
  const out = {};
  for (let i = 0; i < list.length; i += 2) out[list[i].replace(/^--/, '')] = list[i + 1];
  return out;
}

/** A `fail(message)` that prints `bench/<name>: message` to stderr and exits with 1. */
export function failWith(name) {
  return (message) => {
    console.error(`bench/${name}: ${message}`);
    process.exit(1);
  };
}

/** Fails unless every `[package, entry]` (entry relative to the root) has been built. */
export function requireBuilt(entries, fail) {
  for (const [pkg, entry] of entries) {
    if (!existsSync(new URL(entry, root))) fail(`${entry} is missing: build ${pkg} first (pnpm build, or pnpm --filter ${pkg}... build)`);
  }
}

/** Fails, saying what to install, unless `python` can import torch and torchvision. */
export function requirePytorch(python, fail) {
  const probe = spawnSync(python, ['-c', 'import torch, torchvision'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    fail(
      `PyTorch is not available to ${python} (${probe.error?.message ?? probe.stderr.trim().split('\n').pop()}).\n` +
        `  This benchmark compares against plain PyTorch; install Debian's packages:\n` +
        `    apt-get update && apt-get install -y python3-torch python3-torchvision python3-onnx\n` +
        `  or point --python at an interpreter that has torch and torchvision.`,
    );
  }
}

/** Runs `bench/torch/<name>` with `argv` (its stderr passed through) and returns its last stdout line as JSON. */
export function runPythonJson(python, name, argv, fail) {
  const script = new URL(`bench/torch/${name}`, root).pathname;
  const py = spawnSync(python, [script, ...argv], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 });
  if (py.error || py.status !== 0) fail(`${script} failed (exit ${py.status ?? py.error?.message})`);
  return JSON.parse(py.stdout.trim().split('\n').pop());
}

/** The three load averages, 2 decimals each. */
export function formatLoad(loads = loadavg()) {
  return loads.map((l) => l.toFixed(2)).join(' ');
}

/** Prints the cores and the load average; returns the load average, for `printLoadChange`. */
export function printMachine() {
  const before = loadavg();
  console.log(`${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load average ${formatLoad(before)}`);
  return before;
}

export function printLoadChange(before) {
  console.log(`load average before ${formatLoad(before)}, after ${formatLoad()}`);
}

/** A .npy file's values as a Float32Array. */
export function readNpyFloat32(core, path) {
  return core.npyToFloat32(core.parseNpy(new Uint8Array(readFileSync(path)), path));
}

/** PyTorch's NCHW input → NHWC `[1, 224, 224, 3]`. */
export function readInput(tf, core, path) {
  const array = core.parseNpy(new Uint8Array(readFileSync(path)), path);
  const nchw = tf.tensor4d(core.npyToFloat32(array), array.shape);
  const nhwc = tf.transpose(nchw, [0, 2, 3, 1]);
  nchw.dispose();
  return nhwc;
}

/** `run(image)`'s logits, copied out and the tensor disposed. */
export async function logitsOf(run, image) {
  const logits = await run(image);
  const values = Float32Array.from(await logits.data());
  logits.dispose();
  return values;
}

/** max |values[i] − expected[i]| over `expected`. */
export function maxAbsDiff(values, expected) {
  let max = 0;
  for (let i = 0; i < expected.length; i++) max = Math.max(max, Math.abs(values[i] - expected[i]));
  return max;
}

/** The middle value (the upper middle for an even count). */
export function median(list) {
  return [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
}

/** Runs `work` `repeat` times: the median and every time in seconds, and the last result. */
export async function timeRuns(repeat, work) {
  const all = [];
  let result;
  for (let i = 0; i < repeat; i++) {
    const start = performance.now();
    result = await work();
    all.push((performance.now() - start) / 1000);
  }
  return { seconds: median(all), all, result };
}

/** Seconds, 2 decimals, `a / b / c`. */
export function fmt(list) {
  return list.map((s) => s.toFixed(2)).join(' / ');
}
