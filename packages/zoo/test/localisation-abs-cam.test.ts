import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, type SaliencyMap, type TfjsClassifier } from '@xai/core';
import { absCamFinal, absCamInit } from '@xai/abs-cam';
import { generateDataset, imagesToBatch } from '../src/index.js';
import { loadDemoModel } from '../src/node/index.js';
import { LOCALISATION_COUNT, LOCALISATION_SEED, localisation } from './localisation-helpers.js';

describe('Abs-CAM on the demo model finds the object', () => {
  let model: TfjsClassifier;
  const samples = generateDataset({ seed: LOCALISATION_SEED, count: LOCALISATION_COUNT });
  beforeAll(async () => {
    await selectBackend({ prefer: 'wasm' });
    model = await loadDemoModel();
  });
  afterAll(() => model.dispose());

  async function explainAll(explain: (image: tf.Tensor4D, target: number) => Promise<SaliencyMap>) {
    const before = tf.memory().numTensors;
    const maps: SaliencyMap[] = [];
    for (const sample of samples) {
      const image = imagesToBatch([sample.image]);
      maps.push(await explain(image, sample.label));
      image.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    return maps;
  }

  it('Init: pointing game ≥ 80% on 200 fresh images', async () => {
    const maps = await explainAll((image, target) => absCamInit(model, image, { target }));
    const { standard, strict } = localisation(maps, samples, 'Abs-CAM Init');
    expect(standard.pointingAccuracy).toBeGreaterThanOrEqual(0.8);
    // The energy inside the object beats its share of the image (about 8%): the map is not flat.
    expect(strict.meanEnergy).toBeGreaterThan(0.15);
  });

  it('Final: pointing game ≥ 80% on 200 fresh images', async () => {
    const maps = await explainAll((image, target) => absCamFinal(model, image, { target, batchSize: 64 }));
    const { standard, strict } = localisation(maps, samples, 'Abs-CAM Final');
    expect(standard.pointingAccuracy).toBeGreaterThanOrEqual(0.8);
    expect(strict.meanEnergy).toBeGreaterThan(0.12);
  }, 300_000);
});
