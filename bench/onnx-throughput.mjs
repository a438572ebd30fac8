// Forward-pass throughput through @xai/onnx of a full-size ResNet-18 (224×224, batch 32) and a
// ViT-Ti/16 (torchvision's VisionTransformer, 224×224, batch 8): the Classifier's onnxruntime
// path, the differentiable tfjs graph, and raw onnxruntime, all in one process. Run after
// `pnpm --filter @xai/onnx build`:
//
//   node bench/onnx-throughput.mjs [--model resnet18.onnx] [--vit vit.onnx] [--batch 32] [--vit-batch 8]
//                                  [--runs 5] [--tfjs-runs 2] [--backend wasm] [--only resnet|vit]
//
// Without --model / --vit, random-weight models are exported once to $TMPDIR/xai-bench/ by
// packages/onnx/scripts/export-fixtures.py and export-token-fixtures.py (Debian's python3-torch);
// they are never committed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const requireFromOnnx = createRequire(join(root, 'packages/onnx/package.json'));
// Load tfjs and onnxruntime exactly as @xai/onnx does, so that all share one engine.
const load = (name) => import(pathToFileURL(requireFromOnnx.resolve(name)).href);

const { values: args } = parseArgs({
  options: {
    model: { type: 'string' },
    vit: { type: 'string' },
    batch: { type: 'string', default: '32' },
    'vit-batch': { type: 'string', default: '8' },
    runs: { type: 'string', default: '5' },
    'tfjs-runs': { type: 'string', default: '2' },
    backend: { type: 'string', default: 'wasm' },
    only: { type: 'string' },
  },
});
const size = 224;

/** The model at `given`, or one exported once by `script` with `flag`; undefined when that fails. */
function modelFile(given, file, script, flag, what) {
  if (given) return given;
  const dir = join(tmpdir(), 'xai-bench');
  const path = join(dir, file);
  if (!existsSync(path)) {
    mkdirSync(dir, { recursive: true });
    console.log(`exporting a random-weight ${what} to ${path} …`);
    const r = spawnSync('/usr/bin/python3', [join(root, 'packages/onnx/scripts', script), flag, path], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0 || !existsSync(path)) return undefined;
  }
  return path;
}

const tf = await load('@tensorflow/tfjs-core');
await load('@tensorflow/tfjs-backend-wasm');
await load('@tensorflow/tfjs-backend-cpu');
const core = await load('@xai/core');
const { loadOnnxModel } = await load('@xai/onnx');
const ort = await load('onnxruntime-node');
await core.selectBackend({ prefer: args.backend });


/** Measures one model; returns the JSON record. */
async function measure(name, model, batchSize) {
  const nhwc = tf.randomUniform([batchSize, size, size, 3], -2, 2, 'float32', 1);
  const nchwData = await tf.transpose(nhwc, [0, 3, 1, 2]).data();

  /** Times `fn` (one batch per call) after a warm-up; returns images per second. */
  async function time(fn, runs) {
    const started = performance.now();
    for (let i = 0; i < runs; i++) await fn();
    return (runs * batchSize) / ((performance.now() - started) / 1000);
  }

  const report = (label, imagesPerSecond, runs) =>
    console.log(`${name.padEnd(10)} ${label.padEnd(34)} ${imagesPerSecond.toFixed(1).padStart(7)} img/s  (${runs} × batch ${batchSize})`);

  // Raw onnxruntime, as a user would call it, and the Classifier's onnxruntime path. The two are
  // measured in alternating rounds so that load from elsewhere on the machine hits both alike.
  const session = await ort.InferenceSession.create(model, { graphOptimizationLevel: 'all' });
  const rawRun = async () => {
    const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', nchwData, [batchSize, 3, size, size]) });
    return out[session.outputNames[0]].data;
  };
  const fast = await loadOnnxModel(model, { engine: 'onnxruntime', preprocessing: 'imagenet' });
  const fastRun = async () => {
    const logits = await fast.predict(nhwc);
    await logits.data();
    logits.dispose();
  };
  await rawRun();
  await fastRun();
  const rounds = Number(args.runs);
  let rawSeconds = 0;
  let fastSeconds = 0;
  for (let i = 0; i < rounds; i++) {
    rawSeconds += batchSize / (await time(rawRun, 1));
    fastSeconds += batchSize / (await time(fastRun, 1));
  }
  const raw = (rounds * batchSize) / rawSeconds;
  const classifier = (rounds * batchSize) / fastSeconds;
  report('raw onnxruntime-node', raw, rounds);
  report(`Classifier (${fast.engine})`, classifier, rounds);

  const slow = await loadOnnxModel(model, { engine: 'tfjs', preprocessing: 'imagenet' });
  const slowRun = async () => {
    const logits = await slow.predict(nhwc);
    await logits.data();
    logits.dispose();
  };
  await slowRun();
  const graph = await time(slowRun, Number(args['tfjs-runs']));
  report(`Classifier (${slow.engine} graph)`, graph, Number(args['tfjs-runs']));

  // The two paths must agree.
  const two = tf.slice(nhwc, [0, 0, 0, 0], [2, size, size, 3]);
  const [a, b] = [await fast.predict(two), await slow.predict(two)];
  const [da, db] = [await a.data(), await b.data()];
  let diff = 0, scale = 0;
  for (let i = 0; i < da.length; i++) {
    diff = Math.max(diff, Math.abs(da[i] - db[i]));
    scale = Math.max(scale, Math.abs(db[i]));
  }

  const ratio = classifier / raw;
  console.log(`${name.padEnd(10)} load average while measuring: ${loadavg()[0].toFixed(1)} (2 cores)`);
  console.log(`${name.padEnd(10)} Classifier onnxruntime path / raw onnxruntime: ${(ratio * 100).toFixed(1)}% (goal ≥ 90%)`);
  console.log(`${name.padEnd(10)} tfjs graph / onnxruntime: ${((graph / classifier) * 100).toFixed(1)}%`);
  console.log(`${name.padEnd(10)} tfjs vs onnxruntime logits, max relative difference: ${(diff / scale).toExponential(2)}`);
  tf.dispose([nhwc, two, a, b]);
  fast.dispose();
  slow.dispose();
  const record = { bench: 'onnx-throughput', model: name, batch: batchSize, size, raw_ort: raw, classifier_ort: classifier, tfjs_graph: graph, ratio, tfjs_backend: args.backend, logits_rel_diff: diff / scale };
  console.log(JSON.stringify(record));
  return record;
}

const resnet = args.only === 'vit' ? undefined : modelFile(args.model, 'resnet18.onnx', 'export-fixtures.py', '--resnet18-full', 'ResNet-18');
const vit = args.only === 'resnet' ? undefined : modelFile(args.vit, 'vit-tiny.onnx', 'export-token-fixtures.py', '--vit-tiny-full', 'ViT-Ti/16');
if (!resnet && !vit) {
  console.log('onnx-throughput: skipped (no model given and python3-torch could not export one; pass --model / --vit)');
  process.exit(0);
}
if (resnet) {
  const r = await measure('resnet-18', resnet, Number(args.batch));
  if (r.ratio < 0.9) process.exitCode = 1;
}
if (vit) await measure('vit-ti/16', vit, Number(args['vit-batch']));
