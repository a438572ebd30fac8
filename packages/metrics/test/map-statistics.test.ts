import { describe, expect, it } from 'vitest';
import { complexity, sparseness } from '../src/index.js';

const map = (values: number[]) => ({ data: Float32Array.from(values) });

describe('sparseness (Gini index of |map|)', () => {
  it('is 0 for a uniform map, whatever its level or sign', () => {
    expect(sparseness(map([3, 3, 3, 3, 3, 3]))).toBeCloseTo(0, 12);
    expect(sparseness(map([-2, 2, -2, 2]))).toBeCloseTo(0, 12);
  });

  it('is (n − 1)/n for a one-hot map', () => {
    for (const n of [2, 4, 16, 4096]) {
      const values = new Array(n).fill(0);
      values[Math.floor(n / 3)] = 5;
      expect(sparseness(map(values))).toBeCloseTo((n - 1) / n, 10);
    }
  });

  it('is 5/12 for the ramp 0, 1, 2, 3 (by hand: Σ(2i − 5)·a_i = 10 over n·Σa = 24), and (n + 1)/(3n) for longer ramps', () => {
    expect(sparseness(map([3, 0, 2, 1]))).toBeCloseTo(5 / 12, 12);
    const n = 64 * 64;
    expect(sparseness(map(Array.from({ length: n }, (_, i) => i)))).toBeCloseTo((n + 1) / (3 * n), 10);
  });

  it('counts an all-zero map as uniform and NaN as 0', () => {
    expect(sparseness(map([0, 0, 0]))).toBe(0);
    expect(sparseness(map([Number.NaN, 0, 7, 0]))).toBeCloseTo(3 / 4, 12);
  });
});

describe('complexity (entropy of |map| / Σ|map|)', () => {
  it('is ln n for a uniform map', () => {
    expect(complexity(map([0.5, 0.5, 0.5, 0.5]))).toBeCloseTo(Math.log(4), 12);
    expect(complexity(map(new Array(100).fill(-1)))).toBeCloseTo(Math.log(100), 12);
  });

  it('is 0 for a one-hot map', () => {
    expect(complexity(map([0, 0, 9, 0, 0]))).toBe(0);
  });

  it('is ln6/6 + ln3/3 + ln2/2 for the ramp 0, 1, 2, 3 (p = 0, 1/6, 2/6, 3/6)', () => {
    expect(complexity(map([0, 1, 2, 3]))).toBeCloseTo(Math.log(6) / 6 + Math.log(3) / 3 + Math.log(2) / 2, 12);
  });

  it('counts an all-zero map as uniform', () => {
    expect(complexity(map([0, 0, 0, 0, 0]))).toBeCloseTo(Math.log(5), 12);
  });
});
