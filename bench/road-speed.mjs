// ROAD at 224×224 (MoRF and LeRF at 9 percentiles: 18 imputations, 19 forward passes), split into
// its two costs measured in the same run: the noisy linear imputations (conjugate gradients on the
// host) and the batched forward passes of the same number of images.
//
//   node bench/road-speed.mjs [--batch 19] [--backend wasm] [--tolerance 1e-6]
//
// Model: a ResNet-18 (torchvision's layout, batch norm folded, random weights) written with tfjs ops.
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { resnet18Classifier } from './_resnet18.mjs';

const packageRequire = createRequire(new URL('../packages/metrics/package.json', import.meta.url));
const tf = await import(packageRequire.resolve('@tensorflow/tfjs-core'));
const core = await import(packageRequire.resolve('@xai/core'));
const metrics = await import(new URL('../packages/metrics/dist/index.js', import.meta.url).href);

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const size = 224;
const batchSize = Number(args.batch ?? 19);
const tolerance = Number(args.tolerance ?? 1e-6);
await core.selectBackend({ prefer: args.backend ?? 'wasm' });
const model = resnet18Classifier(tf, core, size, 1000);
console.log(`backend ${tf.getBackend()}, model: ${model.engine}, ${size}×${size}, batch ${batchSize}, tolerance ${tolerance}`);

const image = tf.randomNormal([1, size, size, 3], 0, 1, 'float32', 1);
const pixels = await image.data();
const map = core.saliencyMap({
  data: Float32Array.from({ length: size * size }, (_, i) => Math.sin(i * 0.37) + Math.cos((i % size) * 0.05) + Math.sin(Math.floor(i / size) * 0.03)),
  height: size,
  width: size,
  classIndex: 0,
  method: 'bench',
  params: {},
});
tf.dispose(await model.predict(tf.tile(image, [batchSize, 1, 1, 1])));

// The imputations alone, with their iteration counts.
const t0 = performance.now();
let iterations = 0;
for (const order of ['morf', 'lerf']) {
  for (const p of metrics.DEFAULT_ROAD_PERCENTILES) {
    const removed = metrics.roadRemoved(map.data, p, order);
    iterations += metrics.noisyLinearImputation(pixels, size, size, 3, removed, { noise: 0, tolerance }).iterations;
  }
}
const imputeSeconds = (performance.now() - t0) / 1000;

// The forward passes alone: 19 images in batches.
const t1 = performance.now();
for (let start = 0; start < 19; start += batchSize) {
  const count = Math.min(batchSize, 19 - start);
  const batch = tf.tile(image, [count, 1, 1, 1]);
  const logits = await model.predict(batch);
  await tf.softmax(logits).data();
  tf.dispose([batch, logits]);
}
const forwardSeconds = (performance.now() - t1) / 1000;

// The whole metric.
const t2 = performance.now();
const result = await metrics.road(model, image, map, { noise: 0, tolerance, batchSize });
const roadSeconds = (performance.now() - t2) / 1000;

console.log(`18 imputations: ${imputeSeconds.toFixed(2)} s (${iterations} conjugate-gradient iterations over 3 channels each, ${(iterations / 18).toFixed(0)} per imputation)`);
console.log(`19 forward passes (batched): ${forwardSeconds.toFixed(2)} s`);
console.log(`road(): ${roadSeconds.toFixed(2)} s, combined ${result.combined.toFixed(4)}`);
console.log(`imputation / forward time: ${(imputeSeconds / forwardSeconds).toFixed(2)}×; road() / (imputation + forward): ${(roadSeconds / (imputeSeconds + forwardSeconds)).toFixed(2)}×`);
tf.dispose(image);
model.dispose();
