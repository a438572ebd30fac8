// What the benchmarks against PyTorch (cam-speed, attribution-speed, vs-torch, grad-vs-torch) share: each
// runs a script under bench/torch/, then the same computation on the weights and input it wrote.
// Not a benchmark itself: scripts/bench.mjs skips files whose name starts with `_`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';

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

/**
 * Starts `bench/torch/<name>` as a server (its stderr passed through): one JSON command a line on
 * its stdin, one JSON answer a line on its stdout, so the two sides can take turns in one sitting.
 * Waits for its first line (`ready`); `request(command)` resolves with the answer, and `fail`s on
 * an answer with `error` or if the script ends; `close()` asks it to quit.
 */
export async function startPythonServer(python, name, argv, fail) {
  const script = new URL(`bench/torch/${name}`, root).pathname;
  const child = spawn(python, [script, ...argv], { stdio: ['pipe', 'pipe', 'inherit'] });
  child.on('error', (error) => fail(`${script} did not start: ${error.message}`));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const answer = async (what) => {
    const { value, done } = await lines.next();
    if (done) fail(`${script} ended before answering ${what}`);
    const parsed = JSON.parse(value);
    if (parsed.error) fail(`${script}: ${parsed.error}`);
    return parsed;
  };
  const ready = await answer('its start');
  return {
    ready,
    request(command) {
      child.stdin.write(`${JSON.stringify(command)}\n`);
      return answer(command.cmd);
    },
    close() {
      child.stdin.end(`${JSON.stringify({ cmd: 'quit' })}\n`);
    },
  };
}

/**
 * Our side of a comparison: the network PyTorch exported, on onnxruntime-node through
 * `loadOnnxModel(onnxPath, { preprocessing: 'imagenet', threads })`, with PyTorch's input (NHWC)
 * and its top class. Prints the engines and how far our logits are from PyTorch's (`logits.npy`).
 */
export async function loadOurSide({ tf, core, loadOnnxModel, dir, onnxPath, torchTarget, backend = 'wasm', ortThreads = 2 }) {
  const selected = await core.selectBackend({ prefer: backend });
  const model = await loadOnnxModel(onnxPath, { preprocessing: 'imagenet', threads: ortThreads });
  const image = readInput(tf, core, `${dir}/input.npy`);
  const top = (await core.topClasses(model, image, 1))[0];
  if (top !== torchTarget) console.log(`NOTE: our top class is ${top}, PyTorch's ${torchTarget}`);
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT').catch(() => '?');
  console.log(`ours: predict on ${model.engine} (${ortThreads} threads); activations and gradients on ${model.gradientEngine}; ` +
    `forwardFrom on tfjs ${selected.backend} (SIMD ${simd}, 1 thread)`);
  const torchLogits = readNpyFloat32(core, `${dir}/logits.npy`);
  const ortLogits = await logitsOf((x) => model.predict(x), image);
  const tfjsLogits = await logitsOf((x) => model.predictTfjs(x), image);
  console.log(`logits vs PyTorch, max |Δ|: onnxruntime ${maxAbsDiff(ortLogits, torchLogits).toExponential(2)}, ` +
    `tfjs graph ${maxAbsDiff(tfjsLogits, torchLogits).toExponential(2)} (top logit ${torchLogits[torchTarget].toFixed(3)})`);
  return { model, image, top };
}

/**
 * Warm-up outside the timings: onnxruntime at batch 1 and `batchSize`, and, with a `layer`, the
 * tfjs graph's forward and backward pass to it and its forward pass on from it.
 */
export async function warmUp(tf, model, image, batchSize, layer) {
  const tiled = tf.tile(image, [batchSize, 1, 1, 1]);
  tf.dispose([await model.predict(image), await model.predict(tiled)]);
  tiled.dispose();
  if (layer === undefined) return;
  const handle = model.resolveLayer(layer);
  const pass = await model.activationsAndGradient(image, handle, 0);
  const tiledActivations = tf.tile(pass.activations, [batchSize, 1, 1, 1]);
  tf.dispose(await model.forwardFrom(image, handle, tiledActivations));
  tf.dispose([tiledActivations, pass.activations, pass.gradient, pass.logits]);
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

/** max |values[i] − expected[i]| / max |expected[i]|: a float32 agreement check independent of scale. */
export function relativeMaxDiff(values, expected) {
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  return maxAbsDiff(values, expected) / scale;
}

/**
 * max |ours − ref| / max |ref| for an attribution: ours NHWC `[H][W][C]` (a map's
 * `attribution.data`), ref PyTorch's NCHW `[1][C][H][W]` (`channels` planes of `plane` values).
 */
export function relativeDiffNhwcNchw(ours, ref, channels, plane) {
  let diff = 0;
  let scale = 0;
  for (let c = 0; c < channels; c++) {
    for (let p = 0; p < plane; p++) {
      const r = ref[c * plane + p];
      diff = Math.max(diff, Math.abs(ours[p * channels + c] - r));
      scale = Math.max(scale, Math.abs(r));
    }
  }
  return diff / scale;
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
