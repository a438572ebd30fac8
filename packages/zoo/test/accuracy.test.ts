import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, type TfjsClassifier } from '@xai/core';
import { generateDataset, imagesToBatch } from '../src/index.js';
import { loadDemoModel } from '../src/node/index.js';

/** Seeds used by the training script: weights 42, training stream 1, held-out stream 2; samples 3. */
const FRESH_SEED = 7;

describe('the bundled demo model', () => {
  let model: TfjsClassifier;
  beforeAll(async () => {
    await selectBackend({ prefer: 'wasm' });
    model = await loadDemoModel();
  });
  afterAll(() => model.dispose());

  it('classifies at least 97% of 1000 fresh images from a seed never used in training', async () => {
    const before = tf.memory().numTensors;
    let correct = 0;
    const total = 1000;
    for (let start = 0; start < total; start += 125) {
      const samples = generateDataset({ seed: FRESH_SEED, start, count: 125 });
      const batch = imagesToBatch(samples.map((s) => s.image));
      const logits = await model.predict(batch);
      const predicted = tf.argMax(logits, 1);
      const labels = await predicted.data();
      samples.forEach((s, k) => (correct += labels[k] === s.label ? 1 : 0));
      tf.dispose([batch, logits, predicted]);
    }
    expect(tf.memory().numTensors).toBe(before);
    console.log(`demo model accuracy on ${total} fresh images (seed ${FRESH_SEED}): ${((100 * correct) / total).toFixed(1)}%`);
    expect(correct / total).toBeGreaterThanOrEqual(0.97);
  });
});
