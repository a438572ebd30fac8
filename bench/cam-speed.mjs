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
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import {
  failWith, fmt, loadOurSide, maxAbsDiff, parseArgs, printLoadChange, printMachine, requireBuilt, requirePytorch, root,
  runPythonJson, timeRuns, warmUp,
} from './_pytorch-side.mjs';

const args = parseArgs(process.argv.slice(2));
const batchSize = Number(args.batch ?? 32);
const repeat = Number(args.repeat ?? 3);
const dir = args.dir ?? '/tmp/xai-bench';
const python = args.python ?? '/usr/bin/python3';
const onnxPath = join(dir, 'resnet18.onnx');
const layer = 'layer4';

const fail = failWith('cam-speed');
requireBuilt([['@xai/cam', 'packages/cam/dist/index.js'], ['@xai/onnx', 'packages/onnx/dist/node/index.js']], fail);
requirePytorch(python, fail);

const packageRequire = createRequire(new URL('packages/cam/package.json', root));
const tf = await import(packageRequire.resolve('@tensorflow/tfjs-core'));
const core = await import(packageRequire.resolve('@xai/core'));
const cam = await import(new URL('packages/cam/dist/index.js', root).href);
const { loadOnnxModel } = await import(new URL('packages/onnx/dist/node/index.js', root).href);

mkdirSync(dir, { recursive: true });
const loadBefore = printMachine();
console.log(`PyTorch: ${python} bench/torch/cam_speed.py, batch ${batchSize}, ${repeat} timed runs each …`);

// 1. PyTorch: exports the network, writes the input and its maps, prints its timings as JSON.
const torch = runPythonJson(python, 'cam_speed.py', ['--onnx-out', onnxPath, '--batch', String(batchSize), '--repeat', String(repeat)], fail);
console.log(`PyTorch ${torch.torch} (torchvision ${torch.torchvision}), ${torch.threads} threads, top class ${torch.target}`);

// 2. Ours, on the same weights and input.
const { model, image, top } = await loadOurSide({
  tf, core, loadOnnxModel, dir, onnxPath, torchTarget: torch.target, backend: args.backend, ortThreads: Number(args['ort-threads'] ?? 2),
});
await warmUp(tf, model, image, batchSize, layer);

const options = { layer, batchSize, targets: top };
const score = await timeMethod(cam.scoreCam);
const ablation = await timeMethod(cam.ablationCam);

const reference = (name) => npyMap(join(dir, name));
const scoreDiff = maxAbsDiff(score.map.data, reference('scorecam.npy'));
const ablationDiff = maxAbsDiff(ablation.map.data, reference('ablationcam.npy'));
const ablationSuffixDiff = maxAbsDiff(ablation.map.data, reference('ablationcam_suffix.npy'));

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
printLoadChange(loadBefore);
tf.dispose(image);
model.dispose();
console.log(`tensors alive at the end (after disposing the model): ${tf.memory().numTensors}`);

async function timeMethod(method) {
  const { seconds, all, result } = await timeRuns(repeat, () => core.explainWith(method, model, image, options));
  const map = result[0];
  if (map.classIndex !== top || map.height !== 224 || map.width !== 224) throw new Error(`${method.id}: unexpected map ${map.classIndex} ${map.height}×${map.width}`);
  return { seconds, all, map };
}

function npyMap(path) {
  const array = core.parseNpy(new Uint8Array(readFileSync(path)), path);
  if (array.shape.join('×') !== '224×224') throw new Error(`${path}: expected a 224×224 map, got ${array.shape.join('×')}`);
  return core.npyToFloat32(array);
}
