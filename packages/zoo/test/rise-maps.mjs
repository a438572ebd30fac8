// Child process of localisation-rise.test.ts: RISE maps (N = 2000) of the localisation images
// [start, start + count), written as float32 values to `out`, with `out.json` telling how many
// tensors the run left behind. Two of these run at once, one per core.
import { writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@xai/core';
import { rise } from '@xai/rise';
import { generateDataset, imagesToBatch } from '@xai/zoo';
import { loadDemoModel } from '@xai/zoo/node';

const [seed, start, count, out] = process.argv.slice(2);
await selectBackend({ prefer: 'wasm' });
// One process per core already: no worker threads of its own.
const model = await loadDemoModel({ workers: 1 });
const samples = generateDataset({ seed: Number(seed), start: Number(start), count: Number(count) });
const before = tf.memory().numTensors;
const maps = [];
for (const sample of samples) {
  const image = imagesToBatch([sample.image]);
  const [map] = await rise(model, image, { n: 2000, s: 8, p1: 0.5, seed: 0, classes: sample.label, batchSize: 100 });
  maps.push(map.data);
  image.dispose();
}
const leaked = tf.memory().numTensors - before;
const values = new Float32Array(maps.reduce((n, m) => n + m.length, 0));
maps.reduce((offset, m) => (values.set(m, offset), offset + m.length), 0);
writeFileSync(out, new Uint8Array(values.buffer));
writeFileSync(`${out}.json`, JSON.stringify({ leaked, count: maps.length }));
model.dispose();
