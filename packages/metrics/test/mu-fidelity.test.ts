import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saliencyMap } from '@xai/core';
import { expectNoLeak, functionClassifier, linearClassifier, uniformArray, useBackend } from '@xai/testing';
import { createMetric, muFidelity, muFidelitySettings, muFidelitySubsets, spearman } from '../src/index.js';

const H = 16;
const W = 16;

describe('MuFidelity', () => {
  const weights = uniformArray(H * W * 2, 7, -1, 1);
  const model = linearClassifier({ height: H, width: W, channels: 1 }, weights);
  const pixels = uniformArray(H * W, 8, 0.2, 1);
  let image: tf.Tensor4D;
  /** Class 0's contribution of each pixel, w_i·x_i: the logit's drop when a subset is removed is its sum over the subset. */
  const contribution = Float32Array.from(pixels, (x, i) => weights[i * 2] * x);
  const map = (data: Float32Array) => saliencyMap({ data, height: H, width: W, classIndex: 0, method: 'test', params: {} });

  beforeAll(async () => {
    await useBackend('cpu');
    image = tf.tensor4d(pixels, [1, H, W, 1]);
  });
  afterAll(() => image.dispose());

  it('is 1 for a linear model explained by w·x, and −1 for its negative (the map sum over a subset is the drop)', async () => {
    const exact = await expectNoLeak(() => muFidelity(model, image, map(contribution), { classIndex: 0, grid: 4, samples: 50, batchSize: 16 }));
    expect(exact.value).toBeCloseTo(1, 6);
    const reversed = await expectNoLeak(() => muFidelity(model, image, map(contribution.map((v) => -v)), { classIndex: 0, grid: 4, samples: 50 }));
    expect(reversed.value).toBeCloseTo(-1, 6);
  });

  it('counts a constant prediction as 0', async () => {
    const constant = functionClassifier({ height: H, width: W, channels: 1, numClasses: 2 }, (batch) => tf.zeros([batch.shape[0], 2]) as tf.Tensor2D);
    const result = await expectNoLeak(() => muFidelity(constant, image, map(contribution), { samples: 20 }));
    expect(result.value).toBe(0);
  });

  it('is deterministic for a seed, different for another, and independent of the batch size', async () => {
    const noisy = map(Float32Array.from(contribution, (v, i) => v + 0.3 * Math.sin(i)));
    const a = await expectNoLeak(() => muFidelity(model, image, noisy, { seed: 5, samples: 40, batchSize: 7 }));
    const b = await expectNoLeak(() => muFidelity(model, image, noisy, { seed: 5, samples: 40, batchSize: 41 }));
    const c = await expectNoLeak(() => muFidelity(model, image, noisy, { seed: 6, samples: 40 }));
    expect(b.value).toBe(a.value);
    expect(c.value).not.toBe(a.value);
    expect(a.value).toBeGreaterThan(0.5);
    expect(a.protocol).toMatchObject({ grid: 9, subset: 0.2, samples: 40, seed: 5, baseline: 0, score: 'logit' });
  });

  it('draws subsets of the grid with probability q, upsampled by nearest neighbour', () => {
    const settings = muFidelitySettings({ grid: 3, subset: 0.25, samples: 400, seed: 1 });
    const subsets = muFidelitySubsets(settings, 6, 6);
    let removed = 0;
    for (const mask of subsets) {
      for (let y = 0; y < 6; y++) for (let x = 0; x < 6; x++) expect(mask[y * 6 + x]).toBe(mask[Math.floor(y / 2) * 2 * 6 + Math.floor(x / 2) * 2]);
      removed += mask.reduce((a, b) => a + b, 0);
    }
    expect(removed / (400 * 36)).toBeGreaterThan(0.22);
    expect(removed / (400 * 36)).toBeLessThan(0.28);
  });

  it('refuses bad settings before any work', () => {
    expect(() => muFidelitySettings({ grid: 0 })).toThrow(/grid must be a whole number of cells ≥ 1/);
    expect(() => muFidelitySettings({ subset: 1 })).toThrow(/subset probability must be a number in \(0, 1\)/);
    expect(() => muFidelitySettings({ samples: 1 })).toThrow(/samples ≥ 2/);
    expect(() => createMetric('mu-fidelity', { samples: 2.5 })).toThrow(/samples ≥ 2/);
  });

  it('uses Spearman correlation with average ranks for ties', () => {
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 40])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 2, 3], [1, 2, 3, 4])).toBeCloseTo(0.9486832980505138, 12);
    expect(Number.isNaN(spearman([1, 1, 1], [1, 2, 3]))).toBe(true);
  });
});
