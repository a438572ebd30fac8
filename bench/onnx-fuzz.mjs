// Fuzzes the @xai/onnx loader: seeded mutations of the fixture models — bytes (bit flips,
// truncations, overwritten runs, spliced and duplicated fields) and single fields changed through
// the ONNX schema (attributes, op types, dims, element types, the input's dims, spliced nodes). Every case must load or fail with the
// loader's own XaiError — no other exception, no hang, no runaway memory. Run after building:
//
//   node bench/onnx-fuzz.mjs [--cases 10000] [--seed 0] [--backend cpu]
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const requireFromOnnx = createRequire(join(root, 'packages/onnx/package.json'));
const load = (name) => import(pathToFileURL(requireFromOnnx.resolve(name)).href);

const { values: args } = parseArgs({
  options: {
    cases: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '0' },
    backend: { type: 'string', default: 'cpu' },
  },
});
const cases = Number(args.cases);
const firstSeed = Number(args.seed);

const tf = await load('@tensorflow/tfjs-core');
await load('@tensorflow/tfjs-backend-cpu');
await load('@tensorflow/tfjs-backend-wasm');
const core = await load('@xai/core');
const { loadOnnxModel, mutate, mutateFields } = await load('@xai/onnx');
await core.selectBackend({ prefer: args.backend });

const files = [
  'packages/testing/fixtures/tiny-chelsea/model.onnx',
  'packages/onnx/fixtures/densenet.onnx',
  'packages/onnx/fixtures/squeezenet.onnx',
  'packages/onnx/fixtures/vgg.onnx',
  'packages/onnx/fixtures/shufflenet.onnx',
];
const sources = files.map((f) => new Uint8Array(readFileSync(join(root, f))));
// ShuffleNet runs its graph twice at load (shape folding): give it fewer cases.
const pick = (seed) => (seed % 20 === 0 ? 4 : seed % 4);

const outcomes = { loaded: 0 };
const messages = new Map();
let slowest = { ms: 0, seed: -1 };
const tensorsBefore = tf.memory().numTensors;
const rssBefore = process.memoryUsage().rss;
const started = performance.now();
for (let i = 0; i < cases; i++) {
  const seed = firstSeed + i;
  const source = sources[pick(seed)];
  // Half the cases change bytes, half change one field through the schema (so they parse).
  const donor = sources[(seed >> 3) % 4];
  const { bytes, mutation } = seed % 2 === 0 ? mutate(source, seed, donor) : mutateFields(source, seed, donor);
  const t0 = performance.now();
  try {
    const model = await loadOnnxModel(bytes, { engine: 'tfjs' });
    model.dispose();
    outcomes.loaded++;
  } catch (error) {
    if (error?.name !== 'XaiError') {
      console.error(`seed ${seed} (${mutation}, ${files[pick(seed)]}): ${error?.name}: ${error?.message}`);
      process.exit(1);
    }
    outcomes[mutation] = (outcomes[mutation] ?? 0) + 1;
    const key = error.message.replace(/"[^"]*"/g, '"…"').replace(/\d+/g, 'N').slice(0, 90);
    messages.set(key, (messages.get(key) ?? 0) + 1);
  }
  const ms = performance.now() - t0;
  if (ms > slowest.ms) slowest = { ms, seed };
  if ((i + 1) % 1000 === 0) console.log(`${i + 1} cases, ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
const leaked = tf.memory().numTensors - tensorsBefore;
const rssGrowthMb = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
console.log('outcomes:', outcomes);
console.log('most common errors:');
for (const [m, n] of [...messages].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`  ${String(n).padStart(5)}  ${m}`);
console.log(`slowest case: seed ${slowest.seed}, ${slowest.ms.toFixed(0)} ms; tensors left: ${leaked}; RSS growth ${rssGrowthMb.toFixed(0)} MB`);
console.log(JSON.stringify({ bench: 'onnx-fuzz', cases, ...outcomes, slowest_ms: slowest.ms, tensors_leaked: leaked }));
if (leaked !== 0) process.exitCode = 1;
