// RISE on the demo model (tfjs, wasm by default) with 1 worker (predict on the main thread) and
// with 2 worker threads, in one process: median of --repeat runs each, the ratio, and whether the
// maps are the same bytes. Also times plain forward passes through the pool, to show how much of
// RISE is its own main-thread work, which bounds the ratio. Run after building:
//
//   node bench/rise-workers.mjs [--n 2000] [--batch 32] [--repeat 3] [--backend wasm|cpu] [--workers 2]
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

// The CLI depends on every package: load them as it does, so that all share one tfjs engine.
const requireFromCli = createRequire(fileURLToPath(new URL('../apps/cli/package.json', import.meta.url)));
const load = (name) => import(pathToFileURL(requireFromCli.resolve(name)).href);

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '2000' },
    batch: { type: 'string', default: '32' },
    repeat: { type: 'string', default: '3' },
    backend: { type: 'string', default: 'wasm' },
    workers: { type: 'string', default: '2' },
  },
});
const n = Number(args.n);
const batchSize = Number(args.batch);
const repeat = Number(args.repeat);
const many = Number(args.workers);

const tf = await load('@tensorflow/tfjs-core');
const core = await load('@xai/core');
const { rise } = await load('@xai/rise');
const { loadDemoModel } = await load('@xai/zoo/node');
const { demoSample, imagesToBatch } = await load('@xai/zoo');
await core.selectBackend({ prefer: args.backend });

const image = imagesToBatch([demoSample('star-1').image]);
const options = { n, s: 8, p1: 0.5, seed: 0, batchSize, classes: [3] };
const load1 = loadavg()[0];
console.log(`RISE on the demo model (96×96), ${tf.getBackend()}, N = ${n}, batch ${batchSize}, chunks of ${core.POOL_CHUNK_ROWS} rows, median of ${repeat}`);
console.log(`load average at start ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);

const models = { 1: await loadDemoModel({ workers: 1 }), [many]: await loadDemoModel({ workers: many }) };
// Warm-up: kernels, and the workers load the model (their start is not what is measured).
for (const model of Object.values(models)) await rise(model, image, { ...options, n: 4 * batchSize });

const results = {};
for (const workers of [1, many]) {
  const runs = [];
  let map;
  const cpu = [];
  for (let r = 0; r < repeat; r++) {
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    [map] = await rise(models[workers], image, options);
    runs.push((performance.now() - start) / 1000);
    const used = process.cpuUsage(cpuStart);
    cpu.push((used.user + used.system) / 1e6 / runs[r]);
  }
  const passes = [];
  for (let r = 0; r < repeat; r++) passes.push(await forwardPasses(models[workers]));
  results[workers] = { rise: median(runs), runs, passes: median(passes), map: map.data };
  // CPU time of every thread over wall time: the cores the process got (below 2 on a busy machine).
  console.log(`${String(workers).padStart(2)} worker${workers > 1 ? 's' : ' '}: RISE ${median(runs).toFixed(2)} s (${runs.map((t) => t.toFixed(2)).join(', ')}; ` +
    `${median(cpu).toFixed(2)} cores busy), plain forward passes ${median(passes).toFixed(2)} s (${(n / median(passes)).toFixed(0)} img/s)`);
}
const same = Buffer.from(results[1].map.buffer).equals(Buffer.from(results[many].map.buffer));
// RISE's own work (masks, masking, accumulation) runs on the main thread between passes: it does
// not shrink with workers, so it bounds the ratio at (M + P) / (M + P / workers).
const own = Math.max(0, results[1].rise - results[1].passes);
const bound = (own + results[1].passes) / (own + results[1].passes / many);
console.log(`RISE's main-thread work beside predict (RISE − plain passes, 1 worker): ${own.toFixed(2)} s; ` +
  `with it, ${many} workers can give at most ${bound.toFixed(2)}× without overlap`);
console.log(`ratio RISE 1 / ${many} workers: ${(results[1].rise / results[many].rise).toFixed(2)}×; plain passes: ${(results[1].passes / results[many].passes).toFixed(2)}×`);
console.log(`maps byte-identical: ${same}`);
console.log(`load average at end ${loadavg().map((l) => l.toFixed(2)).join(' ')} (1-minute at start ${load1.toFixed(2)})`);
Object.values(models).forEach((m) => m.dispose());
image.dispose();
if (!same) process.exitCode = 1;

/** N forward passes in batches, of one batch built beforehand (tiling is not predict's cost). */
async function forwardPasses(model) {
  const batch = tf.tile(image, [batchSize, 1, 1, 1]);
  const start = performance.now();
  for (let done = 0; done < n; done += batchSize) {
    const logits = await model.predict(batch);
    await logits.data();
    logits.dispose();
  }
  const seconds = (performance.now() - start) / 1000;
  batch.dispose();
  return seconds;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
