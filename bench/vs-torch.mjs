// Issue 18's comparison: RISE, Insertion + Deletion, Abs-CAM Final, Score-CAM and Ablation-CAM on a
// ResNet-18 at 224×224, ours against the same computation in plain PyTorch
// (bench/torch/vs_torch.py), in one sitting, taking turns run by run (which side goes first
// alternates), on the same weights (PyTorch exports its seeded network to ONNX, which we load),
// the same input and the same RISE masks (drawn here, loaded there). Also the engines' raw rate:
// plain forward passes at the same batch size. Prints a table with the ratios, our img/s against
// onnxruntime's raw rate and issue 18's floors, and how far each map is from PyTorch's.
//
//   node bench/vs-torch.mjs [--repeat 3] [--batch 32] [--n 500] [--s 7] [--p1 0.5] [--seed 0]
//                           [--step 224] [--raw-passes 6] [--threads 0,<cores>] [--ort-threads 2]
//                           [--dir /tmp/xai-bench] [--python /usr/bin/python3]
//
// Needs Debian's PyTorch (apt-get install -y python3-torch python3-torchvision python3-onnx) and
// the built packages (pnpm build). Ours runs every black-box pass through `predict` on
// onnxruntime-node (--ort-threads intra-op threads); the one gradient pass of Abs-CAM, Score-CAM's
// activations and Ablation-CAM's passes from layer4 on run on the tfjs graph (wasm, one thread
// in Node). PyTorch runs under torch.inference_mode() once for each thread count of --threads, in
// the same sitting: 0 is PyTorch's own default (what a script that never calls
// torch.set_num_threads gets; Debian's build picks 1 thread here), the default list adds every core.
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  failWith, fmt, formatLoad, loadOurSide, maxAbsDiff, median, parseArgs, printLoadChange, printMachine, readNpyFloat32,
  relativeMaxDiff, requireBuilt, requirePytorch, root, startPythonServer, warmUp,
} from './_pytorch-side.mjs';

const args = parseArgs(process.argv.slice(2));
const repeat = Number(args.repeat ?? 3);
const batchSize = Number(args.batch ?? 32);
const rise = { n: Number(args.n ?? 500), s: Number(args.s ?? 7), p1: Number(args.p1 ?? 0.5), seed: Number(args.seed ?? 0) };
const step = Number(args.step ?? 224);
const rawPasses = Number(args['raw-passes'] ?? 6);
const torchThreads = String(args.threads ?? `0,${availableParallelism()}`).split(',').map(Number);
const ortThreads = Number(args['ort-threads'] ?? 2);
const dir = args.dir ?? '/tmp/xai-bench';
const python = args.python ?? '/usr/bin/python3';
const onnxPath = join(dir, 'resnet18.onnx');
const layer = 'layer4';
/** Issue 18's floors: PyTorch time / ours at least this. */
const FLOORS = { rise: 1.9, insdel: 1.8, abscam: 2.4 };

const fail = failWith('vs-torch');
const built = ['rise', 'abs-cam', 'cam', 'metrics'].map((p) => [`@xai/${p}`, `packages/${p}/dist/index.js`]);
requireBuilt([...built, ['@xai/rise', 'packages/rise/dist/node/index.js'], ['@xai/onnx', 'packages/onnx/dist/node/index.js']], fail);
requirePytorch(python, fail);

const packageRequire = createRequire(new URL('packages/onnx/package.json', root));
const tf = await import(packageRequire.resolve('@tensorflow/tfjs-core'));
const core = await import(packageRequire.resolve('@xai/core'));
const { writeNpyFile } = await import(packageRequire.resolve('@xai/core/node'));
const dist = (path) => import(new URL(`packages/${path}`, root).href);
const { riseBinary, binaryMasks, masksToNpy } = await dist('rise/dist/index.js');
const { absCamFinalMethod } = await dist('abs-cam/dist/index.js');
const { scoreCam, ablationCam } = await dist('cam/dist/index.js');
const { insertion, deletion } = await dist('metrics/dist/index.js');
const { loadOnnxModel } = await dist('onnx/dist/node/index.js');

mkdirSync(dir, { recursive: true });
const loadBefore = printMachine();
const torches = [];
for (const threads of torchThreads) {
  const server = await startPythonServer(python, 'vs_torch.py', ['--onnx-out', onnxPath, '--threads', String(threads)], fail);
  const info = server.ready;
  const label = threads === 0 ? `PyTorch default (${info.threads} thr)` : `PyTorch ${info.threads} thr`;
  torches.push({ ...server, label });
  console.log(`${label}: PyTorch ${info.torch} (torchvision ${info.torchvision}), ${info.threads} threads ` +
    `(${threads === 0 ? 'torch.set_num_threads not called' : `torch.set_num_threads(${threads})`}; OMP_NUM_THREADS ${info.omp_num_threads_env ?? 'unset'}), ` +
    `MKL ${info.mkl ? 'yes' : 'no'}, oneDNN ${info.mkldnn ? 'yes' : 'no'}, top class ${info.target}`);
}
const info = torches[0].ready;
console.log(`node ${process.version}, tfjs ${tf.version_core}, onnxruntime-node ${packageRequire('onnxruntime-node/package.json').version}`);

const { model, image, top } = await loadOurSide({ tf, core, loadOnnxModel, dir, onnxPath, torchTarget: info.target, ortThreads });
await warmUp(tf, model, image, batchSize, layer);

// RISE's masks: drawn here (timed, to show what generation costs), loaded by PyTorch.
const masksPath = join(dir, 'rise_masks.npy');
const drawStart = performance.now();
const masks = masksToNpy(binaryMasks({ ...rise, height: 224, width: 224 }), { batchSize });
const drawSeconds = (performance.now() - drawStart) / 1000;
await writeNpyFile(masksPath, masks);
for (const torch of torches) await torch.request({ cmd: 'masks', path: masksPath });
console.log(`RISE masks: N ${rise.n}, s ${rise.s}, p1 ${rise.p1}, seed ${rise.seed}; drawing them alone takes ${drawSeconds.toFixed(2)} s here`);

// Warm-up of PyTorch's batch size, outside the timings.
for (const torch of torches) await torch.request({ cmd: 'raw', batch: batchSize, passes: 1 });

console.log(`\nmedian of ${repeat}, batch ${batchSize}; each line is one run of each side (the first side alternates)`);
// The raw rate is measured before the methods and again after them (the machine is shared; one
// sitting's start alone can be unlucky): the median of all those runs.
const tiled = tf.tile(image, [batchSize, 1, 1, 1]);
const rawPredict = async () => {
  for (let i = 0; i < rawPasses; i++) {
    const logits = await model.predict(tiled);
    await logits.data();
    logits.dispose();
  }
};
const rawCommand = { cmd: 'raw', batch: batchSize, passes: rawPasses };
const rawBefore = await compare('raw predict', rawCommand, rawPredict);
const rawImages = batchSize * rawPasses;

const explain = (method, options) => () => core.explainWith(method, model, image, { batchSize, targets: top, ...options });
const riseRun = await compare('RISE', { cmd: 'rise', batch: batchSize, p1: rise.p1, out: join(dir, 'rise_torch.npy') },
  explain(riseBinary, { params: { ...rise, scores: 'prob' } }));
const riseMap = riseRun.result[0];
const riseMapPath = join(dir, 'rise_ours.npy');
await writeNpyFile(riseMapPath, { dtype: 'float32', shape: [224, 224], data: riseMap.data });

const insdelRun = await compare('Insertion + Deletion',
  { cmd: 'insdel', map: riseMapPath, step, batch: batchSize, out: join(dir, 'insdel_torch') },
  async () => ({
    insertion: await insertion(model, image, riseMap, { step, batchSize }),
    deletion: await deletion(model, image, riseMap, { step, batchSize }),
  }));
const absCamRun = await compare('Abs-CAM Final', { cmd: 'abscam', batch: batchSize, out: join(dir, 'abscam_final_torch.npy') },
  explain(absCamFinalMethod, { layer }));
const scoreCamRun = await compare('Score-CAM', { cmd: 'scorecam', batch: batchSize, out: join(dir, 'scorecam_torch.npy') },
  explain(scoreCam, { layer }));
const ablationRun = await compare('Ablation-CAM', { cmd: 'ablationcam', batch: batchSize, out: join(dir, 'ablationcam_torch.npy') },
  explain(ablationCam, { layer }));
const rawAfter = await compare('raw predict', rawCommand, rawPredict);
tiled.dispose();
for (const torch of torches) torch.close();
const rawTorchAll = torches.map((_, t) => [...rawBefore.torchAll[t], ...rawAfter.torchAll[t]]);
const raw = { torch: rawTorchAll.map(median), ours: median([...rawBefore.oursAll, ...rawAfter.oursAll]),
  torchAll: rawTorchAll, oursAll: [...rawBefore.oursAll, ...rawAfter.oursAll] };

const reference = (name) => readNpyFloat32(core, join(dir, name));
const mapDiff = (run, name) => relativeMaxDiff(run.result[0].data, reference(name));
const curves = insdelRun.result;
const curveDiff = Math.max(
  maxAbsDiff(curves.insertion.scores, reference('insdel_torch_insertion.npy')),
  maxAbsDiff(curves.deletion.scores, reference('insdel_torch_deletion.npy')),
);

const rawRate = rawImages / raw.ours;
const points = Math.ceil((224 * 224) / step) + 1;
const rows = [
  { name: `RISE (N ${rise.n}, s ${rise.s}, softmax)`, run: riseRun, passes: rise.n, floor: FLOORS.rise, check: `${mapDiff(riseRun, 'rise_torch.npy').toExponential(1)} map` },
  { name: `Insertion + Deletion (step ${step})`, run: insdelRun, passes: 2 * points, floor: FLOORS.insdel, check: `${curveDiff.toExponential(1)} curve` },
  { name: 'Abs-CAM Final (layer4)', run: absCamRun, passes: 512, floor: FLOORS.abscam, check: `${mapDiff(absCamRun, 'abscam_final_torch.npy').toExponential(1)} map` },
  { name: 'Score-CAM (layer4)', run: scoreCamRun, passes: 512, check: `${mapDiff(scoreCamRun, 'scorecam_torch.npy').toExponential(1)} map` },
  { name: 'Ablation-CAM (layer4, suffix)', run: ablationRun, check: `${mapDiff(ablationRun, 'ablationcam_torch.npy').toExponential(1)} map` },
];

console.log(`\nResNet-18 224×224, class ${top}, batch ${batchSize}, median of ${repeat}; ratio = PyTorch s / ours (above 1: ours is faster)`);
console.log(`raw predict (${rawImages} images, median of ${raw.oursAll.length}: before and after the methods): ours ${raw.ours.toFixed(2)} s = ${rawRate.toFixed(1)} img/s; ` +
  torches.map((torch, t) => `${torch.label} ${raw.torch[t].toFixed(2)} s = ${(rawImages / raw.torch[t]).toFixed(1)} img/s`).join('; '));
const header = ['method', 'ours s', 'our img/s', '÷ raw', 'against', 'PyTorch s', 'ratio', 'img/s', '÷ raw', 'floor', 'max|Δ|/max|ref|'];
const widths = [34, 7, 10, 6, 24, 10, 7, 7, 6, 16, 16];
const line = (cells) => cells.map((c, i) => (i === 0 || i === 4 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join(' ');
console.log(line(header));
for (const { name, run, passes, floor, check } of rows) {
  const rate = passes ? passes / run.ours : undefined;
  torches.forEach((torch, t) => {
    const ratio = run.torch[t] / run.ours;
    const torchRate = passes ? passes / run.torch[t] : undefined;
    const torchRawRate = rawImages / raw.torch[t];
    const first = t === 0;
    console.log(line([
      first ? name : '', first ? run.ours.toFixed(2) : '', first ? rate?.toFixed(1) ?? '—' : '', first && rate ? (rate / rawRate).toFixed(2) : '',
      torch.label, run.torch[t].toFixed(2), `${ratio.toFixed(2)}×`,
      torchRate?.toFixed(1) ?? '—', torchRate ? (torchRate / torchRawRate).toFixed(2) : '—',
      floor ? `≥ ${floor}× ${ratio >= floor ? 'met' : 'NOT met'}` : '—', first ? check : '',
    ]));
  });
}
console.log(`passes: forward passes of whole 224×224 inputs through predict (Abs-CAM Final and Score-CAM also make one ` +
  `pass on the tfjs graph for the activations; Ablation-CAM's 512 ablated copies run only avgpool + fc)`);
console.log(`AUC: insertion ours ${curves.insertion.auc.toFixed(6)}, deletion ours ${curves.deletion.auc.toFixed(6)} (class ${curves.insertion.classIndex})`);
for (const { name, run } of [{ name: 'raw predict', run: raw }, ...rows]) {
  console.log(`runs (s) ${name}: ours ${fmt(run.oursAll)}; ${torches.map((torch, t) => `${torch.label} ${fmt(run.torchAll[t])}`).join('; ')}`);
}
printLoadChange(loadBefore);
tf.dispose(image);
model.dispose();
console.log(`tensors alive at the end (after disposing the model): ${tf.memory().numTensors}`);

/**
 * `repeat` runs of each side, taking turns (the side that goes first moves on by one each run):
 * the medians, every time, and our last result. `torch` and `torchAll` are per PyTorch setting.
 */
async function compare(name, torchCommand, ours) {
  const torchAll = torches.map(() => []);
  const oursAll = [];
  let result;
  for (let r = 0; r < repeat; r++) {
    const runOurs = async () => {
      const start = performance.now();
      result = await ours();
      oursAll.push((performance.now() - start) / 1000);
    };
    const sides = [runOurs, ...torches.map((torch, t) => async () => torchAll[t].push((await torch.request(torchCommand)).seconds))];
    for (let i = 0; i < sides.length; i++) await sides[(i + r) % sides.length]();
    const theirs = torches.map((torch, t) => `${torch.label} ${torchAll[t][r].toFixed(2)} s`).join(', ');
    console.log(`  ${name} ${r + 1}/${repeat}: ours ${oursAll[r].toFixed(2)} s, ${theirs} (load ${formatLoad()})`);
  }
  return { torch: torchAll.map(median), ours: median(oursAll), torchAll, oursAll, result };
}
