// Makes the pictures in README.md from the golden tiny-chelsea case (packages/testing/fixtures):
//   pnpm --filter @xai/viz build && node packages/viz/scripts/readme-figures.mjs
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseNpy } from '@xai/core';
import sharp from 'sharp';
import { figureSvg, curvesSvg, maskGridSvg } from '../dist/index.js';
import { readImage, svgToPng } from '../dist/node/index.js';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const golden = (name) => here(`../../testing/fixtures/tiny-chelsea/${name}`);
const npy = async (name) => parseNpy(new Uint8Array(await readFile(golden(name))), name);

const image = await readImage(golden('image.png'));
const logits = (await npy('logits.npy')).data;
const top = logits.indexOf(Math.max(...logits));
const exp = Array.from(logits, (v) => Math.exp(v - logits[top]));
const probability = exp[top] / exp.reduce((a, b) => a + b, 0);
const [, height, width] = (await npy('rise_orig.npy')).shape;
const plane = (await npy('rise_orig.npy')).data.subarray(top * height * width, (top + 1) * height * width);
const map = { data: plane, height, width, classIndex: top, method: 'rise', params: {} };
const masks = await npy('masks_orig.npy');
const curve = async (kind) => {
  const scores = Array.from((await npy(`${kind}_scores.npy`)).data);
  const n = scores.length - 1;
  const auc = (scores.reduce((a, b) => a + b, 0) - scores[0] / 2 - scores[n] / 2) / n;
  return { scores, auc, kind, classIndex: top };
};

// Palette PNGs keep the committed files small.
const save = async (svg, name) => {
  await sharp(await svgToPng(svg)).png({ palette: true, colours: 256 }).toFile(here(`../docs/${name}`));
};
await save(await figureSvg(image, map, { probability }), 'figure.png');
await save(curvesSvg([await curve('insertion'), await curve('deletion')]), 'curves.png');
await save(await maskGridSvg({ data: masks.data, count: masks.shape[0], height, width }, image, { count: 4, tileSize: 112 }), 'masks.png');
