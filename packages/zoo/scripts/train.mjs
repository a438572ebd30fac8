// Trains the demo model on freshly generated shapes and writes packages/zoo/model/.
// Usage: pnpm --filter @xai/zoo train [-- --steps 900 --batch 32 --lr 0.002 --out model]
// Needs a build first (the train script in package.json does it).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@xai/core';
import { installFastConvGradients, worstRelativeError } from './fast-conv-gradients.mjs';
import { DEMO_MODEL, buildDemoArchitecture, generateDataset, imagesToBatch } from '../dist/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '900' },
    batch: { type: 'string', default: '32' },
    lr: { type: 'string', default: '0.002' },
    'warmup-steps': { type: 'string', default: '100' },
    'eval-every': { type: 'string', default: '150' },
    'eval-count': { type: 'string', default: '1000' },
    out: { type: 'string', default: resolve(here, '../model') },
    backend: { type: 'string', default: 'wasm' },
  },
});

// Seeds: weights, the training stream, and a held-out stream used only for evaluation here.
// The test suite measures accuracy on yet another seed (see test/accuracy.test.ts).
const SEEDS = { weights: 42, train: 1, heldOut: 2 };
const steps = Number(args.steps);
const batchSize = Number(args.batch);
const peakLr = Number(args.lr);
const warmup = Number(args['warmup-steps']);
const evalEvery = Number(args['eval-every']);
const evalCount = Number(args['eval-count']);
const numClasses = DEMO_MODEL.classNames.length;

const backend = await selectBackend({ prefer: args.backend });
console.log(`backend ${backend.id}; added gradient kernels: ${backend.addedKernels.join(', ') || 'none'}`);
if (backend.backend === 'wasm') {
  const reference = installFastConvGradients('wasm');
  const error = await worstRelativeError(reference);
  if (!(error < 1e-4)) throw new Error(`The fast convolution gradients disagree with @xai/core's (relative error ${error})`);
  console.log(`fast convolution gradients installed (relative error vs @xai/core kernels: ${error.toExponential(1)})`);
}

const model = buildDemoArchitecture({ size: DEMO_MODEL.inputSize, numClasses, seed: SEEDS.weights });
const optimizer = tf.train.adam(peakLr);
model.compile({ optimizer, loss: (labels, logits) => tf.losses.softmaxCrossEntropy(labels, logits) });
console.log(`parameters: ${model.countParams()}`);

/** Linear warm-up, then cosine decay to zero. */
function learningRate(step) {
  if (step < warmup) return (peakLr * (step + 1)) / warmup;
  const progress = (step - warmup) / Math.max(1, steps - warmup);
  return 0.5 * peakLr * (1 + Math.cos(Math.PI * progress));
}

function batchOf(samples) {
  const x = imagesToBatch(samples.map((s) => s.image));
  const y = tf.oneHot(tf.tensor1d(samples.map((s) => s.label), 'int32'), numClasses);
  return { x, y };
}

async function accuracy(seed, count) {
  let correct = 0;
  for (let start = 0; start < count; start += 100) {
    const samples = generateDataset({ seed, start, count: Math.min(100, count - start) });
    const x = imagesToBatch(samples.map((s) => s.image));
    const predicted = tf.tidy(() => tf.argMax(model.predict(x), 1));
    const labels = await predicted.data();
    tf.dispose([x, predicted]);
    samples.forEach((s, k) => (correct += labels[k] === s.label ? 1 : 0));
  }
  return correct / count;
}

const started = Date.now();
let lossSum = 0;
for (let step = 0; step < steps; step++) {
  optimizer.learningRate = learningRate(step);
  const { x, y } = batchOf(generateDataset({ seed: SEEDS.train, start: step * batchSize, count: batchSize }));
  lossSum += await model.trainOnBatch(x, y);
  tf.dispose([x, y]);
  if ((step + 1) % 20 === 0) {
    const elapsed = (Date.now() - started) / 1000;
    console.log(`step ${step + 1}/${steps} loss ${(lossSum / 20).toFixed(4)} lr ${learningRate(step).toExponential(2)} ${elapsed.toFixed(0)}s`);
    lossSum = 0;
  }
  if ((step + 1) % evalEvery === 0 && step + 1 < steps) {
    console.log(`  held-out accuracy (200 images): ${((await accuracy(SEEDS.heldOut, 200)) * 100).toFixed(1)}%`);
  }
}
const trainSeconds = (Date.now() - started) / 1000;
const heldOutAccuracy = await accuracy(SEEDS.heldOut, evalCount);
console.log(`training took ${trainSeconds.toFixed(0)}s; held-out accuracy on ${evalCount} images (seed ${SEEDS.heldOut}): ${(heldOutAccuracy * 100).toFixed(2)}%`);

await saveModel(args.out, {
  seeds: SEEDS,
  steps,
  batchSize,
  peakLearningRate: peakLr,
  warmupSteps: warmup,
  schedule: 'linear warm-up, cosine decay to 0',
  optimizer: 'Adam (beta1 0.9, beta2 0.999, epsilon 1e-7)',
  loss: 'softmax cross-entropy on logits',
  imagesSeen: steps * batchSize,
  backend: backend.id,
  trainSeconds: Math.round(trainSeconds),
  heldOut: { seed: SEEDS.heldOut, count: evalCount, accuracy: heldOutAccuracy },
  parameters: model.countParams(),
  node: process.version,
  date: new Date().toISOString(),
});

async function saveModel(folder, training) {
  mkdirSync(folder, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weightsFile = 'weights.bin';
      writeFileSync(resolve(folder, weightsFile), new Uint8Array(artifacts.weightData));
      const json = {
        format: 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [weightsFile], weights: artifacts.weightSpecs }],
        userDefinedMetadata: {
          xai: { classNames: DEMO_MODEL.classNames, preprocessing: DEMO_MODEL.preprocessing },
        },
      };
      writeFileSync(resolve(folder, 'model.json'), JSON.stringify(json));
      writeFileSync(resolve(folder, 'training.json'), `${JSON.stringify(training, null, 2)}\n`);
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  console.log(`wrote ${folder}/model.json, weights.bin, training.json`);
}
