// Writes the shipped sample images and their ground truth to packages/zoo/samples/.
// Usage: pnpm --filter @xai/zoo samples
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_SAMPLES, demoSample } from '../dist/index.js';
import { encodePng } from './png.mjs';

const folder = resolve(dirname(fileURLToPath(import.meta.url)), '../samples');
mkdirSync(folder, { recursive: true });
const index = [];
for (const info of DEMO_SAMPLES) {
  const sample = demoSample(info.name);
  const { width, height } = sample.image;
  writeFileSync(resolve(folder, `${info.name}.png`), encodePng(sample.image.data, width, height, 3));
  writeFileSync(resolve(folder, `${info.name}.mask.png`), encodePng(sample.mask.map((v) => v * 255), width, height, 1));
  const truth = {
    name: info.name,
    label: sample.label,
    className: sample.className,
    seed: sample.seed,
    index: sample.index,
    width,
    height,
    bbox: sample.bbox,
    maskPixels: sample.mask.reduce((n, v) => n + v, 0),
    object: sample.object,
    background: sample.background,
  };
  writeFileSync(resolve(folder, `${info.name}.json`), `${JSON.stringify(truth, null, 2)}\n`);
  index.push({ name: info.name, className: info.className, image: `${info.name}.png`, mask: `${info.name}.mask.png`, groundTruth: `${info.name}.json` });
}
writeFileSync(resolve(folder, 'index.json'), `${JSON.stringify(index, null, 2)}\n`);
console.log(`wrote ${DEMO_SAMPLES.length} samples to ${folder}`);
