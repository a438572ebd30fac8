// Abs-CAM Init and Final for a ResNet-18 at 224×224 at `layer4` (K′ = 512 channels, so Final makes
// 512 masked forward passes), next to one forward pass and 512 forward passes (in batches of the
// same size as Final's) measured in the same process.
//
//   node bench/abs-cam-speed.mjs [--onnx resnet18.onnx] [--batch 16] [--backend wasm] [--repeat 3]
//
// Model: with --onnx and a built @xai/onnx, that file (e.g. a torchvision ResNet-18 export, its
// layer `layer4`). Otherwise torchvision's ResNet-18 layout as a tfjs-layers functional model with
// random weights, wrapped by @xai/core's LayersClassifier (the white-box path users of Keras
// models get); its Keras layer `layer4` is the output of the last residual block.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

const packageRequire = createRequire(new URL('../packages/abs-cam/package.json', import.meta.url));
const tf = await import(packageRequire.resolve('@tensorflow/tfjs-core'));
const tfl = await import(packageRequire.resolve('@tensorflow/tfjs-layers'));
const core = await import(packageRequire.resolve('@xai/core'));
const absCam = await import(new URL('../packages/abs-cam/dist/index.js', import.meta.url).href);

const args = parseArgs(process.argv.slice(2));
const size = 224;
const batchSize = Number(args.batch ?? 16);
const repeat = Number(args.repeat ?? 3);
await core.selectBackend({ prefer: args.backend ?? 'wasm' });

const model = args.onnx ? await onnxModel(args.onnx) : new core.LayersClassifier(resnet18(size, 1000));
const layer = 'layer4';
const image = tf.randomNormal([1, size, size, 3], 0, 1, 'float32', 1);
console.log(`backend ${tf.getBackend()}, model ${model.engine}, ${size}×${size}, layer ${layer}, batch ${batchSize}`);

// Warm-up (kernel set-up, weight upload) outside the timings.
tf.dispose(await model.predict(image));
await absCam.absCamInit(model, image, { layer, target: 0 });

const forward1 = await medianSeconds(repeat, async () => tf.dispose(await model.predict(image)));
const init = await medianSeconds(repeat, () => absCam.absCamInit(model, image, { layer, target: 0 }));
const initTop1 = await medianSeconds(repeat, () => absCam.absCamInit(model, image, { layer }));
const forward512 = await seconds(() => forwardPasses(512, batchSize));
let progress = 0;
const final = await seconds(() =>
  absCam.absCamFinal(model, image, { layer, target: 0, batchSize, onProgress: (e) => (progress = e.done) }),
);
if (progress !== 512) throw new Error(`expected 512 masked passes, progress said ${progress}`);

const rows = [
  ['one forward pass (baseline)', forward1, 1],
  ['Abs-CAM Init, class given (forward + backward)', init, init / forward1],
  ['Abs-CAM Init, top-1 class (+1 forward)', initTop1, initTop1 / forward1],
  [`512 forward passes, batches of ${batchSize} (baseline)`, forward512, forward512 / forward1],
  ['Abs-CAM Final (512 masked passes)', final, final / forward1],
];
for (const [name, s, ratio] of rows) console.log(`${name.padEnd(52)} ${s.toFixed(3).padStart(9)} s  ${ratio.toFixed(2).padStart(8)} × one pass`);
console.log(`Final / 512 forward passes: ${(final / forward512).toFixed(3)}×; Init / one pass: ${(init / forward1).toFixed(2)}×`);
console.log(`tensors alive at the end: ${tf.memory().numTensors}`);

async function forwardPasses(count, batch) {
  for (let start = 0; start < count; start += batch) {
    const n = Math.min(batch, count - start);
    const logits = await model.predict(tf.tidy(() => tf.tile(image, [n, 1, 1, 1])));
    await logits.data();
    logits.dispose();
  }
}

async function seconds(work) {
  const start = performance.now();
  await work();
  return (performance.now() - start) / 1000;
}

async function medianSeconds(times, work) {
  const all = [];
  for (let i = 0; i < times; i++) all.push(await seconds(work));
  return all.sort((a, b) => a - b)[Math.floor(times / 2)];
}

async function onnxModel(path) {
  const onnx = await import(packageRequire.resolve('@xai/onnx'));
  return onnx.loadOnnxModel(new Uint8Array(readFileSync(path)));
}

/** torchvision's ResNet-18 (BasicBlocks 2-2-2-2, 64–512 channels), NHWC, PyTorch-style padding. */
function resnet18(inputSize, classes) {
  const input = tfl.input({ shape: [inputSize, inputSize, 3] });
  let x = conv(input, 'conv1', 64, 7, 2);
  x = tfl.layers.batchNormalization({ name: 'bn1', epsilon: 1e-5 }).apply(x);
  x = tfl.layers.reLU({ name: 'relu' }).apply(x);
  x = tfl.layers.zeroPadding2d({ padding: 1, name: 'maxpool.pad' }).apply(x);
  x = tfl.layers.maxPooling2d({ poolSize: 3, strides: 2, name: 'maxpool' }).apply(x);
  for (const [stage, filters, stride] of [[1, 64, 1], [2, 128, 2], [3, 256, 2], [4, 512, 2]]) {
    x = block(x, `layer${stage}.0`, `layer${stage}.0`, filters, stride);
    x = block(x, `layer${stage}.1`, `layer${stage}`, filters, 1);
  }
  x = tfl.layers.globalAveragePooling2d({ name: 'avgpool' }).apply(x);
  const logits = tfl.layers.dense({ units: classes, name: 'fc' }).apply(x);
  return tfl.model({ inputs: input, outputs: logits, name: 'resnet18' });
}

function block(x, prefix, outputName, filters, stride) {
  let out = conv(x, `${prefix}.conv1`, filters, 3, stride);
  out = tfl.layers.batchNormalization({ name: `${prefix}.bn1`, epsilon: 1e-5 }).apply(out);
  out = tfl.layers.reLU({ name: `${prefix}.relu` }).apply(out);
  out = conv(out, `${prefix}.conv2`, filters, 3, 1);
  out = tfl.layers.batchNormalization({ name: `${prefix}.bn2`, epsilon: 1e-5 }).apply(out);
  let identity = x;
  if (stride !== 1 || x.shape[3] !== filters) {
    identity = conv(x, `${prefix}.downsample.0`, filters, 1, stride);
    identity = tfl.layers.batchNormalization({ name: `${prefix}.downsample.1`, epsilon: 1e-5 }).apply(identity);
  }
  const sum = tfl.layers.add({ name: `${prefix}.add` }).apply([out, identity]);
  return tfl.layers.reLU({ name: outputName }).apply(sum);
}

function conv(x, name, filters, kernelSize, stride) {
  const pad = (kernelSize - 1) / 2;
  let input = x;
  let padding = 'same';
  if (stride > 1 && pad > 0) {
    input = tfl.layers.zeroPadding2d({ padding: pad, name: `${name}.pad` }).apply(x);
    padding = 'valid';
  }
  return tfl.layers.conv2d({ filters, kernelSize, strides: stride, padding, useBias: false, name }).apply(input);
}

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i += 2) out[argv[i].replace(/^--/, '')] = argv[i + 1];
  return out;
}
