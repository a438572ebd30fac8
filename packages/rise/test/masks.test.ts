import { describe, expect, it } from 'vitest';
import { XaiError, npyToFloat32 } from '@xai/core';
import { readFixtureNpy, goldenCase, maxAbsDiff } from '@xai/testing';
import { binaryMasks, gaussianMasks, masksToNpy, type MaskSource } from '../src/index.js';
import { mean } from './helpers.js';

const size = { height: 32, width: 32 };

function allMasks(source: MaskSource, batchSize?: number): Float32Array {
  return masksToNpy(source, { batchSize }).data as Float32Array;
}

describe('binary grid masks', () => {
  it.each([0.1, 0.5])('have mean p1 ± 0.01 at N = 2000 for p1 = %s', (p1) => {
    const source = binaryMasks({ n: 2000, s: 8, p1, seed: 3, ...size });
    const stream = source.open();
    const masks = stream.next(2000);
    expect(Math.abs(mean(masks) - p1)).toBeLessThan(0.01);
    expect(stream.normalizingMean()).toBe(p1);
    expect(Math.min(...masks.subarray(0, 4096))).toBeGreaterThanOrEqual(0);
  });

  it("reproduce the reference code's masks for its seed (NumPy RandomState(0) draw order)", () => {
    const golden = goldenCase();
    const expected = readFixtureNpy('tiny-chelsea', 'masks_orig.npy');
    const [height, width] = golden.input_size;
    const { N: n, s, p1 } = golden.rise;
    const npy = masksToNpy(binaryMasks({ n, s, p1, seed: 0, height, width }), { batchSize: 7 });
    expect(npy.shape).toEqual(expected.shape);
    expect(maxAbsDiff(npy.data as Float32Array, npyToFloat32(expected))).toBeLessThan(1e-6);
  });

  it('give byte-identical masks for the same seed, whatever the batch size', () => {
    const options = { n: 50, s: 5, p1: 0.4, seed: 11, ...size };
    const once = allMasks(binaryMasks(options), 50);
    const again = allMasks(binaryMasks(options), 3);
    expect(Buffer.from(again.buffer).equals(Buffer.from(once.buffer))).toBe(true);
    const other = allMasks(binaryMasks({ ...options, seed: 12 }), 50);
    expect(Buffer.from(other.buffer).equals(Buffer.from(once.buffer))).toBe(false);
  });

  it('give the same masks on every pass over a source', () => {
    const source = binaryMasks({ n: 10, s: 4, p1: 0.5, seed: 1, ...size });
    expect(Array.from(allMasks(source))).toEqual(Array.from(allMasks(source)));
  });

  it('handle non-square masks (separate cell sizes per axis)', () => {
    const source = binaryMasks({ n: 400, s: 4, p1: 0.5, seed: 2, height: 20, width: 45 });
    const masks = allMasks(source);
    expect(masks.length).toBe(400 * 20 * 45);
    expect(Math.abs(mean(masks) - 0.5)).toBeLessThan(0.03);
  });
});

describe('Gaussian grid masks', () => {
  it('have mean 0.5 ± 0.01 at N = 2000, values in [0, 1], normalised by their measured mean', () => {
    const stream = gaussianMasks({ n: 2000, s: 8, seed: 5, ...size }).open();
    const masks = stream.next(2000);
    const measured = mean(masks);
    expect(Math.abs(measured - 0.5)).toBeLessThan(0.01);
    expect(stream.normalizingMean()).toBeCloseTo(measured, 9);
    let low = Infinity;
    let high = -Infinity;
    for (const v of masks) {
      low = Math.min(low, v);
      high = Math.max(high, v);
    }
    expect(low).toBeGreaterThanOrEqual(0);
    expect(high).toBeLessThanOrEqual(1);
    expect(high - low).toBeGreaterThan(0.5);
  });

  it('give byte-identical masks for the same seed, whatever the batch size', () => {
    const options = { n: 40, s: 6, seed: 9, ...size };
    const once = allMasks(gaussianMasks(options), 40);
    const again = allMasks(gaussianMasks(options), 6);
    expect(Buffer.from(again.buffer).equals(Buffer.from(once.buffer))).toBe(true);
  });
});

describe('mask generator input checks', () => {
  const good = { n: 10, s: 8, p1: 0.5, seed: 0, ...size };
  it.each([
    [{ n: 0 }, /number of masks n must be a whole number ≥ 1, got 0/],
    [{ n: 2.5 }, /got 2\.5/],
    [{ p1: 0 }, /p1 must be a number in \(0, 1\], got 0/],
    [{ p1: 1.5 }, /p1 must be a number in \(0, 1\], got 1\.5/],
    [{ p1: Number.NaN }, /p1 must be a number in \(0, 1\], got NaN/],
    [{ s: 1 }, /grid size s must be a whole number from 2 to the image's smaller side \(32 for 32×32\), got 1/],
    [{ s: 33 }, /got 33/],
    [{ seed: -1 }, /seed must be an integer/],
  ])('rejects %o', (change, message) => {
    expect(() => binaryMasks({ ...good, ...change })).toThrow(XaiError);
    expect(() => binaryMasks({ ...good, ...change })).toThrow(message);
  });

  it('accepts p1 = 1 and s equal to the image size', () => {
    const masks = allMasks(binaryMasks({ ...good, p1: 1, s: 32 }));
    expect(Math.min(...masks)).toBe(1);
  });

  it('rejects a negative Gaussian sd', () => {
    expect(() => gaussianMasks({ ...good, sd: -1 })).toThrow(/sd must be a finite number ≥ 0, got -1/);
  });
});
