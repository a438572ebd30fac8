// Peak memory of RISE at N = 1000 and N = 8000 masks (224×224): streaming keeps it bounded by the
// batch, so the two peaks must differ by less than 50 MB. Each N runs in its own child process,
// whose peak resident set size (maxRSS) is reported. Run after building:
//
//   node bench/rise-memory.mjs [--batch 32] [--backend wasm|cpu]
//
// The model is a cheap stand-in (average pooling to 28×28, one dense layer to 1000 logits) so that
// 8000 forward passes take seconds: the memory measured is RISE's, not the model's.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const LIMIT_MB = 50;
const { values: args } = parseArgs({
  options: {
    batch: { type: 'string', default: '32' },
    backend: { type: 'string', default: 'wasm' },
    child: { type: 'string' },
  },
});

if (args.child) await measure(Number(args.child));
else compare();

function compare() {
  const peaks = [1000, 8000].map((n) => {
    const script = fileURLToPath(import.meta.url);
    const run = spawnSync(process.execPath, [script, '--child', String(n), '--batch', args.batch, '--backend', args.backend], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (run.status !== 0) throw new Error(`the child for N = ${n} failed (exit ${run.status})`);
    const result = JSON.parse(run.stdout.trim().split('\n').pop());
    console.log(`N = ${String(n).padStart(4)}: peak RSS ${result.peakMB.toFixed(1)} MB, ${result.seconds.toFixed(1)} s`);
    return result.peakMB;
  });
  const difference = peaks[1] - peaks[0];
  console.log(`difference ${difference.toFixed(1)} MB (limit ${LIMIT_MB} MB): ${difference < LIMIT_MB ? 'PASS' : 'FAIL'}`);
  console.log(`ratio peak(8000) / peak(1000): ${(peaks[1] / peaks[0]).toFixed(3)}`);
  if (difference >= LIMIT_MB) process.exitCode = 1;
}

async function measure(n) {
  const requireFromRise = createRequire(fileURLToPath(new URL('../packages/rise/package.json', import.meta.url)));
  const load = (name) => import(pathToFileURL(requireFromRise.resolve(name)).href);
  const tf = await load('@tensorflow/tfjs-core');
  const core = await load('@xai/core');
  const { rise } = await load('@xai/rise');
  await core.selectBackend({ prefer: args.backend });

  const size = 224;
  const dense = tf.randomNormal([28 * 28 * 3, 1000], 0, 0.05, 'float32', 1);
  const model = {
    input: { height: size, width: size, channels: 3, layout: 'NHWC' },
    numClasses: 1000,
    preprocessing: { scale: 1 / 255, offset: 0, mean: [0, 0, 0], std: [1, 1, 1] },
    engine: `tfjs:${tf.getBackend()}`,
    async predict(batch) {
      return tf.tidy(() => {
        const pooled = tf.avgPool(batch, 8, 8, 'valid');
        return tf.matMul(tf.reshape(pooled, [batch.shape[0], 28 * 28 * 3]), dense);
      });
    },
    dispose: () => dense.dispose(),
  };
  const image = tf.randomUniform([1, size, size, 3], -2, 2, 'float32', 7);
  const start = performance.now();
  await rise(model, image, { n, s: 8, p1: 0.5, seed: 0, batchSize: Number(args.batch) });
  const seconds = (performance.now() - start) / 1000;
  image.dispose();
  model.dispose();
  // maxRSS is in kilobytes.
  console.log(JSON.stringify({ n, peakMB: process.resourceUsage().maxRSS / 1024, seconds }));
}
