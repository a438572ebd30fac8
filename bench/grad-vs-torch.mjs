// The gradient methods against the PyTorch libraries people use for them: Grad-CAM, Grad-CAM++ and
// Layer-CAM against pytorch-grad-cam; Saliency, Input × Gradient, Guided Backprop, Integrated
// Gradients and SmoothGrad against Captum (bench/torch/grad_vs_torch.py calls both libraries).
// ResNet-18 (CAMs at layer4) or ViT-Ti/16 (CAMs at the last block's ln_1), 224×224, class 0 for
// every method, the same weights (PyTorch exports its seeded network to ONNX, which we load) and
// the same input; in one sitting, taking turns run by run (the side that goes first moves on each
// run). Also the peak RSS of Integrated Gradients on each side, each in a fresh process.
//
//   node bench/grad-vs-torch.mjs [--model resnet18|vit-ti] [--repeat 5] [--threads <cores>]
//                                [--torch-threads 0,<threads>] [--steps 32] [--ig-batch 32]
//                                [--samples 16] [--noise 0.15] [--dir /tmp/xai-bench] [--python /usr/bin/python3]
//
// --threads: onnxruntime's intra-op threads on our side and torch.set_num_threads on PyTorch's
// (default: every core). PyTorch also runs as it starts (--torch-threads 0: torch.set_num_threads
// not called; Debian's build then uses 1 thread here), as in bench/vs-torch.mjs.
//
// Needs Debian's PyTorch (apt-get install -y python3-torch python3-torchvision python3-onnx
// python3-opencv), pytorch-grad-cam and Captum (not installable here: their source trees on
// XAI_TORCH_LIBS, see bench/README.md; the script says how when they are missing) and the built
// packages (pnpm build). Ours: `loadOnnxModel(path, { preprocessing: 'imagenet', threads })` and
// `explainWith(method, model, image, { targets: 0, layer, batchSize, params })`; gradients run on
// onnxruntime-node through gradient graphs. Maps are compared as max |ours − PyTorch's| / max |PyTorch's|.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import {
  failWith, fmt, formatLoad, loadOurSide, median, parseArgs, printLoadChange, printMachine, readInput, relativeDiffNhwcNchw,
  relativeMaxDiff, requireBuilt, requirePytorch, root, startPythonServer,
} from './_pytorch-side.mjs';

const args = parseArgs(process.argv.slice(2));
const modelName = args.model ?? 'resnet18';
const repeat = Number(args.repeat ?? 5);
const threads = Number(args.threads ?? availableParallelism());
const torchThreads = String(args['torch-threads'] ?? `0,${threads}`).split(',').map(Number);
const steps = Number(args.steps ?? 32);
const igBatch = Number(args['ig-batch'] ?? 32);
const samples = Number(args.samples ?? 16);
const noise = Number(args.noise ?? 0.15);
const dir = join(args.dir ?? '/tmp/xai-bench', `grad-vs-torch-${modelName}`);
const python = args.python ?? '/usr/bin/python3';
const onnxPath = join(dir, `${modelName}.onnx`);
const TARGET = 0;
const LAYERS = { resnet18: 'layer4', 'vit-ti': 'encoder.layers.encoder_layer_11.ln_1' };
/** PyTorch time / ours on every core: at least FLOOR, GOAL aimed at; peak RSS of IG at most RSS_GOAL_MB. */
const FLOOR = 1.0;
const GOAL = 1.5;
const RSS_GOAL_MB = 1536;

const fail = failWith('grad-vs-torch');
if (!(modelName in LAYERS)) fail(`unknown --model ${modelName}; accepted: ${Object.keys(LAYERS).join(', ')}`);
if (!(threads >= 1)) fail(`--threads must be a positive number, got ${args.threads}`);
const layer = LAYERS[modelName];
requireBuilt(
  [['@xai/cam', 'packages/cam/dist/index.js'], ['@xai/attributions', 'packages/attributions/dist/index.js'], ['@xai/onnx', 'packages/onnx/dist/node/index.js']],
  fail,
);

const packageRequire = createRequire(new URL('packages/onnx/package.json', root));
const tf = await import(packageRequire.resolve('@tensorflow/tfjs-core'));
const core = await import(packageRequire.resolve('@xai/core'));
const dist = (path) => import(new URL(`packages/${path}`, root).href);
const { gradCam, gradCamPlusPlus, layerCam } = await dist('cam/dist/index.js');
const { saliency, inputXGradient, guidedBackprop, integratedGradients, smoothGrad } = await dist('attributions/dist/index.js');
const { loadOnnxModel } = await dist('onnx/dist/node/index.js');

if (args.child === 'ig-rss') {
  await igRssChild();
  process.exit(0);
}

requirePytorch(python, fail);
requireLibraries();

const METHODS = [
  { id: 'grad-cam', label: 'Grad-CAM', descriptor: gradCam, cam: true },
  { id: 'grad-cam-pp', label: 'Grad-CAM++', descriptor: gradCamPlusPlus, cam: true },
  { id: 'layer-cam', label: 'Layer-CAM', descriptor: layerCam, cam: true },
  { id: 'saliency', label: 'Saliency', descriptor: saliency },
  { id: 'input-x-gradient', label: 'Input × Gradient', descriptor: inputXGradient },
  { id: 'guided-backprop', label: 'Guided Backprop', descriptor: guidedBackprop },
  {
    id: 'integrated-gradients', label: `Integrated Gradients (${steps} steps, batch ${igBatch})`, descriptor: integratedGradients,
    params: { steps }, batchSize: igBatch, torchParams: { steps, batch: igBatch },
  },
  {
    id: 'smoothgrad', label: `SmoothGrad (${samples} samples, saliency)`, descriptor: smoothGrad,
    params: { samples, noise, seed: 0, base: 'saliency' }, batchSize: samples, torchParams: { samples, noise },
  },
];

mkdirSync(dir, { recursive: true });
const loadBefore = printMachine();
const torches = [];
for (const count of torchThreads) {
  const server = await startPythonServer(python, 'grad_vs_torch.py', ['--model', modelName, '--onnx-out', onnxPath, '--threads', String(count)], fail);
  const info = server.ready;
  const label = count === 0 ? `PyTorch default (${info.threads} thr)` : `PyTorch ${info.threads} thr`;
  torches.push({ ...server, label });
  console.log(`${label}: PyTorch ${info.torch} (torchvision ${info.torchvision}), ${info.threads} threads ` +
    `(${count === 0 ? 'torch.set_num_threads not called' : `torch.set_num_threads(${count})`}; OMP_NUM_THREADS ${info.omp_num_threads_env ?? 'unset'}), ` +
    `MKL ${info.mkl ? 'yes' : 'no'}, oneDNN ${info.mkldnn ? 'yes' : 'no'}`);
}
const info = torches[0].ready;
console.log(`pytorch-grad-cam ${info.grad_cam} from ${info.grad_cam_path}; Captum ${info.captum} from ${info.captum_path}`);
console.log(`model: ${modelName}, ONNX opset ${info.opset} (${onnxPath}); CAM layer ${layer}; target class ${TARGET} (the top class is ${info.top})`);
console.log(`node ${process.version}, tfjs ${tf.version_core}, onnxruntime-node ${packageRequire('onnxruntime-node/package.json').version}`);

const { model, image } = await loadOurSide({ tf, core, loadOnnxModel, dir, onnxPath, torchTarget: info.top, ortThreads: threads });

console.log(`\nmedian of ${repeat} after a first call each; each line is one run of each side (the first side alternates)`);
const rows = [];
for (const method of METHODS) rows.push(await measure(method));
const smoothCheck = await checkSmoothGrad(rows.find((r) => r.method.id === 'smoothgrad'));
for (const torch of torches) torch.close();

console.log('\npeak RSS of Integrated Gradients, each side in a fresh process (model loaded, one run; ours a second run too) …');
const rss = { ours: igRssOurs(), torch: igRssTorch() };

// The table.
console.log(`\n${modelName} 224×224, class ${TARGET}, median of ${repeat}, seconds; ratio = PyTorch s / ours (above 1: ours is faster); ` +
  `ours on onnxruntime-node (${threads} threads, gradient graphs)`);
const header = ['method', 'ours 1st', 'ours', 'against', 'PyTorch', 'ratio', `floor ${FLOOR}× / goal ${GOAL}×`, 'max|Δ|/max|ref|'];
const widths = [40, 8, 7, 22, 8, 7, 18, 15];
const line = (cells) => cells.map((c, i) => (i === 0 || i === 3 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join(' ');
console.log(line(header));
for (const { method, first, ours, torch, diff } of rows) {
  torches.forEach((t, i) => {
    const ratio = torch[i] / ours;
    const top = i === 0;
    const verdict = i === torches.length - 1 ? (ratio >= GOAL ? 'goal met' : ratio >= FLOOR ? 'floor met' : 'BELOW floor') : '';
    console.log(line([
      top ? method.label : '', top ? first.toFixed(2) : '', top ? ours.toFixed(3) : '', t.label, torch[i].toFixed(3), `${ratio.toFixed(2)}×`, verdict,
      top ? diff.toExponential(1) : '',
    ]));
  });
}
const mb = (v) => `${Math.round(v)} MB`;
console.log(line([
  'Integrated Gradients: peak RSS', '', mb(rss.ours.peakMb), `PyTorch ${rss.torch.threads} thr`, mb(rss.torch.peak_mb), '',
  rss.ours.peakMb <= RSS_GOAL_MB ? `≤ ${RSS_GOAL_MB / 1024} GB: met` : `≤ ${RSS_GOAL_MB / 1024} GB: NOT met`, '',
]));
console.log(`"ours 1st": the first call of each method in this process (the first method to use a gradient variant — layer, input, ` +
  `guided — builds its gradient graph and opens its onnxruntime session); PyTorch's first calls: ` +
  rows.map((r) => `${r.method.id} ${r.torchFirst.map((s) => s.toFixed(2)).join('/')}`).join(', '));
console.log(`peak RSS of IG: ours ${mb(rss.ours.beforeMb)} after loading → ${mb(rss.ours.peakMb)} after one run (${mb(rss.ours.peakMb2)} after two; ` +
  `${rss.ours.seconds.toFixed(2)} s the first, ${rss.ours.seconds2.toFixed(2)} s the second); PyTorch ${mb(rss.torch.before_mb)} after building the model ` +
  `→ ${mb(rss.torch.peak_mb)} (${rss.torch.seconds.toFixed(2)} s)`);
const ig = rows.find((r) => r.method.id === 'integrated-gradients');
console.log(`IG convergence delta: ours ${Number(ig.map.params.convergenceDelta).toExponential(2)}, Captum ${ig.torchExtra.convergence_delta.toExponential(2)}`);
console.log(`SmoothGrad: σ = ${noise} × (max(x) − min(x)) = ${Number(smoothCheck.oursSigma).toFixed(4)} ours, ${smoothCheck.torchSigma.toFixed(4)} passed to ` +
  `Captum as stdevs; the timed runs use Captum's own noise, the max|Δ| above is against NoiseTunnel run on our noisy copies ` +
  `(against Captum's own noise, a different draw: ${smoothCheck.ownNoiseDiff.toExponential(1)})`);
for (const { method, oursAll, torchAll } of rows) {
  console.log(`runs (s) ${method.id}: ours ${fmt(oursAll)}; ${torches.map((t, i) => `${t.label} ${fmt(torchAll[i])}`).join('; ')}`);
}
printLoadChange(loadBefore);
tf.dispose(image);
model.dispose();
console.log(`tensors alive at the end (after disposing the model): ${tf.memory().numTensors}`);

/** Fails, saying how to get them, unless grad_vs_torch.py can import pytorch-grad-cam and Captum. */
function requireLibraries() {
  const script = new URL('bench/torch/grad_vs_torch.py', root).pathname;
  const probe = spawnSync(python, [script, '--check'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    fail(`${script} --check failed (exit ${probe.status ?? probe.error?.message}):\n${probe.stderr.trim()}`);
  }
}

/** Our first call, each PyTorch setting's first call, then `repeat` runs of each side taking turns. */
async function measure(method) {
  const ours = () =>
    core.explainWith(method.descriptor, model, image, {
      targets: TARGET, ...(method.cam ? { layer } : {}), batchSize: method.batchSize ?? 1, params: method.params ?? {},
    });
  const out = (t) => join(dir, `${method.id}.torch${t}.npy`);
  const command = (t) => ({ cmd: 'run', method: method.id, params: method.torchParams ?? {}, out: out(t) });
  let start = performance.now();
  let maps = await ours();
  const first = (performance.now() - start) / 1000;
  const torchFirst = [];
  for (const [t, torch] of torches.entries()) torchFirst.push((await torch.request(command(t))).seconds);
  const torchAll = torches.map(() => []);
  const oursAll = [];
  let torchExtra;
  for (let r = 0; r < repeat; r++) {
    const runOurs = async () => {
      start = performance.now();
      maps = await ours();
      oursAll.push((performance.now() - start) / 1000);
    };
    const sides = [
      runOurs,
      ...torches.map((torch, t) => async () => {
        torchExtra = await torch.request(command(t));
        torchAll[t].push(torchExtra.seconds);
      }),
    ];
    for (let i = 0; i < sides.length; i++) await sides[(i + r) % sides.length]();
    const theirs = torches.map((torch, t) => `${torch.label} ${torchAll[t][r].toFixed(3)} s`).join(', ');
    console.log(`  ${method.id} ${r + 1}/${repeat}: ours ${oursAll[r].toFixed(3)} s, ${theirs} (load ${formatLoad()})`);
  }
  const map = maps[0];
  if (map.classIndex !== TARGET || map.height !== 224 || map.width !== 224) throw new Error(`${method.id}: unexpected map ${map.classIndex} ${map.height}×${map.width}`);
  const diff = Math.max(...torches.map((_, t) => mapDiff(method, map, out(t))));
  return { method, first, torchFirst, ours: median(oursAll), torch: torchAll.map(median), oursAll, torchAll, map, diff, torchExtra };
}

/** max |ours − PyTorch's| / max |PyTorch's|: a CAM `[H, W]`, an attribution NHWC against NCHW. */
function mapDiff(method, map, path) {
  const array = core.parseNpy(new Uint8Array(readFileSync(path)), path);
  const ref = core.npyToFloat32(array);
  if (method.cam) {
    if (array.shape.join('×') !== '224×224') throw new Error(`${path}: expected 224×224, got ${array.shape.join('×')}`);
    return relativeMaxDiff(map.data, ref);
  }
  if (array.shape.join('×') !== '1×3×224×224') throw new Error(`${path}: expected 1×3×224×224, got ${array.shape.join('×')}`);
  return relativeDiffNhwcNchw(map.attribution.data, ref, 3, 224 * 224);
}

/**
 * SmoothGrad's noise is drawn by each side's own generator, so the timed maps differ by the draw.
 * The check: our noisy copies (core's `Random(seed)`, `x + σ · normal()` in NHWC order, copy after
 * copy, rounded to float32, as our SmoothGrad makes them) written as NCHW `.npy`, and Captum's
 * NoiseTunnel run once more on them instead of its own.
 */
async function checkSmoothGrad(row) {
  const sigma = Number(row.map.params.sigma);
  const values = await image.data();
  const [, h, w, c] = image.shape;
  const size = h * w * c;
  const random = new core.Random(row.method.params.seed);
  const data = new Float32Array(samples * size);
  for (let s = 0; s < samples; s++) {
    for (let p = 0; p < h * w; p++) {
      for (let ch = 0; ch < c; ch++) data[s * size + ch * h * w + p] = values[p * c + ch] + sigma * random.normal();
    }
  }
  const copiesPath = join(dir, 'smoothgrad_copies.npy');
  const { writeNpyFile } = await import(packageRequire.resolve('@xai/core/node'));
  await writeNpyFile(copiesPath, { dtype: 'float32', shape: [samples, c, h, w], data });
  const out = join(dir, 'smoothgrad.our-noise.npy');
  const answer = await torches[torches.length - 1].request({ cmd: 'smoothgrad-check', copies: copiesPath, params: row.method.torchParams, out });
  const ownNoiseDiff = row.diff;
  row.diff = mapDiff(row.method, row.map, out);
  return { oursSigma: sigma, torchSigma: answer.sigma, ownNoiseDiff };
}

/** This script again as a child (`--child ig-rss`): IG's peak RSS on our side, in a fresh process. */
function igRssOurs() {
  const self = fileURLToPath(import.meta.url);
  const child = spawnSync(
    process.execPath,
    [self, '--child', 'ig-rss', '--model', modelName, '--dir', args.dir ?? '/tmp/xai-bench', '--threads', String(threads), '--steps', String(steps), '--ig-batch', String(igBatch)],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  if (child.error || child.status !== 0) fail(`the IG memory child failed (exit ${child.status ?? child.error?.message})`);
  return JSON.parse(child.stdout.trim().split('\n').pop());
}

function igRssTorch() {
  const script = new URL('bench/torch/grad_vs_torch.py', root).pathname;
  const py = spawnSync(python, [script, '--model', modelName, '--ig-rss', '--threads', String(threads), '--steps', String(steps), '--batch', String(igBatch)], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (py.error || py.status !== 0) fail(`${script} --ig-rss failed (exit ${py.status ?? py.error?.message})`);
  return JSON.parse(py.stdout.trim().split('\n').pop());
}

/** In the child: load the model and input the parent's run wrote, run IG twice, print RSS in MB as JSON. */
async function igRssChild() {
  await core.selectBackend({ prefer: 'wasm' });
  const loaded = await loadOnnxModel(onnxPath, { preprocessing: 'imagenet', threads });
  const input = readInput(tf, core, join(dir, 'input.npy'));
  const beforeMb = rssMb('VmRSS');
  const run = async () => {
    const start = performance.now();
    await core.explainWith(integratedGradients, loaded, input, { targets: TARGET, batchSize: igBatch, params: { steps } });
    return (performance.now() - start) / 1000;
  };
  const seconds = await run();
  const peakMb = rssMb('VmHWM');
  const seconds2 = await run();
  const peakMb2 = rssMb('VmHWM');
  loaded.dispose();
  input.dispose();
  console.log(JSON.stringify({ beforeMb, peakMb, peakMb2, seconds, seconds2 }));
}

/** A field of /proc/self/status in MB (Linux); elsewhere the process's maxRSS so far. */
function rssMb(field) {
  try {
    const match = readFileSync('/proc/self/status', 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
    if (match) return Number(match[1]) / 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS / 1024;
}
