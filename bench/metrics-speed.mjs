// Insertion + Deletion at 224×224, step 224 (n = 224, 225 points per curve) with many steps per
// forward batch, against the reference's way: the same number of single-image forward passes, one
// by one, in the same process.
//
//   node bench/metrics-speed.mjs [--onnx resnet18.onnx] [--batch 32] [--step 224] [--backend wasm]
//
// Model: with --onnx and a built @xai/onnx, that file (e.g. a torchvision ResNet-18 export).
// Otherwise a ResNet-18 (torchvision's layout, batch norm folded, random weights) written with
// tfjs ops: the same work per image as the real network.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { resnet18Classifier } from './_resnet18.mjs';

const packageRequire = createRequire(new URL('../packages/metrics/package.json', import.meta.url));
const tf = await import(packageRequire.resolve('@tensorflow/tfjs-core'));
const core = await import(packageRequire.resolve('@xai/core'));
const metrics = await import(new URL('../packages/metrics/dist/index.js', import.meta.url).href);

const args = parseArgs(process.argv.slice(2));
const size = 224;
const step = Number(args.step ?? size);
const batchSize = Number(args.batch ?? 32);
await core.selectBackend({ prefer: args.backend ?? 'wasm' });

const model = args.onnx ? await onnxModel(args.onnx) : resnet18Classifier(tf, core, size, 1000);
console.log(`backend ${tf.getBackend()}, model: ${model.engine}, ${size}×${size}, step ${step}, batch ${batchSize}`);

const image = tf.randomNormal([1, size, size, 3], 0, 1, 'float32', 1);
const map = core.saliencyMap({
  data: Float32Array.from({ length: size * size }, (_, i) => Math.sin(i * 0.37) + Math.cos(i * 0.011)),
  height: size,
  width: size,
  classIndex: 0,
  method: 'bench',
  params: {},
});
const points = Math.ceil((size * size) / step) + 1;

// Warm-up (kernel compilation, weight upload) outside the timings.
tf.dispose(await model.predict(image));
tf.dispose(await model.predict(tf.tile(image, [batchSize, 1, 1, 1])));

const t0 = performance.now();
const ins = await metrics.insertion(model, image, map, { step, batchSize });
const del = await metrics.deletion(model, image, map, { step, batchSize });
const batchedSeconds = (performance.now() - t0) / 1000;

// Baseline: 2·(n+1) single-image passes, one by one, each read back before the next (as the
// reference loop does). The images themselves are not rebuilt: this is the forward cost alone.
const t1 = performance.now();
for (let i = 0; i < 2 * points; i++) {
  const logits = await model.predict(image);
  const probabilities = tf.softmax(logits);
  await probabilities.data();
  tf.dispose([logits, probabilities]);
}
const singleSeconds = (performance.now() - t1) / 1000;

console.log(`insertion AUC ${ins.auc.toFixed(4)}, deletion AUC ${del.auc.toFixed(4)}, ${points} points each`);
console.log(`batched insertion + deletion: ${batchedSeconds.toFixed(1)} s (${((2 * points) / batchedSeconds).toFixed(1)} img/s)`);
console.log(`${2 * points} single-image passes:  ${singleSeconds.toFixed(1)} s (${((2 * points) / singleSeconds).toFixed(1)} img/s)`);
console.log(`speed-up: ${(singleSeconds / batchedSeconds).toFixed(2)}× (single-image time / batched time)`);
tf.dispose(image);
model.dispose();

function parseArgs(list) {
  const out = {};
  for (let i = 0; i < list.length; i += 2) out[list[i].replace(/^--/, '')] = list[i + 1];
  return out;
}

async function onnxModel(path) {
  const dist = new URL('../packages/onnx/dist/node/index.js', import.meta.url);
  if (!existsSync(dist)) throw new Error('--onnx needs a built @xai/onnx (pnpm --filter @xai/onnx build)');
  const { loadOnnxModel } = await import(dist.href);
  return loadOnnxModel(path);
}
