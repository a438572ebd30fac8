import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, type SaliencyMap, type TfjsClassifier } from '@xai/core';
import { rise } from '@xai/rise';
import { generateDataset, imagesToBatch } from '../src/index.js';
import { loadDemoModel } from '../src/node/index.js';
import { LOCALISATION_COUNT, LOCALISATION_SEED, localisation } from './localisation-helpers.js';

// 200 images × 2000 masks = 400 000 forward passes: about 13 minutes on one wasm core.
describe('RISE on the demo model finds the object', () => {
  let model: TfjsClassifier;
  beforeAll(async () => {
    await selectBackend({ prefer: 'wasm' });
    model = await loadDemoModel();
  });
  afterAll(() => model.dispose());

  it('pointing game ≥ 80% on 200 fresh images with N = 2000 masks', async () => {
    const samples = generateDataset({ seed: LOCALISATION_SEED, count: LOCALISATION_COUNT });
    const before = tf.memory().numTensors;
    const maps: SaliencyMap[] = [];
    for (const sample of samples) {
      const image = imagesToBatch([sample.image]);
      const [map] = await rise(model, image, { n: 2000, s: 8, p1: 0.5, seed: 0, classes: sample.label, batchSize: 100 });
      maps.push(map);
      image.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    const { standard } = localisation(maps, samples, 'RISE (N = 2000)');
    expect(standard.pointingAccuracy).toBeGreaterThanOrEqual(0.8);
  }, 3_600_000);
});
