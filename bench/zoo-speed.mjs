// Throughput of the zoo: images generated per second, and demo-model forward passes per second
// in batches (the cost that dominates RISE and Abs-CAM Final on this model).
//
//   node bench/zoo-speed.mjs [--count 200] [--batch 64] [--backend wasm]
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';

const zooRequire = createRequire(new URL('../packages/zoo/package.json', import.meta.url));
const tf = await import(zooRequire.resolve('@tensorflow/tfjs-core'));
const core = await import(zooRequire.resolve('@xai/core'));
const zoo = await import(new URL('../packages/zoo/dist/index.js', import.meta.url).href);
const zooNode = await import(new URL('../packages/zoo/dist/node/index.js', import.meta.url).href);

const { values: args } = parseArgs({
  options: {
    count: { type: 'string', default: '200' },
    batch: { type: 'string', default: '64' },
    backend: { type: 'string', default: 'wasm' },
  },
});
const count = Number(args.count);
const batchSize = Number(args.batch);

zoo.generateDataset({ seed: 0, count: 20 }); // warm-up (JIT)
let started = performance.now();
const samples = zoo.generateDataset({ seed: 1, count });
const generateSeconds = (performance.now() - started) / 1000;
console.log(`generator: ${(count / generateSeconds).toFixed(0)} images/s (96×96, ${count} images)`);

await core.selectBackend({ prefer: args.backend });
const model = await zooNode.loadDemoModel();
const batch = zoo.imagesToBatch(samples.slice(0, batchSize).map((s) => s.image));
tf.dispose(await model.predict(batch)); // warm-up
const repeats = Math.max(1, Math.ceil(count / batchSize));
started = performance.now();
for (let r = 0; r < repeats; r++) {
  const logits = await model.predict(batch);
  await logits.data();
  logits.dispose();
}
const seconds = (performance.now() - started) / 1000;
console.log(`demo model on ${tf.getBackend()}: ${((repeats * batch.shape[0]) / seconds).toFixed(0)} images/s (batch ${batch.shape[0]})`);
batch.dispose();
model.dispose();
