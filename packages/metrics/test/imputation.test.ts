import { describe, expect, it } from 'vitest';
import { Random } from '@xai/core';
import { noisyLinearImputation, percentile, roadRemoved, roadSettings } from '../src/index.js';

const H = 12;
const W = 10;

/** A linear function of position per channel: the symmetric stencil's mean reproduces it exactly inside the image. */
function planeImage(channels: number): Float32Array {
  const out = new Float32Array(H * W * channels);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < channels; c++) out[(y * W + x) * channels + c] = 0.3 * y - 0.2 * x + c;
  return out;
}

function blockMask(y0: number, y1: number, x0: number, x1: number): Uint8Array {
  const mask = new Uint8Array(H * W);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) mask[y * W + x] = 1;
  return mask;
}

describe('noisy linear imputation', () => {
  it('recovers a linear image inside a removed block exactly (to the solver tolerance)', () => {
    const image = planeImage(3);
    const removed = blockMask(3, 9, 2, 8);
    const holed = Float32Array.from(image);
    for (let i = 0; i < H * W; i++) if (removed[i]) holed.fill(-50, i * 3, i * 3 + 3);
    const result = noisyLinearImputation(holed, H, W, 3, removed, { noise: 0, tolerance: 1e-10 });
    let error = 0;
    for (let i = 0; i < image.length; i++) error = Math.max(error, Math.abs(result.image[i] - image[i]));
    expect(error).toBeLessThan(1e-5);
    expect(result.residual).toBeLessThanOrEqual(1e-10);
    expect(result.iterations).toBeGreaterThan(1);
  });

  it('fills a single removed pixel with the weighted mean of its neighbours (border: renormalised weights)', () => {
    const image = Float32Array.from({ length: H * W }, (_, i) => (i * 7919) % 13);
    const corner = new Uint8Array(H * W);
    corner[0] = 1;
    const [right, below, diagonal] = [image[1], image[W], image[W + 1]];
    const expected = (right / 6 + below / 6 + diagonal / 12) / (1 / 6 + 1 / 6 + 1 / 12);
    expect(noisyLinearImputation(image, H, W, 1, corner, { noise: 0, tolerance: 1e-12 }).image[0]).toBeCloseTo(expected, 5);
  });

  it('leaves known pixels untouched and adds seeded noise to the removed ones only', () => {
    const image = planeImage(2);
    const removed = blockMask(4, 6, 4, 6);
    const clean = noisyLinearImputation(image, H, W, 2, removed, { noise: 0, tolerance: 1e-10 }).image;
    const noisy = (seed: number) => noisyLinearImputation(image, H, W, 2, removed, { noise: 0.5, random: new Random(seed), tolerance: 1e-10 }).image;
    const a = noisy(3);
    expect(noisy(3)).toEqual(a);
    expect(noisy(4)).not.toEqual(a);
    const spare = new Random(3);
    for (let i = 0; i < H * W; i++) {
      for (let c = 0; c < 2; c++) {
        const k = i * 2 + c;
        if (!removed[i]) expect(a[k]).toBe(image[k]);
        else expect(a[k]).toBeCloseTo(clean[k] + 0.5 * spare.normal(), 5);
      }
    }
  });

  it('fills an image with every pixel removed with zeros (no known neighbour: the system is singular, its right side 0)', () => {
    const all = new Uint8Array(H * W).fill(1);
    const result = noisyLinearImputation(planeImage(1), H, W, 1, all, { noise: 0, tolerance: 1e-6 });
    expect(Array.from(result.image).every((v) => v === 0)).toBe(true);
  });

  it('refuses mismatched sizes and noise without a random source', () => {
    expect(() => noisyLinearImputation(new Float32Array(5), H, W, 1, new Uint8Array(H * W), { noise: 0, tolerance: 1e-6 })).toThrow(/12×10×1 image/);
    expect(() => noisyLinearImputation(planeImage(1), H, W, 1, blockMask(0, 1, 0, 1), { noise: 0.1, tolerance: 1e-6 })).toThrow(/seeded random/);
  });
});

describe('ROAD removal and settings', () => {
  it('takes NumPy-style linear percentiles', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile([4, 1, 3, 2], 10)).toBeCloseTo(1.3, 12);
    expect(percentile([5], 90)).toBe(5);
  });

  it('removes the pixels ≥ the percentile (MoRF) and those ≥ the percentile of 1 − map (LeRF)', () => {
    const map = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
    expect(Array.from(roadRemoved(map, 80, 'morf'))).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 1]);
    expect(Array.from(roadRemoved(map, 80, 'lerf'))).toEqual([1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    // Tied values at the threshold are all removed.
    expect(Array.from(roadRemoved([0, 0, 0, 0, 1], 50, 'morf'))).toEqual([1, 1, 1, 1, 1]);
  });

  it('checks its settings: percentiles from 1 to 99, once each; noise ≥ 0; a valid seed', () => {
    expect(roadSettings({ percentiles: [30, 10, 20] }).percentiles).toEqual([10, 20, 30]);
    expect(() => roadSettings({ percentiles: [0, 50] })).toThrow(/from 1 to 99, got 0/);
    expect(() => roadSettings({ percentiles: [50, 100] })).toThrow(/from 1 to 99, got 100/);
    expect(() => roadSettings({ percentiles: [] })).toThrow(/at least one percentile/);
    expect(() => roadSettings({ percentiles: [20, 20] })).toThrow(/20 is given twice/);
    expect(() => roadSettings({ noise: -1 })).toThrow(/noise must be a finite number ≥ 0/);
    expect(() => roadSettings({ seed: 1.5 })).toThrow(/seed/);
  });
});
