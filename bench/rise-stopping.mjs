// RISE's stopping rule on the demo samples: for each, the map of `--ceiling` masks (per-mask draws,
// so its first masks are the stopped run's) and the map with `untilStable: ε`, in the same process.
// Prints how many masks the rule used, its last error estimate, and the Pearson correlation of the
// two maps (top class). Not a timing: masks and correlations do not depend on the machine.
//
//   node bench/rise-stopping.mjs [--epsilon 0.05] [--ceiling 8000] [--batch 32] [--backend wasm]
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

const zooRequire = createRequire(new URL('../packages/zoo/package.json', import.meta.url));
const core = await import(zooRequire.resolve('@xai/core'));
const dist = (path) => import(new URL(`../packages/${path}`, import.meta.url).href);
const zoo = await dist('zoo/dist/index.js');
const zooNode = await dist('zoo/dist/node/index.js');
const { rise } = await dist('rise/dist/index.js');

const { values: args } = parseArgs({
  options: {
    epsilon: { type: 'string', default: '0.05' },
    ceiling: { type: 'string', default: '8000' },
    batch: { type: 'string', default: '32' },
    backend: { type: 'string', default: 'wasm' },
  },
});
const epsilon = Number(args.epsilon);
const n = Number(args.ceiling);
const batchSize = Number(args.batch);
await core.selectBackend({ prefer: args.backend });
const model = await zooNode.loadDemoModel();

function pearson(a, b) {
  const mean = (x) => x.reduce((s, v) => s + v, 0) / x.length;
  const ma = mean(a);
  const mb = mean(b);
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) ** 2;
    bb += (b[i] - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

console.log(`demo model, ${model.engine}; ε = ${epsilon}; ceiling N = ${n}; batch ${batchSize}; s = 8, p1 = 0.5, seed 0, softmax scores`);
console.log('sample      class  masks used  of N   estimate  Pearson with the N-mask map');
for (const info of zoo.DEMO_SAMPLES) {
  const image = zoo.imagesToBatch([zoo.demoSample(info.name).image]);
  const common = { n, s: 8, p1: 0.5, seed: 0, batchSize, classes: 'top', maskOrder: 'per-mask' };
  const [full] = await rise(model, image, common);
  const [stopped] = await rise(model, image, { ...common, untilStable: epsilon });
  image.dispose();
  const used = stopped.params.masksUsed;
  const line = [
    info.name.padEnd(11),
    String(stopped.classIndex).padStart(5),
    String(used).padStart(11),
    `${((100 * used) / n).toFixed(0)}%`.padStart(5),
    stopped.params.relativeError.toFixed(4).padStart(10),
    pearson(stopped.data, full.data).toFixed(4).padStart(10),
  ];
  console.log(line.join(' '));
}
