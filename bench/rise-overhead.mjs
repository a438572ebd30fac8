// RISE's overhead: the time of rise() over the time of the same number of plain forward passes of
// the same model, measured in one process. Run after building:
//
//   node bench/rise-overhead.mjs [--n 1000] [--batch 32] [--backend wasm|cpu] [--model resnet18.onnx]
//
// With --model (and @xai/onnx built) the ONNX classifier is timed; without it, a small conv net
// built here with tfjs ops (3 strided 3×3 convolutions, 16/32/64 channels, global average pool,
// 1000 logits) stands in for a ResNet-18, at 224×224.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const risePackage = fileURLToPath(new URL('../packages/rise/package.json', import.meta.url));
const requireFromRise = createRequire(risePackage);
// Load tfjs exactly as @xai/rise does, so that both share one engine.
const load = (name) => import(pathToFileURL(requireFromRise.resolve(name)).href);

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '1000' },
    batch: { type: 'string', default: '32' },
    backend: { type: 'string', default: 'wasm' },
    model: { type: 'string' },
  },
});
const n = Number(args.n);
const batchSize = Number(args.batch);
const size = 224;

const tf = await load('@tensorflow/tfjs-core');
const core = await load('@xai/core');
const { rise, binaryMasks } = await load('@xai/rise');
await core.selectBackend({ prefer: args.backend });

const model = args.model ? await onnxModel(args.model) : smallConvNet();
const { height, width, channels } = model.input;
const image = tf.randomUniform([1, height, width, channels], -2, 2, 'float32', 7);
console.log(`model: ${model.description}; engine ${model.engine}; ${height}×${width}; N = ${n}; batch ${batchSize}`);

// Warm up kernels and allocations once for both paths.
await forwardPasses(batchSize);
await rise(model, image, { n: batchSize, s: 8, p1: 0.5, batchSize });

const plain = await forwardPasses(n);
const masking = await timed(async () => {
  const stream = binaryMasks({ n, s: 8, p1: 0.5, seed: 0, height, width }).open();
  for (let done = 0; done < n; done += batchSize) stream.next(Math.min(batchSize, n - done));
});
const withRise = await timed(() => rise(model, image, { n, s: 8, p1: 0.5, seed: 0, batchSize }));

const line = (label, t) => `${label.padEnd(22)} ${t.wall.toFixed(2)} s wall, ${t.cpu.toFixed(2)} s CPU`;
console.log(line('plain forward passes', plain) + ` (${(n / plain.wall).toFixed(1)} img/s)`);
console.log(line('RISE', withRise));
console.log(line('  of which mask drawing', masking));
console.log(`ratio RISE / forward passes: ${(withRise.wall / plain.wall).toFixed(3)} wall, ${(withRise.cpu / plain.cpu).toFixed(3)} CPU`);
image.dispose();
model.dispose();

/** Plain forward passes over batches built beforehand (tiling is slow on wasm and not RISE's cost). */
async function forwardPasses(count) {
  const batches = new Map();
  const batchOf = (b) => batches.get(b) ?? batches.set(b, tf.tile(image, [b, 1, 1, 1])).get(b);
  batchOf(Math.min(batchSize, count));
  batchOf(count % batchSize || batchSize);
  const run = async () => {
    for (let done = 0; done < count; done += batchSize) {
      const logits = await model.predict(batchOf(Math.min(batchSize, count - done)));
      await logits.data();
      logits.dispose();
    }
  };
  try {
    return await timed(run);
  } finally {
    batches.forEach((batch) => batch.dispose());
  }
}

/** Wall time, and this process's CPU time (steadier when other work shares the cores). */
async function timed(work) {
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  await work();
  const cpu = process.cpuUsage(cpuStart);
  return { wall: (performance.now() - start) / 1000, cpu: (cpu.user + cpu.system) / 1e6 };
}

async function onnxModel(path) {
  const onnxEntry = new URL('../packages/onnx/dist/node/index.js', import.meta.url);
  if (!existsSync(onnxEntry)) throw new Error('--model needs @xai/onnx built (packages/onnx/dist)');
  const { loadOnnxModel } = await import(onnxEntry.href);
  const classifier = await loadOnnxModel(path, { preprocessing: 'imagenet' });
  return Object.assign(classifier, { description: path });
}

function smallConvNet() {
  const weights = [
    tf.randomNormal([3, 3, 3, 16], 0, 0.3, 'float32', 1),
    tf.randomNormal([3, 3, 16, 32], 0, 0.1, 'float32', 2),
    tf.randomNormal([3, 3, 32, 64], 0, 0.08, 'float32', 3),
    tf.randomNormal([64, 1000], 0, 0.1, 'float32', 4),
  ];
  return {
    description: 'small conv net built with tfjs ops (no ResNet-18 ONNX given)',
    input: { height: size, width: size, channels: 3, layout: 'NHWC' },
    numClasses: 1000,
    preprocessing: { scale: 1 / 255, offset: 0, mean: [0, 0, 0], std: [1, 1, 1] },
    engine: `tfjs:${tf.getBackend()}`,
    async predict(batch) {
      return tf.tidy(() => {
        let x = batch;
        for (const kernel of weights.slice(0, 3)) x = tf.relu(tf.conv2d(x, kernel, 2, 'same'));
        return tf.matMul(tf.mean(x, [1, 2]), weights[3]);
      });
    },
    dispose() {
      weights.forEach((w) => w.dispose());
    },
  };
}
