import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XaiError } from '@xai/core';
import { TEST_BACKENDS, maxAbsDiff, nchwToNhwc, readFixtureFloat32, useBackend } from '@xai/testing';
import { blurImages, blurKernel, makeSubstrate } from '../src/index.js';

describe('blurKernel', () => {
  it('equals the golden blur_kernel.npy (SciPy gaussian_filter of an impulse, σ=5, reflect)', () => {
    const golden = readFixtureFloat32('tiny-chelsea', 'blur_kernel.npy');
    expect(golden.shape).toEqual([11, 11]);
    expect(maxAbsDiff(blurKernel(), golden.data)).toBeLessThan(1e-8);
  });

  it('sums to 1 for other sizes too, and is symmetric', () => {
    const k = blurKernel({ kernelSize: 5, sigma: 1.5 });
    expect(k.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    for (let y = 0; y < 5; y++) for (let x = 0; x < 5; x++) expect(k[y * 5 + x]).toBeCloseTo(k[x * 5 + (4 - y)], 7);
  });

  it('rejects even sizes and non-positive sigma', () => {
    expect(() => blurKernel({ kernelSize: 10 })).toThrow(/odd whole number ≥ 1, got 10/);
    expect(() => blurKernel({ sigma: 0 })).toThrow(XaiError);
  });
});

describe.each(TEST_BACKENDS)('blurImages on %s', (backend) => {
  let image: tf.Tensor4D;
  beforeAll(async () => {
    await useBackend(backend);
    const input = readFixtureFloat32('tiny-chelsea', 'input.npy');
    const nhwc = nchwToNhwc(input.data, input.shape);
    image = tf.tensor4d(nhwc.data, nhwc.shape as [number, number, number, number]);
  });
  afterAll(() => image.dispose());

  it('reproduces blurred_input.npy (depthwise 11×11, zero padding 5)', () => {
    const golden = readFixtureFloat32('tiny-chelsea', 'blurred_input.npy');
    const expected = nchwToNhwc(golden.data, golden.shape).data;
    const before = tf.memory().numTensors;
    const blurred = blurImages(image);
    expect(blurred.shape).toEqual([1, 64, 64, 3]);
    expect(maxAbsDiff(blurred.dataSync(), expected)).toBeLessThan(1e-5);
    blurred.dispose();
    const viaSubstrate = makeSubstrate('blur', image);
    expect(maxAbsDiff(viaSubstrate.dataSync(), expected)).toBeLessThan(1e-5);
    viaSubstrate.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
