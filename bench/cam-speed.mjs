// Score-CAM and Ablation-CAM at `layer4` of a ResNet-18 (224×224, 512 channels) against the same
// computation in plain PyTorch (bench/torch/cam_speed.py), in the same sitting, with the same
// weights (PyTorch exports the seeded network to ONNX, which we load) and the same input.
//
//   node bench/cam-speed.mjs [--batch 32] [--repeat 3] [--dir /tmp/xai-bench] [--python /usr/bin/python3]
//
// Needs Debian's PyTorch (apt-get install -y python3-torch python3-torchvision python3-onnx) and
// the built packages (pnpm build). PyTorch runs first, on 2 threads, then ours: onnxruntime-node
// (2 intra-op threads) runs `predict` (Score-CAM's 512 masked passes), the tfjs graph on wasm
// (one thread in Node) gives the activations and runs `forwardFrom` (Ablation-CAM's ablated
// passes, from layer4 on). Ratios are PyTorch time / ours: above 1, ours is faster. Ablation-CAM
// is compared twice: with pytorch-grad-cam's way (the whole network rerun for every batch of
// ablated channels) and with the cheap way (only avgpool + fc on the ablated activations).
// As a check, the largest absolute difference between our maps and PyTorch's (both in [0, 1]).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const args = parseArgs(process.argv.slice(2));
const batchSize = Number(args.batch ?? 32);
const repeat = Number(args.repeat ?? 3);
const dir = args.dir ?? '/tmp/xai-bench';
const python = args.python ?? '/usr/bin/python3';
const root = new URL('..', import.meta.url);
const onnxPath = join(dir, 'resnet18.onnx');
const layer = 'layer4';

const fail = (message) => {
  console.error(`bench/cam-speed: ${message}`);
  process.exit(1);
};

for (const [pkg, entry] of [['@xai/cam', 'packages/cam/dist/index.js'], ['@xai/onnx', 'packages/onnx/dist/node/index.js']]) {
  if (!existsSync(new URL(entry, root))) fail(`${entry} is missing: build ${pkg} first (pnpm build, or pnpm --filter ${pkg}... build)`);
}
const probe = spawnSync(python, ['-c', 'import torch, torchvision'], { encoding: 'utf8' });
if (probe.error || probe.status !== 0) {
  fail(
    `PyTorch is not available to ${python} (${probe.error?.message ?? probe.stderr.trim().split('\n').pop()}).\n` +
      `  This benchmark compares against plain PyTorch; install Debian's packages:\n` +
      `    apt-get update && apt-get install -y python3-torch python3-torchvision python3-onnx\n` +
      `  or point --python at an interpreter that has torch and torchvision.`,
  );
}

const packageRequire = createRequire(new URL('packages/cam/package.json', root));
const tf = await import(packageRequire.resolve('@tensorflow/tfjs-core'));
const core = await import(packageRequire.resolve('@xai/core'));
const cam = await import(new URL('packages/cam/dist/index.js', root).href);
const { loadOnnxModel } = await import(new URL('packages/onnx/dist/node/index.js', root).href);

mkdirSync(dir, { recursive: true });
const loadBefore = loadavg();
console.log(`${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`);
console.log(`PyTorch: ${python} bench/torch/cam_speed.py, batch ${batchSize}, ${repeat} timed runs each …`);

// 1. PyTorch: exports the network, writes the input and its maps, prints its timings as JSON.
const script = new URL('bench/torch/cam_speed.py', root).pathname;
const py = spawnSync(
  python,
  [script, '--onnx-out', onnxPath, '--batch', String(batchSize), '--repeat', String(repeat)],
  { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 },
);
if (py.error || py.status !== 0) fail(`${script} failed (exit ${py.status ?? py.error?.message})`);
const torch = JSON.parse(py.stdout.trim().split('\n').pop());
console.log(`PyTorch ${torch.torch} (torchvision ${torch.torchvision}), ${torch.threads} threads, top class ${torch.target}`);

// 2. Ours, on the same weights and input.
const backend = await core.selectBackend({ prefer: args.backend ?? 'wasm' });
const ortThreads = Number(args['ort-threads'] ?? 2);
const model = await loadOnnxModel(onnxPath, { preprocessing: 'imagenet', threads: ortThreads });
const image = readInput(join(dir, 'input.npy'));
const top = (await core.topClasses(model, image, 1))[0];
if (top !== torch.target) console.log(`NOTE: our top class is ${top}, PyTorch's ${torch.target} (margin ${torch.top_logit_margin})`);
const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT').catch(() => '?');
console.log(`ours: predict on ${model.engine} (${ortThreads} threads), activations and forwardFrom on tfjs ${backend.backend} (SIMD ${simd}, 1 thread)`);
const torchLogits = core.npyToFloat32(core.parseNpy(new Uint8Array(readFileSync(join(dir, 'logits.npy')))));
const ortLogits = await logitsOf((x) => model.predict(x));
const tfjsLogits = await logitsOf((x) => model.predictTfjs(x));
console.log(`logits vs PyTorch, max |Δ|: onnxruntime ${maxAbsDiff({ data: ortLogits }, torchLogits).toExponential(2)}, ` +
  `tfjs graph ${maxAbsDiff({ data: tfjsLogits }, torchLogits).toExponential(2)} (top logit ${torchLogits[torch.target].toFixed(3)})`);

// Warm-up outside the timings: onnxruntime at batch 1 and B, the tfjs graph to layer4 and on from it.
const handle = model.resolveLayer(layer);
const tiled = tf.tile(image, [batchSize, 1, 1, 1]);
tf.dispose([await model.predict(image), await model.predict(tiled)]);
const pass = await model.activationsAndGradient(image, handle, top);
const tiledActivations = tf.tile(pass.activations, [batchSize, 1, 1, 1]);
tf.dispose(await model.forwardFrom(image, handle, tiledActivations));
tf.dispose([tiled, tiledActivations, pass.activations, pass.gradient, pass.logits]);

const options = { layer, batchSize, targets: top };
const score = await timeMethod(cam.scoreCam);
const ablation = await timeMethod(cam.ablationCam);

const reference = (name) => npyMap(join(dir, name));
const scoreDiff = maxAbsDiff(score.map, reference('scorecam.npy'));
const ablationDiff = maxAbsDiff(ablation.map, reference('ablationcam.npy'));
const ablationSuffixDiff = maxAbsDiff(ablation.map, reference('ablationcam_suffix.npy'));

const rows = [
  ['Score-CAM (512 masked passes)', score.seconds, torch.scorecam_s, scoreDiff],
  ['Ablation-CAM vs PyTorch full rerun', ablation.seconds, torch.ablationcam_full_s, ablationDiff],
  ['Ablation-CAM vs PyTorch suffix only', ablation.seconds, torch.ablationcam_suffix_s, ablationSuffixDiff],
];
console.log(`\nResNet-18 224×224, layer4 (512 channels), batch ${batchSize}, median of ${repeat}`);
console.log(`${'method'.padEnd(38)} ${'ours s'.padStart(8)} ${'PyTorch s'.padStart(10)} ${'PyTorch/ours'.padStart(13)} ${'max |Δmap|'.padStart(11)}`);
for (const [name, ours, theirs, diff] of rows) {
  console.log(
    `${name.padEnd(38)} ${ours.toFixed(2).padStart(8)} ${theirs.toFixed(2).padStart(10)} ${(theirs / ours).toFixed(2).padStart(12)}× ${diff.toExponential(2).padStart(11)}`,
  );
}
console.log(`runs (s): ours Score-CAM ${fmt(score.all)}, Ablation-CAM ${fmt(ablation.all)}; PyTorch Score-CAM ${fmt(torch.runs.scorecam)}, ` +
  `full ${fmt(torch.runs.ablationcam_full)}, suffix ${fmt(torch.runs.ablationcam_suffix)}`);
console.log(`load average before ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
tf.dispose(image);
model.dispose();
console.log(`tensors alive at the end (after disposing the model): ${tf.memory().numTensors}`);

async function timeMethod(method) {
  const all = [];
  let map;
  for (let i = 0; i < repeat; i++) {
    const start = performance.now();
    const maps = await core.explainWith(method, model, image, options);
    all.push((performance.now() - start) / 1000);
    map = maps[0];
  }
  if (map.classIndex !== top || map.height !== 224 || map.width !== 224) throw new Error(`${method.id}: unexpected map ${map.classIndex} ${map.height}×${map.width}`);
  return { seconds: [...all].sort((a, b) => a - b)[Math.floor(repeat / 2)], all, map };
}

async function logitsOf(run) {
  const logits = await run(image);
  const values = Float32Array.from(await logits.data());
  logits.dispose();
  return values;
}

/** PyTorch's NCHW input → NHWC `[1, 224, 224, 3]`. */
function readInput(path) {
  const array = core.parseNpy(new Uint8Array(readFileSync(path)), path);
  const nchw = tf.tensor4d(core.npyToFloat32(array), array.shape);
  const nhwc = tf.transpose(nchw, [0, 2, 3, 1]);
  nchw.dispose();
  return nhwc;
}

function npyMap(path) {
  const array = core.parseNpy(new Uint8Array(readFileSync(path)), path);
  if (array.shape.join('×') !== '224×224') throw new Error(`${path}: expected a 224×224 map, got ${array.shape.join('×')}`);
  return core.npyToFloat32(array);
}

function maxAbsDiff(map, expected) {
  let max = 0;
  for (let i = 0; i < expected.length; i++) max = Math.max(max, Math.abs(map.data[i] - expected[i]));
  return max;
}

function fmt(list) {
  return list.map((s) => s.toFixed(2)).join(' / ');
}

function parseArgs(list) {
  const out = {};
  for (let i = 0; i < list.length; i += 2) out[list[i].replace(/^--/, '')] = list[i + 1];
  return out;
}
