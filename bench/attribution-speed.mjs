// Integrated Gradients (32 steps) and Occlusion on a ResNet-18 (224×224) against the same
// computation in plain PyTorch (bench/torch/attribution_speed.py), in the same sitting, with the
// same weights (PyTorch exports the seeded network to ONNX, which we load) and the same input.
//
//   node bench/attribution-speed.mjs [--batch 8] [--steps 32] [--window 32] [--stride 16] [--repeat 3]
//                                    [--dir /tmp/xai-bench] [--python /usr/bin/python3]
//
// Needs Debian's PyTorch (apt-get install -y python3-torch python3-torchvision python3-onnx) and
// the built packages (pnpm build). PyTorch runs first, on 2 threads, then ours: Integrated
// Gradients' gradients on the tfjs graph (wasm, one thread in Node), B scaled inputs a backward
// pass; Occlusion's occluded copies through `predict` on onnxruntime-node (2 intra-op threads),
// B a pass. Ratios are PyTorch time / ours: above 1, ours is faster. As a check, the largest
// absolute difference between our signed attribution and PyTorch's, relative to PyTorch's largest
// absolute value.
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import {
  failWith, fmt, loadOurSide, parseArgs, printLoadChange, printMachine, relativeDiffNhwcNchw, requireBuilt, requirePytorch, root,
  runPythonJson, timeRuns, warmUp,
} from './_pytorch-side.mjs';

const args = parseArgs(process.argv.slice(2));
const batchSize = Number(args.batch ?? 8);
const steps = Number(args.steps ?? 32);
const window = Number(args.window ?? 32);
const stride = Number(args.stride ?? 16);
const repeat = Number(args.repeat ?? 3);
const dir = args.dir ?? '/tmp/xai-bench';
const python = args.python ?? '/usr/bin/python3';
const onnxPath = join(dir, 'resnet18.onnx');

const fail = failWith('attribution-speed');
requireBuilt([['@xai/attributions', 'packages/attributions/dist/index.js'], ['@xai/onnx', 'packages/onnx/dist/node/index.js']], fail);
requirePytorch(python, fail);

const packageRequire = createRequire(new URL('packages/attributions/package.json', root));
const tf = await import(packageRequire.resolve('@tensorflow/tfjs-core'));
const core = await import(packageRequire.resolve('@xai/core'));
const { integratedGradients, occlusion } = await import(new URL('packages/attributions/dist/index.js', root).href);
const { loadOnnxModel } = await import(new URL('packages/onnx/dist/node/index.js', root).href);

mkdirSync(dir, { recursive: true });
const loadBefore = printMachine();
console.log(`PyTorch: ${python} bench/torch/attribution_speed.py, batch ${batchSize}, ${repeat} timed runs each …`);

// 1. PyTorch: exports the network, writes the input and its attributions, prints its timings as JSON.
const torch = runPythonJson(
  python,
  'attribution_speed.py',
  ['--onnx-out', onnxPath, '--batch', String(batchSize), '--steps', String(steps), '--window', String(window),
    '--stride', String(stride), '--repeat', String(repeat)],
  fail,
);
console.log(`PyTorch ${torch.torch} (torchvision ${torch.torchvision}), ${torch.threads} threads, top class ${torch.target}`);

// 2. Ours, on the same weights and input.
const { model, image, top } = await loadOurSide({
  tf, core, loadOnnxModel, dir, onnxPath, torchTarget: torch.target, backend: args.backend, ortThreads: Number(args['ort-threads'] ?? 2),
});
// Warm-up outside the timings: a gradient pass at batch B on the tfjs graph, onnxruntime at batch 1 and B.
const tiled = tf.tile(image, [batchSize, 1, 1, 1]);
tf.dispose(await model.inputGradients(tiled, top));
tiled.dispose();
await warmUp(tf, model, image, batchSize);

const ig = await timeMethod(integratedGradients, { steps });
const occ = await timeMethod(occlusion, { window, stride });

const igDiff = relativeDiff(ig.map, join(dir, 'integrated_gradients.npy'));
const occDiff = relativeDiff(occ.map, join(dir, 'occlusion.npy'));

const rows = [
  [`Integrated Gradients (${steps} steps)`, ig.seconds, torch.ig_s, igDiff],
  [`Occlusion (${torch.windows} windows ${window}×${window}/${stride})`, occ.seconds, torch.occlusion_s, occDiff],
];
console.log(`\nResNet-18 224×224, target class ${top}, batch ${batchSize}, median of ${repeat}`);
console.log(`${'method'.padEnd(36)} ${'ours s'.padStart(8)} ${'PyTorch s'.padStart(10)} ${'PyTorch/ours'.padStart(13)} ${'max |Δ|/max |ref|'.padStart(18)}`);
for (const [name, ours, theirs, diff] of rows) {
  console.log(
    `${name.padEnd(36)} ${ours.toFixed(2).padStart(8)} ${theirs.toFixed(2).padStart(10)} ${(theirs / ours).toFixed(2).padStart(12)}× ${diff.toExponential(2).padStart(18)}`,
  );
}
console.log(`runs (s): ours IG ${fmt(ig.all)}, Occlusion ${fmt(occ.all)}; PyTorch IG ${fmt(torch.runs.ig)}, Occlusion ${fmt(torch.runs.occlusion)}`);
console.log(`IG convergence delta: ours ${Number(ig.map.params.convergenceDelta).toExponential(2)}, PyTorch ${torch.ig_convergence_delta.toExponential(2)}`);
printLoadChange(loadBefore);
tf.dispose(image);
model.dispose();
console.log(`tensors alive at the end (after disposing the model): ${tf.memory().numTensors}`);

async function timeMethod(method, params) {
  const { seconds, all, result } = await timeRuns(repeat, () => core.explainWith(method, model, image, { params, targets: top, batchSize }));
  const map = result[0];
  if (map.classIndex !== top || map.height !== 224 || map.width !== 224 || map.attribution?.channels !== 3) {
    throw new Error(`${method.id}: unexpected map ${map.classIndex} ${map.height}×${map.width}×${map.attribution?.channels}`);
  }
  return { seconds, all, map };
}

/** max |ours − PyTorch's| / max |PyTorch's|, ours NHWC `[H][W][C]`, PyTorch's NCHW `1×C×H×W`. */
function relativeDiff(map, path) {
  const array = core.parseNpy(new Uint8Array(readFileSync(path)), path);
  if (array.shape.join('×') !== '1×3×224×224') throw new Error(`${path}: expected 1×3×224×224, got ${array.shape.join('×')}`);
  return relativeDiffNhwcNchw(map.attribution.data, core.npyToFloat32(array), 3, 224 * 224);
}
