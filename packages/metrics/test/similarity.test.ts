import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { averageRanks, spearman } from '../src/correlation.js';
import { mapSsim, ssim } from '../src/sanity/similarity.js';

interface ReferenceCase {
  name: string;
  height: number;
  width: number;
  a: number[];
  b: number[];
  spearman: number;
  ssim: number;
  mapSsim: number;
}

// Made by fixtures/sanity/make_similarity.py with scipy 1.10.1 and scikit-image 0.19.3 (Debian).
const reference = JSON.parse(readFileSync(new URL('./fixtures/sanity/similarity.json', import.meta.url), 'utf8')) as { cases: ReferenceCase[] };

const grid = (data: ArrayLike<number>, height: number, width: number) => ({ data, height, width });

describe('spearman', () => {
  it('is 1 for a monotone transform, −1 for a reversal, NaN for a constant list', () => {
    const x = [0.3, -1, 2, 5, 0.1, 7];
    expect(spearman(x, x.map((v) => v ** 3 + 4))).toBeCloseTo(1, 12);
    expect(spearman(x, x.map((v) => -2 * v))).toBeCloseTo(-1, 12);
    expect(spearman(x, x.map(() => 3))).toBeNaN();
  });

  it('gives ties their average rank: [1, 2, 2, 3] against [1, 2, 3, 4] is 4.5 / √22.5', () => {
    expect(Array.from(averageRanks([1, 2, 2, 3]))).toEqual([1, 2.5, 2.5, 4]);
    expect(Array.from(averageRanks([5, 5, 5]))).toEqual([2, 2, 2]);
    expect(spearman([1, 2, 2, 3], [1, 2, 3, 4])).toBeCloseTo(4.5 / Math.sqrt(22.5), 12);
  });
});

describe('ssim', () => {
  it('is 1 for a map with itself and (2pq + C1) / (p² + q² + C1) for two constant maps p and q', () => {
    const x = Float64Array.from({ length: 100 }, (_, i) => Math.sin(i) ** 2);
    expect(ssim(grid(x, 10, 10), grid(x, 10, 10))).toBeCloseTo(1, 12);
    const c1 = 0.01 ** 2;
    const expected = (2 * 0.2 * 0.6 + c1) / (0.2 ** 2 + 0.6 ** 2 + c1);
    expect(ssim(grid(new Float64Array(64).fill(0.2), 8, 8), grid(new Float64Array(64).fill(0.6), 8, 8))).toBeCloseTo(expected, 12);
  });

  it('mapSsim compares shapes: a map and an affine rescaling of it are 1 apart from nothing', () => {
    const x = Float64Array.from({ length: 120 }, (_, i) => Math.cos(i / 3));
    expect(mapSsim(grid(x, 10, 12), grid(x.map((v) => 5 * v + 2), 10, 12))).toBeCloseTo(1, 12);
    expect(mapSsim(grid(new Float64Array(49), 7, 7), grid(new Float64Array(49).fill(3), 7, 7))).toBe(1);
  });

  it('refuses maps of different sizes, maps smaller than the window and a bad data range', () => {
    expect(() => ssim(grid(new Float64Array(64), 8, 8), grid(new Float64Array(63), 7, 9))).toThrow(/two maps of one size, got 8×8 and 7×9/);
    expect(() => ssim(grid(new Float64Array(36), 6, 6), grid(new Float64Array(36), 6, 6))).toThrow(/needs maps of at least 7×7, got 6×6/);
    expect(() => ssim(grid(new Float64Array(49), 7, 7), grid(new Float64Array(49), 7, 7), { dataRange: 0 })).toThrow(/positive number, got 0/);
  });
});

describe('against scipy.stats.spearmanr and skimage.metrics.structural_similarity', () => {
  expect(reference.cases.length).toBe(5);
  for (const c of reference.cases) {
    it(c.name, () => {
      const a = grid(Float32Array.from(c.a), c.height, c.width);
      const b = grid(Float32Array.from(c.b), c.height, c.width);
      expect(Math.abs(spearman(a.data, b.data) - c.spearman)).toBeLessThan(1e-12);
      expect(Math.abs(ssim(a, b) - c.ssim)).toBeLessThan(1e-10);
      expect(Math.abs(mapSsim(a, b) - c.mapSsim)).toBeLessThan(1e-10);
    });
  }
});
