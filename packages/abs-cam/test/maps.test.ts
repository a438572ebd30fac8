import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ABS_CAM_EPSILON, minMaxNormalize, resizeMaps } from '@xai/core';
import { TEST_BACKENDS, nchwToNhwc, readFixtureFloat32, relativeError, maxAbsDiff, resizeReference, uniformArray, useBackend } from '@xai/testing';
import { channelMasks, channelWeights, initMap, weightedMaskSum } from '../src/index.js';
import { initReference, normalizeReference, weightsReference } from './helpers/reference.js';

function goldenLayer(layer: string) {
  const a = readFixtureFloat32('tiny-chelsea', `activations_${layer}.npy`);
  const g = readFixtureFloat32('tiny-chelsea', `gradients_${layer}.npy`);
  return { activations: nchwToNhwc(a.data, a.shape), gradient: nchwToNhwc(g.data, g.shape) };
}

/** Values of a pure map function, checking it disposed its intermediates. */
function valuesOf(make: () => tf.Tensor): Float32Array {
  const before = tf.memory().numTensors;
  const t = make();
  expect(tf.memory().numTensors).toBe(before + 1);
  const values = t.dataSync() as Float32Array;
  t.dispose();
  return values;
}

describe.each(TEST_BACKENDS)('Abs-CAM arithmetic on %s', (backend) => {
  it.each(['layer4', 'layer3'])('reproduces the golden Init map from the golden %s activations and gradients', async (layer) => {
    await useBackend(backend);
    const { activations, gradient } = goldenLayer(layer);
    const A = tf.tensor4d(activations.data, activations.shape as [number, number, number, number]);
    const G = tf.tensor4d(gradient.data, gradient.shape as [number, number, number, number]);
    const map = valuesOf(() => initMap(A, G, [64, 64]));
    tf.dispose([A, G]);
    const expected = readFixtureFloat32('tiny-chelsea', `abscam_init_${layer}.npy`);
    expect(expected.shape).toEqual([64, 64]);
    expect(relativeError(map, expected.data)).toBeLessThanOrEqual(1e-4);
  });

  it('upsamples (core resizeMaps) bilinearly with half-pixel centres and clamped edges, for any ratio', async () => {
    await useBackend(backend);
    const small = uniformArray(3 * 5, 1);
    const values = valuesOf(() => tf.tidy(() => resizeMaps(tf.tensor4d(small, [1, 3, 5, 1]), [8, 11])));
    expect(maxAbsDiff(values, resizeReference(small, 3, 5, 8, 11))).toBeLessThan(1e-6);
  });

  it('normalises (core minMaxNormalize, epsilon 1e-8) each map on its own to [0, 1], and a constant map to zeros', async () => {
    await useBackend(backend);
    const data = uniformArray(2 * 4 * 4, 2, -3, 5);
    data.fill(0.7, 16); // second map constant
    const values = valuesOf(() => tf.tidy(() => minMaxNormalize(tf.tensor4d(data, [2, 4, 4, 1]), ABS_CAM_EPSILON)));
    const first = normalizeReference(Float64Array.from(data.subarray(0, 16)));
    expect(maxAbsDiff(values.subarray(0, 16), first)).toBeLessThan(1e-6);
    expect(Math.min(...values.subarray(0, 16))).toBe(0);
    expect(Math.max(...values.subarray(0, 16))).toBeCloseTo(1, 6);
    expect([...values.subarray(16)].every((v) => v === 0)).toBe(true);
  });

  it('weights channels by the mean absolute gradient, signs ignored', async () => {
    await useBackend(backend);
    const g = uniformArray(3 * 2 * 5, 3);
    const values = valuesOf(() => tf.tidy(() => channelWeights(tf.tensor4d(g, [1, 3, 2, 5]))));
    expect(maxAbsDiff(values, weightsReference(g, 5))).toBeLessThan(1e-6);
    const negated = valuesOf(() => tf.tidy(() => channelWeights(tf.neg(tf.tensor4d(g, [1, 3, 2, 5])))));
    expect(maxAbsDiff(negated, values)).toBe(0);
  });

  it('builds the masks of any channel range: up(w_k · A_k), each normalised', async () => {
    await useBackend(backend);
    const [h, w, k] = [3, 4, 5];
    const a = uniformArray(h * w * k, 4, -2, 2);
    const weights = uniformArray(k, 5, 0, 1);
    const values = valuesOf(() =>
      tf.tidy(() => channelMasks(tf.tensor4d(a, [1, h, w, k]), tf.tensor1d(weights), [9, 10], [1, 2, 3])),
    );
    expect(values.length).toBe(3 * 9 * 10);
    for (let c = 1; c < 4; c++) {
      const channel = Float64Array.from({ length: h * w }, (_, p) => weights[c] * a[p * k + c]);
      const expected = normalizeReference(resizeReference(channel, h, w, 9, 10));
      expect(maxAbsDiff(values.subarray((c - 1) * 90, c * 90), expected)).toBeLessThan(1e-6);
    }
  });

  it('sums masks weighted by their scores', async () => {
    await useBackend(backend);
    const masks = uniformArray(3 * 2 * 2, 6, 0, 1);
    const scores = [2, 0.5, 3];
    const values = valuesOf(() =>
      tf.tidy(() => weightedMaskSum(tf.tensor1d(scores), tf.tensor4d(masks, [3, 2, 2, 1]))),
    );
    const expected = [0, 1, 2, 3].map((p) => scores.reduce((s, score, i) => s + score * masks[i * 4 + p], 0));
    expect(maxAbsDiff(values, expected)).toBeLessThan(1e-6);
  });

  it('gives Init = the plain-loop reference on random activations and gradients', async () => {
    await useBackend(backend);
    const [h, w, k] = [5, 3, 7];
    const a = uniformArray(h * w * k, 7, -1, 2);
    const g = uniformArray(h * w * k, 8);
    const values = valuesOf(() => tf.tidy(() => initMap(tf.tensor4d(a, [1, h, w, k]), tf.tensor4d(g, [1, h, w, k]), [16, 12])));
    expect(maxAbsDiff(values, initReference(a, g, { h, w, k }, { H: 16, W: 12 }))).toBeLessThan(1e-5);
  });
});
